"""Every write of the people app: settings, personnel and their records, access events."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date as _parse_date
from django.utils.dateparse import parse_datetime as _parse_datetime
from django.utils.dateparse import parse_time as _parse_time
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minewatch.core import audit, crypto
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.events import Event, publish_many
from minewatch.core.models import Organisation
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict, visibility_key
from minewatch.geo.choices import SiteKind
from minewatch.geo.models import Site, SiteAssignment
from minewatch.people import facts, validation
from minewatch.people.choices import (
    AccessResult,
    AnomalyKind,
    CredentialKind,
    Direction,
    LocalHireAction,
    PersonRole,
    PersonStatus,
    TrainingKind,
    VettingKind,
    VettingResult,
)
from minewatch.people.engine import anomalies as anomaly_engine
from minewatch.people.engine import expiry as expiry_engine
from minewatch.people.engine import localhire
from minewatch.people.models import (
    AccessAnomaly,
    AccessEvent,
    Assignment,
    Credential,
    Licence,
    PeopleSettings,
    Person,
    TrainingRecord,
    VettingRecord,
)


def _lenient(parser: Any) -> Any:
    """Django's parser, with a well-formed but impossible value (month 13) read as None."""

    def parse(value: str) -> Any:
        try:
            return parser(value)
        except ValueError:
            return None

    return parse


parse_date, parse_datetime, parse_time = (_lenient(_parse_date), _lenient(_parse_datetime),
                                          _lenient(_parse_time))  # fmt: skip

# Severity (1..5) of each anomaly as a detection for the alert rules.
ANOMALY_SEVERITY = {
    anomaly_engine.NOT_CLEARED: 4, anomaly_engine.UNKNOWN_CREDENTIAL: 3,
    anomaly_engine.NOT_ASSIGNED: 3, anomaly_engine.ANTI_PASSBACK: 3,
    anomaly_engine.OUTSIDE_SHIFT: 2, anomaly_engine.REVOKED_CREDENTIAL: 4,
    anomaly_engine.EXPIRED_CREDENTIAL: 3, anomaly_engine.REPEATED_DENIALS: 3,
    anomaly_engine.UNPLANNED_VEHICLE: 3, anomaly_engine.AFTER_HOURS_MAGAZINE: 4,
}  # fmt: skip


def _require(actor: Any, capability: str, what: str) -> None:
    if not has_capability(actor, capability):
        raise NotAllowed(_("your role cannot %(what)s") % {"what": what}, field="role")


def _organisation_id(actor: Any) -> int:
    if getattr(actor, "organisation_id", None) is None:
        raise InvalidInput(_("your user belongs to no organisation"), field="organisation")
    return actor.organisation_id


def _saved(instance: models.Model, *, actor: Any, before: dict[str, Any] | None,
           organisation_id: int | None = None) -> None:  # fmt: skip
    instance.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=instance, before=before, after=audit.snapshot(instance),
                 organisation_id=organisation_id)  # fmt: skip


def _date(value: Any, field_name: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("a date is required"), field=field_name)
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parsed = parse_date(str(value)) if isinstance(value, str) else None
    if parsed is None:
        raise InvalidInput(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": value},
                           field=field_name)  # fmt: skip
    return parsed


