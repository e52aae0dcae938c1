"""The monthly security report's figures: one organisation (optionally one site), one month.

Every number comes from the organisation's own records (``organisation=…``); who may ask
for it is decided before, in :mod:`minewatch.reports.scope`. The result is a plain dict
(JSON for the API) that the one template renders to HTML and PDF.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from minewatch.accountability.choices import ForceLevel, GrievanceCategory, ReviewFinding
from minewatch.accountability.models import Grievance, UseOfForceReport
from minewatch.alerts.choices import DeliveryStatus
from minewatch.alerts.models import Alert, DeliveryAttempt, EscalationFiring
from minewatch.core.models import AuditEntry
from minewatch.incidents.choices import INCIDENT_TYPE_CHOICES, THREAT_CHOICES
from minewatch.incidents.models import Incident
from minewatch.intel.choices import WarningStatus
from minewatch.intel.models import EarlyWarning
from minewatch.inventory.choices import FindingKind
from minewatch.inventory.models import LossFinding
from minewatch.people.models import Person
from minewatch.people.queries import status_of
from minewatch.reports.engine.periods import Month, week_index, week_starts
from minewatch.reports.engine.stats import Change, compare_counts, percentiles_min
from minewatch.reports.scope import ReportScope
from minewatch.risk import analysis
from minewatch.risk.models import RiskRegisterEntry
from minewatch.tracking.choices import DetectionKind, TripStatus
from minewatch.tracking.models import Detection, Trip

# An early warning "came true" when an incident hit its target within this many days of
# the warning's window end (the horizon the early-warning rule itself looks at, intel docs).
WARNING_OUTCOME_DAYS = 14
RISK_MODELS = ("risk.riskregisterentry", "risk.deployedcontrol")


def _in(month: Month, field: str) -> Q:
    return Q(**{f"{field}__gte": month.start, f"{field}__lt": month.end})


def _site_q(scope: ReportScope, field: str = "site") -> Q:
    return Q(**{f"{field}_id": scope.site.pk}) if scope.site is not None else Q()


def _labelled(rows: list[dict], labels: dict[str, str]) -> list[dict]:
    return [{**row, "label": str(labels.get(row["key"], row["key"]))} for row in rows]


def incident_section(scope: ReportScope) -> dict[str, Any]:
    """Counts by threat, type and week, against the previous month and a year before."""
    month = scope.month
    base = Incident.objects.filter(organisation=scope.organisation).filter(_site_q(scope))

    def rows(period: Month) -> list[tuple]:
        query = base.filter(_in(period, "occurred_at"))
        return list(query.values_list("threat", "incident_type", "occurred_at"))

    now, prev, year = rows(month), rows(month.previous()), rows(month.a_year_before())
    threats = [code for code, _label in THREAT_CHOICES]
    by_threat = compare_counts([r[0] for r in now], [r[0] for r in prev], [r[0] for r in year],
                               order=threats)  # fmt: skip
    by_type = compare_counts([r[1] for r in now], [r[1] for r in prev], [r[1] for r in year])
    zone = ZoneInfo(month.zone)
    weeks = [0] * len(week_starts(month))
    for _threat, _type, occurred in now:
        weeks[week_index(occurred.astimezone(zone).date(), month)] += 1
    listed = base.filter(_in(month, "occurred_at")).select_related("site")
    listed = listed.order_by("-severity", "occurred_at")[:15]
    return {
        "total": Change(len(now), len(prev)).as_dict(),
        "total_vs_last_year": Change(len(now), len(year)).as_dict(),
        "by_threat": _labelled(by_threat, dict(THREAT_CHOICES)),
        "by_type": _labelled(by_type, dict(INCIDENT_TYPE_CHOICES)),
        "by_week": [{"week_start": start.isoformat(), "count": count}
                    for start, count in zip(week_starts(month), weeks, strict=True)],
        "most_severe": [
            {"reference": i.reference, "occurred_at": timezone.localtime(i.occurred_at, zone)
             .strftime("%Y-%m-%d %H:%M"), "threat": str(dict(THREAT_CHOICES).get(i.threat, i.threat)),
             "type": str(dict(INCIDENT_TYPE_CHOICES).get(i.incident_type, i.incident_type)),
             "severity": i.severity, "site": i.site.name if i.site else "",
             "lat": i.lat, "lon": i.lon}
            for i in listed
        ],
        "points": [{"lat": lat, "lon": lon, "threat": threat} for lat, lon, threat in
                   base.filter(_in(month, "occurred_at")).values_list("lat", "lon", "threat")],
    }  # fmt: skip


def alert_section(scope: ReportScope) -> dict[str, Any]:
    """Alerts raised, delays to acknowledge and to tell the police, escalations, failed sends."""
    month = scope.month
    alerts = Alert.objects.filter(organisation=scope.organisation)
    alerts = alerts.filter(_site_q(scope)).filter(_in(month, "raised_at"))
    rows = list(alerts.values_list("raised_at", "acknowledged_at", "police_notified_at",
                                   "escalated_at", "severity"))  # fmt: skip
    ack = [(a - r).total_seconds() for r, a, _p, _e, _s in rows if a is not None]
    police = [(p - r).total_seconds() for r, _a, p, _e, _s in rows if p is not None]
    firings = EscalationFiring.objects.filter(alert__organisation=scope.organisation)
    firings = firings.filter(_site_q(scope, "alert__site")).filter(_in(month, "fired_at"))
    deliveries = DeliveryAttempt.objects.filter(organisation=scope.organisation)
    deliveries = deliveries.filter(_site_q(scope, "alert__site")).filter(_in(month, "created_at"))
    severities = Counter(row[4] for row in rows)
    return {
        "raised": len(rows),
        "by_severity": [{"key": s, "count": severities[s]} for s in range(5, 0, -1)],
        "acknowledge_min": percentiles_min(ack),
        "police_min": percentiles_min(police),
        "escalated_alerts": sum(1 for row in rows if row[3] is not None),
        "escalation_steps_fired": firings.count(),
        "deliveries": deliveries.count(),
        "failed_deliveries": deliveries.filter(status=DeliveryStatus.FAILED).count(),
    }


def convoy_section(scope: ReportScope) -> dict[str, Any]:
    """Trips that left this month, how they ended, late arrivals and detections by kind."""
    month = scope.month
    trips = Trip.objects.filter(organisation=scope.organisation).filter(_site_q(scope))
    trips = trips.filter(_in(month, "departed_at"))
    statuses = Counter(trips.values_list("status", flat=True))
    late_by_window = trips.filter(arrived_at__isnull=False, arrival_before__isnull=False)
    late_by_window = late_by_window.filter(arrived_at__gt=F("arrival_before")).count()
    detections = Detection.objects.filter(organisation=scope.organisation).filter(_site_q(scope))
    detections = detections.filter(_in(month, "time"))
    kinds = Counter(detections.values_list("kind", flat=True))
    labels = dict(DetectionKind.choices)
    return {
        "trips": sum(statuses.values()),
        "arrived": statuses.get(TripStatus.ARRIVED, 0),
        "aborted": statuses.get(TripStatus.ABORTED, 0),
        "en_route": statuses.get(TripStatus.EN_ROUTE, 0),
        "late_arrivals": max(late_by_window, kinds.get(DetectionKind.LATE_ARRIVAL, 0)),
        "detections": sum(kinds.values()),
        "detections_by_kind": [
            {"key": k, "label": str(labels.get(k, k)), "count": n} for k, n in kinds.most_common()
        ],  # fmt: skip
    }


def warning_section(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Early warnings whose window ended this month and what followed them."""
    month = scope.month
    warnings = EarlyWarning.objects.filter(organisation=scope.organisation).filter(_site_q(scope))
    warnings = list(warnings.filter(_in(month, "window_end")).select_related("site", "route"))
    outcome = Counter()
    rows = []
    for warning in warnings:
        horizon = warning.window_end + dt.timedelta(days=WARNING_OUTCOME_DAYS)
        if warning.site_id is None:
            followed = None
        else:
            followed = Incident.objects.filter(
                site_id=warning.site_id, occurred_at__gt=warning.window_end,
                occurred_at__lte=horizon,
            ).exists()  # fmt: skip
        if followed:
            key = "followed"
        elif followed is None:
            key = "not_assessed"
        else:
            key = "pending" if horizon > now else "not_followed"
        outcome[key] += 1
        target = (
            warning.site.name if warning.site else (warning.route.name if warning.route else "")
        )
        rows.append({"target": target, "status": str(WarningStatus(warning.status).label),
                     "window_end": timezone.localtime(warning.window_end).strftime("%Y-%m-%d"),
                     "outcome": key, "total_weight": round(warning.total_weight, 2)})  # fmt: skip
    statuses = Counter(w.status for w in warnings)
    return {
        "raised": len(warnings),
        "by_status": [
            {"key": s, "label": str(label), "count": statuses.get(s, 0)}
            for s, label in WarningStatus.choices
        ],  # fmt: skip
        "outcome": {
            k: outcome.get(k, 0) for k in ("followed", "not_followed", "pending", "not_assessed")
        },  # fmt: skip
        "outcome_days": WARNING_OUTCOME_DAYS,
        "rows": rows[:12],
    }


