"""Walk every API endpoint the router knows and check tenant isolation on each.

New endpoints are covered automatically: the router is rebuilt from each app's
``register`` function. For every list endpoint and every user of the world:

* anonymous callers are refused;
* a user of company A never sees a record of company B (nor B of A);
* an unassigned contractor sees nothing of either company;
* a record A cannot see answers 404 on its detail URL (never 403), for GET and PATCH;

and role limits, for every role of company A and the contractor's operator:

* the API lists nothing the scoped queryset (``core.tenancy.restrict``, the one place role
  rules live) would not give that user, and nothing of a model the role may not read;
* no row names an incident the user cannot open (evidence, checklists, alerts, status
  changes, actor links of a confidential incident or of another guard's report).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q
from rest_framework.routers import DefaultRouter

from minewatch.core.registry import app_modules
from minewatch.core.tenancy import restrict

PUBLIC_MODELS = {"geo.region"}


def router_entries() -> list[tuple[str, Any, str]]:
    router = DefaultRouter()
    for _config, module in app_modules("api"):
        if hasattr(module, "register"):
            module.register(router)
    return [(prefix, viewset, basename) for prefix, viewset, basename in router.registry]


def list_rows(client: Any, prefix: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/{prefix}/", {"page_size": 1000})
    if response.status_code == 403:  # the role may not read this endpoint at all
        return []
    assert response.status_code == 200, (prefix, response.status_code, response.content[:300])
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def list_ids(client: Any, prefix: str) -> set[Any]:
    return {row["id"] for row in list_rows(client, prefix)}


def incident_references(row: dict[str, Any]) -> set[int]:
    """The incident ids a serialized row names (``incident``, ``incident_id``, ``incidents``)."""
    found = {row.get(key) for key in ("incident", "incident_id")}
    incidents = row.get("incidents")
    found |= set(incidents) if isinstance(incidents, list) else set()
    return {value for value in found if isinstance(value, int)}


def model_label(viewset: Any) -> str:
    return viewset.queryset.model._meta.label_lower


def records_about(viewset: Any, organisation_id: int) -> set[int]:
    """Records a model shares between its owner and the organisation they are about (e.g. a
    client's registry entry on a security company, which that company reads too)."""
    model = viewset.queryset.model
    owners = model.tenant_owner_field
    if not isinstance(owners, tuple):
        return set()
    about = Q()
    for owner in owners[1:]:
        about |= Q(**{owner: organisation_id})
    return set(model.objects.filter(about).values_list("pk", flat=True))


ENTRIES = router_entries()


@pytest.mark.parametrize("prefix,viewset,basename", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_endpoint_refuses_anonymous(
    prefix: str, viewset: Any, basename: str, world: Any, api_client: Any
) -> None:
    response = api_client().get(f"/api/v1/{prefix}/")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("prefix,viewset,basename", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_endpoint_isolates_tenants(
    prefix: str, viewset: Any, basename: str, world: Any, api_client: Any
) -> None:
    users = {
        "a": world.users["security_manager"],
        "b": world.users["b-manager"],
        "psc": world.users["psc-operator"],
        "psc2": world.users["psc2-operator"],
    }
    seen = {key: list_ids(api_client(user), prefix) for key, user in users.items()}
    if model_label(viewset) in PUBLIC_MODELS:
        assert seen["a"] == seen["b"]
        return
    assert not seen["a"] & seen["b"], f"{prefix}: A and B share records"
    own = records_about(viewset, world.orgs["psc2"].pk)
    assert not (seen["psc2"] - own) & (seen["a"] | seen["b"]), (
        f"{prefix}: unassigned contractor sees data"
    )
    assert not seen["psc"] & seen["b"], f"{prefix}: contractor sees another company's data"
    hidden_from_a = seen["b"] - seen["a"]
    client_a = api_client(users["a"])
    for record_id in sorted(hidden_from_a)[:3]:
        detail = client_a.get(f"/api/v1/{prefix}/{record_id}/")
        assert detail.status_code == 404, (prefix, record_id, detail.status_code)
        patch = client_a.patch(f"/api/v1/{prefix}/{record_id}/", {}, format="json")
        assert patch.status_code in (404, 405), (prefix, record_id, patch.status_code)


def test_walk_is_not_vacuous(world: Any, api_client: Any) -> None:
    """The main endpoints hold data of both companies in the world, so isolation is exercised."""
    client_a = api_client(world.users["security_manager"])
    client_b = api_client(world.users["b-manager"])
    for prefix in ("sites", "zones", "routes", "incidents", "users", "organisations", "audit"):
        assert list_ids(client_a, prefix), prefix
        assert list_ids(client_b, prefix), prefix


def test_contractor_sees_only_assigned_sites(world: Any, api_client: Any) -> None:
    client = api_client(world.users["psc-operator"])
    assert list_ids(client, "sites") == {world.sites["a1"].pk}
    assert list_ids(client, "incidents") == {world.incidents["a1"].pk}
    assert client.get(f"/api/v1/sites/{world.sites['a2'].pk}/").status_code == 404


LIMITED_USERS = ("analyst", "operator", "guard", "liaison", "auditor", "psc-operator")


@pytest.fixture
def role_world(world: Any) -> Any:
    """The world with one confidential incident (a2) and one report of the guard at a1."""
    from minewatch.incidents.services import update_incident
    from minewatch.testing.world import make_incident

    update_incident(
        world.incidents["a2"], actor=world.users["security_manager"], confidentiality="confidential"
    )
    world.incidents["guard"] = make_incident(world.users["guard"], world.sites["a1"])
    return world


@pytest.mark.parametrize("prefix,viewset,basename", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_endpoint_applies_role_limits(
    prefix: str, viewset: Any, basename: str, role_world: Any, api_client: Any
) -> None:
    from minewatch.core.roles import may_read_model

    model = viewset.queryset.model
    for key in LIMITED_USERS:
        user = role_world.users[key]
        client = api_client(user)
        rows = list_rows(client, prefix)
        ids = {str(row["id"]) for row in rows}
        if model._meta.label_lower not in PUBLIC_MODELS:
            scoped = restrict(model._default_manager.all(), user).values_list("pk", flat=True)
            outside = ids - {str(pk) for pk in scoped}
            assert not outside, f"{prefix}: {key} reads {outside} outside the scoped queryset"
        if not may_read_model(user, model._meta.label_lower):
            assert not ids, f"{prefix}: a {user.role} may not read {model._meta.label}"
        if rows and any(incident_references(row) for row in rows):
            openable = list_ids(client, "incidents")
            for row in rows:
                hidden = incident_references(row) - openable
                assert not hidden, (
                    f"{prefix} #{row['id']} names incidents {hidden} {key} cannot open"
                )


def test_guard_reads_only_its_own_reports_in_api_web_and_evidence(
    role_world: Any, api_client: Any, client: Any
) -> None:
    """What the web shows a guard ("My reports") is exactly what the API gives it."""
    from minewatch.evidence.models import EvidenceItem

    guard, own = role_world.users["guard"], role_world.incidents["guard"]
    api = api_client(guard)
    assert list_ids(api, "incidents") == {own.pk}
    assert api.get(f"/api/v1/incidents/{role_world.incidents['a1'].pk}/").status_code == 404
    others = EvidenceItem.objects.exclude(incident=own)
    assert others.exists()  # the world has evidence on a1, a2 and b1
    assert not list_ids(api, "evidence") & set(others.values_list("pk", flat=True))
    for item in others.filter(organisation=guard.organisation):
        assert api.get(f"/api/v1/evidence/{item.pk}/download/").status_code == 404
    for prefix in ("alerts", "positions", "devices", "trips", "intel-reports", "audit"):
        assert not list_rows(api, prefix), prefix
    client.force_login(guard)
    page = client.get("/incidents/").content.decode()
    assert own.reference in page and role_world.incidents["a1"].reference not in page