def _time(value: Any, field_name: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    parsed = parse_time(str(value)) if isinstance(value, str) else None
    if parsed is None:
        raise InvalidInput(_("%(value)r is not a time (HH:MM)") % {"value": value},
                           field=field_name)  # fmt: skip
    return parsed


@functools.cache
def _values_of(choices: type[models.TextChoices]) -> frozenset[str]:
    return frozenset(choices.values)  # (``.values`` builds a list each time: once per event)


def _choice(value: Any, choices: type[models.TextChoices], field_name: str) -> str:
    if not isinstance(value, str) or value not in _values_of(choices):
        raise InvalidInput(
            _("%(value)r is not one of %(choices)s") % {"value": value,
                                                        "choices": ", ".join(choices.values)},
            field=field_name,
        )  # fmt: skip
    return str(value)


def _expiry_after(start: dt.date, expires_on: dt.date | None, field_name: str) -> None:
    if expires_on is not None and expires_on < start:
        raise InvalidInput(_("the expiry is before the issue date"), field=field_name)


# --- settings ---------------------------------------------------------------------------------


def settings_for(organisation_id: int) -> PeopleSettings:
    """The organisation's people settings (defaults until a manager changes them)."""
    found = PeopleSettings.objects.filter(organisation_id=organisation_id).first()
    return found or PeopleSettings(organisation_id=organisation_id)


def _role_kinds(value: Any, kinds: type[models.TextChoices], field_name: str) -> dict[str, list]:
    if not isinstance(value, Mapping):
        raise InvalidInput(_("give a mapping of role to kinds"), field=field_name)
    clean = {}
    for role, items in value.items():
        _choice(role, PersonRole, field_name)
        if not isinstance(items, list | tuple):
            raise InvalidInput(_("give a list of kinds for %(role)s") % {"role": role},
                               field=field_name)  # fmt: skip
        clean[role] = [_choice(k, kinds, field_name) for k in items]
    return clean


def _whole(value: Any, field_name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(_("a whole number between %(low)s and %(high)s") % {
            "low": low, "high": high}, field=field_name)  # fmt: skip
    return value


def _site_districts(actor: Any, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidInput(_("give a mapping of site id to district UBIGEO"),
                           field="site_districts")  # fmt: skip
    clean = {}
    own = set(
        Site.objects.filter(organisation_id=actor.organisation_id).values_list("pk", flat=True)
    )
    for key, ubigeo in value.items():
        try:
            site_id = int(key)
        except (TypeError, ValueError):
            site_id = None
        if site_id not in own:
            raise InvalidInput(_("unknown site %(pk)r") % {"pk": key}, field="site_districts")
        if not isinstance(ubigeo, str) or not validation.UBIGEO.fullmatch(ubigeo):
            raise InvalidInput(_("a UBIGEO is 6 digits, e.g. 130801"), field="site_districts")
        clean[str(site_id)] = ubigeo
    return clean


def _apply_more_settings(actor: Any, current: PeopleSettings, more: Mapping[str, Any]) -> None:
    """The expiry, hire-from-outside, denial and magazine settings."""
    if more.get("expiry_alert_days") is not None:
        try:
            current.expiry_alert_days = expiry_engine.check_thresholds(more["expiry_alert_days"])
        except ValueError as problem:
            raise InvalidInput(str(problem), field="expiry_alert_days") from None
    if more.get("local_hire_action") is not None:
        current.local_hire_action = _choice(more["local_hire_action"], LocalHireAction,
                                            "local_hire_action")  # fmt: skip
    if more.get("local_hire_km") is not None:
        current.local_hire_km = _whole(more["local_hire_km"], "local_hire_km", 0, 1000)
    if more.get("site_districts") is not None:
        current.site_districts = _site_districts(actor, more["site_districts"])
    if more.get("denial_limit") is not None:
        current.denial_limit = _whole(more["denial_limit"], "denial_limit", 0, 100)
    if more.get("denial_window_min") is not None:
        current.denial_window_min = _whole(more["denial_window_min"], "denial_window_min", 1,
                                           1440)  # fmt: skip
    for name in ("magazine_opens", "magazine_closes"):
        if more.get(name) is not None:
            setattr(current, name, _time(more[name], name))
    for name in RETENTION_SETTINGS:  # 0: kept
        if more.get(name) is not None:
            setattr(current, name, _whole(more[name], name, 0, RETENTION_MAX_DAYS))


RETENTION_SETTINGS = ("retention_access_events_days", "retention_visitors_days",
                      "retention_vetting_of_leavers_days", "retention_leavers_days")  # fmt: skip
RETENTION_MAX_DAYS = 36_500
MORE_SETTINGS = ("expiry_alert_days", "local_hire_action", "local_hire_km", "site_districts",
                 "denial_limit", "denial_window_min", "magazine_opens", "magazine_closes",
                 *RETENTION_SETTINGS)  # fmt: skip


@transaction.atomic
def save_settings(
    *, actor: Any, required_vetting: Any = None, required_training: Any = None,
    validity_days: Any = None, warn_days: Any = None, **more: Any,
) -> PeopleSettings:  # fmt: skip
    """Change what each role needs and for how long each check is valid (managers)."""
    _require(actor, "manage_people", "change the people settings")
    unknown = set(more) - set(MORE_SETTINGS)
    if unknown:
        raise InvalidInput(_("unknown field(s): %(f)s") % {"f": sorted(unknown)},
                           field=sorted(unknown)[0])  # fmt: skip
    current = settings_for(_organisation_id(actor))
    before = audit.snapshot(current) if current.pk else None
    if required_vetting is not None:
        current.required_vetting = _role_kinds(required_vetting, VettingKind, "required_vetting")
    if required_training is not None:
        current.required_training = _role_kinds(required_training, TrainingKind,
                                                 "required_training")  # fmt: skip
    if validity_days is not None:
        if not isinstance(validity_days, Mapping):
            raise InvalidInput(_("give a mapping of kind to days"), field="validity_days")
        known = {*VettingKind.values, *TrainingKind.values}
        for kind, days in validity_days.items():
            if kind not in known:
                raise InvalidInput(_("unknown kind %(kind)r") % {"kind": kind},
                                   field="validity_days")  # fmt: skip
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                raise InvalidInput(_("validity must be a whole number of days of at least 1"),
                                   field="validity_days")  # fmt: skip
        current.validity_days = dict(validity_days)
    if warn_days is not None:
        if (
            not isinstance(warn_days, int)
            or isinstance(warn_days, bool)
            or not 0 <= warn_days <= 365
        ):
            raise InvalidInput(_("between 0 and 365 days"), field="warn_days")
        current.warn_days = warn_days
    _apply_more_settings(actor, current, more)
    _saved(current, actor=actor, before=before)
    return current


# --- personnel --------------------------------------------------------------------------------


def allowed_employers(organisation_id: int) -> models.QuerySet:
    """The company itself and every contractor assigned to one of its sites."""
    contractors = SiteAssignment.objects.filter(
        site__organisation_id=organisation_id, is_active=True
    ).values("contractor_id")
    return Organisation.objects.filter(Q(pk=organisation_id) | Q(pk__in=contractors))


PERSON_FIELDS = ("name", "document_type", "document_number", "badge_number", "role", "employer",
                 "home_ubigeo", "home_lat", "home_lon", "phone", "status",
                 "is_synthetic")  # fmt: skip


def _home_point(data: Mapping[str, Any]) -> tuple[float | None, float | None]:
    lat, lon = data.get("home_lat"), data.get("home_lon")
    if lat in (None, "") and lon in (None, ""):
        return None, None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise InvalidInput(
            _("give both the latitude and longitude of the home district"),
            field="home_lat" if lat in (None, "") else "home_lon",
        ) from None
    if not -90 <= lat <= 90:
        raise InvalidInput(_("a latitude is between -90 and 90"), field="home_lat")
    if not -180 <= lon <= 180:
        raise InvalidInput(_("a longitude is between -180 and 180"), field="home_lon")
    return lat, lon


@transaction.atomic
def save_person(*, actor: Any, person: Person | None = None, **values: Any) -> Person:
    """Create or update a person of the actor's company (managers only)."""
    _require(actor, "manage_people", "manage personnel")
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise InvalidInput(_("unknown field(s): %(f)s") % {"f": sorted(unknown)},
                           field=sorted(unknown)[0])  # fmt: skip
    org_id = _organisation_id(actor)
    if person is not None and person.organisation_id != org_id:
        raise NotAllowed(_("only the company that owns a person's record changes it"))
    current = {k: getattr(person, k) for k in PERSON_FIELDS} if person else {}
    data = {**current, **values}
    name = str(data.get("name") or "").strip()
    if not name:
        raise InvalidInput(_("a name is required"), field="name")
    document_type = data.get("document_type") or "dni"
    number = validation.check_document(document_type, data.get("document_number") or "")
    role = _choice(data.get("role"), PersonRole, "role")
    status = _choice(data.get("status") or PersonStatus.ACTIVE, PersonStatus, "status")
    employer = data.get("employer")
    employer_id = getattr(employer, "pk", employer) or org_id
    if not allowed_employers(org_id).filter(pk=employer_id).exists():
        raise InvalidInput(_("the employer must be your company or a contractor assigned to one "
                             "of its sites"), field="employer")  # fmt: skip
    badge = validation.lookup_key(data.get("badge_number") or "")
    clashes = Person.objects.filter(organisation_id=org_id).exclude(pk=getattr(person, "pk", None))
    if clashes.filter(document_type=document_type, document_number=number[:8] if document_type ==
                      "dni" else number).exists():  # fmt: skip
        raise InvalidInput(_("a person with this document is already registered"),
                           field="document_number")  # fmt: skip
    if badge and clashes.filter(badge_number=badge).exists():
        raise InvalidInput(_("this badge is already issued to someone else"), field="badge_number")
    before = audit.snapshot(person) if person else None
    person = person or Person(organisation_id=org_id)
    person.name, person.document_type, person.role, person.status = (
        name,
        document_type,
        role,
        status,
    )
    person.document_number = number[:8] if document_type == "dni" else number
    person.badge_number, person.employer_id = badge, employer_id
    person.home_ubigeo = validation.check_ubigeo(data.get("home_ubigeo") or "")
    person.phone = validation.check_phone(data.get("phone") or "")
    person.home_lat, person.home_lon = _home_point(data)
    person.is_synthetic = bool(data.get("is_synthetic"))
    if status != PersonStatus.LEFT:
        person.left_at = None
    elif person.left_at is None:
        person.left_at = timezone.now()
    _saved(person, actor=actor, before=before)
    return person


def _own_person(actor: Any, person: Any) -> Person:
    _require(actor, "manage_people", "manage personnel")
    pk = getattr(person, "pk", person)
    found = restrict(Person.objects.filter(pk=pk), actor).first()
    if found is None or found.organisation_id != actor.organisation_id:
        raise InvalidInput(_("unknown person %(pk)r") % {"pk": pk}, field="person")
    return found


@transaction.atomic
def add_vetting(
    *, actor: Any, person: Any, kind: str, date: Any, result: str, issuing_body: str = "",
    document_number: str = "", reviewer: str = "", expires_on: Any = None,
) -> VettingRecord:  # fmt: skip
    person = _own_person(actor, person)
    on = _date(date, "date")
    until = _date(expires_on, "expires_on", required=False)
    _expiry_after(on, until, "expires_on")
    record = VettingRecord(
        person=person, kind=_choice(kind, VettingKind, "kind"), date=on,
        result=_choice(result, VettingResult, "result"), issuing_body=issuing_body.strip(),
        document_number=document_number.strip(), reviewer=reviewer.strip(), expires_on=until,
    )  # fmt: skip
    _saved(record, actor=actor, before=None, organisation_id=person.organisation_id)
    return record


@transaction.atomic
def add_licence(
    *, actor: Any, person: Any, number: str, issued_on: Any, expires_on: Any,
    category: str = "", armed: bool = False,
) -> Licence:  # fmt: skip
    person = _own_person(actor, person)
    if not (number or "").strip():
        raise InvalidInput(_("the licence number is required"), field="number")
    on = _date(issued_on, "issued_on")
    until = _date(expires_on, "expires_on")
    _expiry_after(on, until, "expires_on")
    record = Licence(person=person, number=number.strip(), category=category.strip(),
                     issued_on=on, expires_on=until, armed=bool(armed))  # fmt: skip
    _saved(record, actor=actor, before=None, organisation_id=person.organisation_id)
    return record


@transaction.atomic
def add_training(
    *, actor: Any, person: Any, kind: str, date: Any, provider: str = "", hours: Any = 0,
    expires_on: Any = None,
) -> TrainingRecord:  # fmt: skip
    person = _own_person(actor, person)
    on = _date(date, "date")
    until = _date(expires_on, "expires_on", required=False)
    _expiry_after(on, until, "expires_on")
    try:
        hours = float(hours or 0)
    except (TypeError, ValueError):
        raise InvalidInput(_("hours must be a number"), field="hours") from None
    if not 0 <= hours <= 999:
        raise InvalidInput(_("hours must be between 0 and 999"), field="hours")
    record = TrainingRecord(person=person, kind=_choice(kind, TrainingKind, "kind"), date=on,
                            provider=provider.strip(), hours=round(hours, 1),
                            expires_on=until)  # fmt: skip
    _saved(record, actor=actor, before=None, organisation_id=person.organisation_id)
    return record


@transaction.atomic
def assign(*, actor: Any, person: Any, site: Any, shift_start: Any, shift_end: Any) -> Assignment:
    """Post a person to one of the company's sites on a shift."""
    person = _own_person(actor, person)
    pk = getattr(site, "pk", site)
    site = Site.objects.filter(pk=pk, organisation_id=person.organisation_id).first()
    if site is None:
        raise InvalidInput(_("unknown site %(pk)r") % {"pk": pk}, field="site")
    start, end = _time(shift_start, "shift_start"), _time(shift_end, "shift_end")
    if start == end:
        raise InvalidInput(_("a shift cannot start and end at the same time"), field="shift_end")
    config = settings_for(person.organisation_id)
    local = local_hire_reason(person, site, config)
    if local and config.local_hire_action == LocalHireAction.REFUSE:
        raise InvalidInput(_("%(name)s lives near this site (%(why)s); the company's "
                             "hire-from-outside rule refuses the assignment") % {
            "name": person.name, "why": LOCAL_HIRE_REASONS[local]}, field="site")  # fmt: skip
    record = Assignment(person=person, site=site, shift_start=start, shift_end=end,
                        local_hire=local or "")  # fmt: skip
    _saved(record, actor=actor, before=None, organisation_id=person.organisation_id)
    return record


LOCAL_HIRE_REASONS = {
    localhire.SAME_PROVINCE: gettext_lazy("home district in the site's province"),
    localhire.WITHIN_DISTANCE: gettext_lazy(
        "home district within the distance set for local hires"
    ),
}


def local_hire_reason(person: Person, site: Site, config: PeopleSettings) -> str | None:
    """Why ``person`` counts as hired locally for ``site`` under the company's rule (None: no).

    The site's district is the one set for it in the people settings, else its parent's.
    """
    if config.local_hire_action == LocalHireAction.OFF:
        return None
    districts = config.site_districts or {}
    site_ubigeo = districts.get(str(site.pk)) or districts.get(str(site.parent_id)) or ""
    home = (person.home_lat, person.home_lon) if person.home_lat is not None else None
    return localhire.local_hire(home_ubigeo=person.home_ubigeo, home=home,
                                site_ubigeo=site_ubigeo, site=(site.lat, site.lon),
                                max_km=config.local_hire_km)  # fmt: skip


# --- personal data (Ley 29733) -----------------------------------------------------------------


def _rows(queryset: Any, fields: Iterable[str]) -> list[dict[str, Any]]:
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else
                 float(v) if isinstance(v, Decimal) else v) for k, v in row.items()}
            for row in queryset.values(*fields)]  # fmt: skip


