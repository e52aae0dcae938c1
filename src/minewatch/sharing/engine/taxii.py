"""TAXII 2.1 object paging: filter by ``added_after``, ``match[type]``/``match[id]``, then page.

The server keeps no cursor: ``next`` is the position after the last object sent, in
the order (date added, id), encoded with the date so a client that pages while objects
are added still gets each object once (TAXII 2.1 §3.4, "Pagination").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_PAGE = 1000


@dataclass(frozen=True)
class Entry:
    """One object of a collection and when it was added to it (UTC)."""

    date_added: dt.datetime
    stix: dict[str, Any]
    cursor: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # The paging key, computed once: (date added, id) as one sortable string.
        object.__setattr__(self, "cursor", f"{taxii_timestamp(self.date_added)}|{self.id}")

    @property
    def id(self) -> str:
        return str(self.stix["id"])


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    more: bool
    next: str | None


def taxii_timestamp(moment: dt.datetime) -> str:
    """A TAXII timestamp: UTC, microseconds, ``Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str, name: str) -> dt.datetime:
    """A timestamp from a query parameter; ValueError naming ``name`` when malformed."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name}: {text!r} has no time zone (end it with Z)")
    return moment.astimezone(dt.UTC)


def page(entries: Iterable[Entry], *, added_after: dt.datetime | None = None,
         types: set[str] | None = None, ids: set[str] | None = None, limit: int = 100,
         after: str | None = None) -> Page:  # fmt: skip
    """The page of ``entries`` selected by the TAXII filters, oldest first.

    ``after`` is a ``next`` value from the previous page; a malformed one raises
    ValueError naming ``next``.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit: {limit} is outside 1..{MAX_PAGE}")
    if after is not None:
        stamp, _sep, last_id = after.partition("|")
        parse_timestamp(stamp, "next")
        if not last_id:
            raise ValueError(f"next: {after!r} is not a value this server gave")
    selected = sorted(
        (entry for entry in entries
         if (added_after is None or entry.date_added > added_after)
         and (not types or entry.stix.get("type") in types)
         and (not ids or entry.id in ids)),
        key=lambda entry: entry.cursor,
    )  # fmt: skip
    if after is not None:
        selected = [entry for entry in selected if entry.cursor > after]
    chunk = selected[:limit]
    more = len(selected) > limit
    return Page(entries=chunk, more=more, next=chunk[-1].cursor if more and chunk else None)
