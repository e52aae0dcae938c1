"""The reports' pure parts: periods, first working day, statistics, charts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from minewatch.reports.engine import charts
from minewatch.reports.engine.periods import (
    PeriodError,
    first_working_day,
    parse_month,
    previous_month,
    week_index,
    week_starts,
)
from minewatch.reports.engine.stats import Change, compare_counts, percentiles_min

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
LIMA = "America/Lima"


def test_month_bounds_are_lima_midnights_in_utc() -> None:
    month = parse_month("2026-11", now=NOW, zone=LIMA)
    assert month.start == dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)
    assert month.end == dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)
    assert month.previous().label == "2026-10" and month.a_year_before().label == "2025-11"
    assert parse_month("2026-01", now=NOW, zone=LIMA).previous().label == "2025-12"


@pytest.mark.parametrize(("text", "code"), [
    ("2026-13", "range"), ("2026-00", "range"), ("11-2026", "format"), ("2026/11", "format"),
    ("", "format"), ("noviembre", "format"), ("2027-01", "future"), ("2026-12x", "format"),
])  # fmt: skip
def test_bad_or_future_month_is_refused_saying_why(text: str, code: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_month(text, now=NOW, zone=LIMA)
    assert caught.value.code == code


def test_current_month_is_allowed_and_naive_now_is_refused() -> None:
    assert parse_month("2026-12", now=NOW, zone=LIMA).label == "2026-12"
    with pytest.raises(ValueError, match="aware"):
        parse_month("2026-11", now=dt.datetime(2026, 12, 7), zone=LIMA)  # noqa: DTZ001


def test_previous_month_uses_local_time() -> None:
    # 1 Dec 03:00 UTC is still 30 Nov in Lima: the last complete month is October.
    assert previous_month(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC), LIMA).label == "2026-10"
    assert previous_month(NOW, LIMA).label == "2026-11"


def test_weeks_cover_the_month_monday_first() -> None:
    month = parse_month("2026-11", now=NOW, zone=LIMA)
    starts = week_starts(month)
    assert starts[0] == dt.date(2026, 10, 26) and starts[-1] == dt.date(2026, 11, 30)
    assert week_index(dt.date(2026, 11, 1), month) == 0
    assert week_index(dt.date(2026, 11, 2), month) == 1
    assert week_index(dt.date(2026, 11, 30), month) == len(starts) - 1


@pytest.mark.parametrize(("year", "month", "expected"), [
    (2027, 1, dt.date(2027, 1, 4)),    # 1 Jan holiday, 2-3 Jan weekend
    (2026, 12, dt.date(2026, 12, 1)),  # a Tuesday
    (2026, 11, dt.date(2026, 11, 2)),  # 1 Nov is Sunday (and All Saints)
    (2026, 5, dt.date(2026, 5, 4)),    # 1 May Labour Day (Friday), then the weekend
    (2026, 8, dt.date(2026, 8, 3)),    # 1-2 Aug weekend
])  # fmt: skip
def test_first_working_day_skips_weekends_and_peru_holidays(year, month, expected) -> None:
    assert first_working_day(year, month) == expected


def test_percentiles_in_minutes_ignore_negative_delays() -> None:
    assert percentiles_min([60, 120, 180, 240, 300, -30]) == {"p50": 3.0, "p90": 4.6, "count": 5}
    assert percentiles_min([]) == {"p50": None, "p90": None, "count": 0}


def test_change_has_no_percent_without_a_base() -> None:
    assert Change(5, 0).percent is None and Change(5, 0).difference == 5
    assert Change(3, 4).percent == -25.0


def test_compare_counts_keeps_the_given_order_and_zeros() -> None:
    rows = compare_counts(["a", "a", "b"], ["a"], ["c"], order=["c", "b", "a"])
    assert [(r["key"], r["current"], r["previous"], r["last_year"]) for r in rows] == [
        ("c", 0, 0, 1), ("b", 1, 0, 0), ("a", 2, 1, 0)]  # fmt: skip
    assert rows[2]["vs_previous"] == 100.0 and rows[0]["vs_last_year"] == -100.0


def test_map_is_a_png_even_with_nothing_to_show() -> None:
    square = {
        "features": [
            {
                "properties": {"name": "X"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-78, -8], [-76, -8], [-76, -6], [-78, -6], [-78, -8]]],
                },
            }
        ]
    }
    png = charts.incident_map(square, [charts.MapPoint(-7, -77, "organised_crime")],
                              [charts.MapSite(-7.1, -77.1, "Mina")], title="t",
                              threat_labels={}, site_label="site")  # fmt: skip
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.bounds([], []) == (-81.4, -18.4, -68.6, 0.1)
    assert charts.incident_map(square, [], [], title="t", threat_labels={},
                               site_label="s")[:4] == b"\x89PNG"  # fmt: skip


def test_engine_imports_no_django() -> None:
    code = ("import sys, minewatch.reports.engine.periods, minewatch.reports.engine.stats, "
            "minewatch.reports.engine.charts; "
            "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
