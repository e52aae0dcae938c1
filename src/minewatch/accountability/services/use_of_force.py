"""Use-of-force reports: filing (with its deadline), review, audited amendments, missing reports.

ICoC paras 30–32 (force only when necessary and proportionate; firearms only against an
imminent threat to life), para 63 (a written report of every incident involving force).
A firearm discharge or an injury alerts the security manager at once and opens a review;
a report filed after its deadline alerts too; nothing is ever deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minewatch.accountability.choices import (
    ForceJustification,
    ForceLevel,
    ReviewFinding,
    UseOfForceStatus,
)
from minewatch.accountability.engine.deadlines import filing_deadline
from minewatch.accountability.models import UseOfForceAmendment, UseOfForceReport
from minewatch.accountability.services.common import (
    new_reference,
    raise_accountability_alert,
    security_contractor,
    tunable,
)
from minewatch.core import audit
from minewatch.core.checks import organisation_id, require, visible
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput
from minewatch.core.events import Event, publish
from minewatch.geo.models import Site
from minewatch.incidents.models import Incident

TEXT_FIELDS = {"place": 300, "personnel": 5000, "subjects": 5000, "warning_details": 300,
               "justification_details": 5000, "injuries_personnel": 5000,
               "injuries_subjects": 5000, "medical_aid_details": 300, "weapon": 200,
               "witnesses": 5000, "police_unit": 200}  # fmt: skip
REQUIRED_TEXT = ("place", "personnel", "subjects")
BOOL_FIELDS = ("warning_given", "medical_aid_given", "police_informed", "is_synthetic")
TIME_FIELDS = ("occurred_at", "medical_aid_at", "police_informed_at")
LINK_FIELDS = ("incident", "site", "contractor")
REPORT_FIELDS = (*TEXT_FIELDS, *BOOL_FIELDS, *TIME_FIELDS, *LINK_FIELDS, "force_level",
                 "justification", "rounds_fired", "lat", "lon")  # fmt: skip
# Levels at which the Code asks for a stated justification (force beyond presence and words).
JUSTIFIED_LEVELS = frozenset({ForceLevel.PHYSICAL_RESTRAINT, ForceLevel.LESS_LETHAL,
                              ForceLevel.FIREARM_DRAWN, ForceLevel.FIREARM_DISCHARGED})  # fmt: skip
# Private security answers to violence that has injured someone with force: such an incident
# without a use-of-force report after the filing time is a missing report.
MISSING_LOOKBACK = dt.timedelta(days=14)


def _time(value: Any, field: str, now: dt.datetime, *, required: bool = False) -> Any:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("A date and time is required."), field=field)
        return None
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise InvalidInput(_("A date and time with its time zone is required."), field=field)
    if value > now + dt.timedelta(seconds=int(tunable("clock_skew_s"))):
        raise InvalidInput(_("Cannot be in the future."), field=field)
    return value


def _choice(value: Any, choices: Any, field: str, rule: str) -> str:
    if value not in choices.values:
        raise InvalidInput(
            _("%(value)r is not %(rule)s; one of: %(choices)s")
            % {"value": value, "rule": rule, "choices": ", ".join(choices.values)}, field=field,
        )  # fmt: skip
    return value


def clean_report(actor: Any, values: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Every field of a report checked; InvalidInput names the first field at fault."""
    unknown = set(values) - set(REPORT_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    clean["force_level"] = _choice(values.get("force_level"), ForceLevel, "force_level",
                                   _("a force level of the list"))  # fmt: skip
    for name, limit in TEXT_FIELDS.items():
        text = str(values.get(name) or "").strip()
        if name in REQUIRED_TEXT and not text:
            raise InvalidInput(_("This field is required."), field=name)
        if len(text) > limit:
            raise InvalidInput(_("At most %(n)d characters.") % {"n": limit}, field=name)
        clean[name] = text
    for name in BOOL_FIELDS:
        clean[name] = bool(values.get(name))
    clean["occurred_at"] = _time(values.get("occurred_at"), "occurred_at", now, required=True)
    justification = values.get("justification") or ""
    if justification or clean["force_level"] in JUSTIFIED_LEVELS:
        # ICoC para 31: self-defence, defence of others, or preventing a particularly serious
        # crime involving grave threat to life.
        justification = _choice(justification, ForceJustification, "justification",
                                _("a justification the ICoC accepts (para 31)"))  # fmt: skip
    clean["justification"] = justification
    _clean_firearm(values, clean)
    _clean_aid_and_police(values, clean, now)
    clean["has_injuries"] = bool(clean["injuries_personnel"] or clean["injuries_subjects"])
    _clean_place(actor, values, clean)
    return clean


def _clean_firearm(values: dict[str, Any], clean: dict[str, Any]) -> None:
    try:
        rounds = int(values.get("rounds_fired") or 0)
    except (TypeError, ValueError):
        raise InvalidInput(_("Enter a whole number."), field="rounds_fired") from None
    if rounds < 0:
        raise InvalidInput(_("Cannot be negative."), field="rounds_fired")
    discharged = clean["force_level"] == ForceLevel.FIREARM_DISCHARGED
    if discharged and rounds == 0:
        raise InvalidInput(_("A firearm discharge fired at least one round."), field="rounds_fired")
    if rounds and not discharged:
        raise InvalidInput(_("Rounds were fired only if the force level is 'firearm discharged'."),
                           field="rounds_fired")  # fmt: skip
    if (
        clean["force_level"] in (ForceLevel.FIREARM_DRAWN, ForceLevel.FIREARM_DISCHARGED)
        and not (clean["weapon"])
    ):
        raise InvalidInput(_("Name the weapon (type and serial number)."), field="weapon")
    clean["rounds_fired"] = rounds


def _clean_aid_and_police(values: dict[str, Any], clean: dict[str, Any], now: dt.datetime) -> None:
    occurred = clean["occurred_at"]
    for flag, at in (
        ("medical_aid_given", "medical_aid_at"),
        ("police_informed", "police_informed_at"),
    ):
        moment = _time(values.get(at), at, now)
        if clean[flag] and moment is None:
            raise InvalidInput(_("Say when."), field=at)
        if moment is not None and moment < occurred:
            raise InvalidInput(_("Cannot be before the use of force."), field=at)
        clean[at] = moment if clean[flag] else None


def _clean_place(actor: Any, values: dict[str, Any], clean: dict[str, Any]) -> None:
    lat, lon = values.get("lat"), values.get("lon")
    if (lat in (None, "")) != (lon in (None, "")):
        raise InvalidInput(_("Give both latitude and longitude, or neither."), field="lat")
    if lat not in (None, ""):
        from minewatch.geo.services import validated_point

        clean["lat"], clean["lon"] = validated_point(lat, lon)
    else:
        clean["lat"] = clean["lon"] = None
    clean["incident"] = visible(actor, Incident, values.get("incident"), "incident")
    clean["site"] = visible(actor, Site, values.get("site"), "site")
    if clean["site"] is None and clean["incident"] is not None:
        clean["site"] = clean["incident"].site
    clean["contractor"] = security_contractor(values.get("contractor"))


def _alert_at_once(report: UseOfForceReport) -> None:
    """A firearm discharge or an injury: the security manager is told now."""
    what = []
    if report.force_level == ForceLevel.FIREARM_DISCHARGED:
        what.append(_("firearm discharged (%(n)d rounds)") % {"n": report.rounds_fired})
    if report.has_injuries:
        what.append(_("people injured"))
    raise_accountability_alert(
        organisation_id=report.organisation_id, kind="accountability.use_of_force",
        severity=5 if report.force_level == ForceLevel.FIREARM_DISCHARGED else 4,
        title=_("Use of force %(reference)s: %(what)s — review opened") % {
            "reference": report.reference, "what": ", ".join(what)},
        description=_("Place: %(place)s. Force level: %(level)s.") % {
            "place": report.place, "level": report.get_force_level_display()},
        subject_type="use_of_force", subject_key=report.reference, site_id=report.site_id,
        is_synthetic=report.is_synthetic, occurred_at=report.filed_at,
    )  # fmt: skip


def _alert_late(report: UseOfForceReport) -> None:
    raise_accountability_alert(
        organisation_id=report.organisation_id, kind="accountability.use_of_force_late",
        severity=3,
        title=_("Use-of-force report %(reference)s filed late (due %(due)s)") % {
            "reference": report.reference,
            "due": timezone.localtime(report.filing_due_at).strftime("%Y-%m-%d %H:%M")},
        subject_type="use_of_force", subject_key=f"late:{report.reference}",
        site_id=report.site_id, is_synthetic=report.is_synthetic, occurred_at=report.filed_at,
    )  # fmt: skip


def file_use_of_force_report(*, actor: Any, now: dt.datetime | None = None,
                             **values: Any) -> UseOfForceReport:  # fmt: skip
    """File a report; a discharge or injury opens its review and alerts at once, lateness alerts.

    The deadline counts from the incident's time when the report belongs to one, else from
    the use of force (``use_of_force_filing_h``, default 24 h).
    """
    require(actor, "report_use_of_force", "file use-of-force reports")
    now = now or timezone.now()
    clean = clean_report(actor, values, now)
    start = clean["incident"].occurred_at if clean["incident"] else clean["occurred_at"]
    due = filing_deadline(start, float(tunable("use_of_force_filing_h")))
    with transaction.atomic():
        report = UseOfForceReport(
            organisation_id=organisation_id(actor), reference=new_reference("UF", now),
            reporter=actor, filed_at=now, filing_due_at=due, is_late=now > due, **clean,
        )  # fmt: skip
        if report.needs_review_at_once:
            report.status, report.review_opened_at = UseOfForceStatus.UNDER_REVIEW, now
        report.full_clean()
        report.save()
        audit.record(actor=actor, action=AuditAction.CREATE, instance=report,
                     after=audit.snapshot(report))  # fmt: skip
        publish(Event("use_of_force.filed", report.organisation_id,
                      {"id": report.pk, "reference": report.reference,
                       "force_level": report.force_level}, site_id=report.site_id))  # fmt: skip
        if report.needs_review_at_once:
            _alert_at_once(report)
        if report.is_late:
            _alert_late(report)
    return report


def _current(report: UseOfForceReport) -> dict[str, Any]:
    return {name: getattr(report, name) for name in REPORT_FIELDS}


def update_use_of_force_report(report: UseOfForceReport, *, actor: Any,
                               **values: Any) -> UseOfForceReport:  # fmt: skip
    """Correct a report not yet reviewed (audited). A reviewed one needs an amendment."""
    require(actor, "report_use_of_force", "change use-of-force reports")
    if report.status == UseOfForceStatus.REVIEWED:
        raise InvalidInput(_("A reviewed report changes only through an amendment with a reason."),
                           field="status")  # fmt: skip
    clean = clean_report(actor, {**_current(report), **values}, timezone.now())
    with transaction.atomic():
        locked = UseOfForceReport.objects.select_for_update().get(pk=report.pk)
        before = audit.snapshot(locked)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked))  # fmt: skip
    return locked