def risk_section(scope: ReportScope) -> dict[str, Any]:
    """Register changes written in the month (the audit log) and the largest capability gaps."""
    month = scope.month
    entries = AuditEntry.objects.filter(organisation=scope.organisation,
                                        object_type__in=RISK_MODELS).filter(_in(month, "at"))  # fmt: skip
    changes = []
    for entry in entries.order_by("at")[:40]:
        state = entry.after or entry.before or {}
        if scope.site is not None and state.get("site") not in (scope.site.pk, None):
            continue
        changes.append({"at": timezone.localtime(entry.at).strftime("%Y-%m-%d"),
                        "who": entry.actor_name, "action": entry.action,
                        "what": entry.object_repr, "fields": sorted(entry.changes)})  # fmt: skip
    register = RiskRegisterEntry.objects.filter(organisation=scope.organisation)
    register = register.filter(_site_q(scope))
    bands = Counter(register.values_list("residual_band", flat=True))
    sites = [scope.site] if scope.site is not None else list(scope.organisation_sites())
    threat_labels = dict(THREAT_CHOICES)
    gaps = []
    for site in sites:
        for gap in analysis.site_gaps(site):
            gaps.append({"site": site.name, "threat": gap["threat"],
                         "label": str(threat_labels.get(gap["threat"], gap["threat"])),
                         "gap": gap["gap"], "coverage": gap["coverage"],
                         "threat_level": gap["threat_level"],
                         "is_structural_imbalance": gap["is_structural_imbalance"]})  # fmt: skip
    gaps.sort(key=lambda g: -g["gap"])
    return {
        "changes": changes,
        "register_entries": register.count(),
        "by_residual_band": [{"key": band, "count": n} for band, n in sorted(bands.items())],
        "top_gaps": gaps[:5],
    }


