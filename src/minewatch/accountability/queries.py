"""Read-only queries of the accountability app, already limited to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from minewatch.accountability.models import Grievance, UseOfForceReport
from minewatch.core.tenancy import restrict


def grievances(user: Any) -> QuerySet:
    return restrict(
        Grievance.objects.select_related("organisation", "contractor", "assigned_to"), user
    )


def use_of_force_reports(user: Any) -> QuerySet:
    return restrict(
        UseOfForceReport.objects.select_related("organisation", "contractor", "reporter",
                                                "reviewer", "incident", "site"), user,
    )  # fmt: skip
