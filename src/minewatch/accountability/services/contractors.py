"""The contractor registry: RUC, SUCAMEC authorisation and modalities, ICoCA, insurance;
site assignments checked against the law; expired authorisations alerted; track record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pe import ruc as ruc_number

from minewatch.accountability.choices import IcocaStatus
from minewatch.accountability.engine.legal import (
    MODALITIES,
    MODALITY_CODES,
    PROHIBITED_BY_CODE,
    ServiceRefusedError,
    check_service,
)
from minewatch.accountability.models import Contractor, Grievance, UseOfForceReport
from minewatch.accountability.services.common import (
    raise_accountability_alert,
    save_audited,
    security_contractor,
)
from minewatch.core import audit
from minewatch.core.checks import organisation_id, require, visible
from minewatch.core.errors import InvalidInput
from minewatch.geo.models import Site, SiteAssignment

CONTRACTOR_FIELDS = (
    "company", "ruc", "sucamec_authorisation", "sucamec_expires_on", "modalities",
    "icoca_status", "icoca_since", "insurer", "insurance_policy", "insurance_expires_on",
    "contract_starts_on", "contract_ends_on", "notes", "is_synthetic",
)  # fmt: skip
DATE_FIELDS = ("sucamec_expires_on", "icoca_since", "insurance_expires_on", "contract_starts_on",
               "contract_ends_on")  # fmt: skip


def clean_ruc(value: Any) -> str:
    """An 11-digit RUC with a valid check digit (python-stdnum ``stdnum.pe.ruc``)."""
    try:
        return ruc_number.validate(str(value or ""))
    except StdnumError as error:
        raise InvalidInput(
            _("%(value)r is not a valid RUC (%(reason)s): 11 digits, the last one a check "
              "digit (SUNAT).") % {"value": value, "reason": error.message}, field="ruc",
        ) from None  # fmt: skip


def clean_modalities(values: Any) -> list[str]:
    """The modalities the SUCAMEC authorisation covers; prohibited services refused by law."""
    if not isinstance(values, list | tuple) or not values:
        raise InvalidInput(_("List at least one authorised modality."), field="modalities")
    for code in values:
        if code in PROHIBITED_BY_CODE:
            service = PROHIBITED_BY_CODE[code]
            raise InvalidInput(_("%(service)s cannot be authorised to private security in Peru "
                                 "(%(law)s).") % {"service": service.label_es, "law": service.law},
                               field="modalities")  # fmt: skip
        if code not in MODALITY_CODES:
            raise InvalidInput(_("%(value)r is not a modality of D.Leg. 1213; one of: %(choices)s")
                               % {"value": code, "choices": ", ".join(sorted(MODALITY_CODES))},
                               field="modalities")  # fmt: skip
    return sorted(set(values))


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(CONTRACTOR_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    clean = dict(values)
    clean["company"] = security_contractor(values.get("company"), field="company")
    if clean["company"] is None:
        raise InvalidInput(_("Choose the private security company."), field="company")
    clean["ruc"] = clean_ruc(values.get("ruc"))
    if not str(values.get("sucamec_authorisation") or "").strip():
        raise InvalidInput(_("This field is required."), field="sucamec_authorisation")
    clean["sucamec_authorisation"] = str(values["sucamec_authorisation"]).strip()
    for name in DATE_FIELDS:
        value = values.get(name)
        if value not in (None, "") and not isinstance(value, dt.date):
            raise InvalidInput(_("Enter a valid date."), field=name)
        clean[name] = value or None
    if clean["sucamec_expires_on"] is None:
        raise InvalidInput(_("This field is required."), field="sucamec_expires_on")
    clean["modalities"] = clean_modalities(values.get("modalities"))
    status = values.get("icoca_status") or IcocaStatus.NONE
    if status not in IcocaStatus.values:
        raise InvalidInput(_("Unknown ICoCA status %(value)r; one of %(choices)s")
                           % {"value": status, "choices": ", ".join(IcocaStatus.values)},
                           field="icoca_status")  # fmt: skip
    clean["icoca_status"] = status
    starts, ends = clean["contract_starts_on"], clean["contract_ends_on"]
    if starts and ends and ends < starts:
        raise InvalidInput(_("The contract cannot end before it starts."), field="contract_ends_on")
    return clean


def save_contractor(*, actor: Any, contractor: Contractor | None = None,
                    **values: Any) -> Contractor:  # fmt: skip
    """Register (or update) a private security company in the actor's registry."""
    require(actor, "manage_contractors", "manage the contractor registry")
    if contractor is not None:
        values = {**{name: getattr(contractor, name) for name in CONTRACTOR_FIELDS}, **values}
    clean = _clean(values)
    with transaction.atomic():
        before = audit.snapshot(contractor) if contractor else None
        record = contractor or Contractor(organisation_id=organisation_id(actor))
        if (
            contractor is None
            and Contractor.objects.filter(
                organisation_id=record.organisation_id, company=clean["company"]
            ).exists()
        ):
            raise InvalidInput(_("This company is already in your registry."), field="company")
        for name, value in clean.items():
            setattr(record, name, value)
        if before and before.get("sucamec_expires_on") != str(record.sucamec_expires_on):
            record.expiry_alerted_for = None  # a renewed authorisation may expire again
        save_audited(record, actor=actor, before=before)
    return record


