"""The annual report to the Voluntary Principles (VPSHR) plenary and the ICoCA.

The sections follow what those bodies ask member companies to disclose: the security
risk assessment, relations with public security (agreements, support in kind), private
security providers, training, use of force, grievances and allegations of abuse with how
each was handled. Every section carries ``source``: the records its numbers come from.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minewatch.accountability.choices import (
    PERSONNEL_CATEGORIES,
    ForceLevel,
    GrievanceCategory,
    GrievanceOutcome,
    GrievanceStatus,
    IcocaStatus,
    PublicSecurityForce,
    ReviewFinding,
    SupportKind,
    UseOfForceStatus,
)
from minewatch.accountability.models import (
    Contractor,
    Grievance,
    InKindSupport,
    PublicSecurityAgreement,
    UseOfForceReport,
)
from minewatch.incidents.choices import THREAT_CHOICES
from minewatch.people.choices import TrainingKind
from minewatch.people.models import Person, TrainingRecord
from minewatch.reports.scope import ReportScope
from minewatch.risk import analysis
from minewatch.risk.models import RiskRegisterEntry


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (dt.datetime(year, 1, 1, tzinfo=zone).astimezone(dt.UTC),
            dt.datetime(year + 1, 1, 1, tzinfo=zone).astimezone(dt.UTC))  # fmt: skip


def _site_q(scope: ReportScope, field: str = "site") -> Q:
    return Q(**{f"{field}_id": scope.site.pk}) if scope.site is not None else Q()


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 86400


def risk_assessment(scope: ReportScope) -> dict[str, Any]:
    register = RiskRegisterEntry.objects.filter(organisation=scope.organisation)
    register = register.filter(_site_q(scope)).select_related("site").order_by("site__name")
    labels = dict(THREAT_CHOICES)
    entries = [{"site": e.site.name, "threat": str(labels.get(e.threat, e.threat)),
                "inherent_band": e.inherent_band, "residual_band": e.residual_band,
                "residual_score": e.residual_score, "coverage": round(e.coverage, 2),
                "review_date": e.review_date.isoformat() if e.review_date else ""}
               for e in register]  # fmt: skip
    sites = [scope.site] if scope.site is not None else list(scope.organisation_sites())
    imbalances = []
    for site in sites:
        for gap in analysis.site_gaps(site):
            if gap["is_structural_imbalance"]:
                imbalances.append({"site": site.name, "gap": gap["gap"],
                                   "threat": str(labels.get(gap["threat"], gap["threat"]))})  # fmt: skip
    return {
        "entries": entries,
        "sites_assessed": len(sites),
        "structural_imbalances": sorted(imbalances, key=lambda g: -g["gap"]),
        "source": _("Risk register entries (Risk › register) and the capability-gap analysis "
                    "of every site (threat level against deployed controls), as they stand "
                    "today."),
    }  # fmt: skip


def public_security(scope: ReportScope, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    agreements = PublicSecurityAgreement.objects.filter(organisation=scope.organisation)
    if scope.site is not None:
        agreements = agreements.filter(sites=scope.site)
    agreements = agreements.filter(starts_on__lt=end.date()).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=start.date())
    ).distinct()  # fmt: skip
    forces = dict(PublicSecurityForce.choices)
    support = InKindSupport.objects.filter(agreement__in=agreements,
                                           given_on__gte=start.date(), given_on__lt=end.date())  # fmt: skip
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for kind, value in support.values_list("kind", "value_pen"):
        totals[kind] += value or Decimal(0)
    kinds = dict(SupportKind.choices)
    return {
        "agreements": [{"reference": a.reference, "force": str(forces.get(a.force, a.force)),
                        "counterpart": a.counterpart, "starts_on": a.starts_on.isoformat(),
                        "ends_on": a.ends_on.isoformat() if a.ends_on else "",
                        "has_human_rights_clauses": bool(a.human_rights_clauses.strip())}
                       for a in agreements.order_by("starts_on")],  # fmt: skip
        "support_by_kind": [{"key": k, "label": str(kinds.get(k, k)), "value_pen": float(v)}
                            for k, v in sorted(totals.items())],  # fmt: skip
        "support_total_pen": float(sum(totals.values(), Decimal(0))),
        "support_items": support.count(),
        "source": _("Agreements with public security in force during the year and the support "
                    "in kind recorded against them (Accountability › agreements)."),
    }  # fmt: skip


def private_security(scope: ReportScope, end: dt.datetime) -> dict[str, Any]:
    year_end = end.date() - dt.timedelta(days=1)
    statuses = dict(IcocaStatus.choices)
    providers = Contractor.objects.filter(organisation=scope.organisation)
    rows = [{"company": c.company.name, "ruc": c.ruc,
             "sucamec_authorisation": c.sucamec_authorisation,
             "sucamec_expires_on": c.sucamec_expires_on.isoformat(),
             "sucamec_valid_at_year_end": c.sucamec_expires_on >= year_end,
             "icoca_status": str(statuses.get(c.icoca_status, c.icoca_status))}
            for c in providers.select_related("company").order_by("company__name")]  # fmt: skip
    return {
        "providers": rows,
        "sucamec_valid": sum(r["sucamec_valid_at_year_end"] for r in rows),
        "icoca_members": sum(c != IcocaStatus.NONE
                             for c in providers.values_list("icoca_status", flat=True)),  # fmt: skip
        "source": _("The contractor registry (Accountability › contractors): SUCAMEC "
                    "authorisation under D.Leg. 1213 and ICoCA standing, at the year's end."),
    }  # fmt: skip


def training_coverage(scope: ReportScope, end: dt.datetime) -> dict[str, Any]:
    year_end = end.date() - dt.timedelta(days=1)
    people = Person.objects.filter(organisation=scope.organisation, status="active")
    if scope.site is not None:
        people = people.filter(assignments__site=scope.site, assignments__is_active=True)
    people_ids = set(people.values_list("pk", flat=True))
    valid = TrainingRecord.objects.filter(person_id__in=people_ids, date__lte=year_end).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=year_end)
    )  # fmt: skip
    trained: dict[str, set[int]] = defaultdict(set)
    for kind, person_id in valid.values_list("kind", "person_id"):
        trained[kind].add(person_id)
    total = len(people_ids)
    return {
        "active_personnel": total,
        "by_kind": [{"key": k, "label": str(label), "trained": len(trained[k]),
                     "percent": round(100.0 * len(trained[k]) / total, 1) if total else None}
                    for k, label in TrainingKind.choices],  # fmt: skip
        "source": _("Training records of the active personnel (Personnel), counted when taken "
                    "by the year's end and not expired then."),
    }  # fmt: skip


def use_of_force(scope: ReportScope, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    reports = UseOfForceReport.objects.filter(organisation=scope.organisation)
    reports = reports.filter(_site_q(scope)).filter(occurred_at__gte=start, occurred_at__lt=end)
    levels, findings = dict(ForceLevel.choices), dict(ReviewFinding.choices)
    level_counts = Counter(reports.values_list("force_level", flat=True))
    finding_counts = Counter(reports.exclude(finding="").values_list("finding", flat=True))
    return {
        "reports": sum(level_counts.values()),
        "filed_late": reports.filter(is_late=True).count(),
        "with_injuries": reports.filter(has_injuries=True).count(),
        "awaiting_review": reports.exclude(status=UseOfForceStatus.REVIEWED).count(),
        "by_level": [{"key": k, "label": str(levels.get(k, k)), "count": level_counts[k]}
                     for k in ForceLevel.values if level_counts[k]],  # fmt: skip
        "findings": [{"key": k, "label": str(findings.get(k, k)), "count": n}
                     for k, n in finding_counts.most_common()],  # fmt: skip
        "source": _("Use-of-force reports that occurred in the year and their reviews "
                    "(Accountability › use of force; ICoC paras 30–32, 63)."),
    }  # fmt: skip


def grievances(scope: ReportScope, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    received = Grievance.objects.filter(organisation=scope.organisation).filter(_site_q(scope))
    received = received.filter(received_at__gte=start, received_at__lt=end)
    categories = dict(GrievanceCategory.choices)
    rows: dict[str, dict[str, Any]] = {}
    for category, received_at, closed_at in received.values_list("category", "received_at",
                                                                 "closed_at"):  # fmt: skip
        row = rows.setdefault(category, {"key": category, "received": 0, "closed": 0, "days": []})
        row["received"] += 1
        if closed_at is not None:
            row["closed"] += 1
            row["days"].append(_days(received_at, closed_at))
    table = [{"key": r["key"], "label": str(categories.get(r["key"], r["key"])),
              "received": r["received"], "closed": r["closed"],
              "median_days_to_resolution": round(statistics.median(r["days"]), 1)
              if r["days"] else None}
             for r in sorted(rows.values(), key=lambda r: -r["received"])]  # fmt: skip
    return {
        "received": received.count(),
        "open": received.exclude(status=GrievanceStatus.CLOSED).count(),
        "by_category": table,
        "source": _("Grievances received in the year (Accountability › grievances); time to "
                    "resolution from receipt to closure."),
    }  # fmt: skip


def allegations(scope: ReportScope, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Grievances about security personnel's conduct or force, each with how it was handled."""
    found = Grievance.objects.filter(organisation=scope.organisation).filter(_site_q(scope))
    found = found.filter(received_at__gte=start, received_at__lt=end,
                         category__in=list(PERSONNEL_CATEGORIES)).select_related("contractor")  # fmt: skip
    categories, statuses = dict(GrievanceCategory.choices), dict(GrievanceStatus.choices)
    outcomes = dict(GrievanceOutcome.choices)
    rows = []
    for g in found.order_by("received_at"):
        rows.append({
            "reference": g.reference, "category": str(categories.get(g.category, g.category)),
            "received_on": timezone.localtime(g.received_at).date().isoformat(),
            "status": str(statuses.get(g.status, g.status)),
            "outcome": str(outcomes.get(g.outcome, g.outcome)) if g.outcome else "",
            "linked_use_of_force": bool(g.use_of_force_report_id),
            "days_to_close": round(_days(g.received_at, g.closed_at), 1) if g.closed_at else None,
        })  # fmt: skip
    return {
        "allegations": rows,
        "count": len(rows),
        "source": _("Grievances in the categories about security personnel (conduct, use of "
                    "force) received in the year, with their status and outcome; complainants "
                    "are never named here."),
    }  # fmt: skip


def annual_figures(scope: ReportScope, *, now: dt.datetime) -> dict[str, Any]:
    """Every section of the annual VPSHR/ICoCA report as plain data."""
    start, end = _year_bounds(scope.year)
    return {
        "kind": "annual",
        "organisation": scope.organisation.name,
        "organisation_id": scope.organisation.pk,
        "site": scope.site.name if scope.site else None,
        "year": scope.year,
        "is_partial_year": end > now,
        "generated_at": timezone.localtime(now).isoformat(timespec="minutes"),
        "risk_assessment": risk_assessment(scope),
        "public_security": public_security(scope, start, end),
        "private_security": private_security(scope, end),
        "training": training_coverage(scope, end),
        "use_of_force": use_of_force(scope, start, end),
        "grievances": grievances(scope, start, end),
        "allegations": allegations(scope, start, end),
    }