def open_review(report: UseOfForceReport, *, actor: Any,
                now: dt.datetime | None = None) -> UseOfForceReport:  # fmt: skip
    """A manager takes a filed report into review."""
    require(actor, "review_use_of_force", "review use of force")
    if report.status != UseOfForceStatus.FILED:
        raise InvalidInput(_("Only a filed report can be taken into review."), field="status")
    now = now or timezone.now()
    with transaction.atomic():
        before = audit.snapshot(report)
        report.status, report.review_opened_at = UseOfForceStatus.UNDER_REVIEW, now
        report.save(update_fields=["status", "review_opened_at", "updated_at"])
        audit.record(actor=actor, action=AuditAction.TRANSITION, instance=report, before=before,
                     after=audit.snapshot(report))  # fmt: skip
    return report


def review_use_of_force(report: UseOfForceReport, *, actor: Any, finding: str, actions: str = "",
                        now: dt.datetime | None = None) -> UseOfForceReport:  # fmt: skip
    """A manager who is not the reporter records the finding and the actions; the report closes."""
    require(actor, "review_use_of_force", "review use of force")
    if report.reporter_id is not None and report.reporter_id == actor.pk:
        raise InvalidInput(_("The reporter cannot review their own report; another manager must."),
                           field="reviewer")  # fmt: skip
    if actor.organisation_id != report.organisation_id and not actor.is_superuser:
        raise InvalidInput(_("Only the organisation that owns the report reviews it."),
                           field="organisation")  # fmt: skip
    finding = _choice(finding, ReviewFinding, "finding", _("a review finding"))
    if report.status == UseOfForceStatus.REVIEWED:
        raise InvalidInput(_("This report has already been reviewed."), field="status")
    now = now or timezone.now()
    with transaction.atomic():
        locked = UseOfForceReport.objects.select_for_update().get(pk=report.pk)
        before = audit.snapshot(locked)
        locked.status, locked.reviewer, locked.reviewed_at = UseOfForceStatus.REVIEWED, actor, now
        locked.review_opened_at = locked.review_opened_at or now
        locked.finding, locked.review_actions = finding, str(actions or "").strip()
        locked.full_clean()
        locked.save()
        audit.record(actor=actor, action=AuditAction.TRANSITION, instance=locked, before=before,
                     after=audit.snapshot(locked), note=f"finding: {finding}")  # fmt: skip
        publish(Event("use_of_force.reviewed", locked.organisation_id,
                      {"id": locked.pk, "reference": locked.reference, "finding": finding}))  # fmt: skip
    return locked


