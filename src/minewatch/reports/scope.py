"""Who a report is about and for which period, checked once for the CLI, web, API and schedule.

A user reports only on their own organisation (a superuser on any): another company's
organisation or site reads exactly like one that does not exist. Only managers ask for
reports (they hold confidential incidents, use-of-force reviews and grievances).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from minewatch.core.checks import require
from minewatch.core.errors import InvalidInput
from minewatch.core.models import Organisation
from minewatch.geo.models import Site
from minewatch.reports.engine.periods import Month, PeriodError, parse_month

LANGUAGES = ("es", "en")
YEAR_PATTERN = re.compile(r"^[0-9]{4}$")


@dataclass(frozen=True)
class ReportScope:
    """One organisation, optionally one of its sites, a month or a year, and a language."""

    organisation: Organisation
    site: Site | None
    month: Month | None = None
    year: int | None = None
    language: str = "es"

    def organisation_sites(self) -> QuerySet:
        return Site.objects.filter(organisation=self.organisation).order_by("name")


def _is_id(text: str) -> bool:
    """An id the database can hold (ASCII digits, at most 9 of them), else a name."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def _organisation(actor: Any, value: Any) -> Organisation:
    if value in (None, "") and actor is not None:
        if getattr(actor, "organisation_id", None) is None:
            raise InvalidInput(_("your user belongs to no organisation"), field="organisation")
        return actor.organisation
    if value in (None, ""):
        raise InvalidInput(_("name the organisation"), field="organisation")
    if isinstance(value, Organisation):
        found = value
    else:
        text = str(value).strip()
        query = Organisation.objects.filter(pk=int(text)) if _is_id(text) else None
        found = (query.first() if query is not None else None) or (
            # PostgreSQL refuses NUL in text: no name holds one anyway
            Organisation.objects.filter(name=text).first() if "\x00" not in text else None
        )
    own = (
        actor is None
        or getattr(actor, "is_superuser", False)
        or (found is not None and found.pk == actor.organisation_id)
    )
    if found is None or not own:
        raise InvalidInput(_("unknown organisation %(value)r") % {"value": str(value)},
                           field="organisation")  # fmt: skip
    return found


def _site(organisation: Organisation, value: Any) -> Site | None:
    if value in (None, ""):
        return None
    if isinstance(value, Site):
        found = value if value.organisation_id == organisation.pk else None
    else:
        text = str(value).strip()
        sites = Site.objects.filter(organisation=organisation)
        found = (sites.filter(pk=int(text)).first() if _is_id(text) else None) or (
            sites.filter(name=text).first() if "\x00" not in text else None
        )
    if found is None:
        raise InvalidInput(
            _("unknown site %(value)r of %(organisation)s")
            % {"value": str(value), "organisation": organisation.name},
            field="site",
        )
    return found


def _language(value: Any) -> str:
    language = (value or "es").strip().lower()
    if language not in LANGUAGES:
        raise InvalidInput(_("language %(value)r is not one of es, en") % {"value": value},
                           field="lang")  # fmt: skip
    return language


def parse_month_field(value: Any, now: dt.datetime) -> Month:
    """``value`` as a month that has started, or InvalidInput on ``month`` saying why not."""
    try:
        return parse_month(str(value or ""), now=now, zone=settings.TIME_ZONE)
    except PeriodError as error:
        messages = {
            "format": _("%(value)r is not a month: write it YYYY-MM, e.g. 2026-11"),
            "range": _("%(value)r is not a real month (01 to 12)"),
            "future": _("%(value)r is in the future: a report covers a month that has begun"),
        }
        raise InvalidInput(messages[error.code] % {"value": str(value or "")},
                           field="month") from None  # fmt: skip


def parse_year_field(value: Any, now: dt.datetime) -> int:
    """``value`` as a year that has started, or InvalidInput on ``year``."""
    text = str(value or "").strip()
    if not YEAR_PATTERN.match(text):
        raise InvalidInput(_("%(value)r is not a year: write it YYYY, e.g. 2026") % {"value": text},
                           field="year")  # fmt: skip
    year = int(text)
    local = now.astimezone(dt.UTC)
    if year < 1900:
        raise InvalidInput(_("%(value)r is not a real year") % {"value": text}, field="year")
    if year > local.year:
        raise InvalidInput(_("%(value)r is in the future") % {"value": text}, field="year")
    return year


def resolve_scope(
    *, actor: Any, now: dt.datetime, organisation: Any = None, site: Any = None,
    month: Any = None, year: Any = None, language: Any = None,
) -> ReportScope:  # fmt: skip
    """Check every input and the actor's right to it; ``actor=None`` is the system (CLI, schedule).

    Exactly one of ``month`` or ``year`` is expected by the caller's report kind.
    """
    if actor is not None:
        require(actor, "see_reports", _("see the security reports"))
    found = _organisation(actor, organisation)
    return ReportScope(
        organisation=found,
        site=_site(found, site),
        month=parse_month_field(month, now) if month is not None else None,
        year=parse_year_field(year, now) if year is not None else None,
        language=_language(language),
    )
