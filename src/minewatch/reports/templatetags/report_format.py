"""Number formatting of the reports: the same text in the HTML, the PDF and the tests."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def change(value: float | None) -> str:
    """A percentage change with its sign, ``—`` when there is no base to compare with."""
    if value is None:
        return "—"
    return f"{value:+.1f} %"


@register.filter
def figure(value: object) -> str:
    """A figure as printed: ``—`` for none, one decimal for non-integers."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    if isinstance(value, float):
        return str(int(value))
    return str(value)