def export_person(*, actor: Any, person: Any) -> dict[str, Any]:
    """Everything MineWatch holds on one person, as JSON-ready data (audited)."""
    _require(actor, "see_personal_data", "export personal data")
    pk = getattr(person, "pk", person)
    found = restrict(Person.objects.filter(pk=pk), actor).first()
    if found is None:
        raise InvalidInput(_("unknown person %(pk)r") % {"pk": pk}, field="person")
    from minewatch.people.models import TripPassenger, Visitor

    data = {
        "person": _rows(Person.objects.filter(pk=found.pk), [
            "id", "name", "document_type", "document_number", "badge_number", "role",
            "employer__name", "home_ubigeo", "home_lat", "home_lon", "phone", "status",
            "photo_sha256", "legal_hold", "anonymised_at", "created_at", "updated_at"])[0],
        "vetting": _rows(found.vetting.all(), ["kind", "date", "issuing_body", "document_number",
                                               "result", "reviewer", "expires_on"]),
        "licences": _rows(found.licences.all(), ["number", "category", "issued_on", "expires_on",
                                                 "armed"]),
        "training": _rows(found.training.all(), ["kind", "date", "provider", "hours",
                                                 "expires_on"]),
        "assignments": _rows(found.assignments.all(), ["site__name", "shift_start", "shift_end",
                                                       "is_active", "local_hire"]),
        "credentials": _rows(found.credentials.all(), ["kind", "value", "valid_from",
                                                       "valid_until", "revoked_at",
                                                       "revoked_reason"]),
        "access_events": _rows(found.access_events.all(), ["occurred_at", "access_point__name",
                                                           "direction", "credential", "result"]),
        "trips": _rows(TripPassenger.objects.filter(person=found), ["trip__reference",
                                                                    "boarded_at", "arrived_at"]),
        "hosted_visitors": _rows(Visitor.objects.filter(host=found), ["name", "checked_in_at"]),
    }  # fmt: skip
    audit.record(actor=actor, action=AuditAction.ACCESS, instance=found,
                 note="personal data export", organisation_id=found.organisation_id)  # fmt: skip
    return data


