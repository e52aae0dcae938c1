"""Demo alarm panels, cameras and patrols, and live simulators for them.

``minewatch demo`` starts the SIA DC-09 receiver in-process (port 12128, or
MINEWATCH_DEMO_SIA_PORT) and a simulated panel that sends it real frames: heartbeats
every minute and, now and then, an alarm. A simulated camera produces Frigate-format
event messages and a JPEG snapshot. All of it is labelled synthetic.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections
from django.utils import timezone

from minewatch.alarms import services
from minewatch.alarms.models import AlarmPanel, CameraZoneRule

logger = logging.getLogger("minewatch.alarms.demo")

SYNTHETIC = "(simulado)"
PANELS = (
    # site key, name, account, key, zone map
    ("las_bambas", "Polvorín Las Bambas", "1001", "DE0123456789ABCD",
     {"1": {"name": "Puerta principal"}, "3": {"name": "Cerco norte", "perimeter": True},
      "5": {"name": "Barrera infrarroja", "perimeter": True}}),
    ("poderosa", "Campamento Pataz", "1002", "",
     {"2": {"name": "Almacén de explosivos"}, "4": {"name": "Cerco de bocamina", "perimeter": True}}),
)  # fmt: skip
CAMERAS = (
    ("las_bambas", "garita_norte", ["cerco", "acceso"]),
    ("poderosa", "bocamina_2", ["socavon"]),
)
SIA_CODES = ("BA", "BA", "BA", "TA", "PA", "FA")


def load(context: Any) -> None:
    """Two panels, two cameras with night watch, one patrol route with a lone-guard check-in."""
    import datetime as dt

    from minewatch.core.demo import COMPANY_1

    admin, org = context.users["admin"], context.organisations[COMPANY_1]
    for key, name, account, aes_key, zones in PANELS:
        services.save_panel(actor=admin, organisation=org, site=context.sites[key],
                            name=f"{name} {SYNTHETIC}", account=account, key=aes_key,
                            zone_map=zones, max_silence_s=1800)  # fmt: skip
    for key, camera, zones in CAMERAS:
        services.save_camera_rule(actor=admin, organisation=org, site=context.sites[key], camera=camera,
                                  zones=zones, labels=["person", "car", "truck"], min_score=0.6,
                                  window_start=dt.time(18), window_end=dt.time(18))  # fmt: skip
    checkpoints = [
        {"code": f"LB-RONDA-{n}", "name": name, "offset_minutes": offset, "tolerance_minutes": 5}
        for n, (name, offset) in enumerate(
            [("Garita principal", 0), ("Polvorín", 15), ("Planta concentradora", 35), ("Relavera", 55)], 1
        )
    ]  # fmt: skip
    services.save_route(actor=admin, organisation=org, site=context.sites["las_bambas"],
                        name=f"Ronda nocturna Las Bambas {SYNTHETIC}", lone_guard_interval_minutes=30,
                        checkpoints=checkpoints)  # fmt: skip
    context.summary.append(
        f"{len(PANELS)} alarm panels, {len(CAMERAS)} cameras, 1 patrol route (synthetic)"
    )


def _demo_jpeg(text: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 180), (30, 40, 30))
    ImageDraw.Draw(image).text((10, 80), text, fill=(240, 240, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def _panel_loop(port: int, rng: random.Random, stop: threading.Event) -> None:
    from minewatch.alarms.engine.sia_client import build_sia_frame, send_sia_frame

    sequence, next_alarm = 1, time.monotonic() + rng.uniform(60, 180)
    while not stop.wait(60 if sequence > 1 else 5):
        frames = []
        for _key, _name, account, aes_key, zones in PANELS:
            sequence = sequence % 9999 + 1
            frames.append(
                build_sia_frame(account=account, code="RP", sequence=sequence, key=aes_key or None)
            )
            if time.monotonic() > next_alarm and rng.random() < 0.5:
                zone = rng.choice(list(zones))
                frames.append(build_sia_frame(account=account, code=rng.choice(SIA_CODES), zone=zone,
                                              sequence=sequence + 1, key=aes_key or None))  # fmt: skip
                next_alarm = time.monotonic() + rng.uniform(180, 420)
        for frame in frames:
            try:
                asyncio.run(send_sia_frame(frame, host="127.0.0.1", port=port, timeout_s=5))
            except (OSError, TimeoutError) as exc:
                logger.warning("demo panel could not reach the receiver: %s", exc)


def _camera_loop(rng: random.Random, stop: threading.Event) -> None:
    from minewatch.alarms.testing import frigate_message

    while not stop.wait(rng.uniform(150, 300)):
        rule = rng.choice(
            list(CameraZoneRule.objects.filter(camera__in=[c for _k, c, _z in CAMERAS]))
        )
        label, zone = rng.choice(["person", "person", "truck"]), rng.choice(rule.zones)
        event_id = f"{time.time():.6f}-demo{rng.randrange(10**6):06d}"
        try:
            services.handle_frigate_message(frigate_message(rule.camera, event_id=event_id, label=label,
                                                            zones=(zone,), score=rng.uniform(0.7, 0.95)))  # fmt: skip
            stamp = timezone.localtime().strftime("%H:%M")
            services.attach_snapshot(
                rule.camera, label, _demo_jpeg(f"SIMULACION {rule.camera} {label} {stamp}")
            )
        except Exception:
            logger.exception("demo camera failed")
        finally:
            close_old_connections()


def simulators(context: Any, base_url: str) -> list[Callable[[], None]]:
    """Start the in-process SIA receiver, a simulated panel and a simulated Frigate camera."""
    if not AlarmPanel.objects.filter(account__in=[p[2] for p in PANELS]).exists():
        return []
    port = int(os.environ.get("MINEWATCH_DEMO_SIA_PORT", "12128"))

    def start() -> None:
        from minewatch.alarms.receivers import SiaReceiverThread

        receiver = SiaReceiverThread(host="127.0.0.1", port=port).start()
        if receiver.tcp_port is None:
            logger.warning("demo SIA receiver did not start on port %s", port)
            return
        stop = threading.Event()
        rng = random.Random()
        threading.Thread(
            target=_panel_loop, args=(port, rng, stop), name="demo-panel", daemon=True
        ).start()
        threading.Thread(
            target=_camera_loop, args=(rng, stop), name="demo-camera", daemon=True
        ).start()
        logger.info(
            "demo alarm panel → SIA receiver 127.0.0.1:%s; demo Frigate camera running", port
        )

    return [start]
