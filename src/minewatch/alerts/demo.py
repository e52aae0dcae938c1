"""Demo alerting: police contacts per site, two months of synthetic alert history, and a
local outbox (SMTP sink and SMS gateway on 127.0.0.1) the live demo's channels deliver to.

Rules, the standard ladder and the bilingual protocols are already there (every new
organisation gets them). History is raised through the services with past times,
acknowledged and resolved by the demo operators, so the metrics have something to show.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import logging
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from minewatch.alerts import services
from minewatch.alerts.choices import AlertSource, ContactKind
from minewatch.alerts.services.alerts import open_alert
from minewatch.alerts.services.rules import AlertInput

logger = logging.getLogger("minewatch.alerts.demo")

SYNTHETIC = "(demo, sintético)"
# Police stations (comisarías PNP) covering each demo site; addresses are synthetic.
POLICE = {
    "las_bambas": "Comisaría PNP Challhuahuacho", "antapaccay": "Comisaría PNP Espinar",
    "constancia": "Comisaría PNP Chamaca", "cerro_verde": "Comisaría PNP Uchumayo",
    "toquepala": "Comisaría PNP Ilabaya", "cuajone": "Comisaría PNP Torata",
    "quellaveco": "Comisaría PNP Moquegua", "poderosa": "Comisaría PNP Pataz",
    "matarani": "Comisaría PNP Mollendo", "antamina": "Comisaría PNP San Marcos",
    "yanacocha": "Comisaría PNP Cajamarca",
}  # fmt: skip
HISTORY = (
    ("alarm.perimeter", 4, AlertSource.ALARM_PANEL, "Intrusión perimetral: cerco norte", "concession_invasion"),
    ("camera.intrusion", 4, AlertSource.CAMERA, "Intrusión en cámara: persona en el cerco", "concession_invasion"),
    ("route_deviation", 3, AlertSource.DETECTION, "Desvío de ruta de camión de concentrado", ""),
    ("signal_loss", 4, AlertSource.DETECTION, "Pérdida de señal (posible inhibidor)", "cargo_hijacking"),
    ("tour.checkpoint_missed", 3, AlertSource.GUARD_TOUR, "Punto de control omitido", ""),
    ("panic", 5, AlertSource.PANIC, "Botón de pánico de escolta", "convoy_attack"),
)  # fmt: skip


def _contacts(context: Any) -> int:
    for key, name in POLICE.items():
        site = context.sites[key]
        actor = context.users[
            "admin"
            if site.organisation_id == context.users["admin"].organisation_id
            else "manager2"
        ]
        services.save_contact(
            actor=actor, organisation=site.organisation, name=f"{name} {SYNTHETIC}",
            kind=ContactKind.POLICE, site=site, area=site.description[:200],
            email=f"{key}.pnp@example.pe", phone="+51900000105",
            notes="Contacto sintético para la demostración; la emergencia real es el 105.",
        )  # fmt: skip
    return len(POLICE)


def _history(context: Any, count: int = 48) -> int:
    rng, now = context.rng, context.now
    keys = ["las_bambas", "antapaccay", "poderosa", "matarani", "antamina", "constancia"]
    for index in range(count):
        key = rng.choice(keys)
        site = context.sites[key]
        kind, severity, source, title, incident_type = rng.choice(HISTORY)
        raised = now - dt.timedelta(days=rng.uniform(1, 60), minutes=rng.uniform(0, 600))
        item = AlertInput(
            organisation_id=site.organisation_id, kind=kind, severity=severity, source=source,
            occurred_at=raised, title=f"{title} {SYNTHETIC}", site_id=site.pk,
            subject_type="demo", subject_key=f"hist-{index}", lat=site.lat + rng.uniform(-0.02, 0.02),
            lon=site.lon + rng.uniform(-0.02, 0.02), incident_type=incident_type, is_synthetic=True,
        )  # fmt: skip
        alert = open_alert(item, now=raised)
        operator = context.users[
            "manager2" if key == "antamina" else rng.choice(["operator", "psc-operator"])
        ]
        acked = raised + dt.timedelta(seconds=rng.uniform(40, 900))
        services.acknowledge_alert(alert, actor=operator, now=acked, note="Recibido (demo)")
        if rng.random() < 0.4:
            services.record_police_notified(
                alert, actor=operator, at=acked + dt.timedelta(minutes=rng.uniform(2, 20))
            )
        resolved = acked + dt.timedelta(minutes=rng.uniform(10, 240))
        note = rng.choice(["Falsa alarma verificada por cámara", "Patrulla verificó la zona",
                           "PNP intervino; sin daños", "Camión retomó la ruta autorizada"])  # fmt: skip
        services.resolve_alert(alert, actor=operator, note=f"{note} (demo)", now=resolved)
    return count


def load(context: Any) -> None:
    """Police contacts for every demo site, the outbox channels, synthetic alert history.

    The e-mail and SMS channels point at the demo outbox before any alert is raised, so
    no delivery fails for want of a channel (the outbox runs while the demo serves).
    """
    contacts = _contacts(context)
    smtp_port, sms_port = outbox_ports()
    configure_outbox_channels(smtp_port=smtp_port, sms_port=sms_port)
    history = _history(context)
    context.summary.append(f"{contacts} police contacts, {history} synthetic resolved alerts")


# The demo's stand-ins for a mail server and an SMS gateway: real SMTP and HTTP on
# 127.0.0.1 inside the demo process (no internet), configured as each organisation's
# e-mail and SMS channels, so the ladder's deliveries go out for real and show "sent".
# What they receive is written to <data dir>/demo-outbox/ (one JSON line a message).
DEMO_SMTP_PORT = 12525
DEMO_SMS_PORT = 12580
EMAIL_CHANNEL = "Correo (demo: buzón local 127.0.0.1, no sale a internet)"
SMS_CHANNEL = "SMS (demo: pasarela local 127.0.0.1, no envía SMS reales)"


class DemoOutbox:
    """A local SMTP sink (aiosmtpd) and a local SMS gateway (HTTP), both logging to files."""

    def __init__(self, directory: Path, *, smtp_port: int, sms_port: int) -> None:
        self.directory = directory
        self.smtp_port, self.sms_port = smtp_port, sms_port
        self._lock = threading.Lock()
        self._smtp: Any = None
        self._http: ThreadingHTTPServer | None = None

    def record(self, name: str, entry: dict[str, Any]) -> None:
        entry = {"received_at": dt.datetime.now(dt.UTC).isoformat(), "demo": True, **entry}
        with self._lock, (self.directory / name).open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        logger.info("demo outbox %s: %s", name, entry.get("to"))

    def start(self) -> DemoOutbox:
        from aiosmtpd.controller import Controller

        self.directory.mkdir(parents=True, exist_ok=True)
        outbox = self

        class Mailbox:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
                message = email.message_from_bytes(envelope.original_content or b"")
                body = message.get_payload(decode=True) if not message.is_multipart() else b""
                outbox.record("email.jsonl", {
                    "from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                    "subject": str(message.get("Subject", "")),
                    "text": (body or b"").decode("utf-8", "replace"),
                })  # fmt: skip
                return "250 OK (demo outbox)"

        class Gateway(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                outbox.record("sms.jsonl", {"to": body.get("to"), "text": body.get("text")})
                answer = json.dumps({"status": "accepted (demo gateway, nothing sent)"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self._smtp = Controller(Mailbox(), hostname="127.0.0.1", port=self.smtp_port)
        self._smtp.start()
        self._http = ThreadingHTTPServer(("127.0.0.1", self.sms_port), Gateway)
        self._http.daemon_threads = True
        self.sms_port = self._http.server_address[1]
        threading.Thread(target=self._http.serve_forever, name="demo-sms", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()


def outbox_ports() -> tuple[int, int]:
    """The demo outbox's SMTP and SMS ports (MINEWATCH_DEMO_SMTP_PORT / _SMS_PORT)."""
    return (int(os.environ.get("MINEWATCH_DEMO_SMTP_PORT", DEMO_SMTP_PORT)),
            int(os.environ.get("MINEWATCH_DEMO_SMS_PORT", DEMO_SMS_PORT)))  # fmt: skip


