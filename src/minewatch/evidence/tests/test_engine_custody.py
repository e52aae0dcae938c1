"""The hash-chained custody log and the verifier of chains and stored files."""

import io
import os
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from minewatch.evidence.engine.custody import (
    GENESIS_PREV_HASH,
    Recipient,
    append_entry,
    compute_entry_hash,
    summarise_custody,
    verify_chain,
    verify_items,
)
from minewatch.evidence.engine.store import LocalBlobStore
from minewatch.evidence.tests.builders import T0, make_chain
from minewatch.evidence.tests.test_engine_store import flip_byte


def kinds(problems):
    return sorted({problem.kind for problem in problems})


def rehash(entry):
    return replace(entry, entry_hash=compute_entry_hash(entry))


def test_untouched_chain_has_no_problems():
    chain = make_chain(6)
    assert verify_chain(chain, expected_head_hash=chain[-1].entry_hash, expected_length=6) == []


def test_chain_starts_at_genesis_and_links_each_entry_to_the_previous():
    chain = make_chain(3)
    assert chain[0].prev_hash == GENESIS_PREV_HASH
    assert [e.prev_hash for e in chain[1:]] == [e.entry_hash for e in chain[:-1]]
    assert [e.sequence for e in chain] == [0, 1, 2]


def altered_actor(chain):
    chain[2] = replace(chain[2], actor="otra.persona")
    return chain


def altered_recipient(chain):
    chain[3] = replace(chain[3], recipient=Recipient("Otra comisaría", "Oficio 999"))
    return chain


def altered_time(chain):
    chain[1] = replace(chain[1], occurred_at=chain[1].occurred_at + timedelta(seconds=1))
    return chain


def item_hash_replaced(chain):
    chain[1] = replace(chain[1], item_sha256="b" * 64)
    return chain


def middle_entry_deleted(chain):
    del chain[2]
    return chain


def entries_reordered(chain):
    chain[1], chain[2] = chain[2], chain[1]
    return chain


def first_entry_deleted(chain):
    return chain[1:]


def genesis_rewritten(chain):
    chain[0] = rehash(replace(chain[0], prev_hash="1" * 64))
    return chain


def middle_entry_rewritten_with_new_hash(chain):
    chain[2] = rehash(replace(chain[2], reason="motivo cambiado"))
    return chain


def entry_hash_replaced(chain):
    chain[2] = replace(chain[2], entry_hash="f" * 64)
    return chain


TAMPER_CASES = [
    (altered_actor, ["entry_altered"]),
    (altered_recipient, ["entry_altered"]),
    (altered_time, ["entry_altered"]),
    (item_hash_replaced, ["entry_altered", "wrong_item"]),
    (middle_entry_deleted, ["broken_link", "entries_removed"]),
    (
        entries_reordered,
        ["broken_link", "entries_removed", "entries_reordered", "time_reversed"],
    ),
    (first_entry_deleted, ["genesis_altered"]),
    (genesis_rewritten, ["broken_link", "genesis_altered"]),
    (middle_entry_rewritten_with_new_hash, ["broken_link"]),
    (entry_hash_replaced, ["broken_link", "entry_altered"]),
]


@pytest.mark.parametrize(
    ("tamper", "expected"), TAMPER_CASES, ids=lambda v: getattr(v, "__name__", "")
)
def test_verify_chain_detects_tampering(tamper, expected):
    chain = tamper(make_chain(6))
    assert kinds(verify_chain(chain, expected_item_sha256="a" * 64)) == expected


def test_rewritten_last_entry_detected_only_against_recorded_head():
    chain = make_chain(4)
    head = chain[-1].entry_hash
    chain[-1] = rehash(replace(chain[-1], actor="otra.persona"))
    assert verify_chain(chain) == []
    assert kinds(verify_chain(chain, expected_head_hash=head)) == ["head_mismatch"]


def test_truncated_tail_detected_against_recorded_length():
    chain = make_chain(5)
    problems = verify_chain(chain[:3], expected_length=5, expected_head_hash=chain[-1].entry_hash)
    assert kinds(problems) == ["head_mismatch", "length_mismatch"]


def test_empty_chain_is_a_problem():
    assert kinds(verify_chain([])) == ["empty_chain"]


def test_problem_names_position_and_sequence():
    chain = altered_actor(make_chain(4))
    (problem,) = verify_chain(chain)
    assert (problem.position, problem.sequence) == (2, 2)
    assert "entry 2 was altered" in problem.message


def append_kwargs(**changes):
    kwargs = {
        "item_sha256": "a" * 64,
        "action": "viewed",
        "actor": "ana",
        "occurred_at": T0 + timedelta(hours=1),
    }
    return kwargs | changes


APPEND_ERRORS = [
    ({"occurred_at": datetime(2024, 5, 1, 12, 0)}, "timezone-aware"),
    ({"occurred_at": T0 - timedelta(seconds=1)}, "earlier than the previous entry"),
    ({"action": "destroyed"}, "unknown custody action 'destroyed'"),
    ({"actor": "  "}, "actor must name who acted"),
    ({"action": "handed_over"}, "hand-over needs the receiving unit"),
    ({"action": "handed_over", "recipient": Recipient("Fiscalía", "")}, "document number"),
    ({"item_sha256": "b" * 64}, "differs from the chain"),
    ({"item_sha256": "nothex"}, "64 lower-case hex"),
]


@pytest.mark.parametrize(("changes", "message"), APPEND_ERRORS)
def test_append_entry_refuses_bad_entries(changes, message):
    (first,) = make_chain(1)
    with pytest.raises(ValueError, match=message):
        append_entry(first, **append_kwargs(**changes))


def test_handover_with_recipient_is_recorded_in_the_hash():
    (first,) = make_chain(1)
    recipient = Recipient("Fiscalía Provincial Penal de Caravelí", "Carpeta 45-2024")
    entry = append_entry(first, **append_kwargs(action="handed_over", recipient=recipient))
    assert verify_chain([first, entry]) == []
    assert "Carpeta 45-2024" in summarise_custody([first, entry])


def test_summary_in_spanish_names_handover_and_last_hash():
    chain = make_chain(4)
    text = summarise_custody(chain)
    assert text.startswith("4 registros; recolectado por usuario0")
    assert "Entregado a Comisaría PNP de Chala (doc. Oficio 123-2024-PNP)" in text
    assert chain[-1].entry_hash in text


@pytest.fixture
def filled_store(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    hashes = [store.put_stream(io.BytesIO(f"archivo {n}".encode()), 100).sha256 for n in range(5)]
    return store, hashes


@pytest.mark.parametrize("workers", [1, 3])
def test_verify_items_reports_changed_and_missing_files(filled_store, workers):
    store, hashes = filled_store
    flip_byte(store.path_for(hashes[1]))
    os.unlink(store.path_for(hashes[3]))
    report = verify_items(store, hashes, workers=workers)
    assert (report.checked, report.changed, report.missing) == (5, [hashes[1]], [hashes[3]])
    assert not report.is_ok


def test_verify_items_all_intact_and_orphans_listed(filled_store):
    store, hashes = filled_store
    report = verify_items(store, hashes[:4], include_orphans=True)
    assert report.is_ok
    assert report.orphans == [hashes[4]]


def test_verify_items_refuses_zero_workers(filled_store):
    store, hashes = filled_store
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        verify_items(store, hashes, workers=0)
