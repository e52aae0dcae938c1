"""``minewatch evidence verify`` against deliberately tampered files and logs; dossier commands."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from typer.testing import CliRunner

from minewatch.cli import app
from minewatch.evidence.models import CustodyEntry, EvidenceItem
from minewatch.evidence.services import hand_over
from minewatch.evidence.storage import get_store
from minewatch.evidence.tests.helpers import add_photo

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def change_file_bytes(item: EvidenceItem) -> None:
    path = get_store().path_for(item.sha256)
    os.chmod(path, 0o600)
    with open(path, "r+b") as blob:
        blob.seek(50)
        blob.write(b"\x00\x00\x00")


def delete_file(item: EvidenceItem) -> None:
    os.unlink(get_store().path_for(item.sha256))


def sql(statement: str, item: EvidenceItem, sequence: int) -> None:
    entry = CustodyEntry.objects.get(item=item, sequence=sequence)
    with connection.cursor() as cursor:
        cursor.execute(statement, [entry.pk])


TAMPERING: dict[str, tuple[Callable[[EvidenceItem], None], str]] = {
    "file bytes changed": (change_file_bytes, "CHANGED"),
    "file deleted": (delete_file, "MISSING"),
    "custody reason rewritten": (
        lambda item: sql("UPDATE evidence_custodyentry SET reason = 'nada' WHERE id = %s", item, 1),
        "altered",
    ),
    "custody actor rewritten": (
        lambda item: sql(
            "UPDATE evidence_custodyentry SET actor_name = 'x' WHERE id = %s", item, 0
        ),
        "altered",
    ),
    "middle custody entry deleted": (
        lambda item: sql("DELETE FROM evidence_custodyentry WHERE id = %s", item, 1),
        "missing",
    ),
    "last custody entry deleted": (
        lambda item: sql("DELETE FROM evidence_custodyentry WHERE id = %s", item, 2),
        "recorded",
    ),
}


def test_verify_passes_on_untouched_evidence(world: Any) -> None:
    add_photo(world)
    result = run("evidence", "verify")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert f"Checked {EvidenceItem.objects.count()} items" in result.output


@pytest.mark.parametrize("case", list(TAMPERING), ids=list(TAMPERING))
def test_verify_detects_tampering(world: Any, case: str) -> None:
    item = add_photo(world)
    hand_over(item, actor=world.users["security_manager"], recipient_organisation="PNP Pataz",
              document_number="Oficio 9")  # fmt: skip
    tamper, expected = TAMPERING[case]
    tamper(item)
    result = run("evidence", "verify")
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output
    assert expected in result.output
    assert world.incidents["a1"].reference in result.output
    untouched = world.extra["evidence"]["b1"]
    assert untouched.sha256[:16] not in result.output


def test_dossier_build_then_verify_ok(world: Any, tmp_path: Path) -> None:
    add_photo(world)
    target, pdf = tmp_path / "denuncia.zip", tmp_path / "denuncia.pdf"
    built = run("dossier", "build", world.incidents["a1"].reference, "-o", str(target),
                "--pdf", str(pdf), "--user", "a-security_manager")  # fmt: skip
    assert built.exit_code == 0, built.output
    assert pdf.read_bytes()[:5] == b"%PDF-"
    checked = run("dossier", "verify", str(target))
    assert checked.exit_code == 0, checked.output
    assert "OK" in checked.output
    last = CustodyEntry.objects.filter(item__incident=world.incidents["a1"]).last()
    assert (last.action, last.actor_name) == ("exported", "a-security_manager")


def test_dossier_verify_fails_on_a_tampered_zip(world: Any, tmp_path: Path) -> None:
    add_photo(world)
    target = tmp_path / "denuncia.zip"
    assert run("dossier", "build", str(world.incidents["a1"].pk), "-o", str(target)).exit_code == 0
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(target) as source, zipfile.ZipFile(forged, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("evidence/") and name.endswith(".jpg"):
                data = data[:-10] + b"0123456789"
            out.writestr(name, data)
    result = run("dossier", "verify", str(forged))
    assert result.exit_code == 1
    assert "hash_mismatch" in result.output
    offline = run("dossier", "verify", "--offline", str(forged))
    assert offline.exit_code == 1


def test_dossier_build_of_unknown_incident_exits_2(world: Any, tmp_path: Path) -> None:
    result = run("dossier", "build", "INC-0000-NOPE", "-o", str(tmp_path / "x.zip"))
    assert result.exit_code == 2
