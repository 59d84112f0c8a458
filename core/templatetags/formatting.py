"""``{% load formatting %}``: the filters of :mod:`core.formatting`, and ``query_with`` for
links that keep a page's filters."""

from __future__ import annotations

from typing import Any

from django import template

from core import formatting

register = template.Library()

register.filter("money", formatting.money)
register.filter("num", formatting.num)
register.filter("pct", formatting.pct)
register.filter("beijing", formatting.beijing)
register.filter("day", formatting.day)
register.filter("yesno_label", formatting.yesno_label)
register.filter("label", formatting.label)


@register.simple_tag(takes_context=True)
def query_with(context: dict, **changes: Any) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key), for links
    that keep the page's filters."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
