"""Set-based reads and writes of pandas DataFrames: ``COPY`` on PostgreSQL, one
``executemany`` or one query elsewhere. Used by every bulk path (demo loads, scoring), so no
code builds an ORM object per row.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.db import connection, transaction


@contextmanager
def interpreted() -> Iterator[None]:
    """A transaction whose queries PostgreSQL runs without JIT compilation. The planner prices
    a page's aggregates over a million rows (or a sync batch's long id list) high enough to
    compile them, which costs 0.1–0.8 s per query and saves nothing on queries that read
    indexes; the scoring's bulk reads keep it."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def write_frame(table: str, frame: pd.DataFrame) -> None:
    """Append ``frame`` (columns named as the table's) to ``table``."""
    if frame.empty:
        return
    if connection.vendor == "postgresql":
        copy_frame(table, frame)
    else:
        insert_frame(table, frame)


def read_frame(sql: str, params: list | None = None, dtype: dict | None = None) -> pd.DataFrame:
    """Run one query and return its rows; on PostgreSQL streamed with ``COPY (...) TO STDOUT``.

    On PostgreSQL a query whose columns are all fixed-width (integers, floats, booleans, dates,
    timestamps) comes in COPY's binary format and is read with no parsing at all; other queries
    come as CSV. ``dtype`` maps columns to numpy/pandas dtypes. Without ``params`` the SQL is
    sent as it is (a ``%`` needs no doubling).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query = sql if params is None else cursor.mogrify(sql, params).decode()
            buffer = io.BytesIO()
            statement, columns = copy_out_statement(cursor, query)
            cursor.cursor.copy_expert(statement, buffer)
            if columns is not None:
                frame = _binary_frame(buffer.getbuffer(), columns)
                if frame is not None:
                    return frame.astype(dtype) if dtype and len(frame) else frame
                # A NULL made the rows uneven: read the same query as CSV instead.
                buffer = io.BytesIO()
                cursor.cursor.copy_expert(_csv_copy(query), buffer)
            buffer.seek(0)
            return pd.read_csv(buffer, dtype=dtype, true_values=["t"], false_values=["f"])
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
        return frame.astype(dtype) if dtype and len(frame) else frame


#: Connections reading (and writing) at once on PostgreSQL: while one backend works, the other
#: connection's rows are handled (about 1.6x faster than one at a time on 2 cores).
PARALLEL_CONNECTIONS = 2


def read_frames(
    queries: dict[str, tuple[str, list | None]], dtypes: dict[str, dict] | None = None
) -> dict[str, pd.DataFrame]:
    """Every query's rows (:func:`read_frame`, with ``dtypes[name]``), by name.

    On PostgreSQL, outside a transaction, over :data:`PARALLEL_CONNECTIONS` connections sharing
    one exported snapshot, so all tables are read as of one moment; in a transaction (whose own
    writes other connections could not see) and on SQLite, one at a time.
    """
    dtypes = dtypes or {}

    def read(name: str) -> pd.DataFrame:
        sql, params = queries[name]
        return read_frame(sql, params, dtype=dtypes.get(name))

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return {name: read(name) for name in queries}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]

        def read_in_snapshot(name: str) -> tuple[str, pd.DataFrame]:
            try:
                with transaction.atomic(), connection.cursor() as reader:
                    reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    reader.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                    return name, read(name)
            finally:
                connection.close()

        with ThreadPoolExecutor(PARALLEL_CONNECTIONS) as pool:
            return dict(pool.map(read_in_snapshot, queries))


#: PostgreSQL type OIDs read from binary COPY: (big-endian numpy type, how to convert).
_BINARY_OUT = {
    16: ("u1", "bool"),
    20: (">i8", None),
    21: (">i2", None),
    23: (">i4", None),
    700: (">f4", None),
    701: (">f8", None),
    1082: (">i4", "date"),
    1114: (">i8", "timestamp"),
    1184: (">i8", "timestamptz"),
}
#: PostgreSQL counts dates and timestamps from 2000-01-01.
_PG_EPOCH_DAYS = 10_957


def _csv_copy(query: str) -> str:
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"


def copy_out_statement(cursor, query: str) -> tuple[str, list | None]:
    """The COPY statement :func:`read_frame` streams ``query`` with, and the (name, type OID)
    of its columns when the format is binary (None for CSV)."""
    cursor.execute(f"SELECT * FROM ({query}) AS q LIMIT 0")
    columns = [(c.name, c.type_code) for c in cursor.description]
    if all(oid in _BINARY_OUT for _, oid in columns):
        return f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", columns
    return _csv_copy(query), None


def _binary_frame(data: memoryview, columns: list) -> pd.DataFrame | None:
    """Rows of a binary COPY as columns, viewed in place; None if a NULL made rows uneven."""
    header = 11 + 4
    extension = int.from_bytes(data[header : header + 4], "big")
    body = data[header + 4 + extension : len(data) - 2]
    layout = [("n", ">i2")]
    for j, (_, oid) in enumerate(columns):
        layout += [(f"l{j}", ">i4"), (f"v{j}", _BINARY_OUT[oid][0])]
    row = np.dtype(layout)
    if len(body) % row.itemsize:
        return None
    rows = np.frombuffer(body, dtype=row)
    frame = {}
    for j, (name, oid) in enumerate(columns):
        kind, convert = _BINARY_OUT[oid][0], _BINARY_OUT[oid][1]
        if (rows[f"l{j}"] != np.dtype(kind).itemsize).any():
            return None
        values = rows[f"v{j}"]
        if convert == "bool":
            frame[name] = values.astype(bool)
        elif convert == "date":
            frame[name] = (values.astype(np.int64) + _PG_EPOCH_DAYS).astype("datetime64[D]")
        elif convert in ("timestamp", "timestamptz"):
            micros = values.astype(np.int64) + _PG_EPOCH_DAYS * 86_400_000_000
            stamps = pd.to_datetime(micros.view("datetime64[us]"))
            frame[name] = stamps.tz_localize("UTC") if convert == "timestamptz" else stamps
        else:
            frame[name] = values.astype(np.dtype(kind).newbyteorder("="))
    return pd.DataFrame(frame)


#: Rows per COPY batch: bounds the memory of the text being built.
COPY_BATCH_ROWS = 100_000


def copy_frame(table: str, frame: pd.DataFrame) -> None:
    """Stream the frame through ``COPY ... FROM STDIN``.

    PostgreSQL's binary format when every target column has a type :data:`_BINARY_TYPES`
    knows (no float or integer is turned into text and parsed back), its text format otherwise.
    """
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with connection.cursor() as cursor:
        types = _column_types(cursor, table, list(frame.columns))
        binary = all(t in _BINARY_TYPES for t in types)
        for start in range(0, len(frame), COPY_BATCH_ROWS):
            batch = frame.iloc[start : start + COPY_BATCH_ROWS]
            if binary:
                data = io.BytesIO(_binary_copy_data(batch, types))
                sql = f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT binary)'
            else:
                cells = np.column_stack(
                    [_text_column(batch[c]).to_numpy(dtype=object) for c in batch.columns]
                )
                data = io.StringIO("\n".join("\t".join(row) for row in cells.tolist()) + "\n")
                sql = f'COPY "{table}" ({columns}) FROM STDIN'
            cursor.cursor.copy_expert(sql, data)


def _column_types(cursor, table: str, columns: list[str]) -> list[str]:
    cursor.execute(
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        [f'"{table}"'],
    )
    types = dict(cursor.fetchall())
    return [types[c] for c in columns]


#: PostgreSQL types written in the binary COPY format, as big-endian numpy types.
_BINARY_TYPES = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float4": ">f4",
    "float8": ">f8",
    "bool": "u1",
    "varchar": None,
    "text": None,
    # Days and microseconds from 2000-01-01 (UTC for timestamptz), as PostgreSQL counts them.
    "date": ">i4",
    "timestamptz": ">i8",
}
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _binary_field(series: pd.Series, pg_type: str) -> tuple[np.ndarray, np.ndarray]:
    """One column as (byte length per row, -1 for NULL; values as fixed-width numpy array)."""
    missing = pd.isna(series).to_numpy()
    numpy_type = _BINARY_TYPES[pg_type]
    if numpy_type is None:
        codes, uniques = pd.factorize(series)
        encoded = [str(u).encode() for u in uniques]
        widths = np.array([len(e) for e in encoded] or [0], dtype=np.int32)
        table = np.array(encoded or [b""], dtype=f"S{max(int(widths.max()), 1)}")
        safe = np.where(codes < 0, 0, codes)
        return np.where(codes < 0, -1, widths[safe]).astype(np.int32), table[safe]
    target = np.dtype(numpy_type)
    if pg_type in ("date", "timestamptz"):
        values = _pg_time(series, pg_type)
    elif target.kind in "iu":
        values = series.to_numpy(dtype="float64" if missing.any() else None, na_value=0)
        values = np.where(missing, 0, values)
        if target.kind == "i":
            info = np.iinfo(target)
            if values.size and (values.min() < info.min or values.max() > info.max):
                raise ValueError(f"{series.name}: a value does not fit {pg_type}")
    else:
        values = series.to_numpy(dtype="float64", na_value=np.nan)
    return np.where(missing, -1, target.itemsize).astype(np.int32), values.astype(target)


def _pg_time(series: pd.Series, pg_type: str) -> np.ndarray:
    """Dates as days, aware date-times as microseconds (in UTC), from PostgreSQL's epoch;
    missing values as 0 (their length marks them NULL)."""
    if pg_type == "date":
        days = pd.to_datetime(series).to_numpy("datetime64[D]").astype(np.int64)
        return np.where(pd.isna(series).to_numpy(), 0, days - _PG_EPOCH_DAYS)
    stamps = pd.to_datetime(series, utc=True).dt.tz_localize(None)
    micros = stamps.to_numpy("datetime64[us]").astype(np.int64)
    return np.where(stamps.isna().to_numpy(), 0, micros - _PG_EPOCH_DAYS * 86_400_000_000)


def _binary_copy_data(frame: pd.DataFrame, types: list[str]) -> bytes:
    """Rows in PostgreSQL's binary COPY format, built column-wise with numpy.

    Rows whose fields have the same byte lengths (the same NULLs and string lengths) share one
    fixed layout and are written together as a numpy structured array; COPY does not care about
    row order.
    """
    fields = [_binary_field(frame[c], t) for c, t in zip(frame.columns, types, strict=True)]
    lengths = np.column_stack([f[0] for f in fields]) if fields else np.empty((len(frame), 0))
    varying = [j for j in range(lengths.shape[1]) if (lengths[:, j] != lengths[0, j]).any()]
    if varying:
        key = np.ascontiguousarray(lengths[:, varying])
        _, group = np.unique(
            key.view(np.dtype((np.void, key.dtype.itemsize * len(varying)))).ravel(),
            return_inverse=True,
        )
        order = np.argsort(group, kind="stable")
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        groups = np.split(order, bounds)
    else:
        groups = [np.arange(len(frame))]
    chunks = [_COPY_HEADER]
    count = np.array(len(fields), dtype=">i2")
    for rows in groups:
        layout = lengths[rows[0]]
        dtype = [("n", ">i2")]
        for j, size in enumerate(layout):
            dtype.append((f"l{j}", ">i4"))
            if size > 0:
                values = fields[j][1]
                kind = values.dtype if values.dtype.kind != "S" else np.dtype(f"S{size}")
                dtype.append((f"v{j}", kind))
        block = np.empty(len(rows), dtype=np.dtype(dtype))
        block["n"] = count
        for j, size in enumerate(layout):
            block[f"l{j}"] = size
            if size > 0:
                block[f"v{j}"] = fields[j][1][rows]
        chunks.append(block.tobytes())
    chunks.append(_COPY_TRAILER)
    return b"".join(chunks)


_NULL = "\\N"


def _text_column(series: pd.Series) -> pd.Series:
    """One column as COPY text: NULL as \\N; backslash, tab and newline escaped. Vectorised."""
    index = pd.RangeIndex(len(series))
    if pd.api.types.is_bool_dtype(series):
        return pd.Series(np.where(series.to_numpy(), "t", "f"), index=index)
    if pd.api.types.is_integer_dtype(series):
        missing = series.isna().to_numpy()
        text = series.fillna(0).to_numpy(dtype=np.int64).astype(str)
        return pd.Series(np.where(missing, _NULL, text), index=index)
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float)
        missing = np.isnan(values)
        finite = np.where(missing, 0.0, values)
        if np.abs(finite).max(initial=0.0) < 9e12:
            # Six decimals as an integer mantissa: ~5x faster than numpy's shortest repr.
            text = np.char.add(np.round(finite * 1e6).astype(np.int64).astype(str), "e-6")
        else:
            text = values.astype(str)
        return pd.Series(np.where(missing, _NULL, text), index=index)
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            values = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
            text = np.datetime_as_string(values, unit="s")
        else:
            text = np.datetime_as_string(series.to_numpy("datetime64[D]"), unit="D")
        return pd.Series(np.where(text == "NaT", _NULL, text), index=index)
    values = series.to_numpy(dtype=object)
    text = pd.Series(values, index=index).astype(str)
    if text.str.contains(r"[\\\t\n]", regex=True).any():
        text = (
            text.str.replace("\\", "\\\\", regex=False)
            .str.replace("\t", "\\t", regex=False)
            .str.replace("\n", "\\n", regex=False)
        )
    return text.where(~pd.isna(values), _NULL)


def _datetime_text(series: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD; aware datetimes as naive UTC, the form Django stores and compares."""
    if getattr(series.dt, "tz", None) is not None:
        return series.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S")
    return series.dt.strftime("%Y-%m-%d")


def _python_value(value: object) -> object:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value.astype("datetime64[D]"))
    return value


def _rows(frame: pd.DataFrame) -> Iterable[tuple]:
    converted = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            text = _datetime_text(series)
            values = [None if pd.isna(v) else v for v in text]
        else:
            values = [_python_value(v) for v in series.to_numpy(dtype=object)]
        converted.append(values)
    return zip(*converted, strict=True)


def insert_frame(table: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    placeholders = ", ".join(["%s"] * len(frame.columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})', list(_rows(frame))
        )