@transaction.atomic
def anonymise_person(*, actor: Any, person: Any, reason: str) -> Person:
    """Erase what identifies the person (Ley 29733), keeping the counts the records feed.

    Refused while a legal hold is on. Name, document, badge, phone, home, photo, the
    numbers and reviewers of their checks and the credentials they used are replaced or
    removed; the change is audited with the reason.
    """
    _require(actor, "see_personal_data", "anonymise personal data")
    found = _own_person(actor, person)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("say why the data is anonymised"), field="reason")
    return erase_person(found, actor=actor, note=f"anonymised: {reason[:200]}")


def erase_person(found: Person, *, actor: Any, note: str) -> Person:
    """Anonymise ``found`` (no permission check: callers check); audited with ``note``.

    ``anonymise_person`` (a manager's request) and the retention rules
    (``people/retention.py``) both end here. Refused under a legal hold.
    """
    if found.legal_hold:
        raise InvalidInput(_("a legal hold keeps this person's data"), field="legal_hold")
    if found.anonymised_at is not None:
        raise InvalidInput(_("already anonymised"), field="person")
    before = audit.snapshot(found)
    label = f"ANON{found.pk:08d}"
    found.name = _("Anonymised person %(pk)s") % {"pk": found.pk}
    found.document_type, found.document_number = "ce", label
    found.badge_number = found.phone = found.home_ubigeo = ""
    found.home_lat = found.home_lon = None
    found.photo_sha256 = found.photo_mime = ""
    found.status = PersonStatus.LEFT
    found.anonymised_at = timezone.now()
    found.left_at = found.left_at or found.anonymised_at
    found.vetting.update(document_number="", issuing_body="", reviewer="")
    found.licences.update(number=label)
    found.credentials.all().delete()
    found.access_events.update(credential=label, credential_hash=crypto.lookup_hash(label))
    found.save()
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=found, before=before,
                 after=audit.snapshot(found), note=note,
                 organisation_id=found.organisation_id)  # fmt: skip
    return found


@transaction.atomic
def set_legal_hold(*, actor: Any, person: Any, hold: bool) -> Person:
    found = _own_person(actor, person)
    before = audit.snapshot(found)
    found.legal_hold = bool(hold)
    _saved(found, actor=actor, before=before)
    return found


# --- photos -----------------------------------------------------------------------------------

PHOTO_MAX_BYTES = 10 * 1024 * 1024


@transaction.atomic
def set_photo(*, actor: Any, person: Any, file: Any) -> Person:
    """Store the person's photo through the evidence blob store (JPEG, PNG…; 10 MB at most).

    The file is sniffed (its content, not its name, must be an image) and stored by its
    SHA-256; the person keeps the hash, so the photo cannot be swapped behind the record.
    """
    from minewatch.evidence.engine.sniff import ContentRefusedError, check_kind_allowed, sniff_file
    from minewatch.evidence.engine.store import BlobTooLargeError
    from minewatch.evidence.storage import get_store

    person = _own_person(actor, person)
    if file is None:
        raise InvalidInput(_("no file was uploaded"), field="file")
    if getattr(file, "size", 0) and file.size > PHOTO_MAX_BYTES:
        raise InvalidInput(_("the photo is larger than 10 MB"), field="file")
    try:
        file.seek(0)
        sniffed = check_kind_allowed("photo", sniff_file(file))
    except ContentRefusedError as error:
        raise InvalidInput(_("file refused: %(why)s") % {"why": error}, field="file") from None
    file.seek(0)
    try:
        blob = get_store().put_stream(file, max_bytes=PHOTO_MAX_BYTES)
    except BlobTooLargeError:
        raise InvalidInput(_("the photo is larger than 10 MB"), field="file") from None
    before = audit.snapshot(person)
    person.photo_sha256, person.photo_mime = blob.sha256, sniffed.mime
    _saved(person, actor=actor, before=before)
    return person


def open_photo(person: Person) -> Any:
    """The stored photo as a binary file (the caller checked the person is visible)."""
    from minewatch.evidence.storage import get_store

    return get_store().open(person.photo_sha256)


# --- credentials ------------------------------------------------------------------------------


def _moment(value: Any, field_name: str, *, required: bool = True) -> dt.datetime | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("a time is required"), field=field_name)
        return None
    at = value if isinstance(value, dt.datetime) else None
    if at is None and isinstance(value, str):
        at = parse_datetime(value)
        if at is None and (day := parse_date(value)) is not None:
            at = dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_current_timezone())
    if at is None:
        raise InvalidInput(_("%(value)r is not a date or time (ISO 8601)") % {"value": value},
                           field=field_name)  # fmt: skip
    if at.tzinfo is None:
        at = timezone.make_aware(at)
    return at


