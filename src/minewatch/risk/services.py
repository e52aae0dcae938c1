"""Every write of the risk app: register entries, the effectiveness matrix, deployed controls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.risk import analysis
from minewatch.risk.choices import CONTROL_CODES
from minewatch.risk.engine import gaps as gap_engine
from minewatch.risk.engine import register as register_engine
from minewatch.risk.models import ControlEffectiveness, DeployedControl, RiskRegisterEntry


def _require(actor: Any, capability: str, what: str) -> None:
    if not has_capability(actor, capability):
        raise NotAllowed(f"your role cannot {what}", field="role")


def _rating(value: Any, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{value!r} is not a whole number from 1 to 5", field=field) from None
    if str(number) != str(value).strip() or not 1 <= number <= 5:
        raise InvalidInput(f"{field} must be a whole number from 1 to 5, got {value!r}",
                           field=field)  # fmt: skip
    return number


def _fraction(value: Any, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{value!r} is not a number", field=field) from None
    if not 0.0 <= number <= 1.0:
        raise InvalidInput(f"{field} must be between 0 and 1, got {value!r}", field=field)
    return number


def _site(actor: Any, site: Any) -> Site:
    found = restrict(Site.objects.filter(pk=getattr(site, "pk", site)), actor).first()
    if found is None:
        raise InvalidInput(f"unknown site {getattr(site, 'pk', site)!r}", field="site")
    return found


def _control(value: Any) -> str:
    if value not in CONTROL_CODES:
        raise InvalidInput(f"unknown control {value!r}; one of {list(CONTROL_CODES)}",
                           field="control")  # fmt: skip
    return value


def _score(entry: RiskRegisterEntry) -> None:
    """Fill inherent and residual risk from the chosen ratings and the site's coverage."""
    inherent = register_engine.score_risk(entry.likelihood, entry.impact)
    entry.inherent_score, entry.inherent_band = inherent.score, inherent.band
    matrix = analysis.matrix_for(entry.organisation_id)
    coverage = gap_engine.threat_coverage(entry.threat, analysis.deployed_for(entry.site), matrix)
    entry.coverage = round(coverage[0], 4)
    entry.residual_likelihood = register_engine.residual_likelihood(
        entry.likelihood, entry.coverage
    )
    residual = register_engine.score_risk(entry.residual_likelihood, entry.impact)
    entry.residual_score, entry.residual_band = residual.score, residual.band


@transaction.atomic
def save_register_entry(
    *, actor: Any, site: Any, threat: str, impact: Any, likelihood: Any = None,
    entry: RiskRegisterEntry | None = None, owner: Any = None, review_date: dt.date | None = None,
    notes: str = "", now: dt.datetime | None = None,
) -> RiskRegisterEntry:  # fmt: skip
    """Create or update a register entry; the suggestion is stored beside the chosen likelihood.

    When ``likelihood`` is not given the suggestion is adopted (and the basis says so);
    a chosen likelihood is never replaced by a suggestion.
    """
    _require(actor, "analyse", "edit the risk register")
    site = _site(actor, site)
    threat = analysis.check_threat(threat)
    impact = _rating(impact, "impact")
    suggested, basis = analysis.suggest(site, threat, now)
    chosen = suggested if likelihood in (None, "") else _rating(likelihood, "likelihood")
    if owner is not None and getattr(owner, "organisation_id", None) != site.organisation_id:
        raise InvalidInput("the owner must belong to the site's organisation", field="owner")
    before = audit.snapshot(entry) if entry else None
    if entry is None and RiskRegisterEntry.objects.filter(site=site, threat=threat).exists():
        raise InvalidInput("this site already has an entry for that threat", field="threat")
    entry = entry or RiskRegisterEntry(organisation_id=site.organisation_id, site=site)
    entry.threat, entry.likelihood, entry.impact = threat, chosen, impact
    entry.suggested_likelihood, entry.suggested_at = suggested, now or timezone.now()
    entry.suggestion_basis = {**basis, "adopted": likelihood in (None, "")}
    entry.owner, entry.review_date, entry.notes = owner, review_date, notes
    _score(entry)
    entry.full_clean()
    entry.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=entry, before=before, after=audit.snapshot(entry))  # fmt: skip
    publish(Event("risk_entry.saved", entry.organisation_id, {"id": entry.pk},
                  site_id=entry.site_id))  # fmt: skip
    return entry


@transaction.atomic
def refresh_suggestion(entry: RiskRegisterEntry, *, actor: Any) -> RiskRegisterEntry:
    """Recompute only the suggested likelihood (the chosen one stays as a person set it)."""
    _require(actor, "analyse", "edit the risk register")
    before = audit.snapshot(entry)
    entry.suggested_likelihood, basis = analysis.suggest(entry.site, entry.threat)
    entry.suggestion_basis, entry.suggested_at = {**basis, "adopted": False}, timezone.now()
    entry.save(update_fields=["suggested_likelihood", "suggestion_basis", "suggested_at"])
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=entry, before=before,
                 after=audit.snapshot(entry), note="suggestion refreshed")  # fmt: skip
    return entry


def _rescore_site(site: Site) -> None:
    for entry in RiskRegisterEntry.objects.filter(site=site).select_related("site"):
        _score(entry)
        entry.save(update_fields=["coverage", "residual_likelihood", "residual_score",
                                  "residual_band", "inherent_score", "inherent_band"])  # fmt: skip


@transaction.atomic
def set_effectiveness(
    *, actor: Any, control: str, threat: str, effectiveness: Any, rationale: str = ""
) -> ControlEffectiveness:
    """Edit one cell of the organisation's control × threat matrix (managers and analysts)."""
    _require(actor, "analyse", "edit the effectiveness matrix")
    control, threat = _control(control), analysis.check_threat(threat)
    value = _fraction(effectiveness, "effectiveness")
    row = ControlEffectiveness.objects.filter(
        organisation_id=actor.organisation_id, control=control, threat=threat
    ).first()
    before = audit.snapshot(row) if row else None
    row = row or ControlEffectiveness(organisation_id=actor.organisation_id, control=control,
                                      threat=threat)  # fmt: skip
    row.effectiveness, row.rationale = value, rationale
    row.full_clean()
    row.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=row, before=before, after=audit.snapshot(row))  # fmt: skip
    for site in Site.objects.filter(organisation_id=actor.organisation_id, risk_entries__isnull=False
                                    ).distinct():  # fmt: skip
        _rescore_site(site)
    return row


@transaction.atomic
def deploy_control(
    *, actor: Any, site: Any, control: str, quality: Any, notes: str = ""
) -> DeployedControl:
    """Record (or re-rate) a control in place at a site; the site's residual risks are rescored."""
    _require(actor, "manage_sites", "record deployed controls")
    site, control = _site(actor, site), _control(control)
    if site.organisation_id != actor.organisation_id and not actor.is_superuser:
        raise InvalidInput("only the site's owner records its controls", field="site")
    value = _fraction(quality, "quality")
    row = DeployedControl.objects.filter(site=site, control=control).first()
    before = audit.snapshot(row) if row else None
    row = row or DeployedControl(organisation_id=site.organisation_id, site=site, control=control)
    row.quality, row.notes = value, notes
    row.full_clean()
    row.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=row, before=before, after=audit.snapshot(row))  # fmt: skip
    _rescore_site(site)
    return row