def people_section(scope: ReportScope) -> dict[str, Any]:
    """Vetting and training compliance of the active personnel on the month's last day."""
    people = Person.objects.filter(organisation=scope.organisation, status="active")
    if scope.site is not None:
        people = people.filter(assignments__site=scope.site, assignments__is_active=True)
    people = people.distinct().prefetch_related("vetting", "training", "licences")
    day = scope.month.last_day
    total = cleared = trained = 0
    for person in people:
        status = status_of(person, today=day)
        total += 1
        cleared += status.cleared
        trained += not any(":training:" in reason or reason.endswith(":training")
                           for reason in status.reasons)  # fmt: skip
    return {
        "active_personnel": total,
        "vetting_cleared": cleared,
        "vetting_compliance_pct": round(100.0 * cleared / total, 1) if total else None,
        "training_complete": trained,
        "training_compliance_pct": round(100.0 * trained / total, 1) if total else None,
        "as_of": day.isoformat(),
    }


def accountability_section(scope: ReportScope) -> dict[str, Any]:
    """Use-of-force reports and grievances of the month."""
    month = scope.month
    force = UseOfForceReport.objects.filter(organisation=scope.organisation)
    force = force.filter(_site_q(scope)).filter(_in(month, "occurred_at"))
    levels = Counter(force.values_list("force_level", flat=True))
    findings = Counter(force.exclude(finding="").values_list("finding", flat=True))
    grievances = Grievance.objects.filter(organisation=scope.organisation).filter(_site_q(scope))
    received = grievances.filter(_in(month, "received_at"))
    categories = Counter(received.values_list("category", flat=True))
    closed = list(grievances.filter(_in(month, "closed_at"))
                  .values_list("received_at", "closed_at"))  # fmt: skip
    days = [(c - r).total_seconds() / 86400 for r, c in closed]
    level_labels, finding_labels = dict(ForceLevel.choices), dict(ReviewFinding.choices)
    category_labels = dict(GrievanceCategory.choices)
    return {
        "use_of_force": sum(levels.values()),
        "use_of_force_late": force.filter(is_late=True).count(),
        "use_of_force_by_level": [
            {"key": k, "label": str(level_labels.get(k, k)), "count": n}
            for k, n in levels.most_common()
        ],  # fmt: skip
        "findings": [
            {"key": k, "label": str(finding_labels.get(k, k)), "count": n}
            for k, n in findings.most_common()
        ],  # fmt: skip
        "grievances_received": sum(categories.values()),
        "grievances_by_category": [
            {"key": k, "label": str(category_labels.get(k, k)), "count": n}
            for k, n in categories.most_common()
        ],  # fmt: skip
        "grievances_closed": len(closed),
        "grievance_median_days_to_close": round(statistics.median(days), 1) if days else None,
    }


