"""The complaint dossier: ZIP with manifest, its verifier against tampering, the Spanish PDF."""

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from minewatch.evidence.engine.custody import summarise_custody
from minewatch.evidence.engine.dossier import (
    MANIFEST_NAME,
    DossierFile,
    DossierItem,
    EvidenceHashMismatchError,
    OrganisationContact,
    build_dossier_zip,
    render_dossier_pdf,
    verify_dossier,
)
from minewatch.evidence.engine.dossier_pdf import draw_location_map
from minewatch.evidence.tests.builders import (
    T0,
    make_chain,
    make_jpeg_with_exif,
    make_wav,
    sha256_of,
)

OUTLINE_CANDIDATES = [
    Path(__file__).resolve().parents[2] / "geo" / "data" / "peru_admin1.geojson",
    Path(__file__).resolve().parents[5] / "shared" / "data" / "peru_admin1.geojson",
]
OUTLINE_PATH = next((path for path in OUTLINE_CANDIDATES if path.exists()), None)
EVIDENCE = {"foto bloqueo.jpg": make_jpeg_with_exif(), "../audio.wav": make_wav(0.2)}
FACTS = {
    "reference": "INC-2024-0042",
    "title": "Ataque a convoy de concentrado",
    "occurred_at": T0,
    "place": "Km 612 Panamericana Sur, Chala",
    "region": "Arequipa",
    "latitude": -15.85,
    "longitude": -74.25,
    "threat": "organised_crime",
    "incident_type": "convoy_attack",
    "modus_operandi": "Bloqueo de la vía con dos camionetas",
    "assailants_count": 6,
    "weapons": ["firearm", "explosive"],
    "timing": "07:30 bloqueo; 07:42 huida",
    "vehicles": ["Camioneta blanca placa ABC-123"],
    "impact": {"injuries": 1, "loss_usd": 250000.0},
    "response": "La escolta se replegó y avisó a la comisaría",
    "responders": ["psc", "pnp"],
    "complaint_number": "DEN-778-2024",
    "protocol_steps": ["Aviso a la central", "Preservación de la escena"],
    "narrative": "Relato con <b>marcas</b> & símbolos",
}
ORG = OrganisationContact("Minera Ejemplo S.A.C.", "Ana Torres", "+51 1 555 0000", "s@example.pe")


def build(target, evidence=EVIDENCE):
    files = [DossierFile(sha256_of(d), name, io.BytesIO(d)) for name, d in evidence.items()]
    return build_dossier_zip(
        target, pdf_bytes=b"%PDF-1.4 test", files=files, facts=FACTS, generated_at=T0
    )


