"""The documentation's relative links and images point at files that exist, and the README
stays a front door (at most 200 lines). No database: this reads Markdown files only."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 200

#: ``[text](target)`` and ``![alt](target)``, with an optional ``"title"`` after the target.
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
#: Fenced code blocks and inline code, whose brackets are not links.
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_EXTERNAL = ("http://", "https://", "mailto:")


def _doc_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]


def _targets(text: str) -> list[str]:
    """Every link and image target in ``text`` outside code."""
    prose = _INLINE_CODE.sub("", _FENCE.sub("", text))
    return _LINK.findall(prose)


def _broken_links(path: Path) -> list[str]:
    """The relative targets in ``path`` whose file (the part before ``#``) does not exist."""
    broken = []
    for target in _targets(path.read_text(encoding="utf-8")):
        if target.startswith(_EXTERNAL) or target.startswith("#"):
            continue
        file_part = unquote(target.split("#", 1)[0])
        if not (path.parent / file_part).exists():
            broken.append(target)
    return broken


def test_the_documentation_files_exist():
    names = {path.relative_to(ROOT).as_posix() for path in _doc_files()}
    assert {"README.md", "CONTRIBUTING.md", "docs/architecture.md"} <= names
    for path in _doc_files():
        assert path.exists(), path


@pytest.mark.parametrize("path", _doc_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_image_exists(path: Path):
    assert _targets(path.read_text(encoding="utf-8")), f"{path.name} links nowhere"
    assert _broken_links(path) == []


def test_the_readme_is_at_most_200_lines():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES


def test_a_broken_link_is_reported(tmp_path: Path):
    """The check itself: a missing file is found, a present one, anchors, external links and
    links inside code are not."""
    (tmp_path / "there.md").write_text("# There\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md#there) [gone](missing.md#x) ![img](screenshots/none.png)\n"
        "[web](https://example.com/x.md) [mail](mailto:a@example.com) [top](#top)\n"
        "`[code](nowhere.md)`\n\n```\n[fenced](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert _broken_links(page) == ["missing.md#x", "screenshots/none.png"]