def amend_use_of_force_report(report: UseOfForceReport, *, actor: Any, reason: str,
                              **values: Any) -> UseOfForceReport:  # fmt: skip
    """Change a reviewed report: one amendment row per changed field, with the reason, audited."""
    require(actor, "report_use_of_force", "amend use-of-force reports")
    if report.status != UseOfForceStatus.REVIEWED:
        raise InvalidInput(_("Only a reviewed report is amended; correct this one directly."),
                           field="status")  # fmt: skip
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the report is amended."), field="reason")
    if not values:
        raise InvalidInput(_("Nothing to amend."), field="non_field_errors")
    clean = clean_report(actor, {**_current(report), **values}, timezone.now())
    with transaction.atomic():
        locked = UseOfForceReport.objects.select_for_update().get(pk=report.pk)
        before = audit.snapshot(locked)
        changed = [name for name in values if clean[name] != getattr(locked, name)]
        for name in changed:
            UseOfForceAmendment.objects.create(
                report=locked, field=name, old_value=_text(getattr(locked, name)),
                new_value=_text(clean[name]), reason=reason[:500], amended_by=actor,
            )  # fmt: skip
            setattr(locked, name, clean[name])
        locked.has_injuries = clean["has_injuries"]
        locked.full_clean()
        locked.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), note=f"amendment: {reason}"[:500])  # fmt: skip
    return locked


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(getattr(value, "pk", value))


