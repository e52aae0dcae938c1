"""Panels, camera rules, routes, tours and scans of both companies for the tenancy walker."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from minewatch.alarms import services
from minewatch.alarms.engine.sia import PanelEvent
from minewatch.alarms.models import CameraObservationRecord, PanelEventRecord


def panel_event(account: str, code: str = "BA", zone: str = "3", **values: Any) -> PanelEvent:
    """A PanelEvent as the receiver would deliver it."""
    now = timezone.now()
    defaults: dict[str, Any] = {
        "account": account, "receiver": "R0", "line": "L0", "code": code, "zone": zone,
        "area": "", "message": "", "time_utc": now, "received_at_utc": now, "sequence": "0001",
        "is_encrypted": False, "category": {"BA": "burglary", "PA": "panic", "RP": "heartbeat"}.get(code, "other"),
    }  # fmt: skip
    defaults.update(values)
    return PanelEvent(**defaults)


def extend_world(world: Any) -> None:
    """A panel, a camera rule, a route per company; a panel event, an intrusion and a scan each.

    Events and intrusions are written directly (no alert): the walker needs rows of both
    companies, and every test using the world pays for what is built here.
    """
    now = timezone.now()
    for key, account, manager in (("a1", "A1A1", world.users["security_manager"]),
                                  ("b1", "B1B1", world.users["b-manager"])):  # fmt: skip
        site = world.sites[key]
        org = site.organisation
        panel = services.save_panel(actor=manager, organisation=org, site=site, name=f"Panel {key}",
                                    account=account, zone_map={"3": {"name": "Cerco norte", "perimeter": True}},
                                    max_silence_s=1800)  # fmt: skip
        world.extra[f"panel_{key}"] = panel
        PanelEventRecord.objects.create(
            organisation=org, panel=panel, site=site, code="TA", category="tamper", zone="3",
            sequence="0042", event_time=now, received_at=now,
        )  # fmt: skip
        rule = services.save_camera_rule(actor=manager, organisation=org, site=site,
                                         camera=f"cam_{key}", zones=["cerco"], labels=["person"])  # fmt: skip
        CameraObservationRecord.objects.create(
            organisation=org, site=site, rule=rule, event_id=f"1.0-{key}", camera=rule.camera,
            label="person", zone="cerco", score=0.9, occurred_at=now, reason="world",
        )  # fmt: skip
        route = services.save_route(actor=manager, organisation=org, site=site, name=f"Ronda {key}",
                                    lone_guard_interval_minutes=30, checkpoints=[
                                        {"code": f"{key}-CP1", "name": "Garita", "offset_minutes": 0},
                                        {"code": f"{key}-CP2", "name": "Polvorín", "offset_minutes": 20}])  # fmt: skip
        world.extra[f"route_{key}"] = route
    world.extra["scan_a1"] = services.record_scan(actor=world.users["guard"], code="a1-CP1")
    world.extra["scan_b1"] = services.record_scan(actor=world.users["b-manager"], code="b1-CP1")


def frigate_message(
    camera: str,
    *,
    event_id: str = "1700000000.0-abc",
    label: str = "person",
    zones: tuple[str, ...] = ("cerco",),
    score: float = 0.9,
    **after: Any,
) -> bytes:
    """A ``frigate/events`` message in Frigate's own format (JSON bytes)."""
    now = timezone.now().timestamp()
    body = {"id": event_id, "camera": camera, "label": label, "sub_label": None, "score": score,
            "top_score": score, "false_positive": False, "start_time": now - 2, "end_time": None,
            "frame_time": now, "current_zones": list(zones), "entered_zones": list(zones),
            "has_snapshot": True, "has_clip": False, "stationary": False, **after}  # fmt: skip
    return json.dumps(
        {"type": "new", "before": {**body, "entered_zones": []}, "after": body}
    ).encode()
