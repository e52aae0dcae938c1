"""Grievances: public intake, liaison filing, the workflow, deadlines and their alerts.

ICoC paras 66–68: a grievance procedure open to third parties, with fair and timely
treatment, a record of the outcome and a way to appeal; the complainant is protected
from retaliation and their identity is kept to those who need it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minewatch.accountability.choices import (
    GrievanceCategory,
    GrievanceChannel,
    GrievanceOutcome,
    GrievanceStatus,
)
from minewatch.accountability.engine import workflow
from minewatch.accountability.engine.codes import new_tracking_code, normalise_tracking_code
from minewatch.accountability.engine.deadlines import add_working_days, is_past
from minewatch.accountability.models import Grievance, GrievanceStep, UseOfForceReport
from minewatch.accountability.services.common import (
    local_date,
    new_reference,
    peru_holidays,
    raise_accountability_alert,
    security_contractor,
    tunable,
)
from minewatch.core import audit
from minewatch.core.checks import organisation_id, require, visible
from minewatch.core.choices import AuditAction, OrganisationKind
from minewatch.core.errors import InvalidInput
from minewatch.core.events import Event, publish
from minewatch.core.models import Organisation, User
from minewatch.geo.models import Site

MAX_DESCRIPTION = 5000
LIAISON_CHANNELS = (GrievanceChannel.MEETING, GrievanceChannel.CALL, GrievanceChannel.LETTER)


def _clean_text(value: Any, field: str, *, required: bool = False, limit: int = 300) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput(_("This field is required."), field=field)
    if len(text) > limit:
        raise InvalidInput(_("At most %(n)d characters.") % {"n": limit}, field=field)
    return text


def _clean_common(values: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The what/where/when and identity of a grievance, checked; errors name the field."""
    category = values.get("category")
    if category not in GrievanceCategory.values:
        raise InvalidInput(
            _("Unknown category %(value)r; one of %(choices)s")
            % {"value": category, "choices": ", ".join(GrievanceCategory.values)},
            field="category",
        )
    clean: dict[str, Any] = {"category": category}
    clean["description"] = _clean_text(values.get("description"), "description", required=True,
                                        limit=MAX_DESCRIPTION)  # fmt: skip
    clean["place_name"] = _clean_text(values.get("place_name"), "place_name")
    lat, lon = values.get("lat"), values.get("lon")
    if (lat in (None, "")) != (lon in (None, "")):
        raise InvalidInput(_("Give both latitude and longitude, or neither."), field="lat")
    if lat not in (None, ""):
        from minewatch.geo.services import validated_point

        clean["lat"], clean["lon"] = validated_point(lat, lon)
    else:
        clean["lat"] = clean["lon"] = None
    if not clean["place_name"] and clean["lat"] is None:
        raise InvalidInput(_("Say where it happened: a place name or a point on the map."),
                           field="place_name")  # fmt: skip
    occurred_on = values.get("occurred_on")
    if occurred_on not in (None, "") and not isinstance(occurred_on, dt.date):
        raise InvalidInput(_("Enter a valid date."), field="occurred_on")
    if occurred_on and occurred_on > local_date(now):
        raise InvalidInput(_("The date cannot be in the future."), field="occurred_on")
    clean["occurred_on"] = occurred_on or None
    clean["occurred_when"] = _clean_text(values.get("occurred_when"), "occurred_when", limit=200)
    clean["complainant_name"] = _clean_text(values.get("complainant_name"), "complainant_name",
                                            limit=200)  # fmt: skip
    clean["complainant_contact"] = _clean_text(values.get("complainant_contact"),
                                               "complainant_contact", limit=200)  # fmt: skip
    clean["is_anonymous"] = not (clean["complainant_name"] or clean["complainant_contact"])
    return clean


def _store_photo(photo: BinaryIO | None) -> dict[str, Any]:
    """Sniff and keep a photo in the evidence store (by content hash); errors name 'photo'."""
    if photo is None:
        return {}
    from minewatch.evidence.engine.sniff import ContentRefusedError, check_kind_allowed, sniff_file
    from minewatch.evidence.engine.store import BlobTooLargeError
    from minewatch.evidence.storage import get_store, max_upload_bytes

    limit = max_upload_bytes()
    try:
        photo.seek(0)
        sniffed = check_kind_allowed("photo", sniff_file(photo))
        photo.seek(0)
        blob = get_store().put_stream(photo, max_bytes=limit)
    except (ContentRefusedError, BlobTooLargeError) as error:
        raise InvalidInput(
            _("Photo refused: %(error)s") % {"error": error}, field="photo"
        ) from None
    if blob.size_bytes == 0:
        raise InvalidInput(_("The photo is empty."), field="photo")
    return {"photo_sha256": blob.sha256, "photo_content_type": sniffed.mime,
            "photo_size_bytes": blob.size_bytes}  # fmt: skip


