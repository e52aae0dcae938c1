"""The TAXII 2.1 server, read by the reference client (taxii2-client) over real HTTP."""

from __future__ import annotations

import pytest
import requests
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from minewatch.core.services import get_or_create_token
from minewatch.sharing import services
from minewatch.sharing.taxii import TAXII_MEDIA_TYPE

pytestmark = pytest.mark.django_db(transaction=True)


class TokenAuth(requests.auth.AuthBase):
    """The project's API token, as a partner's client sends it."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Token {self.token}"
        return request


@pytest.fixture
def published(world):
    """Company A publishes its organised-crime and social-conflict records to company B."""
    return services.save_agreement(
        actor=world.users["security_manager"], name="A → B corredor", partner=world.orgs["b"],
        threats=["organised_crime", "social_conflict"], tlp_ceiling="amber",
        include_reports=True,
    )  # fmt: skip


def test_taxii2_client_reads_a_collection_from_a_live_server(world, published, live_server):
    auth = TokenAuth(get_or_create_token(world.users["b-manager"]))
    server = Server(f"{live_server.url}/api/v1/taxii2/", auth=auth)
    assert server.title == "MineWatch TAXII 2.1"
    (root,) = server.api_roots
    assert "application/taxii+json;version=2.1" in root.versions
    (collection,) = root.collections
    assert collection.id == str(published.collection_id) and collection.can_read
    objects = []
    for envelope in as_pages(collection.get_objects, per_request=3):
        objects += envelope.get("objects", [])
    ids = [obj["id"] for obj in objects]
    assert len(ids) == len(set(ids)) > 3
    names = {obj.get("name") for obj in objects}
    assert world.incidents["a1"].title in names  # organised crime, shared
    assert world.incidents["a2"].title in names  # social conflict, shared
    assert world.incidents["b1"].title not in names
    assert "Fuente a-1" not in str(objects)
    incidents = collection.get_objects(**{"type": "incident"})["objects"]
    assert {obj["type"] for obj in incidents} == {"incident"} and len(incidents) == 2
    manifest = collection.get_manifest()
    assert {item["id"] for item in manifest["objects"]} == set(ids)
    one = collection.get_object(incidents[0]["id"])
    assert one["objects"][0]["id"] == incidents[0]["id"]
    latest = max(item["date_added"] for item in manifest["objects"])
    assert collection.get_objects(added_after=latest).get("objects") is None


def test_taxii_refuses_anonymous_other_tenants_and_wrong_media_types(world, published, live_server):
    base = f"{live_server.url}/api/v1/taxii2/minewatch/collections/"
    url = f"{base}{published.collection_id}/objects/"
    anonymous = requests.get(url, headers={"Accept": TAXII_MEDIA_TYPE}, timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["Content-Type"] == TAXII_MEDIA_TYPE
    outsider = {"Authorization": f"Token {get_or_create_token(world.users['psc-operator'])}",
                "Accept": TAXII_MEDIA_TYPE}  # fmt: skip
    assert requests.get(url, headers=outsider, timeout=30).status_code == 404
    listed = requests.get(base, headers=outsider, timeout=30).json()
    assert listed == {"collections": []}
    partner = {"Authorization": f"Token {get_or_create_token(world.users['b-manager'])}"}
    wrong = requests.get(url, headers=partner | {"Accept": "application/xml"}, timeout=30)
    assert wrong.status_code == 406
    bad = requests.get(url, params={"added_after": "yesterday"},
                       headers=partner | {"Accept": TAXII_MEDIA_TYPE}, timeout=30)  # fmt: skip
    assert bad.status_code == 400 and "added_after" in bad.json()["description"]
    services.save_agreement(actor=world.users["security_manager"], agreement=published,
                            is_active=False)  # fmt: skip
    assert (
        requests.get(url, headers=partner | {"Accept": TAXII_MEDIA_TYPE}, timeout=30).status_code
        == 404
    )


def test_collection_through_server_api_root_object(world, published, live_server):
    auth = TokenAuth(get_or_create_token(world.users["security_manager"]))
    url = f"{live_server.url}/api/v1/taxii2/minewatch/collections/{published.collection_id}/"
    collection = Collection(url, auth=auth)
    assert collection.title == "A → B corredor" and not collection.can_write
    root = ApiRoot(f"{live_server.url}/api/v1/taxii2/minewatch/", auth=auth)
    assert root.title == "MineWatch"
