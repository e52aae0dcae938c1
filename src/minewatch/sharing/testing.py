"""Sharing helpers for tests: a group of companies A and B with what each chooses to share."""

from __future__ import annotations

from typing import Any

from minewatch.sharing import services


def make_group(world: Any, *, a_threats: list[str], b_threats: list[str],
               b_reveal: bool = False) -> Any:  # fmt: skip
    """ "Corredor Sur": A convenes, B joins; each shares the threats given, at TLP up to amber."""
    a_manager, b_manager = world.users["security_manager"], world.users["b-manager"]
    group = services.create_group(actor=a_manager, name="Corredor Sur")
    b_membership = services.add_member(actor=a_manager, group=group, organisation=world.orgs["b"])
    a_membership = group.memberships.get(organisation=world.orgs["a"])
    services.set_membership_policy(a_membership, actor=a_manager, threats=a_threats,
                                   share_actors=True, tlp_ceiling="amber")  # fmt: skip
    services.set_membership_policy(b_membership, actor=b_manager, threats=b_threats,
                                   tlp_ceiling="amber", reveal_identity=b_reveal)  # fmt: skip
    return group


def _tiny_bundle(key: str) -> str:
    """A partner's bundle with one threat actor (hand-written: no stix2 build cost per test)."""
    import json

    return json.dumps({"type": "bundle", "id": f"bundle--{key * 8}-0000-4000-8000-000000000000",
                       "objects": [{
                           "type": "threat-actor", "spec_version": "2.1", "name": f"Banda {key}",
                           "id": f"threat-actor--{key * 8}-0000-4000-8000-000000000001",
                           "created": "2026-11-01T00:00:00Z", "modified": "2026-11-01T00:00:00Z",
                       }]})  # fmt: skip


def extend_world(world: Any) -> None:
    """For A and B each: a TLP override, a partner's actor, an ACLED event; A publishes to psc2."""
    import io

    acled_csv = ("event_id_cnty,event_date,event_type,sub_event_type,country,latitude,longitude,"
                 "fatalities\nPER9{n},2026-11-02,Protests,Peaceful protest,Peru,-14.0,-72.3,0\n")  # fmt: skip
    for key, user_key, incident_key, n in (("a", "security_manager", "a1", 1),
                                           ("b", "b-manager", "b1", 2)):  # fmt: skip
        user = world.users[user_key]
        world.extra[f"tlp_override_{key}"] = services.set_tlp(
            actor=user, object_kind="incident", object_id=world.incidents[incident_key].pk,
            tlp="amber",
        )  # fmt: skip
        services.import_stix(actor=user, text=_tiny_bundle(key), partner="Socio")
        services.import_acled(actor=user, handle=io.StringIO(acled_csv.format(n=n)),
                              filename="acled.csv")  # fmt: skip
    world.extra["agreement_a_psc2"] = services.save_agreement(
        actor=world.users["security_manager"], name="A → PSC2", partner=world.orgs["psc2"],
        threats=["organised_crime"],
    )  # fmt: skip