def _step(grievance: Grievance, actor: Any, note: str, at: dt.datetime) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    GrievanceStep.objects.create(grievance=grievance, status=grievance.status, note=note,
                                 actor=user, at=at)  # fmt: skip


def _publish(grievance: Grievance, name: str) -> None:
    # No identity and no description in the event: the live stream reaches every role.
    publish(Event(name, grievance.organisation_id, {
        "id": grievance.pk, "reference": grievance.reference, "status": grievance.status,
        "category": grievance.category,
    }))  # fmt: skip


def _create(values: dict[str, Any], *, actor: Any, now: dt.datetime, note: str) -> Grievance:
    received = local_date(now)
    due = add_working_days(received, int(tunable("grievance_acknowledge_days")),
                           peru_holidays(received))  # fmt: skip
    for _attempt in range(5):  # a tracking code collision is astronomically rare; retry
        try:
            with transaction.atomic():
                grievance = Grievance(
                    reference=new_reference("GRV", now), tracking_code=new_tracking_code(),
                    received_at=now, acknowledge_due_on=due, status=GrievanceStatus.RECEIVED,
                    filed_by=actor if getattr(actor, "is_authenticated", False) else None,
                    **values,
                )  # fmt: skip
                grievance.full_clean()
                grievance.save()
                _step(grievance, actor, note, now)
                audit.record(actor=actor, action=AuditAction.CREATE, instance=grievance,
                             after=audit.snapshot(grievance))  # fmt: skip
                _publish(grievance, "grievance.received")
                return grievance
        except IntegrityError:
            continue
    raise InvalidInput("could not allocate a tracking code; try again", field="tracking_code")


def accepting_organisations() -> Any:
    """Organisations the public form offers: the mining companies."""
    return Organisation.objects.filter(kind=OrganisationKind.MINING_COMPANY).order_by("name")


def submit_public_grievance(
    *, organisation: Any, photo: BinaryIO | None = None, language: str = "es",
    now: dt.datetime | None = None, is_synthetic: bool = False, **values: Any,
) -> Grievance:  # fmt: skip
    """A neighbour's grievance from the public form (no login). Returns it with its tracking code.

    ``values``: category, description, place_name, lat, lon, occurred_on, occurred_when,
    complainant_name, complainant_contact (both optional: anonymous without them).
    """
    now = now or timezone.now()
    org = accepting_organisations().filter(pk=getattr(organisation, "pk", organisation)).first()
    if org is None:
        raise InvalidInput(_("Choose the mining operation the grievance is about."),
                           field="organisation")  # fmt: skip
    unknown = set(values) - {"category", "description", "place_name", "lat", "lon",
                             "occurred_on", "occurred_when", "complainant_name",
                             "complainant_contact"}  # fmt: skip
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    clean = _clean_common(values, now)
    clean.update(_store_photo(photo))
    clean.update(organisation=org, channel=GrievanceChannel.PUBLIC_FORM,
                 language="en" if str(language).startswith("en") else "es",
                 is_synthetic=is_synthetic)  # fmt: skip
    return _create(clean, actor=None, now=now, note="")