def missing_report_incidents(now: dt.datetime) -> list[Incident]:
    """Incidents private security responded to, where someone was hurt, with no report filed
    within the filing time (and not older than ``MISSING_LOOKBACK``).

    ``responders`` is a JSON list; it is read in Python because SQLite has no JSON
    ``contains`` lookup.
    """
    hours = float(tunable("use_of_force_filing_h"))
    reported = UseOfForceReport.objects.filter(incident__isnull=False).values("incident_id")
    candidates = (
        Incident.objects.filter(
            Q(fatalities__gt=0) | Q(injured_assailants__gt=0) | Q(injured_community__gt=0),
            occurred_at__lt=now - dt.timedelta(hours=hours),
            occurred_at__gte=now - MISSING_LOOKBACK,
        )
        .exclude(pk__in=reported)
        .only("pk", "reference", "organisation_id", "site_id", "responders", "is_synthetic")
    )
    return [incident for incident in candidates if "psc" in (incident.responders or [])]


def check_missing_reports(now: dt.datetime | None = None) -> int:
    """Alert the security manager once per incident whose use-of-force report is missing."""
    from minewatch.alerts.models import Alert

    now = now or timezone.now()
    raised = 0
    for incident in missing_report_incidents(now):
        key = f"missing:{incident.reference}"
        if Alert.objects.filter(organisation_id=incident.organisation_id, subject_key=key).exists():
            continue
        raise_accountability_alert(
            organisation_id=incident.organisation_id, kind="accountability.use_of_force_late",
            severity=3, subject_type="use_of_force", subject_key=key, site_id=incident.site_id,
            title=_("No use-of-force report for incident %(reference)s (security responded, "
                    "people hurt)") % {"reference": incident.reference},
            is_synthetic=incident.is_synthetic,
        )  # fmt: skip
        raised += 1
    return raised