def _alert_expired(contractor: Contractor) -> bool:
    """Tell the security manager once per expiry date; True when an alert was raised now."""
    if contractor.expiry_alerted_for == contractor.sucamec_expires_on:
        return False
    raise_accountability_alert(
        organisation_id=contractor.organisation_id, kind="accountability.authorisation_expired",
        severity=4, subject_type="contractor",
        subject_key=f"{contractor.pk}:{contractor.sucamec_expires_on.isoformat()}",
        title=_("SUCAMEC authorisation of %(company)s expired on %(date)s: no new assignments")
        % {"company": contractor.company.name, "date": contractor.sucamec_expires_on.isoformat()},
        is_synthetic=contractor.is_synthetic,
    )  # fmt: skip
    Contractor.objects.filter(pk=contractor.pk).update(
        expiry_alerted_for=contractor.sucamec_expires_on
    )
    contractor.expiry_alerted_for = contractor.sucamec_expires_on
    return True


def assign_contractor_to_site(
    *, actor: Any, contractor: Any, site: Any, modality: str,
    starts_on: dt.date | None = None, ends_on: dt.date | None = None,
    today: dt.date | None = None,
) -> SiteAssignment:  # fmt: skip
    """Assign a registered contractor to a site for one modality it is authorised for.

    Refused (InvalidInput on ``modality``) for a service the law reserves to the State,
    an unknown modality, or one the SUCAMEC authorisation does not cover; an expired
    authorisation refuses every assignment and alerts the security manager.
    """
    require(actor, "manage_contractors", "assign contractors")
    record = visible(actor, Contractor, contractor, "contractor")
    if record is None or record.organisation_id != actor.organisation_id:
        raise InvalidInput(_("Register the contractor in your registry first."),
                           field="contractor")  # fmt: skip
    place = visible(actor, Site, site, "site")
    if place is None or place.organisation_id != actor.organisation_id:
        raise InvalidInput(_("Choose one of your sites."), field="site")
    if starts_on and ends_on and ends_on < starts_on:
        raise InvalidInput(_("The assignment cannot end before it starts."), field="ends_on")
    today = today or timezone.localdate()
    try:
        check_service(modality, authorised=set(record.modalities),
                      expires_on=record.sucamec_expires_on, today=today)  # fmt: skip
    except ServiceRefusedError as refusal:
        if refusal.rule == "expired":
            _alert_expired(record)
            raise InvalidInput(
                _("The SUCAMEC authorisation %(number)s of %(company)s expired on %(date)s: "
                  "no new assignment until it is renewed (D.Leg. 1213).")
                % {"number": record.sucamec_authorisation, "company": record.company.name,
                   "date": record.sucamec_expires_on.isoformat()}, field="contractor",
            ) from None  # fmt: skip
        raise InvalidInput(_refusal_message(refusal, modality, record), field="modality") from None
    from minewatch.geo.services import assign_contractor

    label = next(m.label_es for m in MODALITIES if m.code == modality)
    return assign_contractor(actor=actor, site=place, contractor=record.company, service=label,
                             modality=modality, starts_on=starts_on, ends_on=ends_on)  # fmt: skip


def _refusal_message(refusal: ServiceRefusedError, modality: str, record: Contractor) -> str:
    if refusal.rule == "prohibited":
        service = PROHIBITED_BY_CODE[modality]
        return _("%(service)s cannot be contracted from private security in Peru (%(law)s).") % {
            "service": service.label_es, "law": service.law}  # fmt: skip
    if refusal.rule == "unknown":
        return _("%(value)r is not a modality of D.Leg. 1213; one of: %(choices)s") % {
            "value": modality, "choices": ", ".join(sorted(MODALITY_CODES))}  # fmt: skip
    return _("The SUCAMEC authorisation of %(company)s does not cover %(value)r (it covers: "
             "%(covered)s; D.Leg. 1213).") % {"company": record.company.name, "value": modality,
                                              "covered": ", ".join(record.modalities)}  # fmt: skip


def check_expired_authorisations(now: dt.datetime | None = None) -> int:
    """Alert once for every registry entry whose SUCAMEC authorisation has expired."""
    today = timezone.localdate(now) if now else timezone.localdate()
    raised = 0
    for record in Contractor.objects.filter(sucamec_expires_on__lt=today).select_related("company"):
        raised += _alert_expired(record)
    return raised


def track_record(contractor: Contractor) -> dict[str, Any]:
    """What MineWatch knows of the contractor's work for this client, computed now.

    Incidents on the sites it is assigned to, its use-of-force reports and their findings,
    grievances about its personnel. Vetting compliance of its staff needs the people app,
    which is not installed yet: ``vetting`` is then ``None``.
    """
    from minewatch.incidents.models import Incident

    site_ids = list(SiteAssignment.objects.filter(
        contractor_id=contractor.company_id, site__organisation_id=contractor.organisation_id
    ).values_list("site_id", flat=True))  # fmt: skip
    reports = UseOfForceReport.objects.filter(organisation_id=contractor.organisation_id,
                                              contractor_id=contractor.company_id)  # fmt: skip
    grievances = Grievance.objects.filter(organisation_id=contractor.organisation_id,
                                          contractor_id=contractor.company_id)  # fmt: skip
    findings = {row["finding"] or "pending": row["n"]
                for row in reports.values("finding").annotate(n=Count("id"))}  # fmt: skip
    return {
        "sites": len(site_ids),
        "incidents_on_its_sites": Incident.objects.filter(site_id__in=site_ids).count(),
        "use_of_force_reports": reports.count(),
        "use_of_force_findings": findings,
        "firearm_discharges": reports.filter(force_level="firearm_discharged").count(),
        "late_reports": reports.filter(is_late=True).count(),
        "grievances": grievances.count(),
        "grievances_upheld": grievances.filter(outcome__in=["upheld", "partly_upheld"]).count(),
        "vetting": None,
    }
