"""The sharing pages: groups and agreements from the web, what a member sees, who may act."""

from __future__ import annotations

import io

from minewatch.sharing.models import AcledEvent, GroupMembership, SharedRecord, SharingAgreement
from minewatch.sharing.testing import make_group


def test_manager_creates_a_group_chooses_what_to_share_and_a_member_sees_it(world, client):
    client.force_login(world.users["security_manager"])
    created = client.post("/sharing/groups/new/", {"name": "Corredor Sur", "description": ""})
    assert created.status_code == 302
    group_url = created["Location"]
    admitted = client.post(group_url, {"member": "1", "organisation": world.orgs["b"].pk})
    assert admitted.status_code == 302
    saved = client.post(group_url, {"policy": "1", "threats": ["organised_crime"],
                                    "precision": "approximate", "tlp_ceiling": "amber",
                                    "is_active": "on"})  # fmt: skip
    assert saved.status_code == 302
    assert SharedRecord.objects.filter(kind="incident").count() == 1
    client.force_login(world.users["b-manager"])
    page = client.get(group_url).content.decode()
    assert "Extortion" in page and world.incidents["a1"].title not in page
    assert "Org a, Org b" in page  # who is in the group is known; who shared what is not
    listed = client.get("/sharing/shared/").content.decode()
    assert "Extortion" in listed
    assert client.get("/sharing/map/").status_code == 200


def test_agreement_from_the_web_and_bad_input_named(world, client):
    client.force_login(world.users["security_manager"])
    missing = client.post("/sharing/agreements/new/", {"name": "A→B", "threats": ["terrorism"],
                                                       "tlp_ceiling": "amber",
                                                       "precision": "approximate"})  # fmt: skip
    assert (
        missing.status_code == 200
        and "give exactly one of partner or group" in missing.content.decode()
    )
    done = client.post("/sharing/agreements/new/", {"name": "A→B", "partner": world.orgs["b"].pk,
                                                    "threats": ["terrorism"], "tlp_ceiling": "amber",
                                                    "precision": "approximate"})  # fmt: skip
    assert done.status_code == 302 and SharingAgreement.objects.filter(name="A→B").count() == 1
    client.force_login(world.users["b-manager"])
    page = client.get("/sharing/").content.decode()
    assert "A→B" in page and "/api/v1/taxii2/minewatch/collections/" in page


def test_non_managers_cannot_change_sharing_and_outsiders_cannot_open_a_group(world, client):
    group = make_group(world, a_threats=["organised_crime"], b_threats=[])
    client.force_login(world.users["operator"])
    assert client.get("/sharing/").status_code == 200
    assert client.get("/sharing/groups/new/").status_code == 403
    assert client.get("/sharing/export/stix/").status_code == 403
    membership = GroupMembership.objects.get(group=group, organisation=world.orgs["a"])
    assert (
        client.post(f"/sharing/groups/{group.pk}/", {"policy": "1", "threats": []}).status_code
        == 403
    )
    membership.refresh_from_db()
    assert membership.threats == ["organised_crime"]
    client.force_login(world.users["psc2-operator"])
    assert client.get(f"/sharing/groups/{group.pk}/").status_code == 404


def test_exports_and_acled_import_from_the_web(world, client):
    client.force_login(world.users["security_manager"])
    stix = client.get("/sharing/export/stix/")
    assert stix.status_code == 200 and b'"type": "bundle"' in stix.content
    acled_file = client.get("/sharing/export/acled/").content
    research = client.get("/sharing/export/research/")
    assert research.status_code == 200 and research.content.startswith(b"place,week")
    client.force_login(world.users["b-manager"])
    upload = io.BytesIO(acled_file)
    upload.name = "a.csv"
    result = client.post("/sharing/import/acled/", {"file": upload})
    assert result.status_code == 200
    imported = AcledEvent.objects.filter(
        organisation=world.orgs["b"], event_id_cnty__startswith="PER-"
    )
    assert imported.count() == 2
    bad = io.BytesIO(b"event_id_cnty\nX\n")
    bad.name = "bad.csv"
    refused = client.post("/sharing/import/acled/", {"file": bad})
    assert "missing column(s)" in refused.content.decode()
