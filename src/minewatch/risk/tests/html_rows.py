"""Read the risk pages' tables: the text of each cell of rows marked with a data attribute."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser


class _Rows(HTMLParser):
    def __init__(self, attribute: str) -> None:
        super().__init__()
        self.attribute, self.rows, self.current, self.cell = attribute, {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and self.attribute in attrs:
            if attrs[self.attribute] in self.rows:
                raise AssertionError(f"two rows with {self.attribute}={attrs[self.attribute]!r}")
            self.current = self.rows[attrs[self.attribute]] = []
        elif tag in ("td", "th") and self.current is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.current is not None:
            self.current.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, attribute: str) -> dict[str, list[str]]:
    """``{value of attribute: [cell texts]}`` for every ``<tr attribute=...>`` (keys unique)."""
    parser = _Rows(attribute)
    parser.feed(html)
    return parser.rows


def whole_usd(value: float) -> str:
    """A USD figure as the pages print it (``floatformat:"0g"``: half up, es-PE grouping 1,234)."""
    return f"{Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def decimal_es(value: float, places: int = 2) -> str:
    """A number as the Spanish pages print it with ``floatformat:places`` (es-PE: decimal point)."""
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def page_text(html: str) -> str:
    """The page's text without tags, whitespace collapsed."""
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
