"""Evidence engine benchmark: intake throughput, verification time, dossier build time.

Run from the repository root::

    .venv/bin/python benchmarks/evidence.py                  # 1 GB, 10,000 items, 50-item dossier
    .venv/bin/python benchmarks/evidence.py --intake-mb 100  # smaller intake
    .venv/bin/python benchmarks/evidence.py --only-django --django-items 1000  # Django path

Synthetic files: random bytes behind real magic numbers (JPEG, MP4, Ogg, PDF),
so every file is unique and sniffing runs as it would on uploads. Numbers are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minewatch.evidence.engine.custody import (
    append_entry,
    summarise_custody,
    verify_chain,
    verify_items,
)
from minewatch.evidence.engine.dossier import (
    DossierFile,
    DossierItem,
    OrganisationContact,
    build_dossier_zip,
    render_dossier_pdf,
    verify_dossier,
)
from minewatch.evidence.engine.sniff import check_kind_allowed, sniff_file
from minewatch.evidence.engine.store import LocalBlobStore

MIB = 1024 * 1024
T0 = datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
OUTLINE = Path(__file__).resolve().parents[2] / "shared" / "data" / "peru_admin1.geojson"
# (kind, magic header, size in MiB, share of the total bytes)
MIX = [
    ("photo", b"\xff\xd8\xff\xe1", 3.0, 0.35),
    ("video", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", 40.0, 0.50),
    ("audio", b"OggS\x00\x02", 1.0, 0.10),
    ("document", b"%PDF-1.7\n", 0.3, 0.05),
]


def synthetic_files(total_mb: float) -> Iterator[tuple[str, bytes]]:
    """Yield (kind, bytes) following MIX until about ``total_mb`` MiB have been produced."""
    for kind, header, size_mb, share in MIX:
        count = max(1, round(total_mb * share / size_mb))
        for _ in range(count):
            yield kind, header + os.urandom(int(size_mb * MIB) - len(header))


def bench_intake(root: Path, total_mb: float, fsync: bool) -> None:
    store = LocalBlobStore(root / "intake", fsync=fsync)
    seconds = 0.0
    total_bytes = files = 0
    for kind, data in synthetic_files(total_mb):
        stream = io.BytesIO(data)
        start = time.perf_counter()
        check_kind_allowed(kind, sniff_file(stream))
        blob = store.put_stream(stream, max_bytes=100 * MIB)
        seconds += time.perf_counter() - start
        total_bytes += blob.size_bytes
        files += 1
    print(
        f"intake   {files:6d} files {total_bytes / MIB:8.1f} MiB in {seconds:6.2f} s "
        f"= {total_bytes / MIB / seconds:7.1f} MiB/s  (sniff + hash + write, fsync={fsync})"
    )
    shutil.rmtree(root / "intake", ignore_errors=True)


def make_chain(item_sha256: str, length: int) -> list:
    actions = ["collected", "uploaded", "viewed", "downloaded", "exported", "verified"]
    chain: list = []
    for number in range(length):
        chain.append(
            append_entry(
                chain[-1] if chain else None,
                item_sha256=item_sha256,
                action=actions[number % len(actions)],
                actor=f"usuario{number}",
                occurred_at=T0 + timedelta(minutes=number),
                reason="benchmark",
            )
        )
    return chain


def bench_verification(root: Path, items: int, item_kb: int, chain_length: int) -> None:
    store = LocalBlobStore(root / "verify", fsync=False)
    hashes = [
        store.put_stream(io.BytesIO(os.urandom(item_kb * 1024)), max_bytes=MIB).sha256
        for _ in range(items)
    ]
    for workers in sorted({1, os.cpu_count() or 1}):
        start = time.perf_counter()
        report = verify_items(store, hashes, workers=workers)
        seconds = time.perf_counter() - start
        assert report.is_ok
        print(
            f"verify   {items:6d} files x {item_kb} KiB in {seconds:6.2f} s "
            f"({items / seconds:8.0f} files/s, workers={workers})"
        )
    chains = [make_chain(sha, chain_length) for sha in hashes]
    start = time.perf_counter()
    problems = sum(len(verify_chain(chain)) for chain in chains)
    seconds = time.perf_counter() - start
    assert problems == 0
    print(
        f"chains   {items:6d} logs x {chain_length} entries in {seconds:6.2f} s "
        f"({items * chain_length / seconds:8.0f} entries/s)"
    )
    shutil.rmtree(root / "verify", ignore_errors=True)


def bench_dossier(root: Path, items: int, item_mb: float) -> None:
    outline = json.loads(OUTLINE.read_text()) if OUTLINE.exists() else None
    evidence = [b"\xff\xd8\xff\xe1" + os.urandom(int(item_mb * MIB)) for _ in range(items)]
    hashes = [hashlib.sha256(data).hexdigest() for data in evidence]
    facts = {
        "reference": "INC-BENCH-1",
        "title": "Ataque a convoy (benchmark)",
        "occurred_at": T0,
        "latitude": -15.85,
        "longitude": -74.25,
        "threat": "organised_crime",
        "incident_type": "convoy_attack",
        "weapons": ["firearm"],
        "protocol_steps": [f"Paso {n}" for n in range(10)],
    }
    start = time.perf_counter()
    summaries = [summarise_custody(make_chain(sha, 6)) for sha in hashes]
    dossier_items = [
        DossierItem(sha, f"foto_{n}.jpg", "photo", len(evidence[n]), summaries[n], T0)
        for n, sha in enumerate(hashes)
    ]
    pdf = render_dossier_pdf(
        facts, dossier_items, OrganisationContact("Minera Benchmark S.A.C."), outline=outline,
        generated_at=T0,
    )  # fmt: skip
    pdf_s = time.perf_counter() - start
    timings = {}
    for label, payload in (("no file bytes", [b"" for _ in evidence]), ("with copying", evidence)):
        files = [
            DossierFile(hashlib.sha256(data).hexdigest(), f"f{n}.jpg", io.BytesIO(data))
            for n, data in enumerate(payload)
        ]
        target = root / f"dossier-{len(timings)}.zip"
        start = time.perf_counter()
        build_dossier_zip(target, pdf_bytes=pdf, files=files, facts=facts, generated_at=T0)
        timings[label] = time.perf_counter() - start
    start = time.perf_counter()
    assert verify_dossier(root / "dossier-1.zip") == []
    verify_s = time.perf_counter() - start
    print(
        f"dossier  {items:6d} items: PDF {pdf_s:5.2f} s ({len(pdf) / 1024:.0f} KiB), "
        f"ZIP {timings['no file bytes']:5.2f} s -> {pdf_s + timings['no file bytes']:5.2f} s "
        f"without file copying (target < 5 s)"
    )
    print(
        f"dossier  ZIP with {items} x {item_mb} MiB copied and rehashed: "
        f"{timings['with copying']:5.2f} s; verify_dossier {verify_s:5.2f} s"
    )


def _django_world(root: Path) -> tuple:
    """A fresh SQLite database in ``root`` with one company, manager, site and incident."""
    os.environ.update(MINEWATCH_DATA_DIR=str(root / "django"),
                      DJANGO_SETTINGS_MODULE="minewatch.settings")  # fmt: skip
    os.environ.pop("MINEWATCH_DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from minewatch.core import services as core_services
    from minewatch.geo import services as geo_services
    from minewatch.testing.world import make_incident

    org = core_services.create_organisation(actor=None, name="Bench S.A.", kind="mining_company")
    user = core_services.create_user(actor=None, username="bench", password="bench-pass-123",  # noqa: S106 - scratch database
                                     organisation=org, role="security_manager")  # fmt: skip
    site = geo_services.save_site(actor=user, organisation=org, name="Pataz", kind="mine",
                                  lat=-7.735, lon=-77.53)  # fmt: skip
    return user, make_incident(user, site)


def bench_django(root: Path, items: int, item_kb: int, dossier_items: int) -> None:
    """The same work through the Django services: rows, custody entries, audit, SQLite."""
    user, incident = _django_world(root)
    from django.core.files.base import ContentFile

    from minewatch.evidence import dossiers, services

    start = time.perf_counter()
    for number in range(items):
        data = b"\xff\xd8\xff\xe1" + os.urandom(item_kb * 1024)
        services.intake_evidence(actor=user, incident=incident, kind="photo",
                                 file=ContentFile(data, name=f"f{number}.jpg"))  # fmt: skip
    seconds = time.perf_counter() - start
    print(
        f"django   intake_evidence {items} x {item_kb} KiB in {seconds:6.2f} s "
        f"({items / seconds:6.1f} items/s, {items * item_kb / 1024 / seconds:6.1f} MiB/s; "
        "sniff, EXIF, hash, write, 2 custody entries, audit)"
    )
    start = time.perf_counter()
    report = services.verify_all(workers=os.cpu_count() or 1)
    seconds = time.perf_counter() - start
    assert report.is_ok
    print(
        f"django   verify_all {report.items} items, {report.entries} custody entries "
        f"in {seconds:6.2f} s ({report.items / seconds:7.0f} items/s)"
    )
    from minewatch.evidence.models import EvidenceItem

    keep = set(EvidenceItem.objects.order_by("pk").values_list("pk", flat=True)[:dossier_items])
    EvidenceItem.objects.exclude(pk__in=keep).update(incident=make_other_incident(user))
    start = time.perf_counter()
    dossiers.build_dossier(incident, actor=user, target=root / "django-dossier.zip")
    seconds = time.perf_counter() - start
    print(
        f"django   build_dossier {len(keep)} items x {item_kb} KiB (PDF + ZIP + custody "
        f"'exported' entries) in {seconds:6.2f} s"
    )


def make_other_incident(user: object) -> object:
    from minewatch.geo.models import Site
    from minewatch.testing.world import make_incident

    return make_incident(user, Site.objects.first(), incident_type="ore_theft")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--intake-mb", type=float, default=1024.0, help="MiB of files to ingest")
    parser.add_argument("--no-fsync", action="store_true", help="skip fsync on intake")
    parser.add_argument("--verify-items", type=int, default=10_000)
    parser.add_argument("--verify-item-kb", type=int, default=32, help="size of each file")
    parser.add_argument("--chain-length", type=int, default=6, help="custody entries per item")
    parser.add_argument("--dossier-items", type=int, default=50)
    parser.add_argument("--dossier-item-mb", type=float, default=2.0)
    parser.add_argument("--workdir", default=None, help="scratch directory (default: system temp)")
    parser.add_argument(
        "--django-items", type=int, default=0,
        help="also run N items through the Django services on a scratch SQLite (0: skip)",
    )  # fmt: skip
    parser.add_argument("--django-item-kb", type=int, default=256)
    parser.add_argument("--only-django", action="store_true", help="skip the engine benchmarks")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="minewatch-evidence-bench-", dir=args.workdir))
    try:
        if not args.only_django:
            bench_intake(root, args.intake_mb, fsync=not args.no_fsync)
            bench_verification(root, args.verify_items, args.verify_item_kb, args.chain_length)
            bench_dossier(root, args.dossier_items, args.dossier_item_mb)
        if args.django_items:
            bench_django(root, args.django_items, args.django_item_kb, args.dossier_items)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
