"""The anonymised research export of one organisation (engine: ``engine/research.py``)."""

from __future__ import annotations

import csv
import io
from typing import Any

from minewatch.sharing import queries
from minewatch.sharing.engine.research import anonymise

RESEARCH_COLUMNS = ("place", "week", "week_start", "threat", "incident_type", "severity",
                    "fatalities", "injured", "kidnapped")  # fmt: skip


def research_release(organisation_id: int, *, k: int | None = None,
                     generalisation: str | None = None, grid_deg: float | None = None,
                     user: Any | None = None) -> Any:  # fmt: skip
    """The release for the organisation's settings (or the values given); ValueError when bad."""
    stored = queries.settings_for(organisation_id)
    return anonymise(
        queries.research_incidents(organisation_id, user),
        k=stored.research_k if k is None else k,
        generalisation=generalisation or stored.research_generalisation,
        grid_deg=stored.research_grid_deg if grid_deg is None else grid_deg,
    )


def research_csv(organisation_id: int, **options: Any) -> tuple[str, dict[str, Any]]:
    """(CSV text, summary) of the anonymised export."""
    release = research_release(organisation_id, **options)
    handle = io.StringIO()
    writer = csv.DictWriter(handle, fieldnames=RESEARCH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(release.rows)
    return handle.getvalue(), release.summary()
