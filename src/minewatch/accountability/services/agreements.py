"""Agreements with public security (PNP, armed forces) and the support given in kind.

The Voluntary Principles on Security and Human Rights ask companies to record and
disclose their relations with public security: the agreement, its human-rights
clauses, the units deployed, what is given in kind (fuel, food, lodging, transport)
with its value and date, and the incidents in which public security acted.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from minewatch.accountability.choices import PublicSecurityForce, SupportKind
from minewatch.accountability.models import InKindSupport, PublicSecurityAgreement
from minewatch.accountability.services.common import (
    save_audited,
)
from minewatch.core import audit
from minewatch.core.checks import organisation_id, require, visible
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput
from minewatch.geo.models import Site
from minewatch.incidents.models import Incident

AGREEMENT_TEXT = ("reference", "counterpart", "legal_basis", "scope", "human_rights_clauses",
                  "units_deployed")  # fmt: skip
REQUIRED = ("reference", "counterpart", "legal_basis", "scope", "human_rights_clauses")


def _clean(actor: Any, values: dict[str, Any]) -> dict[str, Any]:
    allowed = {*AGREEMENT_TEXT, "force", "starts_on", "ends_on", "sites", "incidents",
               "is_synthetic"}  # fmt: skip
    unknown = set(values) - allowed
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    for name in AGREEMENT_TEXT:
        text = str(values.get(name) or "").strip()
        if name in REQUIRED and not text:
            raise InvalidInput(_("This field is required."), field=name)
        clean[name] = text
    if values.get("force") not in PublicSecurityForce.values:
        raise InvalidInput(_("Choose the police (pnp) or the armed forces (ffaa)."), field="force")
    clean["force"] = values["force"]
    for name in ("starts_on", "ends_on"):
        value = values.get(name)
        if value not in (None, "") and not isinstance(value, dt.date):
            raise InvalidInput(_("Enter a valid date."), field=name)
        clean[name] = value or None
    if clean["starts_on"] is None:
        raise InvalidInput(_("This field is required."), field="starts_on")
    if clean["ends_on"] and clean["ends_on"] < clean["starts_on"]:
        raise InvalidInput(_("The agreement cannot end before it starts."), field="ends_on")
    clean["is_synthetic"] = bool(values.get("is_synthetic"))
    clean["sites"] = [visible(actor, Site, s, "sites") for s in values.get("sites") or []]
    clean["incidents"] = [visible(actor, Incident, i, "incidents")
                          for i in values.get("incidents") or []]  # fmt: skip
    return clean


def save_agreement(*, actor: Any, agreement: PublicSecurityAgreement | None = None,
                   **values: Any) -> PublicSecurityAgreement:  # fmt: skip
    """Record (or update) an agreement with public security; sites and incidents are linked."""
    require(actor, "manage_contractors", "record agreements with public security")
    if agreement is not None:
        current = {name: getattr(agreement, name) for name in
                   (*AGREEMENT_TEXT, "force", "starts_on", "ends_on", "is_synthetic")}  # fmt: skip
        current["sites"] = list(agreement.sites.all())
        current["incidents"] = list(agreement.incidents.all())
        values = {**current, **values}
    clean = _clean(actor, values)
    relations = {name: clean.pop(name) for name in ("sites", "incidents")}
    with transaction.atomic():
        before = audit.snapshot(agreement) if agreement else None
        record = agreement or PublicSecurityAgreement(organisation_id=organisation_id(actor))
        duplicate = PublicSecurityAgreement.objects.filter(
            organisation_id=record.organisation_id, reference=clean["reference"]
        ).exclude(pk=record.pk)
        if duplicate.exists():
            raise InvalidInput(_("Another agreement has this reference."), field="reference")
        for name, value in clean.items():
            setattr(record, name, value)
        save_audited(record, actor=actor, before=before)
        for name, records in relations.items():
            getattr(record, name).set(records)
    return record


def record_support(agreement: PublicSecurityAgreement, *, actor: Any, kind: str,
                   description: str, value_pen: Any, given_on: Any) -> InKindSupport:  # fmt: skip
    """Record one contribution in kind (fuel, food, lodging, transport...) with value and date."""
    require(actor, "manage_contractors", "record support to public security")
    if agreement.organisation_id != actor.organisation_id:
        raise InvalidInput(_("Only the organisation that signed the agreement records it."),
                           field="agreement")  # fmt: skip
    if kind not in SupportKind.values:
        raise InvalidInput(_("Unknown kind %(value)r; one of %(choices)s")
                           % {"value": kind, "choices": ", ".join(SupportKind.values)},
                           field="kind")  # fmt: skip
    if not str(description or "").strip():
        raise InvalidInput(_("This field is required."), field="description")
    try:
        value = decimal.Decimal(str(value_pen))
    except (decimal.InvalidOperation, ValueError):
        raise InvalidInput(_("Enter an amount in soles."), field="value_pen") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(_("Enter an amount in soles, 0 or more."), field="value_pen")
    if not isinstance(given_on, dt.date):
        raise InvalidInput(_("Enter a valid date."), field="given_on")
    with transaction.atomic():
        support = InKindSupport(agreement=agreement, kind=kind, description=description.strip(),
                                value_pen=value.quantize(decimal.Decimal("0.01")),
                                given_on=given_on, recorded_by=actor)  # fmt: skip
        support.full_clean()
        support.save()
        audit.record(actor=actor, action=AuditAction.CREATE, instance=support,
                     after=audit.snapshot(support), organisation_id=agreement.organisation_id)  # fmt: skip
    return support
