"""The in-process queue in front of SQLite write transactions (services.bulk)."""

from __future__ import annotations

import threading
import time

from minewatch.alerts.services.bulk import _WriteGate


def test_waiting_threads_get_their_turn_in_arrival_order() -> None:
    gate = _WriteGate()
    gate.acquire()
    order: list[int] = []

    def writer(n: int) -> None:
        gate.acquire()
        order.append(n)
        gate.release()

    threads = []
    for n in range(5):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 5
        while len(gate._waiters) < n + 1 and time.monotonic() < deadline:
            time.sleep(0.001)  # wait until this writer queued, so arrival order is known
    assert order == []  # nobody writes while the first holder does
    gate.release()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]


def test_the_holder_may_enter_again_and_a_releasing_holder_cannot_jump_the_queue() -> None:
    gate = _WriteGate()
    gate.acquire()
    gate.acquire()  # re-entrant: a publish inside a write that raises an alert
    got_it = threading.Event()

    def other() -> None:
        gate.acquire()
        got_it.set()
        time.sleep(0.05)
        gate.release()

    thread = threading.Thread(target=other)
    thread.start()
    while not gate._waiters:
        time.sleep(0.001)
    gate.release()
    assert not got_it.wait(0.05)  # still held once
    gate.release()
    gate.acquire()  # the waiter was queued first: it runs before this thread again
    assert got_it.is_set()
    gate.release()
    thread.join(5)
