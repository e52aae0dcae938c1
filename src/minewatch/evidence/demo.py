"""Synthetic evidence on a few Pataz incidents: photos with EXIF, a voice note, a text message.

Every file is generated here (Pillow, the ``wave`` module) and says it is synthetic;
one photo's EXIF time is deliberately three hours off its declaration, so the demo
shows a discrepancy, and one item has been handed over to the police.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import wave
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from minewatch.evidence import services
from minewatch.incidents.models import Incident

LIMA = dt.timezone(dt.timedelta(hours=-5))
SYNTHETIC_NOTE = "(sintético, demo MineWatch)"


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees, minutes = int(value), int(value * 60) % 60
    return float(degrees), float(minutes), round((value * 3600) % 60, 2)


def synthetic_jpeg(caption: str, taken: dt.datetime, lat: float, lon: float) -> bytes:
    """A 480x320 JPEG labelled synthetic, with EXIF capture time (Lima) and GPS position."""
    image = Image.new("RGB", (480, 320), (92, 104, 96))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 230, 480, 320), fill=(60, 52, 44))
    draw.rectangle((150, 150, 330, 240), fill=(170, 40, 40))
    draw.text((12, 12), "SINTETICO - MineWatch demo", fill=(255, 255, 0))
    draw.text((12, 290), caption[:70], fill=(255, 255, 255))
    exif = Image.Exif()
    exif[271], exif[272] = "DemoCam", "Sintetica 1"
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[36867] = taken.astimezone(LIMA).strftime("%Y:%m:%d %H:%M:%S")
    exif_ifd[36881] = "-05:00"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S" if lat < 0 else "N", 2: _dms(lat), 3: "W" if lon < 0 else "E",
                4: _dms(lon)})  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80, exif=exif)
    return buffer.getvalue()


def synthetic_wav(seconds: float = 4.0, rate_hz: int = 8000) -> bytes:
    """A short mono WAV (a two-tone hum standing in for a voice note)."""
    frames = bytearray()
    for n in range(int(seconds * rate_hz)):
        sample = 0.3 * math.sin(2 * math.pi * 220 * n / rate_hz)
        sample += 0.2 * math.sin(2 * math.pi * 330 * n / rate_hz)
        frames += int(sample * 32767).to_bytes(2, "little", signed=True)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate_hz)
        writer.writeframes(bytes(frames))
    return buffer.getvalue()


def extortion_message(incident: Incident) -> bytes:
    when = incident.occurred_at.astimezone(LIMA)
    return (
        "Chat de WhatsApp exportado — DATOS SINTÉTICOS (demo MineWatch)\n"
        f"[{when:%d/%m/%Y %H:%M}] +51 9XX XXX XXX: Ingeniero, ya sabe cómo es. "
        "Son 5 mil soles semanales por la ruta a la planta.\n"
        f"[{when:%d/%m/%Y %H:%M}] +51 9XX XXX XXX: Si no paga, sus volquetes no pasan. "
        "No avise a la policía.\n"
    ).encode()


def _pataz_incidents(context: Any, types: tuple[str, ...]) -> list[Incident]:
    site = context.sites["poderosa"]
    found = []
    for incident_type in types:
        incident = (
            Incident.objects.filter(
                site=site, incident_type=incident_type, confidentiality="internal"
            )  # fmt: skip
            .order_by("-occurred_at")
            .first()
        )
        if incident is not None:
            found.append(incident)
    return found


def _add(actor: Any, incident: Incident, kind: str, name: str, data: bytes, **values: Any) -> Any:
    values.setdefault("collected_at", incident.occurred_at + dt.timedelta(minutes=40))
    values["description"] = f"{values.get('description', '')} {SYNTHETIC_NOTE}".strip()
    return services.intake_evidence(
        actor=actor, incident=incident, kind=kind, file=ContentFile(data, name=name),
        is_synthetic=True, now=context_now(incident), **values,
    )  # fmt: skip


def context_now(incident: Incident) -> dt.datetime:
    """Intake an hour after the incident (or now, if that is in the future)."""
    return min(incident.occurred_at + dt.timedelta(hours=1), dt.datetime.now(dt.UTC))


def _extortion_items(context: Any, incident: Incident) -> int:
    operator = context.users["operator"]
    _add(operator, incident, "message", "chat_whatsapp_extorsion.txt", extortion_message(incident),
         description="Mensajes de extorsión exportados del teléfono del supervisor",
         declared_at=incident.occurred_at, collected_by="Supervisor de transporte")  # fmt: skip
    _add(operator, incident, "audio", "nota_de_voz.wav", synthetic_wav(),
         description="Nota de voz recibida con la exigencia de pago",
         declared_at=incident.occurred_at)  # fmt: skip
    return 2


def _photo_items(context: Any, incident: Incident) -> int:
    # The guard's photos reach the control room, whose operator files them (a guard may
    # only add evidence to its own reports).
    operator, manager = context.users["operator"], context.users["manager"]
    when = incident.occurred_at + dt.timedelta(minutes=10)
    photo = _add(operator, incident, "photo", f"IMG_{when.astimezone(LIMA):%Y%m%d_%H%M%S}.jpg",
                 synthetic_jpeg("Vehiculo de los agresores", when, incident.lat, incident.lon),
                 description="Vehículo usado por los agresores, desde la garita",
                 declared_at=when, declared_lat=incident.lat, declared_lon=incident.lon,
                 declared_place=incident.location_description,
                 collected_by="Vigilante R. Quispe")  # fmt: skip
    forwarded = when + dt.timedelta(hours=3)
    _add(operator, incident, "photo", "foto_reenviada.jpg",
         synthetic_jpeg("Foto reenviada por un testigo", forwarded, incident.lat, incident.lon),
         description="Foto reenviada por un testigo: su hora EXIF no coincide con la declarada",
         declared_at=when, declared_lat=incident.lat, declared_lon=incident.lon)  # fmt: skip
    services.hand_over(photo, actor=manager, recipient_organisation="Comisaría PNP de Pataz",
                       document_number="Oficio N.º 045-2025-DEMO (sintético)",
                       reason="Entrega para la investigación policial")  # fmt: skip
    return 2


def load(context: Any) -> None:
    """Add the synthetic evidence; the first incident is the dossier example."""
    count = 0
    extortion = _pataz_incidents(context, ("extortion",))
    violent = _pataz_incidents(context, ("armed_confrontation", "assassination", "ore_theft"))
    for incident in extortion[:1]:
        count += _extortion_items(context, incident)
        count += _photo_items(context, incident)
    for incident in violent[:2]:
        count += _photo_items(context, incident)
    example = extortion[0].reference if extortion else "—"
    context.extra["evidence_dossier_incident"] = example
    context.summary.append(
        f"{count} synthetic evidence items on Pataz incidents (dossier example: {example}; "
        f"minewatch dossier build {example} -o denuncia.zip)"
    )
