"""Helpers every accountability service uses: role checks, visibility, holidays, alerts."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cache
from typing import Any

import holidays as holiday_calendars
from django.conf import settings
from django.db import models
from django.utils import timezone

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput


def tunable(name: str) -> Any:
    return settings.TUNABLES[name]


@cache
def _peru_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holiday_calendars.country_holidays("PE", years=year).keys())


def peru_holidays(start: dt.date, years: int = 2) -> frozenset[dt.date]:
    """Peru's public holidays from ``start``'s year on (the ``holidays`` package)."""
    days: frozenset[dt.date] = frozenset()
    for year in range(start.year, start.year + years):
        days |= _peru_holidays(year)
    return days


def local_date(moment: dt.datetime) -> dt.date:
    """The date in the operator's time zone (deadlines are counted in Peruvian days)."""
    return timezone.localtime(moment).date()


def new_reference(prefix: str, now: dt.datetime) -> str:
    return f"{prefix}-{now.year}-{secrets.token_hex(3).upper()}"


def save_audited(instance: models.Model, *, actor: Any, before: dict[str, Any] | None,
                 action: str | None = None, note: str = "") -> None:  # fmt: skip
    """Validate, save and write the audit entry (create, update or the given action)."""
    instance.full_clean()
    instance.save()
    audit.record(
        actor=actor, action=action or (AuditAction.UPDATE if before else AuditAction.CREATE),
        instance=instance, before=before, after=audit.snapshot(instance), note=note,
    )  # fmt: skip


def raise_accountability_alert(
    *, organisation_id: int, kind: str, severity: int, title: str, description: str = "",
    subject_type: str, subject_key: str, site_id: int | None = None,
    is_synthetic: bool = False, occurred_at: dt.datetime | None = None,
) -> list[Any]:  # fmt: skip
    """Run an accountability happening through the organisation's alert rules.

    The default rule (``alerts.services.config.ACCOUNTABILITY_RULE``) sends it to the
    security manager first. Returns the alerts opened (none when no rule matches).
    """
    from minewatch.alerts.choices import AlertSource
    from minewatch.alerts.services.alerts import raise_alert
    from minewatch.alerts.services.rules import AlertInput

    item = AlertInput(
        organisation_id=organisation_id, kind=kind, severity=severity,
        source=AlertSource.ACCOUNTABILITY, occurred_at=occurred_at or timezone.now(),
        title=title[:200], description=description, site_id=site_id,
        subject_type=subject_type, subject_key=subject_key[:120], is_synthetic=is_synthetic,
    )  # fmt: skip
    return raise_alert(item)


def security_contractor(value: Any, field: str = "contractor") -> Any:
    """The private security company ``value`` (instance or id), or None; InvalidInput otherwise.

    The registry of PSCs is public knowledge (SUCAMEC publishes it), so any organisation
    may name one; what the contractor then sees is decided by tenancy.
    """
    from minewatch.core.choices import OrganisationKind
    from minewatch.core.models import Organisation

    if value in (None, ""):
        return None
    found = Organisation.objects.filter(
        pk=getattr(value, "pk", value), kind=OrganisationKind.SECURITY_CONTRACTOR
    ).first()
    if found is None:
        raise InvalidInput(f"unknown private security company {getattr(value, 'pk', value)!r}",
                           field=field)  # fmt: skip
    return found
