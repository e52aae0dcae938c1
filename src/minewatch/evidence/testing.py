"""Evidence records for the shared test world (``minewatch.testing.world``): both companies."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from minewatch.evidence import services


def message_file(text: str, name: str = "mensaje.txt") -> ContentFile:
    """An exported text message as an upload would bring it."""
    return ContentFile(text.encode("utf-8"), name=name)


def extend_world(world: Any) -> None:
    """One extortion message per incident: a1 (assigned to the PSC), a2 (not), b1 (company B)."""
    owners = {"a1": world.users["security_manager"], "a2": world.users["security_manager"],
              "b1": world.users["b-manager"]}  # fmt: skip
    world.extra["evidence"] = {
        key: services.intake_evidence(
            actor=actor,
            incident=world.incidents[key],
            kind="message",
            file=message_file(f"Paga el cupo o atente a las consecuencias ({key})."),
            description=f"Mensaje de extorsión recibido por WhatsApp ({key})",
        )  # fmt: skip
        for key, actor in owners.items()
    }
