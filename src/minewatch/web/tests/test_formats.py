"""One style for numbers (es-PE, as Intl "es-PE" writes them in the browser) and 24-hour times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import formats, translation


@pytest.mark.parametrize("language", ["es", "en"])
def test_times_are_24_hour_in_both_languages(language: str) -> None:
    moment = dt.datetime(2026, 3, 1, 21, 5)
    with translation.override(language):
        assert formats.date_format(moment, "TIME_FORMAT") == "21:05"
        assert "21:05" in formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        assert "21:05" in formats.date_format(moment, "DATETIME_FORMAT")
        assert "PM" not in formats.date_format(moment, "DATETIME_FORMAT").upper()


def test_numbers_and_money_in_one_es_pe_style() -> None:
    template = Template(
        '{{ loss|floatformat:"2g" }} · {{ p50|floatformat:"0g" }} · {{ small|floatformat:2 }}'
    )
    with translation.override("es"):
        text = template.render(Context({"loss": 17187.81, "p50": 100296, "small": 0.5}))
    assert text == "17,187.81 · 100,296 · 0.50"