def rewrite_zip(source: Path, target: Path, *, drop=(), replace=None, add=None):
    """Copy a dossier ZIP member by member, dropping, replacing or adding members."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name not in drop:
                new.writestr(name, (replace or {}).get(name, old.read(name)))
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


@pytest.fixture
def dossier(tmp_path):
    path = tmp_path / "dossier.zip"
    build(path)
    return path


def test_built_dossier_verifies_and_manifest_lists_every_file(dossier):
    assert verify_dossier(dossier) == []
    manifest = json.loads(zipfile.ZipFile(dossier).read(MANIFEST_NAME))
    rows = {row["path"]: row for row in manifest["files"]}
    assert set(rows) == {"denuncia.pdf", "evidence/001_foto_bloqueo.jpg", "evidence/002_audio.wav"}
    jpeg = EVIDENCE["foto bloqueo.jpg"]
    assert rows["evidence/001_foto_bloqueo.jpg"]["sha256"] == sha256_of(jpeg)
    assert rows["evidence/001_foto_bloqueo.jpg"]["size_bytes"] == len(jpeg)
    assert manifest["facts"]["occurred_at"] == "2024-05-01T07:30:00Z"
    assert manifest["generated_at"] == "2024-05-01T07:30:00Z"


def flipped_evidence(path, tmp_path):
    member = "evidence/001_foto_bloqueo.jpg"
    data = bytearray(zipfile.ZipFile(path).read(member))
    data[40] ^= 0xFF
    return rewrite_zip(path, tmp_path / "t.zip", replace={member: bytes(data)})


def removed_evidence(path, tmp_path):
    return rewrite_zip(path, tmp_path / "t.zip", drop={"evidence/002_audio.wav"})


def extra_file(path, tmp_path):
    return rewrite_zip(path, tmp_path / "t.zip", add={"evidence/003_x.jpg": b"x"})


def manifest_not_json(path, tmp_path):
    return rewrite_zip(path, tmp_path / "t.zip", replace={MANIFEST_NAME: b"{not json"})


def manifest_hash_replaced(path, tmp_path):
    manifest = json.loads(zipfile.ZipFile(path).read(MANIFEST_NAME))
    manifest["files"][1]["sha256"] = "0" * 64
    new = json.dumps(manifest).encode()
    return rewrite_zip(path, tmp_path / "t.zip", replace={MANIFEST_NAME: new})


def manifest_path_escapes(path, tmp_path):
    manifest = json.loads(zipfile.ZipFile(path).read(MANIFEST_NAME))
    manifest["files"][1]["path"] = "../../etc/passwd"
    new = json.dumps(manifest).encode()
    return rewrite_zip(path, tmp_path / "t.zip", replace={MANIFEST_NAME: new})


def manifest_removed(path, tmp_path):
    return rewrite_zip(path, tmp_path / "t.zip", drop={MANIFEST_NAME})


def raw_byte_flipped(path, tmp_path):
    data = bytearray(path.read_bytes())
    offset = data.index(b"Exif") + 10  # inside the stored (uncompressed) JPEG
    data[offset] ^= 0xFF
    target = tmp_path / "t.zip"
    target.write_bytes(bytes(data))
    return target


def not_a_zip(path, tmp_path):
    target = tmp_path / "t.zip"
    target.write_bytes(b"PK but not really")
    return target


DOSSIER_TAMPER_CASES = [
    (flipped_evidence, ["hash_mismatch"]),
    (raw_byte_flipped, ["hash_mismatch"]),
    (removed_evidence, ["file_missing"]),
    (extra_file, ["extra_file"]),
    (manifest_hash_replaced, ["hash_mismatch"]),
    (manifest_not_json, ["manifest_malformed"]),
    (manifest_path_escapes, ["manifest_malformed"]),
    (manifest_removed, ["manifest_missing"]),
    (not_a_zip, ["not_a_zip"]),
]


@pytest.mark.parametrize(
    ("tamper", "expected"), DOSSIER_TAMPER_CASES, ids=lambda v: getattr(v, "__name__", "")
)
def test_verify_dossier_detects_tampering(dossier, tmp_path, tamper, expected):
    problems = verify_dossier(tamper(dossier, tmp_path))
    assert sorted({problem.kind for problem in problems}) == expected


def test_swapped_file_with_rewritten_manifest_caught_only_against_recorded_hashes(
    dossier, tmp_path
):
    member = "evidence/002_audio.wav"
    forged = make_wav(0.3)
    manifest = json.loads(zipfile.ZipFile(dossier).read(MANIFEST_NAME))
    manifest["files"][2].update(sha256=sha256_of(forged), size_bytes=len(forged))
    replace = {member: forged, MANIFEST_NAME: json.dumps(manifest).encode()}
    forged_zip = rewrite_zip(dossier, tmp_path / "t.zip", replace=replace)
    recorded = [sha256_of(data) for data in EVIDENCE.values()]
    assert verify_dossier(forged_zip) == []
    problems = verify_dossier(forged_zip, expected_sha256s=recorded)
    assert [(p.kind, p.path) for p in problems] == [("unrecorded_hash", member)]


def test_build_refuses_evidence_whose_bytes_do_not_match_its_hash():
    files = [DossierFile(sha256_of(b"original"), "a.jpg", io.BytesIO(b"cambiado"))]
    with pytest.raises(EvidenceHashMismatchError, match="the stored file changed"):
        build_dossier_zip(io.BytesIO(), pdf_bytes=b"%PDF", files=files, facts={}, generated_at=T0)


@pytest.mark.parametrize(
    ("facts", "generated_at", "message"),
    [
        ({"at": datetime(2024, 5, 1)}, T0, "naive datetime"),
        ({"blob": object()}, T0, "not JSON-ready"),
        ({}, datetime(2024, 5, 1), "generated_at must be timezone-aware"),
    ],
)
def test_build_refuses_facts_that_cannot_be_stated_exactly(facts, generated_at, message):
    with pytest.raises(ValueError, match=message):
        build_dossier_zip(
            io.BytesIO(), pdf_bytes=b"%PDF", files=[], facts=facts, generated_at=generated_at
        )


@pytest.fixture(scope="module")
def pdf_text():
    chain = make_chain(4, item_sha256=sha256_of(EVIDENCE["foto bloqueo.jpg"]))
    items = [
        DossierItem(sha256_of(data), name, kind, len(data), summarise_custody(chain), T0)
        for (name, data), kind in zip(EVIDENCE.items(), ["photo", "audio"], strict=True)
    ]
    outline = json.loads(OUTLINE_PATH.read_text()) if OUTLINE_PATH else None
    pdf = render_dossier_pdf(FACTS, items, ORG, outline=outline, generated_at=T0)
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    "expected",
    [
        "Dossier de denuncia",
        "INC-2024-0042",
        "Km 612 Panamericana Sur, Chala",
        "2024-05-01 07:30 UTC (2024-05-01 02:30 hora local)",
        "crimen organizado",
        "ataque a convoy",
        "Bloqueo de la vía con dos camionetas",
        "arma de fuego; explosivo",
        "Camioneta blanca placa ABC-123",
        "heridos: 1",
        "Policía Nacional del Perú",
        "DEN-778-2024",
        "Preservación de la escena",
        "Relato con <b>marcas</b> & símbolos",
        "latitud -15.85000, longitud -74.25000",
        sha256_of(EVIDENCE["foto bloqueo.jpg"]),
        sha256_of(EVIDENCE["../audio.wav"]),
        "Comisaría PNP de Chala",
        "Minera Ejemplo S.A.C.",
        "s@example.pe",
    ],
)
def test_dossier_pdf_text_states_facts_hashes_and_contact(pdf_text, expected):
    assert expected in pdf_text


def test_dossier_pdf_refuses_naive_times():
    with pytest.raises(ValueError, match="timezone-aware"):
        render_dossier_pdf({"occurred_at": datetime(2024, 5, 1)}, [], ORG, generated_at=T0)


def test_location_map_draws_outline_and_puts_point_inside_frame():
    from reportlab.graphics.shapes import Circle, PolyLine
    from shapely.geometry import box

    drawing = draw_location_map(-15.85, -74.25, box(-81.4, -18.4, -68.6, 0.0).__geo_interface__)
    (point,) = [shape for shape in drawing.contents if isinstance(shape, Circle)]
    assert any(isinstance(shape, PolyLine) for shape in drawing.contents)
    assert 0 < point.cx < drawing.width
    assert 0 < point.cy < drawing.height


def test_dossier_pdf_flows_every_long_field_across_pages():
    """50,000 characters of narrative, 200 evidence items and 100 protocol steps all fit."""
    words = " ".join(f"palabra{i}" for i in range(6000))
    narrative = (words + "\n\n")[:50_000]
    long_text = "x" * 6000 + " " + "Bloqueo " * 600
    facts = {**FACTS, "narrative": narrative, "modus_operandi": long_text, "place": long_text,
             "protocol_steps": [f"Paso {n}: " + "aviso " * 40 for n in range(1, 101)]}  # fmt: skip
    chain = make_chain(3, item_sha256=sha256_of(b"x"))
    items = [
        DossierItem(sha256_of(str(n).encode()), f"foto-{n}.jpg", "photo", 1000 + n,
                    summarise_custody(chain), T0, description="Descripción " * 300)
        for n in range(200)
    ]  # fmt: skip
    pdf = render_dossier_pdf(facts, items, ORG, generated_at=T0)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 20
    flowing = text.replace("\n", " ")
    assert "palabra1 palabra2" in flowing and "palabra3500 palabra3501" in flowing
    assert "Paso 100:" in text and "foto-199.jpg" in text
