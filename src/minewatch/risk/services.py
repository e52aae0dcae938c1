"""Every write of the risk app: register entries, the effectiveness matrix, deployed controls,
the organisation's risk bands."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.models import Organisation
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.risk import analysis
from minewatch.risk.choices import CONTROL_CODES
from minewatch.risk.engine import gaps as gap_engine
from minewatch.risk.engine import register as register_engine
from minewatch.risk.models import (
    ControlEffectiveness,
    DeployedControl,
    RiskBands,
    RiskRegisterEntry,
)


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


def _score(entry: RiskRegisterEntry, bands: Any = None) -> None:
    """Fill inherent and residual risk from the chosen ratings and the site's coverage.

    Bands are the organisation's (``analysis.bands_for``) unless given.
    """
    bands = bands or analysis.bands_for(entry.organisation_id)
    inherent = register_engine.score_risk(entry.likelihood, entry.impact, bands)
    entry.inherent_score, entry.inherent_band = inherent.score, inherent.band
    matrix = analysis.matrix_for(entry.organisation_id)
    coverage = gap_engine.threat_coverage(entry.threat, analysis.deployed_for(entry.site), matrix)
    entry.coverage = round(coverage[0], 4)
    entry.residual_likelihood = register_engine.residual_likelihood(
        entry.likelihood, entry.coverage
    )
    residual = register_engine.score_risk(entry.residual_likelihood, entry.impact, bands)
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


def _parse_bands(value: Any) -> tuple[tuple[int, str], ...]:
    """``[{"name": "low", "min_score": 1, "max_score": 4}, ...]`` → ((1, "low"), ...), checked.

    ``max_score`` is optional; when given it must be the next band's ``min_score`` − 1
    (25 for the last), so what a person reads as the ranges is what is stored.
    """
    if not isinstance(value, list) or not value:
        raise InvalidInput("bands must be a non-empty list of {name, min_score[, max_score]}",
                           field="bands")  # fmt: skip
    parsed = []
    for index, band in enumerate(value):
        if not isinstance(band, dict) or set(band) - {"name", "min_score", "max_score"}:
            raise InvalidInput(f"band {index + 1}: an object with name, min_score and optionally "
                               "max_score", field="bands")  # fmt: skip
        low = band.get("min_score")
        if isinstance(low, bool) or not isinstance(low, int):
            raise InvalidInput(f"band {index + 1}: min_score must be a whole score, got {low!r}",
                               field="bands")  # fmt: skip
        parsed.append((low, band.get("name")))
    try:
        register_engine.check_bands(parsed, names=register_engine.BAND_NAMES)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="bands") from None
    ranges = register_engine.band_ranges(parsed)
    for index, (band, (_name, _low, high)) in enumerate(zip(value, ranges, strict=True)):
        if "max_score" in band and band["max_score"] != high:
            raise InvalidInput(f"band {index + 1}: max_score {band['max_score']!r} leaves a gap "
                               f"or overlap; it must be {high} (next band's min_score − 1, or 25)",
                               field="bands")  # fmt: skip
    return tuple(parsed)


def _organisation_for(actor: Any, organisation: Any) -> Organisation:
    """The actor's organisation; a platform superuser must name one."""
    org_id = getattr(organisation, "pk", organisation)
    if getattr(actor, "is_superuser", False) and org_id is not None:
        found = Organisation.objects.filter(pk=org_id).first()
    elif org_id is not None and org_id != actor.organisation_id:
        found = None
    else:
        found = actor.organisation
    if found is None:
        raise InvalidInput(f"unknown organisation {org_id!r}", field="organisation")
    return found


@transaction.atomic
def set_risk_bands(*, actor: Any, bands: Any, organisation: Any = None) -> RiskBands:
    """Set the organisation's risk bands and re-band every entry of its register, audited.

    Only its security managers (and admins) may; the bands are checked by the engine
    (contiguous from 1 to 25, each holding a reachable score, known names from least to
    most severe). Every register entry of the organisation gets its inherent and residual
    band from the new bands in the same transaction, and each changed entry is audited.
    """
    _require(actor, "manage_sites", "change the risk bands")
    org = _organisation_for(actor, organisation)
    parsed = _parse_bands(bands)
    row = RiskBands.objects.select_for_update().filter(organisation=org).first()
    before = audit.snapshot(row) if row else None
    row = row or RiskBands(organisation=org)
    row.bands = [[low, name] for low, name in parsed]
    row.full_clean()
    row.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=row, before=before, after=audit.snapshot(row))  # fmt: skip
    for entry in RiskRegisterEntry.objects.select_for_update().filter(organisation=org):
        old = audit.snapshot(entry)
        inherent = register_engine.score_risk(entry.likelihood, entry.impact, parsed)
        residual = register_engine.score_risk(entry.residual_likelihood, entry.impact, parsed)
        if (inherent.band, residual.band) == (entry.inherent_band, entry.residual_band):
            continue
        entry.inherent_band, entry.residual_band = inherent.band, residual.band
        entry.save(update_fields=["inherent_band", "residual_band", "updated_at"])
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=entry, before=old,
                     after=audit.snapshot(entry), note="re-banded: risk bands changed")  # fmt: skip
    return row
