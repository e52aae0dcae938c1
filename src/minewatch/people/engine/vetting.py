"""A person's vetting status from their records and the organisation's requirements.

Pure: plain values in, a :class:`VettingStatus` out. The worst finding wins, in the
order failed > expired > incomplete > expiring > cleared. Only *required* kinds count
(an optional polygraph that failed is still shown by the record, but does not block);
a "flagged" result is not clear, so a flagged required check leaves the person
incomplete until a clear one is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CLEARED, EXPIRING, EXPIRED, FAILED, INCOMPLETE = (
    "cleared", "expiring", "expired", "failed", "incomplete",
)  # fmt: skip
SEVERITY = {CLEARED: 0, EXPIRING: 1, INCOMPLETE: 2, EXPIRED: 3, FAILED: 4}
DEFAULT_WARN_DAYS = 30
# Roles that carry a SUCAMEC licence (guards, supervisors and escorts do security work).
LICENSED_ROLES = frozenset({"guard", "supervisor", "escort"})

# Defaults a new organisation starts with (its people settings override them).
_RECORDS = ["police_record", "criminal_record", "judicial_record"]
DEFAULT_REQUIRED_VETTING = {
    "guard": [*_RECORDS, "polygraph"], "supervisor": [*_RECORDS, "polygraph"],
    "escort": [*_RECORDS, "polygraph"], "driver": [*_RECORDS, "drug_test"],
    "staff": ["police_record"],
}  # fmt: skip
DEFAULT_REQUIRED_TRAINING = {
    "guard": ["human_rights", "use_of_force", "first_aid", "site_induction"],
    "supervisor": ["human_rights", "use_of_force", "de_escalation", "site_induction"],
    "escort": ["human_rights", "use_of_force", "first_aid"], "driver": ["first_aid"],
    "staff": ["site_induction"],
}  # fmt: skip
DEFAULT_VALIDITY_DAYS = {
    "police_record": 365, "criminal_record": 365, "judicial_record": 365, "polygraph": 365,
    "drug_test": 180, "internal_audit": 365, "human_rights": 730, "use_of_force": 365,
    "de_escalation": 730, "first_aid": 730, "site_induction": 365,
}  # fmt: skip


@dataclass(frozen=True)
class Record:
    """One vetting check, training or licence: ``kind`` and when it stops being valid."""

    kind: str
    on: dt.date
    result: str = "clear"  # vetting: clear / flagged / failed; training and licences: clear
    expires_on: dt.date | None = None


@dataclass(frozen=True)
class Requirements:
    vetting: tuple[str, ...] = ()
    training: tuple[str, ...] = ()
    licence: bool = False
    validity_days: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class VettingStatus:
    state: str
    reasons: tuple[str, ...]  # e.g. "expired:police_record", "missing:training:first_aid"
    next_expiry: dt.date | None = None

    @property
    def cleared(self) -> bool:
        """Fit for duty: cleared, or cleared with something expiring soon."""
        return self.state in (CLEARED, EXPIRING)


def requirements_for(
    role: str, required_vetting: Mapping[str, Iterable[str]],
    required_training: Mapping[str, Iterable[str]], validity_days: Mapping[str, int],
) -> Requirements:  # fmt: skip
    return Requirements(
        vetting=tuple(required_vetting.get(role, ())),
        training=tuple(required_training.get(role, ())),
        licence=role in LICENSED_ROLES,
        validity_days=dict(validity_days),
    )


def expiry(record: Record, validity_days: Mapping[str, int]) -> dt.date | None:
    """The record's own expiry, else its date plus the kind's validity (None: never)."""
    if record.expires_on is not None:
        return record.expires_on
    days = validity_days.get(record.kind)
    return record.on + dt.timedelta(days=days) if days else None


def _check(
    group: str, required: Iterable[str], records: Iterable[Record], req: Requirements,
    today: dt.date, warn_days: int, findings: list[tuple[str, str]], expiries: list[dt.date],
) -> None:  # fmt: skip
    by_kind: dict[str, list[Record]] = {}
    for record in records:
        by_kind.setdefault(record.kind, []).append(record)
    for kind in required:
        latest = max(by_kind.get(kind, []), key=lambda r: r.on, default=None)
        label = f"{group}:{kind}" if group else kind
        if latest is None:
            findings.append((INCOMPLETE, f"missing:{label}"))
            continue
        if latest.result == "failed":
            findings.append((FAILED, f"failed:{label}"))
            continue
        if latest.result != "clear":
            findings.append((INCOMPLETE, f"{latest.result}:{label}"))
            continue
        until = expiry(latest, req.validity_days)
        if until is None:
            continue
        expiries.append(until)
        if until < today:
            findings.append((EXPIRED, f"expired:{label}"))
        elif (until - today).days <= warn_days:
            findings.append((EXPIRING, f"expiring:{label}"))


def vetting_status(
    req: Requirements, *, vetting: Iterable[Record] = (), training: Iterable[Record] = (),
    licences: Iterable[Record] = (), today: dt.date, warn_days: int = DEFAULT_WARN_DAYS,
) -> VettingStatus:  # fmt: skip
    """The person's status on ``today``; ``warn_days`` ahead counts as expiring."""
    findings: list[tuple[str, str]] = []
    expiries: list[dt.date] = []
    _check("", req.vetting, vetting, req, today, warn_days, findings, expiries)
    _check("training", req.training, training, req, today, warn_days, findings, expiries)
    if req.licence:
        _check("", ["licence"], [Record("licence", r.on, r.result, r.expires_on)
                                 for r in licences], req, today, warn_days, findings,
               expiries)  # fmt: skip
    if not findings:
        return VettingStatus(CLEARED, (), min(expiries, default=None))
    state = max((s for s, _r in findings), key=SEVERITY.__getitem__)
    reasons = tuple(r for s, r in sorted(findings, key=lambda f: -SEVERITY[f[0]]))
    return VettingStatus(state, reasons, min(expiries, default=None))
