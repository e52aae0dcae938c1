"""Sharing groups: each member chooses what it shares; members see the layer; nothing else crosses."""

from __future__ import annotations

import pytest

from minewatch.core.errors import NotAllowed
from minewatch.core.tenancy import restrict
from minewatch.incidents.models import Incident
from minewatch.intel.models import ThreatActor
from minewatch.sharing import services
from minewatch.sharing.engine import policy
from minewatch.sharing.models import GroupMembership, SharedRecord, SharingGroup
from minewatch.sharing.testing import make_group
from minewatch.testing.world import make_incident


def shared_to(client, **params):
    response = client.get("/api/v1/shared-records/", {"page_size": 1000, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_members_see_what_each_chose_to_share_and_not_who_unless_allowed(world, api_client):
    make_group(world, a_threats=["organised_crime"], b_threats=["social_conflict"])
    b_rows = shared_to(api_client(world.users["b-manager"]))
    a_incident = world.incidents["a1"]  # extortion (organised crime): shared by A
    incidents = [row for row in b_rows if row["kind"] == "incident"]
    assert {row["incident_type"] for row in incidents} == {"extortion", "protest"}
    from_a = next(row for row in incidents if row["incident_type"] == "extortion")
    assert from_a["shared_by"] is None  # A did not allow its name
    assert from_a["title"] == "Extortion" and a_incident.title not in str(b_rows)
    expected = policy.generalise_point(a_incident.lat, a_incident.lon, "approximate")
    assert (from_a["lat"], from_a["lon"]) == expected  # approximate (0.01°) by default
    actors = [row for row in b_rows if row["kind"] == "actor"]
    assert {row["title"] for row in actors} == {"Banda a", "Grupo a"}  # A shares its actors
    a_rows = shared_to(api_client(world.users["security_manager"]))
    from_b = next(row for row in a_rows if row["incident_type"] == "protest")
    assert from_b["shared_by"] is None
    own = next(row for row in a_rows if row["incident_type"] == "extortion")
    assert own["shared_by"] == "Org a"  # a member always sees its own as its own
    assert "road_blockade" not in {row["incident_type"] for row in a_rows}  # A chose not to


def test_reveal_identity_is_the_sharers_choice(world, api_client):
    make_group(world, a_threats=[], b_threats=["social_conflict"], b_reveal=True)
    rows = shared_to(api_client(world.users["security_manager"]), kind="incident")
    assert {row["shared_by"] for row in rows} == {"Org b"}


def test_nothing_else_crosses_between_members(world, api_client):
    make_group(
        world, a_threats=["organised_crime", "social_conflict"], b_threats=["social_conflict"]
    )
    b_manager = world.users["b-manager"]
    # B's own views of A's records are unchanged: tenancy is not widened by the group.
    assert not restrict(Incident.objects.filter(organisation=world.orgs["a"]), b_manager).exists()
    assert not restrict(
        ThreatActor.objects.filter(organisation=world.orgs["a"]), b_manager
    ).exists()
    client = api_client(b_manager)
    for prefix in ("incidents", "actors", "intel-reports", "sites"):
        response = client.get(f"/api/v1/{prefix}/", {"page_size": 1000})
        assert response.status_code == 200, prefix
        owners = {row.get("organisation") for row in response.json()["results"]}
        assert world.orgs["a"].pk not in owners, prefix
    assert client.get(f"/api/v1/incidents/{world.incidents['a1'].pk}/").status_code == 404
    # B sees only its own membership, not A's policy.
    memberships = client.get("/api/v1/group-memberships/").json()["results"]
    assert {row["organisation"] for row in memberships} == {world.orgs["b"].pk}
    # An organisation outside the group sees neither the group nor its records.
    outsider = api_client(world.users["psc2-operator"])
    assert shared_to(outsider) == []
    assert outsider.get("/api/v1/sharing-groups/").json()["results"] == []
    # A guard (field staff) reads no shared layer even in a member company.
    assert shared_to(api_client(world.users["guard"])) == []


def test_a_confidential_incident_never_reaches_the_group_whatever_the_policy(world):
    manager = world.users["security_manager"]
    secret = make_incident(manager, world.sites["a1"], confidentiality="confidential")
    group = make_group(world, a_threats=["organised_crime"], b_threats=[])
    membership = GroupMembership.objects.get(group=group, organisation=world.orgs["a"])
    services.set_membership_policy(membership, actor=manager, threats=["organised_crime"],
                                   tlp_ceiling="red", precision="exact")  # fmt: skip
    keys = SharedRecord.objects.filter(kind="incident").count()
    assert keys == 1  # a1 only, never the confidential one
    assert (
        not SharedRecord.objects.filter(lat=secret.lat, lon=secret.lon)
        .exclude(lat=world.incidents["a1"].lat)
        .exists()
    )


def test_tlp_ceiling_and_precision_of_the_member_apply(world):
    manager = world.users["security_manager"]
    services.save_settings(actor=manager, default_tlp="amber")
    group = make_group(world, a_threats=["organised_crime"], b_threats=[])
    membership = GroupMembership.objects.get(group=group, organisation=world.orgs["a"])
    services.set_membership_policy(membership, actor=manager, threats=["organised_crime"],
                                   tlp_ceiling="green", precision="coarse")  # fmt: skip
    assert not SharedRecord.objects.filter(kind="incident").exists()  # amber > green ceiling
    services.set_membership_policy(membership, actor=manager, threats=["organised_crime"],
                                   tlp_ceiling="amber", precision="coarse")  # fmt: skip
    record = SharedRecord.objects.get(kind="incident")
    assert (record.lat, record.lon) == (-7.75, -77.75) and record.tlp == "amber"


def test_only_the_member_sets_its_policy_and_only_the_convenor_admits(world):
    group = make_group(world, a_threats=[], b_threats=[])
    a_membership = GroupMembership.objects.get(group=group, organisation=world.orgs["a"])
    with pytest.raises(NotAllowed):
        services.set_membership_policy(a_membership, actor=world.users["b-manager"],
                                       threats=["terrorism"])  # fmt: skip
    with pytest.raises(NotAllowed):
        services.add_member(actor=world.users["b-manager"], group=group,
                            organisation=world.orgs["psc"])  # fmt: skip
    with pytest.raises(NotAllowed):
        services.create_group(actor=world.users["analyst"], name="Otro")
    assert SharingGroup.objects.count() == 1


def test_group_policy_through_the_api(world, api_client):
    client = api_client(world.users["security_manager"])
    created = client.post("/api/v1/sharing-groups/", {"name": "Corredor Minero Sur"}, format="json")
    assert created.status_code == 201, created.content
    group_id = created.json()["id"]
    added = client.post(f"/api/v1/sharing-groups/{group_id}/members/",
                        {"organisation": world.orgs["b"].pk}, format="json")  # fmt: skip
    assert added.status_code == 200 and added.json()["members"] == ["Org a", "Org b"]
    (mine,) = client.get("/api/v1/group-memberships/").json()["results"][:1]
    bad = client.patch(f"/api/v1/group-memberships/{mine['id']}/", {"threats": ["piracy"]},
                       format="json")  # fmt: skip
    assert bad.status_code == 400 and "threats" in bad.json()
    ok = client.patch(
        f"/api/v1/group-memberships/{mine['id']}/",
        {"threats": ["organised_crime"], "tlp_ceiling": "amber"},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    b_rows = shared_to(api_client(world.users["b-manager"]), group=group_id)
    assert [row["incident_type"] for row in b_rows if row["kind"] == "incident"] == ["extortion"]


def test_a_new_incident_reaches_the_group_without_a_manual_sync(
    world, django_capture_on_commit_callbacks
):
    make_group(world, a_threats=["organised_crime"], b_threats=[])
    before = SharedRecord.objects.filter(kind="incident").count()
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(world.users["security_manager"], world.sites["a2"], incident_type="extortion")
    assert SharedRecord.objects.filter(kind="incident").count() == before + 1
