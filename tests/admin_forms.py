"""Post admin forms as a browser would: the values a rendered change form would submit."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _FormValues(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and name and "__prefix__" not in name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.values[name] = a.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select" and "__prefix__" not in name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and "__prefix__" not in name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [
                v for v, _s in self._options[:1]
            ]
            if chosen:
                self.values[self._select] = chosen[0]
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None


def admin_form_values(client: Any, url: str) -> dict[str, Any]:
    """The values the admin form at ``url`` submits unchanged (inlines' management forms too)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    parser = _FormValues()
    parser.feed(response.content.decode())
    parser.values.pop("csrfmiddlewaretoken", None)
    parser.values.pop("_selected_action", None)
    parser.values.pop("action", None)
    return parser.values