def inventory_section(scope: ReportScope) -> dict[str, Any]:
    """Loss findings of the month (when the loss began, else the lot's dispatch, else when found)."""
    month = scope.month
    findings = LossFinding.objects.filter(organisation=scope.organisation).filter(_site_q(scope))
    findings = findings.annotate(when=Coalesce("began_at", "lot__dispatched_at", "created_at"))
    findings = findings.filter(_in(month, "when"))
    kinds = Counter(findings.values_list("kind", flat=True))
    labels = dict(FindingKind.choices)
    tonnes = sum(findings.exclude(kind=FindingKind.MAGAZINE)
                 .values_list("estimated_loss_t", flat=True))  # fmt: skip
    return {
        "findings": sum(kinds.values()),
        "by_kind": [
            {"key": k, "label": str(labels.get(k, k)), "count": n} for k, n in kinds.most_common()
        ],  # fmt: skip
        "estimated_loss_t": round(tonnes, 2),
    }


def monthly_figures(scope: ReportScope, *, now: dt.datetime) -> dict[str, Any]:
    """Every section of the monthly report as plain data (labels in the active language)."""
    return {
        "kind": "monthly",
        "organisation": scope.organisation.name,
        "organisation_id": scope.organisation.pk,
        "site": scope.site.name if scope.site else None,
        "site_id": scope.site.pk if scope.site else None,
        "month": scope.month.label,
        "previous_month": scope.month.previous().label,
        "same_month_last_year": scope.month.a_year_before().label,
        "generated_at": timezone.localtime(now).isoformat(timespec="minutes"),
        "incidents": incident_section(scope),
        "alerts": alert_section(scope),
        "convoys": convoy_section(scope),
        "early_warnings": warning_section(scope, now),
        "risk": risk_section(scope),
        "people": people_section(scope),
        "accountability": accountability_section(scope),
        "inventory": inventory_section(scope),
    }
