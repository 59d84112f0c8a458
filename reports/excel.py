"""Excel (.xlsx) downloads for the staff pages: one helper every export goes through.

A download is a list of :class:`Sheet` (title, header row, data rows, optional number formats
per column) written with openpyxl's *write-only* workbook, which streams rows to a temporary
file instead of keeping a cell object per value: 50,000 rows stay light. What the helper takes
care of so the callers don't have to:

- aware datetimes are written in the dealership's time zone (Beijing; Excel has no time zones),
  ``Decimal`` amounts stay exact, lazy translations become text;
- a text value starting with ``=`` is written as text, never as a formula (a customer's name
  or note must not run in the reader's Excel), and characters Excel refuses are dropped;
- sheet titles are cut to Excel's 31 characters without the characters it forbids;
- the file name may be Chinese: the ``Content-Disposition`` header carries it as RFC 5987
  ``filename*`` (with an ASCII fallback for old clients).

Logging the export (``customers.services.data_access_record``) stays with the caller, who knows
what was exported and with which filters.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

#: Number formats for :attr:`Sheet.formats`.
MONEY = "¥#,##0.00"
PERCENT = "0.0%"
INTEGER = "#,##0"
DECIMAL = "#,##0.00"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_TITLE_FORBIDDEN_RE = re.compile(r"[\[\]:*?/\\]")
_TITLE_MAX = 31
_ASCII_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._-]+")
#: Column widths in characters: wide enough for a header or a date, never a whole screen.
_MIN_WIDTH, _MAX_WIDTH = 8, 40
_BOLD = Font(bold=True)
_NOTE_FONT = Font(italic=True, color="666666")


@dataclass(frozen=True)
class Sheet:
    """One worksheet of a download.

    ``formats`` maps a column (its zero-based index or its header text) to a number format
    (:data:`MONEY`, :data:`PERCENT` for shares such as 0.371, :data:`DATE`, …). ``note`` is an
    optional line written above the header row, e.g. that the list was capped.
    """

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    formats: Mapping[int | str, str] = field(default_factory=dict)
    note: str = ""


def sheet_title(title: str, taken: set[str] | None = None) -> str:
    """``title`` as Excel accepts it: no ``[]:*?/\\``, at most 31 characters, unique among
    ``taken`` (compared case-insensitively, as Excel does)."""
    clean = _TITLE_FORBIDDEN_RE.sub(" ", str(title)).strip().strip("'") or "Sheet"
    clean = clean[:_TITLE_MAX]
    taken = taken if taken is not None else set()
    candidate, number = clean, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = clean[: _TITLE_MAX - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def cell_value(value: Any) -> Any:
    """A Python value as openpyxl can store it (see the module docstring)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return value
    if hasattr(value, "as_tuple"):  # Decimal: openpyxl writes it exactly
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _cell(ws: Any, value: Any, number_format: str | None) -> Any:
    value = cell_value(value)
    if number_format is None and not (isinstance(value, str) and value.startswith("=")):
        return value
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        # openpyxl would store a leading "=" as a formula; customer data is never one.
        cell.data_type = "s"
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _column_formats(sheet: Sheet) -> list[str | None]:
    by_header = {str(header): index for index, header in enumerate(sheet.headers)}
    formats: list[str | None] = [None] * len(sheet.headers)
    for key, number_format in sheet.formats.items():
        index = key if isinstance(key, int) else by_header.get(str(key))
        if index is None or not 0 <= index < len(formats):
            raise ValueError(f"Sheet {sheet.title!r} has no column {key!r} to format.")
        formats[index] = number_format
    return formats


def _write_sheet(workbook: Workbook, sheet: Sheet, taken: set[str]) -> None:
    ws = workbook.create_sheet(title=sheet_title(sheet.title, taken))
    formats = _column_formats(sheet)
    for index, header in enumerate(sheet.headers, start=1):
        width = max(_MIN_WIDTH, min(_MAX_WIDTH, _display_width(str(header)) + 2))
        if formats[index - 1] in (DATE, DATETIME):
            width = max(width, 17)
        ws.column_dimensions[get_column_letter(index)].width = width
    # The sheet's view is written with the first row, so the frozen header is set before it.
    ws.freeze_panes = "A3" if sheet.note else "A2"
    if sheet.note:
        note = WriteOnlyCell(ws, value=cell_value(sheet.note))
        note.font = _NOTE_FONT
        ws.append([note])
    headers = []
    for header in sheet.headers:
        cell = WriteOnlyCell(ws, value=cell_value(header))
        cell.data_type = "s"
        cell.font = _BOLD
        cell.alignment = Alignment(vertical="center")
        headers.append(cell)
    ws.append(headers)
    for row in sheet.rows:
        ws.append(
            [
                _cell(ws, value, formats[i] if i < len(formats) else None)
                for i, value in enumerate(row)
            ]
        )


def _display_width(text: str) -> int:
    """Characters a text takes in a cell: a Chinese character is about two Latin ones."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx file holding ``sheets`` in order."""
    if not sheets:
        raise ValueError("An Excel file needs at least one sheet.")
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in sheets:
        _write_sheet(workbook, sheet, taken)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def attachment_header(filename: str) -> str:
    """``Content-Disposition`` for downloading ``filename``: a name that is not plain ASCII
    goes as RFC 5987 ``filename*`` after an ASCII ``filename`` for clients that ignore it."""
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        stem, dot, extension = filename.rpartition(".")
        fallback = _ASCII_UNSAFE_RE.sub("_", stem if dot else filename).strip("_") or "download"
        fallback = f"{fallback}.{extension}" if dot else fallback
        return f"attachment; filename=\"{fallback}\"; filename*=utf-8''{quote(filename)}"
    return content_disposition_header(True, filename)


def xlsx_response(*, filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    """A download of ``sheets`` as ``filename`` (``.xlsx`` is added when missing; Chinese
    names are sent as RFC 5987 ``filename*``)."""
    if not filename.lower().endswith(".xlsx"):
        filename = f"{filename}.xlsx"
    response = HttpResponse(xlsx_bytes(sheets), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = attachment_header(filename)
    # An export holds customer data: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "no-store, private"
    return response
