"""Heartbeat supervision: which alarm panels have been silent too long.

A panel sends a periodic test report (SIA ``RP``); any accepted frame proves it is
alive. A panel silent past its allowed silence may have been cut or jammed, so the
alerts layer raises an alert for each panel this function returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = ["SilentPanel", "find_silent_panels"]


@dataclass(frozen=True)
class SilentPanel:
    """A supervised panel that has not reported within its allowed silence."""

    account: str
    last_seen_utc: datetime | None
    silent_s: float | None
    max_silence_s: float


def find_silent_panels(
    *,
    last_seen_utc: Mapping[str, datetime | None],
    max_silence_s: Mapping[str, float],
    now_utc: datetime,
) -> list[SilentPanel]:
    """Return the supervised panels silent for longer than their allowed silence.

    Parameters
    ----------
    last_seen_utc : mapping of account to datetime or None
        When each panel last sent any accepted frame (None or absent: never).
    max_silence_s : mapping of account to float
        Supervised panels and their longest allowed silence, in seconds (often twice
        the panel's test-report interval).
    now_utc : datetime
        Timezone-aware "now".

    Returns
    -------
    list of SilentPanel
        Sorted by account; a never-seen panel has ``last_seen_utc=None``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> now = datetime(2024, 1, 1, 12, tzinfo=UTC)
    >>> seen = {"1234": datetime(2024, 1, 1, 11, tzinfo=UTC)}
    >>> [p.account for p in find_silent_panels(last_seen_utc=seen,
    ...     max_silence_s={"1234": 1800, "ABCD": 1800}, now_utc=now)]
    ['1234', 'ABCD']
    """
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware (UTC)")
    silent = []
    for account in sorted(max_silence_s):
        limit_s = max_silence_s[account]
        if limit_s <= 0:
            raise ValueError(f"max_silence_s[{account!r}]={limit_s} s must be positive")
        seen = last_seen_utc.get(account)
        if seen is None:
            silent.append(SilentPanel(account, None, None, limit_s))
            continue
        if seen.tzinfo is None:
            raise ValueError(f"last_seen_utc[{account!r}] must be timezone-aware (UTC)")
        silent_s = (now_utc - seen).total_seconds()
        if silent_s > limit_s:
            silent.append(SilentPanel(account, seen, silent_s, limit_s))
    return silent
