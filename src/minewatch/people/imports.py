"""CSV imports of the people app: personnel with their vetting, and controller event logs.

Personnel (``minewatch people import FILE.csv``): one row per person and, optionally,
one vetting check of theirs. Required columns ``name``, ``document_number``, ``role``;
optional ``document_type`` (dni), ``employer`` (the company or a contractor, by name or
id), ``badge_number``, ``phone``, ``home_ubigeo``, ``status`` and ``vetting_kind``,
``vetting_date``, ``vetting_result``, ``vetting_issuing_body``, ``vetting_document_number``,
``vetting_reviewer``, ``vetting_expires_on``. A person is matched by document: importing
the same file again changes nothing; a vetting check of the same kind and date is stored once.

Controller logs (``minewatch people import-events FILE.csv``): columns
``controller_event_id, time, access_point, direction, credential`` and optional ``result``,
``kind``; each event is stored once by its controller id.

Without ``skip_bad`` one bad row stores nothing; with it the good rows are stored and
each bad row is reported by row number (1 is the header) and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from minewatch.core.errors import InvalidInput, MineWatchError
from minewatch.people import services, validation
from minewatch.people.models import Person, VettingRecord

PERSON_REQUIRED = ("name", "document_number", "role")
PERSON_OPTIONAL = ("document_type", "employer", "badge_number", "phone", "home_ubigeo", "status")
VETTING_COLUMNS = ("vetting_kind", "vetting_date", "vetting_result", "vetting_issuing_body",
                   "vetting_document_number", "vetting_reviewer", "vetting_expires_on")  # fmt: skip
EVENT_REQUIRED = ("controller_event_id", "time", "access_point", "direction", "credential")
EVENT_OPTIONAL = ("result", "kind")


@dataclass
class ImportReport:
    """Counts, and ``(row, column, message)`` per error (row 1 is the header)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    stored: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "stored": self.stored,
                "errors": [{"row": r, "column": c, "message": m} for r, c, m in self.errors]}  # fmt: skip


def read_rows(text: str, required: tuple[str, ...], optional: tuple[str, ...]) -> list[dict]:
    """The CSV's rows as dicts; InvalidInput naming a missing or unknown column."""
    try:
        dialect: Any = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [(name or "").strip() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        raise InvalidInput(_("missing column %(column)s") % {"column": missing[0]},
                           field=missing[0])  # fmt: skip
    extra = [name for name in header if name not in (*required, *optional)]
    if extra:
        raise InvalidInput(_("unknown column %(column)s") % {"column": extra[0]}, field=extra[0])
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


def _employer(actor: Any, value: str) -> int | None:
    if not value:
        return None
    allowed = services.allowed_employers(actor.organisation_id)
    query = Q(name__iexact=value) | (Q(pk=int(value)) if value.isdigit() else Q(pk__in=[]))
    found = allowed.filter(query).first()
    if found is None:
        raise InvalidInput(_("the employer must be your company or a contractor assigned to one "
                             "of its sites"), field="employer")  # fmt: skip
    return found.pk


def _import_person(actor: Any, row: dict[str, str]) -> str:
    """created, updated or unchanged."""
    document_type = row.get("document_type") or "dni"
    number = validation.check_document(document_type, row.get("document_number", ""))
    number = number[:8] if document_type == "dni" else number
    values: dict[str, Any] = {k: row[k] for k in ("name", "role") if k in row}
    values.update({k: row[k] for k in ("badge_number", "phone", "home_ubigeo", "status")
                   if row.get(k)})  # fmt: skip
    employer = _employer(actor, row.get("employer", ""))
    if employer is not None:
        values["employer"] = employer
    existing = Person.objects.filter(organisation_id=actor.organisation_id,
                                     document_type=document_type,
                                     document_number=number).first()  # fmt: skip
    outcome = "created"
    if existing is not None:
        same = all(
            str(getattr(existing, "employer_id" if k == "employer" else k))
            == str(validation.lookup_key(v) if k == "badge_number" else v)
            for k, v in values.items()
        )
        if same:
            outcome = "unchanged"
        else:
            outcome = "updated"
            existing = services.save_person(actor=actor, person=existing, **values)
    else:
        existing = services.save_person(actor=actor, document_type=document_type,
                                        document_number=number, **values)  # fmt: skip
    if row.get("vetting_kind"):
        date = services._date(row.get("vetting_date"), "vetting_date")
        if not VettingRecord.objects.filter(person=existing, kind=row["vetting_kind"],
                                            date=date).exists():  # fmt: skip
            try:
                services.add_vetting(
                    actor=actor, person=existing, kind=row["vetting_kind"], date=date,
                    result=row.get("vetting_result", ""),
                    issuing_body=row.get("vetting_issuing_body", ""),
                    document_number=row.get("vetting_document_number", ""),
                    reviewer=row.get("vetting_reviewer", ""),
                    expires_on=row.get("vetting_expires_on") or None,
                )  # fmt: skip
            except InvalidInput as problem:
                raise InvalidInput(problem.message, field=f"vetting_{problem.field}") from None
            outcome = "updated" if outcome == "unchanged" else outcome
    elif any(row.get(k) for k in VETTING_COLUMNS):
        raise InvalidInput(_("a vetting check needs its kind"), field="vetting_kind")
    return outcome


def import_people(*, actor: Any, text: str, skip_bad: bool = False) -> ImportReport:
    """Import personnel (and their vetting) from CSV text."""
    services._require(actor, "manage_people", "import personnel")
    rows = read_rows(text, PERSON_REQUIRED, (*PERSON_OPTIONAL, *VETTING_COLUMNS))
    report = ImportReport()
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):
            try:
                with transaction.atomic():
                    outcome = _import_person(actor, row)
            except MineWatchError as exc:
                report.errors.append((number, exc.field, exc.message))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
        if report.errors and not skip_bad:
            transaction.set_rollback(True)
            report.stored, report.created, report.updated, report.unchanged = False, 0, 0, 0
    return report


def import_events(*, actor: Any, text: str, skip_bad: bool = False) -> ImportReport:
    """Import a controller's event log from CSV text (duplicates count as unchanged)."""
    services._require(actor, "record_access", "record access events")
    rows = read_rows(text, EVENT_REQUIRED, EVENT_OPTIONAL)
    report = ImportReport()
    with transaction.atomic():
        outcome = services.record_access_events(
            actor=actor, events=[{k: v for k, v in row.items() if v != ""} for row in rows]
        )
        report.created, report.unchanged = len(outcome.stored), len(outcome.duplicates)
        report.errors = [(r["index"] + 2, r["field"], r["message"]) for r in outcome.rejected]
        if report.errors and not skip_bad:
            transaction.set_rollback(True)
            report.stored, report.created, report.unchanged = False, 0, 0
    return report
