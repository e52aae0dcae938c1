"""The complaint dossier PDF, in Spanish, rendered with ReportLab (no Django).

``facts`` is a plain mapping; the keys read (all optional) are:
``reference, title, occurred_at, ended_at, place, region, site, latitude,
longitude, threat, incident_type, severity, modus_operandi,
assailants_count, assailants_description, weapons, timing, vehicles, impact
(mapping: fatalities, injuries, kidnapped, loss_usd, loss_material),
response, responders, police_notified_at, complaint_number, protocol_steps,
narrative``. Values may be text, numbers, aware datetimes, lists or mappings.

Example
-------
>>> from datetime import UTC, datetime
>>> pdf = render_dossier_pdf({"reference": "INC-7", "threat": "organised_crime"}, [],
...     OrganisationContact(name="Minera Ejemplo S.A.C."),
...     generated_at=datetime(2024, 5, 1, tzinfo=UTC))
>>> pdf[:5]
b'%PDF-'
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from minewatch.evidence.engine.metadata import PERU_UTC_OFFSET


@dataclass(frozen=True)
class OrganisationContact:
    """Who files the dossier and how the authorities reach them."""

    name: str
    contact_person: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    tax_id: str = ""


@dataclass(frozen=True)
class DossierItem:
    """An evidence item as listed in the PDF."""

    sha256: str
    name: str
    kind: str
    size_bytes: int
    custody_summary: str
    captured_at: datetime | None = None
    description: str = ""


SPANISH_LABELS: Mapping[str, str] = {
    "terrorism": "terrorismo", "social_conflict": "conflicto social",
    "illegal_mining": "minería ilegal", "organised_crime": "crimen organizado",
    "internal": "interno", "armed_attack": "ataque armado", "ambush": "emboscada",
    "sabotage": "sabotaje", "explosives_theft": "robo de explosivos",
    "attack_on_infrastructure": "ataque a infraestructura",
    "terrorist_extortion": "extorsión terrorista", "protest": "protesta",
    "road_blockade": "bloqueo de vía", "occupation_of_facilities": "toma de instalaciones",
    "staff_retention": "retención de personal", "property_damage": "daños a la propiedad",
    "violent_clash": "enfrentamiento violento", "concession_invasion": "invasión de concesión",
    "illegal_extraction": "extracción ilegal", "ore_theft": "robo de mineral",
    "armed_confrontation": "enfrentamiento armado",
    "supply_chain_infiltration": "infiltración de la cadena de suministro",
    "environmental_damage": "daño ambiental", "extortion": "extorsión",
    "protection_payment_demand": "cobro de cupos", "threat_intimidation": "amenaza e intimidación",
    "concentrate_theft": "robo de concentrado", "cargo_hijacking": "secuestro de carga",
    "convoy_attack": "ataque a convoy", "mineral_trafficking": "tráfico de mineral",
    "robbery_cash_valuables": "robo de dinero y valores", "kidnapping": "secuestro",
    "homicide": "homicidio", "assassination": "sicariato",
    "infiltration_company_contractor": "infiltración en empresa o contratista",
    "internal_theft": "hurto interno", "fraud": "fraude",
    "unauthorised_access": "acceso no autorizado", "policy_breach": "incumplimiento de política",
    "firearm": "arma de fuego", "explosive": "explosivo", "bladed": "arma blanca",
    "blunt": "objeto contundente", "incendiary": "incendiario", "vehicle": "vehículo",
    "none": "ninguno", "unknown": "desconocido", "psc": "empresa de seguridad privada",
    "pnp": "Policía Nacional del Perú", "ffaa": "Fuerzas Armadas",
    "community_relations": "relaciones comunitarias", "serenazgo": "serenazgo",
    "fiscalia": "Ministerio Público (Fiscalía)", "photo": "fotografía", "video": "video",
    "audio": "audio", "document": "documento", "message": "mensaje",
    "sensor_snapshot": "captura de sensor", "low": "baja", "medium": "media", "high": "alta",
    "critical": "crítica", "fatalities": "fallecidos", "injuries": "heridos",
    "kidnapped": "secuestrados", "loss_usd": "pérdidas (USD)",
    "loss_material": "pérdida material",
}  # fmt: skip

_FACT_ROWS: tuple[tuple[str, str], ...] = (
    ("reference", "Referencia"), ("occurred_at", "Fecha y hora"), ("ended_at", "Fin"),
    ("threat", "Amenaza"), ("incident_type", "Tipo de incidente"), ("severity", "Severidad"),
    ("site", "Unidad minera / sitio"), ("place", "Lugar"), ("region", "Región"),
)  # fmt: skip
_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Modus operandi y autores", (
        ("modus_operandi", "Modus operandi"), ("assailants_count", "Número de agresores"),
        ("assailants_description", "Descripción de los agresores"), ("weapons", "Armas"),
        ("vehicles", "Vehículos"), ("timing", "Cronología"),
    )),
    ("Impacto", (("impact", "Impacto"),)),
    ("Respuesta", (
        ("response", "Respuesta"), ("responders", "Intervinientes"),
        ("police_notified_at", "Aviso a la policía"), ("complaint_number", "N.º de denuncia"),
    )),
    ("Relato de los hechos", (("narrative", "Relato"),)),
)  # fmt: skip


def spanish(value: Any) -> str:
    """Spanish label of a taxonomy value; unknown values are shown as given.

    Examples
    --------
    >>> spanish("convoy_attack")
    'ataque a convoy'
    """
    text = str(value)
    return SPANISH_LABELS.get(text, text.replace("_", " "))


def _format_time(moment: datetime, local_utc_offset: timedelta) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"dossier times must be timezone-aware UTC, got naive {moment}")
    utc = moment.astimezone(UTC)
    local = utc + local_utc_offset
    return f"{utc:%Y-%m-%d %H:%M} UTC ({local:%Y-%m-%d %H:%M} hora local)"


def format_value(value: Any, local_utc_offset: timedelta = PERU_UTC_OFFSET) -> str:
    """Readable Spanish text of a fact value (lists joined, mappings as ``clave: valor``).

    Examples
    --------
    >>> format_value(["firearm", "vehicle"])
    'arma de fuego; vehículo'
    """
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, datetime):
        return _format_time(value, local_utc_offset)
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(
            f"{spanish(k)}: {format_value(v, local_utc_offset)}" for k, v in value.items()
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(format_value(v, local_utc_offset) for v in value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return spanish(value)


def _outline_geometry(outline: Any) -> BaseGeometry | None:
    if outline is None or isinstance(outline, BaseGeometry):
        return outline
    if outline.get("type") == "FeatureCollection":
        from shapely.geometry import GeometryCollection

        return GeometryCollection([shape(f["geometry"]) for f in outline["features"]])
    return shape(outline.get("geometry", outline))


def _rings(geometry: BaseGeometry) -> list[list[tuple[float, float]]]:
    if hasattr(geometry, "geoms"):
        return [ring for part in geometry.geoms for ring in _rings(part)]
    if geometry.geom_type == "Polygon":
        return [list(geometry.exterior.coords)]
    return [list(geometry.coords)] if geometry.geom_type in ("LineString", "LinearRing") else []


def draw_location_map(
    latitude: float,
    longitude: float,
    outline: Any = None,
    *,
    width_pt: float = 200.0,
    height_pt: float = 240.0,
    simplify_deg: float = 0.02,
) -> Drawing:
    """A small map: the outline (e.g. Peru's departments) and the incident point in red.

    Parameters
    ----------
    latitude, longitude : float
        WGS84 degrees of the incident.
    outline : GeoJSON mapping or shapely geometry, optional
        Boundary to draw; the view is fitted to it (and to the point).
    width_pt, height_pt : float
        Drawing size in PDF points.
    simplify_deg : float
        Simplification tolerance for the outline, degrees.

    Examples
    --------
    >>> draw_location_map(-14.0, -72.0).width
    200.0
    """
    geometry = _outline_geometry(outline)
    rings = _rings(geometry.simplify(simplify_deg)) if geometry is not None else []
    xs = [x for ring in rings for x, _ in ring] + [longitude]
    ys = [y for ring in rings for _, y in ring] + [latitude]
    pad = 0.5 if not rings else 0.0
    west, east, south, north = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    x_scale = max(0.2, math.cos(math.radians((south + north) / 2)))
    scale = min(width_pt / ((east - west) * x_scale or 1), height_pt / ((north - south) or 1))

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - west) * x_scale * scale, (lat - south) * scale

    drawing = Drawing(width_pt, height_pt)
    drawing.add(Rect(0, 0, width_pt, height_pt, fillColor=None, strokeColor=colors.lightgrey))
    for ring in rings:
        points = [value for lon, lat in ring for value in project(lon, lat)]
        drawing.add(PolyLine(points, strokeColor=colors.grey, strokeWidth=0.4))
    x, y = project(longitude, latitude)
    drawing.add(Line(x - 8, y, x + 8, y, strokeColor=colors.red, strokeWidth=0.6))
    drawing.add(Line(x, y - 8, x, y + 8, strokeColor=colors.red, strokeWidth=0.6))
    drawing.add(Circle(x, y, 3.5, fillColor=colors.red, strokeColor=colors.darkred))
    label = f"{latitude:.5f}, {longitude:.5f}"
    drawing.add(String(4, 4, label, fontName="Helvetica", fontSize=7, fillColor=colors.black))
    return drawing


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontSize=17, spaceAfter=4),
        "h": ParagraphStyle("h", parent=base["Heading2"], fontSize=12, spaceBefore=8),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontSize=9, leading=11.5),
        "label": ParagraphStyle(
            "l", parent=base["BodyText"], fontSize=9, fontName="Helvetica-Bold"
        ),
        "hash": ParagraphStyle("x", parent=base["BodyText"], fontName="Courier", fontSize=7.5),
    }


# A value longer than this leaves the two-column table and flows as paragraphs under its
# label: a table cell cannot split across pages, so a narrative taller than a page made
# ReportLab fail (LayoutError) and a shorter long one wasted most of a page.
TABLE_CELL_MAX_CHARS = 600
PIECE_CHARS = 3000


def _fact_table(rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle]) -> list:
    """Label/value rows as a table; long values as flowing paragraphs, in the same order."""
    flowables: list = []
    short: list = []

    def flush() -> None:
        if short:
            table = Table(short[:], colWidths=[48 * mm, 122 * mm], hAlign="LEFT")
            table.setStyle(
                [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
            )
            flowables.append(table)
            short.clear()

    for label, text in rows:
        if len(text) <= TABLE_CELL_MAX_CHARS and "\n" not in text:
            short.append(
                [Paragraph(escape(label), styles["label"]), Paragraph(escape(text), styles["body"])]
            )
            continue
        flush()
        flowables.append(Paragraph(escape(label), styles["label"]))
        flowables += _text_flowables(text, styles["body"])
    flush()
    return flowables


def _text_flowables(text: str, style: ParagraphStyle) -> list:
    """Free text as one paragraph per line, each split in pieces a page can hold."""
    flowables: list = []
    for line in text.splitlines():
        if not line.strip():
            continue
        # A paragraph splits across pages, but the cost of laying out one grows faster than
        # its length; pieces of a few thousand characters keep a 50,000-character narrative fast.
        while line:
            cut = len(line) if len(line) <= PIECE_CHARS else line.rfind(" ", 0, PIECE_CHARS) + 1
            piece, line = line[: cut or PIECE_CHARS], line[cut or PIECE_CHARS :]
            flowables.append(Paragraph(escape(piece), style))
    return flowables or [Paragraph("", style)]


def _rows(facts: Mapping[str, Any], keys: Sequence[tuple[str, str]], offset: timedelta) -> list:
    return [(label, format_value(facts[key], offset)) for key, label in keys if key in facts]


def _protocol_flowables(facts: Mapping[str, Any], styles: dict, offset: timedelta) -> list:
    steps = facts.get("protocol_steps") or []
    flowables: list = [Paragraph("Pasos del protocolo de respuesta", styles["h"])]
    for number, step in enumerate(steps, start=1):
        text = format_value(step, offset)
        flowables.append(Paragraph(f"{number}. {escape(text)}", styles["body"]))
    if not steps:
        flowables.append(Paragraph("No se registraron pasos del protocolo.", styles["body"]))
    return flowables


def _item_flowables(items: Sequence[DossierItem], styles: dict, offset: timedelta) -> list:
    flowables: list = [Paragraph(f"Evidencias ({len(items)})", styles["h"])]
    for number, item in enumerate(items, start=1):
        captured = format_value(item.captured_at, offset) if item.captured_at else "—"
        head = (
            f"<b>{number}. {escape(item.name)}</b> — {escape(spanish(item.kind))}, "
            f"{item.size_bytes:,} bytes; captura: {escape(captured)}"
        )
        block = [
            Paragraph(head, styles["body"]),
            Paragraph(f"SHA-256: {item.sha256}", styles["hash"]),
        ]
        if item.description:
            block += _text_flowables(item.description, styles["body"])
        custody = f"<i>Cadena de custodia:</i> {escape(item.custody_summary)}"
        block += [Paragraph(custody, styles["body"]), Spacer(1, 4)]
        flowables.append(KeepTogether(block))
    if not items:
        flowables.append(Paragraph("No se adjuntan evidencias.", styles["body"]))
    return flowables


def _contact_rows(org: OrganisationContact) -> list[tuple[str, str]]:
    rows = [
        ("Organización", org.name),
        ("RUC", org.tax_id),
        ("Persona de contacto", org.contact_person),
    ]
    rows += [("Teléfono", org.phone), ("Correo electrónico", org.email), ("Dirección", org.address)]
    return [(label, value) for label, value in rows if value]


def render_dossier_pdf(
    facts: Mapping[str, Any],
    items: Sequence[DossierItem],
    org: OrganisationContact,
    *,
    outline: Any = None,
    generated_at: datetime,
    local_utc_offset: timedelta = PERU_UTC_OFFSET,
) -> bytes:
    """Render the complaint dossier PDF (Spanish) and return its bytes.

    Parameters
    ----------
    facts : mapping
        Incident facts; keys listed in the module docstring.
    items : sequence of DossierItem
        Evidence with SHA-256 and a custody summary (``custody.summarise_custody``).
    org : OrganisationContact
    outline : GeoJSON mapping or shapely geometry, optional
        Boundary for the location map (Peru's departments).
    generated_at : datetime
        Timezone-aware time printed on every page.
    local_utc_offset : timedelta
        Offset for the local times shown beside UTC (Peru: UTC-5).

    Examples
    --------
    See the module docstring.
    """
    stamp = _format_time(generated_at, local_utc_offset)
    reference = str(facts.get("reference", ""))
    styles = _styles()
    story: list = [
        Paragraph("Dossier de denuncia", styles["title"]),
        Paragraph(escape(str(facts.get("title", ""))), styles["h"]),
        Paragraph(
            f"Presentado por {escape(org.name)} ante la Policía Nacional del Perú o el "
            f"Ministerio Público. Generado el {escape(stamp)}.",
            styles["body"],
        ),
        Paragraph("Hechos", styles["h"]),
        *_fact_table(_rows(facts, _FACT_ROWS, local_utc_offset), styles),
    ]
    if facts.get("latitude") is not None and facts.get("longitude") is not None:
        latitude, longitude = float(facts["latitude"]), float(facts["longitude"])
        where = f"Ubicación (WGS84): latitud {latitude:.5f}, longitud {longitude:.5f}"
        story += [Spacer(1, 4), Paragraph(where, styles["body"])]
        story += [draw_location_map(latitude, longitude, outline)]
    for heading, keys in _SECTIONS:
        rows = _rows(facts, keys, local_utc_offset)
        if rows:
            story += [Paragraph(heading, styles["h"]), *_fact_table(rows, styles)]
    story += _protocol_flowables(facts, styles, local_utc_offset)
    story += _item_flowables(items, styles, local_utc_offset)
    story += [Paragraph("Contacto de la organización", styles["h"])]
    story += _fact_table(_contact_rows(org), styles)

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        text = f"MineWatch — dossier {reference} — generado {stamp} — página {document.page}"
        canvas.drawString(20 * mm, 10 * mm, text)
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"Dossier de denuncia {reference}", author=org.name,
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
    )  # fmt: skip
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