@transaction.atomic
def issue_credential(
    *, actor: Any, kind: str, value: str, person: Any = None, vehicle: Any = None,
    valid_from: Any = None, valid_until: Any = None,
) -> Credential:  # fmt: skip
    """Issue a badge, QR code or plate to one person or vehicle of the company (managers)."""
    _require(actor, "manage_people", "issue credentials")
    org_id = _organisation_id(actor)
    kind = _choice(kind, CredentialKind, "kind")
    key = validation.lookup_key(value or "")
    if not key or len(key) > 60:
        raise InvalidInput(_("the badge number, code or plate is required (up to 60 "
                             "characters)"), field="value")  # fmt: skip
    holder = vehicle_obj = None
    if person not in (None, ""):
        holder = _own_person(actor, person)
    if vehicle not in (None, ""):
        from minewatch.tracking.models import Vehicle

        pk = getattr(vehicle, "pk", vehicle)
        vehicle_obj = restrict(Vehicle.objects.filter(pk=pk, organisation_id=org_id),
                               actor).first()  # fmt: skip
        if vehicle_obj is None:
            raise InvalidInput(_("unknown vehicle %(pk)r") % {"pk": pk}, field="vehicle")
    if (holder is None) == (vehicle_obj is None):
        raise InvalidInput(_("issue the credential to one person or one vehicle"),
                           field="person")  # fmt: skip
    if kind == CredentialKind.PLATE and vehicle_obj is None:
        raise InvalidInput(_("a plate credential belongs to a vehicle"), field="vehicle")
    start = _moment(valid_from, "valid_from", required=False) or timezone.now()
    until = _moment(valid_until, "valid_until", required=False)
    if until is not None and until <= start:
        raise InvalidInput(_("the credential must end after it starts"), field="valid_until")
    if Credential.objects.filter(organisation_id=org_id, value=key).exists():
        raise InvalidInput(_("this credential is already issued"), field="value")
    if Person.objects.filter(organisation_id=org_id, badge_number=key).exclude(
        pk=getattr(holder, "pk", None)
    ).exists():  # fmt: skip
        raise InvalidInput(_("this badge is already issued to someone else"), field="value")
    record = Credential(organisation_id=org_id, kind=kind, value=key, person=holder,
                        vehicle=vehicle_obj, valid_from=start, valid_until=until)  # fmt: skip
    _saved(record, actor=actor, before=None)
    return record


@transaction.atomic
def revoke_credential(*, actor: Any, credential: Any, reason: str,
                      at: dt.datetime | None = None) -> Credential:  # fmt: skip
    """Revoke a credential from now on (or ``at``); the reason is required and audited."""
    _require(actor, "manage_people", "revoke credentials")
    pk = getattr(credential, "pk", credential)
    found = restrict(Credential.objects.filter(pk=pk), actor).first()
    if found is None or found.organisation_id != actor.organisation_id:
        raise InvalidInput(_("unknown credential %(pk)r") % {"pk": pk}, field="credential")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("say why the credential is revoked"), field="reason")
    if found.revoked_at is not None:
        raise InvalidInput(_("the credential is already revoked"), field="credential")
    before = audit.snapshot(found)
    found.revoked_at, found.revoked_reason = at or timezone.now(), reason[:200]
    _saved(found, actor=actor, before=before)
    return found


# --- access events ----------------------------------------------------------------------------
#
# A batch is read in a few queries whatever its size (credentials, holders and their records,
# assignments, vehicles, recent denials, manifests), its events and anomalies are inserted
# in bulk, audited in one bulk append to the ledger and published together: about 12
# queries and a savepoint per event made ingest ~100 events/s (docs/people.md "Numbers").


@dataclass
class IngestResult:
    stored: list[AccessEvent] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # index, field, message


@dataclass
class AccessCall:
    """One caller's events, its right to record them checked (``prepare_access_call``, in
    the caller's thread); several calls can be stored together (``store_access_calls``,
    the group commit of ``people/pipeline.py``) and each keeps its own ``result`` and its
    own actor in the audit log. ``points``, the access points it names that its caller may
    use, are read with the batch (``_read_points``) unless given."""

    actor: Any
    items: list[Any]
    wanted: set[int]
    now: dt.datetime
    points: dict[int, Site] | None = None
    result: IngestResult = field(default_factory=IngestResult)


def _parse_event(raw: Any, points: dict[int, Site], now: dt.datetime) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidInput(_("each event is an object"), field="events")
    event_id = str(raw.get("controller_event_id") or "").strip()
    if not event_id or len(event_id) > 100:
        raise InvalidInput(_("the controller's event id is required (up to 100 characters)"),
                           field="controller_event_id")  # fmt: skip
    try:
        point = points[int(raw.get("access_point"))]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(_("unknown access point %(value)r") % {"value": raw.get("access_point")},
                           field="access_point") from None  # fmt: skip
    value = raw.get("time")
    at = value if isinstance(value, dt.datetime) else parse_datetime(str(value or ""))
    if at is None or at.tzinfo is None:
        raise InvalidInput(_("the time must be ISO 8601 with its time zone"), field="time")
    skew = int(settings.TUNABLES["clock_skew_s"])
    if at > now + dt.timedelta(seconds=skew):
        raise InvalidInput(_("the time is more than %(s)s s in the future") % {"s": skew},
                           field="time")  # fmt: skip
    credential = validation.lookup_key(raw.get("credential") or "")
    if not credential or len(credential) > 60:
        raise InvalidInput(_("the credential (badge, DNI or plate) is required"),
                           field="credential")  # fmt: skip
    kind = raw.get("kind") or None
    if kind is not None:
        kind = _choice(kind, CredentialKind, "kind")
    return {
        "controller_event_id": event_id, "access_point": point, "occurred_at": at, "kind": kind,
        "direction": _choice(raw.get("direction"), Direction, "direction"),
        "result": _choice(raw.get("result") or AccessResult.GRANTED, AccessResult, "result"),
        "credential": credential,
    }  # fmt: skip


def find_holder(organisation_id: int, credential: str) -> Person | None:
    """The company's person with this credential, badge or document number."""
    key = (organisation_id, validation.lookup_key(credential))
    gen = facts.generation(timezone.localdate())
    issued = facts.credentials(gen, {key}).get(key)
    pk = issued.person_id if issued is not None else facts.people_by_key(gen, {key}).get(key)
    return Person.objects.filter(pk=pk).first() if pk is not None else None


@dataclass
class Resolved:
    """What a credential identifies at a moment."""

    person_id: int | None = None
    state: str | None = None  # valid / revoked / expired (None: no credential on file)
    vehicle: bool = False
    vehicle_planned: bool = False
    person: Person | None = None  # loaded when asked for (resolve_many's load_people)


def _plate_forms(plate: str) -> set[str]:
    return {plate, f"{plate[:3]}-{plate[3:]}", f"{plate[:2]}-{plate[2:]}"}  # ABC123, ABC-123


