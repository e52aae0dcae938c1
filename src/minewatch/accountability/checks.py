"""The periodic deadline checks the alerts worker runs (and ``minewatch accountability check``)."""

from __future__ import annotations

import datetime as dt


def run_deadline_checks(now: dt.datetime | None = None) -> int:
    """Grievance and use-of-force deadlines, expired SUCAMEC authorisations; returns the number
    newly reported."""
    from minewatch.accountability.services.contractors import check_expired_authorisations
    from minewatch.accountability.services.grievances import check_grievance_deadlines
    from minewatch.accountability.services.use_of_force import check_missing_reports

    return (check_grievance_deadlines(now) + check_missing_reports(now)
            + check_expired_authorisations(now))  # fmt: skip
