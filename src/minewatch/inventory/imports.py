"""CSV import of weighbridge tickets: row and column errors named, all-or-nothing unless skipping.

The header must name every column of ``services.WEIGHING_FIELDS`` (any order, extra
columns refused). Without ``skip_bad`` one bad row stores nothing; with it the good
rows are stored and each bad row is reported. Tickets are idempotent, so importing
the same file twice stores nothing new.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from minewatch.core.errors import InvalidInput, MineWatchError
from minewatch.inventory import services


@dataclass
class ImportReport:
    """What an import did: counts, and ``(row, column, message)`` per error (row 1 is the header)."""

    created: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    stored: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "unchanged": self.unchanged, "stored": self.stored,
                "errors": [{"row": r, "column": c, "message": m} for r, c, m in self.errors]}  # fmt: skip


def read_rows(text: str) -> list[dict[str, str]]:
    """The CSV's rows as dicts; InvalidInput naming a missing or unknown column."""
    sample = text[:2048]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in services.WEIGHING_FIELDS if name not in header]
    if missing:
        raise InvalidInput(
            _("missing column %(column)s") % {"column": missing[0]}, field=missing[0]
        )
    extra = [name for name in header if name not in services.WEIGHING_FIELDS]
    if extra:
        raise InvalidInput(_("unknown column %(column)s") % {"column": extra[0]}, field=extra[0])
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def import_weighings(*, actor: Any, text: str, skip_bad: bool = False) -> ImportReport:
    """Import tickets from CSV text; see the module docstring for the all-or-nothing rule."""
    services.require(actor, "operate")
    rows = read_rows(text)
    report = ImportReport()
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):
            try:
                _weighing, created = services.record_weighing(actor=actor, values=row)
            except MineWatchError as exc:
                report.errors.append((number, exc.field, exc.message))
                continue
            report.created += int(created)
            report.unchanged += int(not created)
        if report.errors and not skip_bad:
            transaction.set_rollback(True)
            report.stored, report.created, report.unchanged = False, 0, 0
    return report