def _planned_plates(wanted: set[tuple[int, str]]) -> dict[tuple[int, str], bool]:
    """For each (organisation, plate) that is a vehicle of the company: is it on a planned or
    running trip. Two queries for any number of plates."""
    from minewatch.tracking.choices import TripStatus
    from minewatch.tracking.models import TripVehicle, Vehicle

    if not wanted:
        return {}
    forms: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for key in wanted:
        for form in _plate_forms(key[1]):
            forms.setdefault((key[0], form), []).append(key)
    vehicles: dict[tuple[int, str], int] = {}
    rows = Vehicle.objects.filter(organisation_id__in={org for org, _plate in wanted},
                                  plate__in={form for _org, form in forms}).values_list(
        "organisation_id", "plate", "pk")  # fmt: skip
    for org_id, plate, pk in rows:  # Vehicle.Meta.ordering: the first, as one look-up took
        for key in forms.get((org_id, plate), ()):
            vehicles.setdefault(key, pk)
    planned = set(TripVehicle.objects.filter(
        vehicle_id__in=set(vehicles.values()),
        trip__status__in=[TripStatus.PLANNED, TripStatus.EN_ROUTE],
    ).values_list("vehicle_id", flat=True)) if vehicles else set()  # fmt: skip
    return {key: pk in planned for key, pk in vehicles.items()}


def resolve_many(
    wanted: list[tuple[int, str, dt.datetime, str | None]], *,
    gen: Any = None, load_people: bool = True,
) -> list[Resolved]:  # fmt: skip
    """:func:`resolve` for many ``(organisation id, credential, at, kind)`` at once: who holds
    each credential comes from ``people.facts`` (read once, kept until a watched table
    changes); vehicles and their trips are read each time (a few queries whatever their
    number). ``gen``: the facts generation the caller already holds."""
    gen = gen or facts.generation(timezone.localdate())
    wanted_keys = [
        (org_id, validation.lookup_key(credential)) for org_id, credential, _a, _k in wanted
    ]
    keys = set(wanted_keys)
    issued = facts.credentials(gen, keys)
    people = facts.people_by_key(gen, keys - set(issued))
    plates = _planned_plates({
        key for key in keys
        if (key in issued and issued[key].kind == CredentialKind.PLATE)
        or (key not in issued and key not in people)
    })  # fmt: skip
    found = []
    for key, (_org_id, _credential, at, kind) in zip(wanted_keys, wanted, strict=True):
        if key in issued:
            record = issued[key]
            state = record.state(at)
            is_plate = record.kind == CredentialKind.PLATE
            planned = is_plate and (state == anomaly_engine.VALID or plates.get(key, False))
            found.append(Resolved(record.person_id, state, is_plate, planned))
        elif key in people:
            found.append(Resolved(people[key]))
        else:
            found.append(Resolved(vehicle=key in plates or kind == CredentialKind.PLATE,
                                  vehicle_planned=plates.get(key, False)))  # fmt: skip
    if load_people:
        loaded = Person.objects.in_bulk({r.person_id for r in found if r.person_id is not None})
        for resolved in found:
            resolved.person = loaded.get(resolved.person_id)
    return found


def resolve(organisation_id: int, credential: str, at: dt.datetime,
            kind: str | None = None) -> Resolved:  # fmt: skip
    """The person or vehicle behind a typed or scanned credential, and its state at ``at``."""
    return resolve_many([(organisation_id, credential, at, kind)])[0]


def _last_directions(event_ids: list[int]) -> dict[int, str | None]:
    """For stored events: the direction of the same person's latest earlier pass at the site
    (the access point itself, its parent, and the points of either), in one query.

    The events of the batch are stored already, so an event sees the earlier ones of its
    own batch too (in time order, as if they had come one by one).
    """
    if not event_ids:
        return {}
    point, parent = OuterRef("access_point_id"), OuterRef("access_point__parent_id")
    earlier = AccessEvent.objects.filter(
        Q(access_point_id=point) | Q(access_point_id=parent) | Q(access_point__parent_id=point)
        | Q(access_point__parent_id=parent),
        person_id=OuterRef("person_id"), occurred_at__lt=OuterRef("occurred_at"),
    ).order_by("-occurred_at").values("direction")[:1]  # fmt: skip
    return dict(AccessEvent.objects.filter(pk__in=event_ids).annotate(
        last=Subquery(earlier)).values_list("pk", "last"))  # fmt: skip


def _denial_counts(events: list[AccessEvent], configs: dict[int, PeopleSettings]) -> dict[int, int]:
    """For stored denials: how many denials at the gate fall in the organisation's window
    up to each one, itself included (earlier ones of the batch too; a tie in time counts
    the ones sent before it). One query."""
    denied = [e for e in events if e.result == AccessResult.DENIED
              and configs[e.organisation_id].denial_limit]  # fmt: skip
    if not denied:
        return {}
    windows = {e.pk: dt.timedelta(minutes=configs[e.organisation_id].denial_window_min)
               for e in denied}  # fmt: skip
    start = min(e.occurred_at - windows[e.pk] for e in denied)
    end = max(e.occurred_at for e in denied)
    at_point: dict[int, list[tuple[dt.datetime, int]]] = {}
    rows = AccessEvent.objects.filter(
        access_point_id__in={e.access_point_id for e in denied}, result=AccessResult.DENIED,
        occurred_at__gte=start, occurred_at__lte=end,
    ).values_list("access_point_id", "occurred_at", "pk")  # fmt: skip
    for point_id, at, pk in rows:
        at_point.setdefault(point_id, []).append((at, pk))
    counts = {}
    for e in denied:
        since, at = e.occurred_at - windows[e.pk], e.occurred_at
        earlier = [t for t, pk in at_point.get(e.access_point_id, ())
                   if pk != e.pk and since <= t <= at and (t < at or pk < e.pk)]  # fmt: skip
        counts[e.pk] = anomaly_engine.repeated_denials(earlier, at, windows[e.pk])
    return counts


def _anomaly_event(anomaly: AccessAnomaly, event: AccessEvent, *, label: str,
                   synthetic: bool) -> Event:  # fmt: skip
    """The detection an anomaly publishes to the alert rules; ``label``: its kind's name."""
    kind = f"access.{anomaly.kind}"
    return Event(
        f"detection.{kind}", event.organisation_id,
        {"kind": kind, "site_id": event.access_point_id, "time": event.occurred_at.isoformat(),
         "details": {"severity": ANOMALY_SEVERITY[anomaly.kind], "anomaly": anomaly.pk,
                     "access_event": event.pk, "person": event.person_id,
                     "description": f"{label} — {event.access_point}", "synthetic": synthetic}},
        site_id=event.access_point_id,
    )  # fmt: skip


def _snapshots(events: list[AccessEvent]) -> list[dict[str, Any]]:
    """``audit.snapshot`` of each event (the same fields and JSON values), without its
    ``model_to_dict`` and JSON round trip per row."""
    if not events:
        return []
    from django.core.serializers.json import DjangoJSONEncoder

    from minewatch.core.fields import snapshot_value

    fields = [AccessEvent._meta.get_field(name) for name in audit.snapshot(events[0])]
    encode = DjangoJSONEncoder().default
    plain = [f for f in fields if not getattr(f, "is_encrypted", False)]
    hidden = [f for f in fields if getattr(f, "is_encrypted", False)]  # fingerprints only
    return [
        {**{f.name: encode(value) if isinstance(value := getattr(event, f.attname), dt.datetime)
            else value for f in plain},
         **{f.name: snapshot_value(f, getattr(event, f.attname)) for f in hidden}}
        for event in events
    ]  # fmt: skip