def configure_outbox_channels(*, smtp_port: int, sms_port: int) -> int:
    """Point every organisation's e-mail and SMS channel at the outbox (by the demo's
    channel names; created when missing); returns how many organisations."""
    from minewatch.alerts.models import NotificationChannel
    from minewatch.core.choices import Role
    from minewatch.core.models import Organisation, User

    configured = 0
    for organisation in Organisation.objects.order_by("pk"):
        actor = User.objects.filter(organisation=organisation, is_active=True,
                                    role__in=[Role.ADMIN, Role.SECURITY_MANAGER]).first()  # fmt: skip
        if actor is None:
            continue
        wanted = (
            (EMAIL_CHANNEL, "email", {"host": "127.0.0.1", "port": smtp_port,
                                      "sender": "alertas-demo@minewatch.local"}),
            (SMS_CHANNEL, "sms", {"url": f"http://127.0.0.1:{sms_port}/sms"}),
        )  # fmt: skip
        for name, kind, config in wanted:
            channel = NotificationChannel.objects.filter(
                organisation=organisation, name=name
            ).first()
            if channel is None or channel.config != config or not channel.is_active:
                services.save_channel(actor=actor, organisation=organisation, channel=channel,
                                      name=name, kind=kind, config=config, is_active=True,
                                      timeout_s=5)  # fmt: skip
        configured += 1
    return configured


def simulators(context: Any, base_url: str) -> list[Callable[[], None]]:
    """Start the demo outbox and point the organisations' e-mail and SMS channels at it."""
    from django.conf import settings

    def start() -> None:
        smtp_port, sms_port = outbox_ports()
        directory = Path(settings.DATA_DIR) / "demo-outbox"
        try:
            outbox = DemoOutbox(directory, smtp_port=smtp_port, sms_port=sms_port).start()
        except (ImportError, OSError) as exc:
            logger.warning("demo outbox not started (%s): e-mail and SMS stay unconfigured", exc)
            return
        count = configure_outbox_channels(smtp_port=outbox.smtp_port, sms_port=outbox.sms_port)
        logger.info("demo outbox: SMTP 127.0.0.1:%s, SMS gateway 127.0.0.1:%s for %s "
                    "organisations; messages in %s", outbox.smtp_port, outbox.sms_port, count,
                    directory)  # fmt: skip

    return [start]
