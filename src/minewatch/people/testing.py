"""People records for both companies of the test world (see minewatch.testing.world)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from minewatch.people import services

PASSED = ("police_record", "criminal_record", "judicial_record", "polygraph")
TRAINED = ("human_rights", "use_of_force", "first_aid", "site_induction")


def make_cleared(actor: Any, person: Any, *, days_ago: int = 10, expires_in: int | None = None,
                 armed: bool = False) -> Any:  # fmt: skip
    """Give ``person`` every default requirement of a guard, done ``days_ago`` days ago.

    ``expires_in`` (days from today) sets one explicit expiry on the police record.
    """
    today = timezone.localdate()
    on = today - dt.timedelta(days=days_ago)
    for kind in PASSED:
        until = (
            today + dt.timedelta(days=expires_in)
            if (expires_in is not None and kind == "police_record")
            else None
        )
        services.add_vetting(actor=actor, person=person, kind=kind, date=on, result="clear",
                             issuing_body="PNP", expires_on=until)  # fmt: skip
    for kind in TRAINED:
        services.add_training(actor=actor, person=person, kind=kind, date=on, provider="ISEM",
                              hours=8)  # fmt: skip
    services.add_licence(actor=actor, person=person, number=f"L-{person.pk:06d}",
                         category="vigilante", issued_on=on,
                         expires_on=today + dt.timedelta(days=700), armed=armed)  # fmt: skip
    return person


def extend_world(world: Any) -> None:
    """Company A: a contractor guard (cleared, on the day shift at a1) and one of its own staff
    with nothing on file; company B: one cleared guard."""
    a_manager, b_manager = world.users["security_manager"], world.users["b-manager"]
    guard = services.save_person(
        actor=a_manager, name="Juan Quispe Mamani", document_number="10000001", role="guard",
        employer=world.orgs["psc"], badge_number="A-001", phone="+51987654321",
        home_ubigeo="130801",
    )  # fmt: skip
    make_cleared(a_manager, guard)
    services.assign(actor=a_manager, person=guard, site=world.sites["a1"],
                    shift_start="06:00", shift_end="18:00")  # fmt: skip
    staff = services.save_person(actor=a_manager, name="Rosa Huamán", document_number="10000002",
                                 role="staff", badge_number="A-002")  # fmt: skip
    b_guard = services.save_person(actor=b_manager, name="Pedro Flores", document_number="20000001",
                                   role="guard", badge_number="B-001")  # fmt: skip
    make_cleared(b_manager, b_guard)
    # one QR credential per company, so the tenancy walk exercises the credentials endpoint
    services.issue_credential(actor=a_manager, kind="qr", value="QR-A-1", person=guard)
    services.issue_credential(actor=b_manager, kind="qr", value="QR-B-1", person=b_guard)
    world.extra["people_a"] = {"guard": guard, "staff": staff}
    world.extra["people_b"] = {"guard": b_guard}
