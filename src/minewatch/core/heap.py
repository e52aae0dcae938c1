"""The server process's start-up heap, frozen out of the garbage collector's way.

A serving process holds about 240,000 objects from its start (modules, models, URL patterns,
settings) that live as long as it does. CPython's cyclic collector walks all of them on every
full collection, and under a sustained ingest (thousands of short-lived rows a second) full
collections come every few seconds: 110-140 ms each, which one access-event batch in ten
waited for (benchmarks/access.py). ``gc.freeze()`` moves them to a permanent generation the
collector skips, the use CPython documents for long-running servers; everything made later
is collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Load what the first request would (the URL patterns and their views), collect once,
    then freeze every object alive. Returns how many objects are frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view now, not at the first request
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