def _clean_links(actor: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Contractor, personnel, use-of-force report and site, checked against what the actor sees."""
    clean: dict[str, Any] = {}
    if "contractor" in values:
        clean["contractor"] = security_contractor(values["contractor"])
    if "personnel" in values:
        clean["personnel"] = _clean_text(values["personnel"], "personnel")
    if "use_of_force_report" in values:
        clean["use_of_force_report"] = visible(actor, UseOfForceReport,
                                               values["use_of_force_report"], "use_of_force_report")  # fmt: skip
    if "site" in values:
        clean["site"] = visible(actor, Site, values["site"], "site")
    return clean


def file_grievance(
    *, actor: Any, channel: str, now: dt.datetime | None = None,
    non_retaliation_noted: bool = False, is_synthetic: bool = False,
    received_at: dt.datetime | None = None, **values: Any,
) -> Grievance:  # fmt: skip
    """The liaison records a grievance heard at a meeting, by phone or in a letter."""
    require(actor, "community", "file grievances")
    now = now or timezone.now()
    if channel not in LIAISON_CHANNELS:
        raise InvalidInput(
            _("Unknown channel %(value)r; one of %(choices)s")
            % {"value": channel, "choices": ", ".join(LIAISON_CHANNELS)}, field="channel",
        )  # fmt: skip
    link_names = {"contractor", "personnel", "use_of_force_report", "site"}
    links = _clean_links(actor, {k: v for k, v in values.items() if k in link_names})
    clean = _clean_common({k: v for k, v in values.items() if k not in link_names}, now)
    at = received_at or now
    if at > now + dt.timedelta(seconds=int(tunable("clock_skew_s"))):
        raise InvalidInput(_("Cannot be in the future."), field="received_at")
    clean.update(links, organisation_id=organisation_id(actor), channel=channel,
                 non_retaliation_noted=bool(non_retaliation_noted), is_synthetic=is_synthetic)  # fmt: skip
    return _create(clean, actor=actor, now=at, note=GrievanceChannel(channel).label)


def update_grievance_links(grievance: Grievance, *, actor: Any, **values: Any) -> Grievance:
    """The liaison links a grievance to a contractor, the personnel, a use-of-force report, a site."""
    require(actor, "community", "change grievances")
    _own(actor, grievance)
    if "category" in values and values["category"] not in GrievanceCategory.values:
        raise InvalidInput(_("Unknown category %(value)r") % {"value": values["category"]},
                           field="category")  # fmt: skip
    clean = _clean_links(actor, values)
    if "category" in values:
        clean["category"] = values["category"]
    if "non_retaliation_noted" in values:
        clean["non_retaliation_noted"] = bool(values["non_retaliation_noted"])
    with transaction.atomic():
        locked = Grievance.objects.select_for_update().get(pk=grievance.pk)
        before = audit.snapshot(locked)
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked))  # fmt: skip
    return locked


def _own(actor: Any, grievance: Grievance) -> None:
    """Only the owning organisation works a grievance (a contractor only reads it)."""
    if (
        not getattr(actor, "is_superuser", False)
        and actor.organisation_id != grievance.organisation_id
    ):
        raise InvalidInput(_("Only the organisation that received the grievance can change it."),
                           field="organisation")  # fmt: skip


APPEAL_RULE = gettext_lazy(
    "Only a grievance that has been answered (status 'response given' or 'closed') can be "
    "appealed (ICoC para 67: the complainant may appeal the outcome)."
)


def _transition(grievance: Grievance, target: str, *, actor: Any, note: str,
                now: dt.datetime, changes: dict[str, Any]) -> Grievance:  # fmt: skip
    require(actor, "community", "work grievances")
    _own(actor, grievance)
    with transaction.atomic():
        locked = Grievance.objects.select_for_update().get(pk=grievance.pk)
        try:
            workflow.check_transition(locked.status, target)
        except ValueError:
            message = APPEAL_RULE if target == GrievanceStatus.APPEALED else _(
                "A grievance in status '%(current)s' cannot become '%(target)s'."
            ) % {"current": locked.get_status_display(),
                 "target": GrievanceStatus(target).label}  # fmt: skip
            raise InvalidInput(str(message), field="status") from None
        before = audit.snapshot(locked)
        locked.status = target
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        _step(locked, actor, note, now)
        audit.record(actor=actor, action=AuditAction.TRANSITION, instance=locked, before=before,
                     after=audit.snapshot(locked), note=note[:500])  # fmt: skip
        _publish(locked, f"grievance.{target}")
    return locked


def _response_due(now: dt.datetime) -> dt.date:
    today = local_date(now)
    return add_working_days(today, int(tunable("grievance_response_days")), peru_holidays(today))


def acknowledge_grievance(grievance: Grievance, *, actor: Any, note: str = "",
                          now: dt.datetime | None = None) -> Grievance:  # fmt: skip
    """Tell the complainant it was received; the response deadline starts."""
    now = now or timezone.now()
    return _transition(grievance, GrievanceStatus.ACKNOWLEDGED, actor=actor, note=note, now=now,
                       changes={"acknowledged_at": now, "response_due_on": _response_due(now)})  # fmt: skip


def assign_grievance(grievance: Grievance, *, actor: Any, assignee: Any, note: str = "",
                     now: dt.datetime | None = None) -> Grievance:  # fmt: skip
    """Put it under review by someone of the organisation (again, after an appeal)."""
    now = now or timezone.now()
    pk = getattr(assignee, "pk", assignee)
    person = User.objects.filter(pk=pk, organisation_id=grievance.organisation_id,
                                 is_active=True).first() if pk not in (None, "") else None  # fmt: skip
    if person is None:
        raise InvalidInput(_("Choose a person of your organisation."), field="assigned_to")
    changes: dict[str, Any] = {"assigned_to": person}
    if grievance.status == GrievanceStatus.APPEALED:
        changes["response_due_on"] = _response_due(now)
    return _transition(grievance, GrievanceStatus.UNDER_REVIEW, actor=actor, note=note, now=now,
                       changes=changes)  # fmt: skip


def respond_to_grievance(
    grievance: Grievance, *, actor: Any, response: str, outcome: str, remedy: str = "",
    now: dt.datetime | None = None,
) -> Grievance:  # fmt: skip
    """Record the response given to the complainant, its outcome and the remedy."""
    now = now or timezone.now()
    text = _clean_text(response, "response", required=True, limit=MAX_DESCRIPTION)
    if outcome not in GrievanceOutcome.values:
        raise InvalidInput(_("Unknown outcome %(value)r; one of %(choices)s") % {
            "value": outcome, "choices": ", ".join(GrievanceOutcome.values)}, field="outcome")  # fmt: skip
    return _transition(grievance, GrievanceStatus.RESPONSE_GIVEN, actor=actor, note="", now=now,
                       changes={"response": text, "outcome": outcome,
                                "remedy": _clean_text(remedy, "remedy", limit=MAX_DESCRIPTION),
                                "responded_at": now})  # fmt: skip


def close_grievance(grievance: Grievance, *, actor: Any, note: str = "",
                    now: dt.datetime | None = None) -> Grievance:  # fmt: skip
    """Close it (after the response, or withdrawn after acknowledgement)."""
    now = now or timezone.now()
    changes: dict[str, Any] = {"closed_at": now}
    if grievance.status == GrievanceStatus.ACKNOWLEDGED:
        changes["outcome"] = GrievanceOutcome.WITHDRAWN
    return _transition(grievance, GrievanceStatus.CLOSED, actor=actor, note=note, now=now,
                       changes=changes)  # fmt: skip


def appeal_grievance(grievance: Grievance, *, actor: Any, reason: str,
                     now: dt.datetime | None = None) -> Grievance:  # fmt: skip
    """The complainant appeals the outcome (recorded by the liaison): it is reviewed again,
    with a new response deadline counted from the appeal."""
    now = now or timezone.now()
    text = _clean_text(reason, "appeal_reason", required=True, limit=MAX_DESCRIPTION)
    return _transition(grievance, GrievanceStatus.APPEALED, actor=actor, note=text, now=now,
                       changes={"appeal_reason": text, "appealed_at": now, "closed_at": None,
                                "response_due_on": _response_due(now)})  # fmt: skip


def find_by_tracking_code(raw: str) -> Grievance | None:
    """The grievance with this code (for the public status page), or None."""
    code = normalise_tracking_code(raw)
    return Grievance.objects.filter(tracking_code=code).first() if code else None


def missed_deadlines(grievance: Grievance, today: dt.date) -> list[str]:
    """Keys of the deadlines this grievance has missed (``acknowledge:<date>``, ``respond:<date>``)."""
    missed = []
    if grievance.status == GrievanceStatus.RECEIVED and is_past(
        grievance.acknowledge_due_on, today
    ):
        missed.append(f"acknowledge:{grievance.acknowledge_due_on.isoformat()}")
    waiting = (GrievanceStatus.ACKNOWLEDGED, GrievanceStatus.UNDER_REVIEW, GrievanceStatus.APPEALED)
    if grievance.status in waiting and is_past(grievance.response_due_on, today):
        missed.append(f"respond:{grievance.response_due_on.isoformat()}")
    return missed


def check_grievance_deadlines(now: dt.datetime | None = None) -> int:
    """Alert the security manager (the liaison's manager) once per missed deadline.

    Run by the alerts worker's periodic checks and ``minewatch accountability check``.
    Returns how many deadlines were newly reported.
    """
    now = now or timezone.now()
    today = local_date(now)
    reported = 0
    candidates = Grievance.objects.filter(status__in=workflow.OPEN_STATUSES)
    for grievance in candidates.iterator():
        new = [
            key
            for key in missed_deadlines(grievance, today)
            if key not in grievance.overdue_alerted
        ]
        for key in new:
            step, due = key.split(":", 1)
            what = _("acknowledge") if step == "acknowledge" else _("respond to")
            raise_accountability_alert(
                organisation_id=grievance.organisation_id,
                kind="accountability.grievance_overdue", severity=3,
                title=_("Grievance %(reference)s: deadline to %(what)s it passed on %(due)s") % {
                    "reference": grievance.reference, "what": what, "due": due},
                description=_("Category: %(category)s. Status: %(status)s.") % {
                    "category": grievance.get_category_display(),
                    "status": grievance.get_status_display()},
                subject_type="grievance", subject_key=f"{grievance.reference}:{key}",
                is_synthetic=grievance.is_synthetic,
            )  # fmt: skip
            reported += 1
        if new:
            Grievance.objects.filter(pk=grievance.pk).update(
                overdue_alerted=[*grievance.overdue_alerted, *new]
            )
    return reported