def _audit_rows(fresh: list[dict[str, Any]], events: list[AccessEvent],
                found: dict[int, list[str]]) -> list[dict[str, Any]]:  # fmt: skip
    """The audit entries of a batch, as values to append to the ledger in bulk
    (``ledger.chain_values``): one per call and organisation, by that call's actor.

    A controller's call is one audited action, as an import or a form is: its entry holds
    the snapshot of every pass it created (``after["events"]``, each equal to
    ``audit.snapshot`` of the row) and the anomalies each raised, so the chain still covers
    the content of every pass and a pass changed or removed later no longer matches it. An
    entry per pass cost most of the batch's time (docs/people.md "Numbers"). A call of one
    pass (the gate page) names it as its object.
    """
    label = AccessEvent._meta.label_lower
    groups: dict[tuple[int, int], tuple[Any, list[AccessEvent]]] = {}
    for clean, event in zip(fresh, events, strict=True):
        call = clean["call"]
        groups.setdefault((id(call), event.organisation_id), (call.actor, []))[1].append(event)
    rows = []
    for (_call, organisation_id), (actor, passes) in groups.items():
        is_user = actor is not None and getattr(actor, "is_authenticated", False)
        kinds = sorted({kind for e in passes for kind in found[e.pk]})
        one = passes[0] if len(passes) == 1 else None
        rows.append({
            "organisation_id": organisation_id, "actor_id": actor.pk if is_user else None,
            "actor_name": str(getattr(actor, "username", "") or actor or "system")[:150],
            "action": AuditAction.CREATE, "object_type": label,
            "object_id": str(one.pk) if one else "",
            "object_repr": (str(one) if one else _("%(count)s access events, #%(first)s to "
                            "#%(last)s") % {"count": len(passes), "first": passes[0].pk,
                                            "last": passes[-1].pk})[:300],
            "before": None,
            "after": {"events": _snapshots(passes),
                      "anomalies": {str(e.pk): found[e.pk] for e in passes if found[e.pk]}},
            "changes": {"events": [None, len(passes)]}, "note": ",".join(kinds)[:500],
        })  # fmt: skip
    return rows


def record_access_events(
    *, actor: Any, events: Iterable[Any], now: dt.datetime | None = None
) -> IngestResult:
    """Store a controller's batch: each event once (by its id), checked for anomalies.

    One bad event is refused with its index, field and message; the others are stored.
    The batch is read, written, audited and published in a number of queries that does
    not grow with its size.
    """
    call = prepare_access_call(actor=actor, events=events, now=now)
    store_access_calls([call])
    return call.result


def prepare_access_call(*, actor: Any, events: Iterable[Any],
                        now: dt.datetime | None = None) -> AccessCall:  # fmt: skip
    """The caller's right to record passes, checked; the access points it names, noted
    (whether it may use them is read with the batch: ``_read_points``)."""
    _require(actor, "record_access", "record access events")
    now = now or timezone.now()
    items = list(events)
    wanted = set()
    for raw in items:
        try:
            wanted.add(int(raw.get("access_point")))
        except (AttributeError, TypeError, ValueError):
            continue
    return AccessCall(actor, items, wanted, now)


def _read_points(calls: list[AccessCall]) -> None:
    """Give each call the access points it names that its caller may use: one restricted
    read per scope (``tenancy.visibility_key``), not one per call.

    Read in each caller's thread, this was two queries per call; at 200 calls a second from
    50 gates those threads held up the one that stores the batches (docs/people.md
    "Numbers"). Calls whose callers see the same sites share the read; ``restrict`` is still
    the only rule.
    """
    scopes: dict[tuple[Any, ...], list[AccessCall]] = {}
    for call in calls:
        if call.points is None:
            scopes.setdefault(visibility_key(Site, call.actor), []).append(call)
    for members in scopes.values():
        wanted = set().union(*(call.wanted for call in members))
        found = {
            p.pk: p for p in restrict(Site.objects.filter(
                pk__in=wanted, kind=SiteKind.ACCESS_POINT).select_related("parent"),
                members[0].actor)
        } if wanted else {}  # fmt: skip
        for call in members:
            call.points = {pk: found[pk] for pk in call.wanted if pk in found}


def store_access_calls(calls: list[AccessCall]) -> None:
    """Store the calls' events as one batch: one transaction, one commit (and one signed
    audit head); on SQLite this process's writers (the alert intake) queue in turn instead
    of polling for the lock. Each call's ``result`` gets its own outcome."""
    from minewatch.alerts.services.bulk import write_turn

    with write_turn(), transaction.atomic(), crypto.keys_held():
        _read_points(calls)
        _store_calls(calls)


def _store_calls(calls: list[AccessCall]) -> None:
    """Parse, drop duplicates, resolve, insert, check, audit and publish the batch."""
    fresh: list[dict[str, Any]] = []
    for call in calls:
        for index, raw in enumerate(call.items):
            try:
                clean = _parse_event(raw, call.points, call.now)
            except InvalidInput as problem:
                call.result.rejected.append({"index": index, "field": problem.field,
                                             "message": problem.message})  # fmt: skip
                continue
            clean["call"] = call
            fresh.append(clean)
    for attempt in range(3):
        kept, duplicates = _drop_duplicates(fresh)
        try:
            # PostgreSQL: a savepoint, for a duplicate committed meanwhile by another writer
            # (SQLite's IMMEDIATE transactions let none in).
            with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
                _store_fresh(kept)
        except IntegrityError:  # the same controller id arrived concurrently: read again
            if attempt == 2 or connection.vendor != "postgresql":
                raise
            continue
        for clean in duplicates:
            clean["call"].result.duplicates.append(clean["controller_event_id"])
        return


