"""The accountability engine: working-day deadlines, the grievance workflow, tracking codes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from minewatch.accountability.engine import codes, deadlines, workflow

FIESTAS_PATRIAS = {dt.date(2026, 7, 28), dt.date(2026, 7, 29)}


@pytest.mark.parametrize(
    ("start", "days", "holidays", "expected"),
    [
        (dt.date(2026, 12, 4), 5, set(), dt.date(2026, 12, 11)),  # Friday → next Friday
        (dt.date(2026, 12, 4), 5, {dt.date(2026, 12, 8), dt.date(2026, 12, 9)},
         dt.date(2026, 12, 15)),  # Inmaculada Concepción and Ayacucho skipped
        (dt.date(2026, 7, 24), 2, FIESTAS_PATRIAS, dt.date(2026, 7, 30)),
        (dt.date(2026, 12, 5), 1, set(), dt.date(2026, 12, 7)),  # Saturday → Monday
        (dt.date(2026, 12, 4), 0, set(), dt.date(2026, 12, 4)),
    ],
)  # fmt: skip
def test_working_days_skip_weekends_and_holidays(start, days, holidays, expected) -> None:
    assert deadlines.add_working_days(start, days, holidays) == expected


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="days must be 0 or more"):
        deadlines.add_working_days(dt.date(2026, 1, 1), -1, set())


def test_deadline_day_itself_is_still_in_time() -> None:
    due = dt.date(2026, 12, 11)
    assert not deadlines.is_past(due, due)
    assert deadlines.is_past(due, due + dt.timedelta(days=1))
    assert not deadlines.is_past(None, due)


def test_filing_deadline_needs_an_aware_time_and_positive_hours() -> None:
    start = dt.datetime(2026, 3, 1, 22, 0, tzinfo=dt.UTC)
    assert deadlines.filing_deadline(start, 24) == dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        deadlines.filing_deadline(start.replace(tzinfo=None), 24)
    with pytest.raises(ValueError, match="positive hours"):
        deadlines.filing_deadline(start, 0)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("received", "acknowledged", True),
        ("acknowledged", "under_review", True),
        ("under_review", "response_given", True),
        ("response_given", "closed", True),
        ("response_given", "appealed", True),
        ("closed", "appealed", True),
        ("appealed", "under_review", True),
        ("acknowledged", "closed", True),  # withdrawn
        ("received", "appealed", False),
        ("under_review", "appealed", False),
        ("received", "closed", False),
        ("closed", "received", False),
    ],
)
def test_grievance_workflow(current: str, target: str, allowed: bool) -> None:
    if allowed:
        workflow.check_transition(current, target)
    else:
        with pytest.raises(ValueError, match=f"{current!r} cannot become {target!r}"):
            workflow.check_transition(current, target)


def test_tracking_codes_are_unique_readable_and_normalised() -> None:
    made = {codes.new_tracking_code() for _ in range(500)}
    assert len(made) == 500
    for code in made:
        assert codes.CODE_PATTERN.match(code)
        assert not set(code[3:].replace("-", "")) & set("01ILO")
        assert codes.normalise_tracking_code(code.lower().replace("-", " ")) == code
    assert codes.normalise_tracking_code("RC-12345-67890") == ""  # 0 and 1 are not in the alphabet
    assert codes.normalise_tracking_code("") == ""


def test_engine_imports_no_django() -> None:
    script = (
        "import sys\n"
        "import minewatch.accountability.engine.codes, minewatch.accountability.engine.deadlines\n"
        "import minewatch.accountability.engine.workflow\n"
        "import minewatch.accountability.engine.legal\n"
        "print(any(name == 'django' or name.startswith('django.') for name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == "False"