def _drop_duplicates(
    fresh: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events whose controller id is new, and the others (stored before, or earlier in
    the batch)."""
    if not fresh:
        return [], []
    stored = set(AccessEvent.objects.filter(
        organisation_id__in={c["access_point"].organisation_id for c in fresh},
        controller_event_id__in={c["controller_event_id"] for c in fresh},
    ).values_list("organisation_id", "controller_event_id"))  # fmt: skip
    kept, duplicates = [], []
    for clean in fresh:
        key = (clean["access_point"].organisation_id, clean["controller_event_id"])
        if key in stored:
            duplicates.append(clean)
        else:
            stored.add(key)
            kept.append(clean)
    return kept, duplicates


def _store_fresh(fresh: list[dict[str, Any]]) -> None:
    from minewatch.alerts.services.bulk import insert_instances, insert_values, new_instances

    if not fresh:
        return
    gen = facts.generation(timezone.localdate())
    who = resolve_many([(c["access_point"].organisation_id, c["credential"], c["occurred_at"],
                         c["kind"]) for c in fresh], gen=gen, load_people=False)  # fmt: skip
    configs = facts.settings_for(gen, {c["access_point"].organisation_id for c in fresh})
    holders = facts.holders(gen, {w.person_id for w in who if w.person_id is not None})
    events = new_instances(AccessEvent, [
        {"organisation_id": c["access_point"].organisation_id,
         "person_id": w.person_id if w.person_id in holders else None,
         "controller_event_id": c["controller_event_id"], "access_point_id": c["access_point"].pk,
         "occurred_at": c["occurred_at"], "direction": c["direction"],
         "credential": c["credential"], "result": c["result"]}
        for c, w in zip(fresh, who, strict=True)
    ])  # fmt: skip
    for clean, event in zip(fresh, events, strict=True):
        event.access_point = clean["access_point"]
    insert_instances(AccessEvent, events)
    last = _last_directions([e.pk for e in events
                             if e.person_id is not None and e.direction == Direction.IN])  # fmt: skip
    denials = _denial_counts(events, configs)
    found: dict[int, list[str]] = {}
    anomalies: list[AccessAnomaly] = []
    zone = timezone.get_current_timezone()
    for event, resolved in zip(events, who, strict=True):
        point, config = event.access_point, configs[event.organisation_id]
        holder = None
        if event.person_id is not None:
            known = holders[event.person_id]
            holder = anomaly_engine.Holder(event.person_id, known.cleared, known.shifts,
                                           last.get(event.pk))  # fmt: skip
        magazine = point.parent is not None and point.parent.kind == SiteKind.EXPLOSIVES_MAGAZINE
        found[event.pk] = kinds = anomaly_engine.anomalies(
            site_id=point.pk, local_time=event.occurred_at.astimezone(zone).time(),
            direction=event.direction, holder=holder,
            sites_of_point=[point.parent_id] if point.parent_id else [],
            credential_state=resolved.state, vehicle=resolved.vehicle,
            vehicle_planned=resolved.vehicle_planned,
            denied=event.result == AccessResult.DENIED, recent_denials=denials.get(event.pk, 0),
            denial_limit=config.denial_limit,
            magazine_hours=anomaly_engine.Hours(config.magazine_opens, config.magazine_closes)
            if magazine else None,
        )  # fmt: skip
        anomalies.extend(
            AccessAnomaly(event=event, organisation_id=event.organisation_id, kind=kind,
                          access_point=point, person_id=event.person_id,
                          occurred_at=event.occurred_at)
            for kind in kinds
        )  # fmt: skip
    insert_instances(AccessAnomaly, anomalies)
    from minewatch.core import ledger
    from minewatch.core.models import AuditEntry

    insert_values(AuditEntry, ledger.chain_values(_audit_rows(fresh, events, found)))
    _reconcile_manifests([e for e in events if e.person_id is not None])
    labels = {kind: str(AnomalyKind(kind).label) for kind in {a.kind for a in anomalies}}
    publish_many([
        _anomaly_event(anomaly, anomaly.event, label=labels[anomaly.kind],
                       synthetic=anomaly.person_id is not None
                       and holders[anomaly.person_id].is_synthetic)
        for anomaly in anomalies
    ] + [
        Event("access_event.recorded", e.organisation_id,
              {"id": e.pk, "anomalies": found[e.pk]}, site_id=e.access_point_id)
        for e in events
    ])  # fmt: skip
    for clean, event in zip(fresh, events, strict=True):
        clean["call"].result.stored.append(event)


def _reconcile_manifests(events: list[AccessEvent]) -> None:
    """Gate passes of manifest passengers check them, as ``visits.reconcile_with_gate`` does
    for one pass: out while the trip has not arrived boards, in after departure arrives.
    Passes in time order; one read and at most one write for the batch."""
    from minewatch.people.models import TripPassenger
    from minewatch.tracking.choices import TripStatus

    if not events:
        return
    lines: dict[tuple[int, int], list[TripPassenger]] = {}
    open_lines = TripPassenger.objects.filter(
        Q(boarded_at__isnull=True) | Q(arrived_at__isnull=True),
        person_id__in={e.person_id for e in events},
        trip__organisation_id__in={e.organisation_id for e in events},
    ).select_related("trip")
    for line in open_lines:
        lines.setdefault((line.person_id, line.trip.organisation_id), []).append(line)
    if not lines:
        return
    changed: dict[int, TripPassenger] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.pk)):
        for line in lines.get((event.person_id, event.organisation_id), ()):
            status = line.trip.status
            if event.direction == Direction.OUT:
                if line.boarded_at is None and status in (TripStatus.PLANNED,
                                                          TripStatus.EN_ROUTE):  # fmt: skip
                    line.boarded_at = event.occurred_at
                    changed[line.pk] = line
            elif (line.boarded_at is not None and line.boarded_at < event.occurred_at
                  and line.arrived_at is None
                  and status not in (TripStatus.PLANNED, TripStatus.ABORTED)):  # fmt: skip
                line.arrived_at = event.occurred_at
                changed[line.pk] = line
    if changed:
        TripPassenger.objects.bulk_update(list(changed.values()), ["boarded_at", "arrived_at"])


def record_gate_pass(
    *, actor: Any, access_point: Any, credential: str, direction: str,
    result: str = AccessResult.GRANTED, now: dt.datetime | None = None,
) -> AccessEvent:  # fmt: skip
    """A pass recorded by a guard on the gate page (raises the first problem, naming its field)."""
    now = now or timezone.now()
    point_id = getattr(access_point, "pk", access_point)
    point = Site.objects.filter(pk=point_id).first()
    if point is not None and resolve(point.organisation_id, credential, now).state in (
        anomaly_engine.REVOKED,
        anomaly_engine.EXPIRED,
    ):
        result = AccessResult.DENIED  # a revoked or expired credential does not pass the gate
    outcome = record_access_events(actor=actor, now=now, events=[{
        "controller_event_id": f"gate-{uuid.uuid4()}", "access_point": getattr(access_point, "pk",
        access_point), "time": now, "direction": direction, "credential": credential,
        "result": result,
    }])  # fmt: skip
    if outcome.rejected:
        problem = outcome.rejected[0]
        raise InvalidInput(problem["message"], field=problem["field"])
    return outcome.stored[0]


def assigned_here(person: Person, site: Site) -> bool:
    served = {site.pk, site.parent_id} - {None}
    return person.assignments.filter(is_active=True, site_id__in=served).exists()
