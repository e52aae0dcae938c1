"""The intel API: graded reports, source protection per role, actors and their graph."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.intel.models import IntelReport, IntelSource

SEE_SOURCES = {"admin": True, "security_manager": True, "analyst": True, "operator": False,
               "guard": False, "liaison": False, "auditor": False}  # fmt: skip


def report_body(world, **values):
    site = world.sites["a1"]
    body = {
        "title": "Reunión de cabecillas", "summary": "Se coordina ingreso a bocamina.",
        "lat": site.lat + 0.01, "lon": site.lon, "source_reliability": "C",
        "information_credibility": "3", "observed_at": (timezone.now() - dt.timedelta(hours=5)).isoformat(),
        "sites": [site.pk],
    }  # fmt: skip
    body.update(values)
    return body


def test_analyst_records_graded_report_with_meanings_in_both_languages(world, api_client):
    client = api_client(world.users["analyst"])
    response = client.post("/api/v1/intel-reports/", report_body(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["grade"] == "C3"
    assert body["weight"] == pytest.approx(0.36)
    assert body["source_reliability_meaning"] == {"es": "Bastante confiable",
                                                  "en": "Fairly reliable"}  # fmt: skip
    assert body["information_credibility_meaning"]["en"] == "Possibly true"
    assert body["geometry"]["type"] == "Point"


@pytest.mark.parametrize(
    "field,value",
    [("source_reliability", "G"), ("source_reliability", "AB"), ("source_reliability", ""),
     ("information_credibility", "7"), ("information_credibility", "0"),
     ("information_credibility", "x")],
)  # fmt: skip
def test_grade_outside_scale_is_400_naming_field_and_nothing_stored(
    world, api_client, field, value
):
    before = IntelReport.objects.count()
    client = api_client(world.users["analyst"])
    response = client.post("/api/v1/intel-reports/", report_body(world, **{field: value}),
                           format="json")  # fmt: skip
    assert response.status_code == 400
    assert field in response.json()
    assert IntelReport.objects.count() == before


@pytest.mark.parametrize(
    "values,field",
    [({"lat": None, "lon": None}, "geometry"),
     ({"geometry": {"type": "Point", "coordinates": [-3.7, 40.4]}}, "geometry"),
     ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
      "geometry"),
     ({"observed_at": (timezone.now() + dt.timedelta(days=3)).isoformat()}, "observed_at"),
     ({"valid_until": (timezone.now() - dt.timedelta(days=3)).isoformat()}, "valid_until"),
     ({"summary": ""}, "summary")],
)  # fmt: skip
def test_bad_location_or_time_is_400_naming_field(world, api_client, values, field):
    body = {k: v for k, v in report_body(world, **values).items() if v is not None}
    response = api_client(world.users["analyst"]).post("/api/v1/intel-reports/", body,
                                                        format="json")  # fmt: skip
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_report_over_an_area_stores_polygon_and_a_point_inside(world, api_client):
    area = {"type": "Polygon", "coordinates": [[[-77.6, -7.8], [-77.5, -7.8], [-77.5, -7.7],
                                                [-77.6, -7.7], [-77.6, -7.8]]]}  # fmt: skip
    body = report_body(world, geometry=area)
    del body["lat"], body["lon"]
    response = api_client(world.users["analyst"]).post("/api/v1/intel-reports/", body,
                                                        format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["geometry"]["type"] == "Polygon"
    assert -7.8 < response.json()["lat"] < -7.7


@pytest.mark.parametrize("role", ["operator", "guard", "liaison", "auditor"])
def test_roles_without_analysis_cannot_record_intelligence(world, api_client, role):
    response = api_client(world.users[role]).post("/api/v1/intel-reports/", report_body(world),
                                                  format="json")  # fmt: skip
    assert response.status_code == 403


@pytest.mark.parametrize("role,sees", sorted(SEE_SOURCES.items()))
def test_report_source_is_shown_only_to_roles_that_see_sources(world, api_client, role, sees):
    report = world.extra["intel_report_a"]
    body = api_client(world.users[role]).get(f"/api/v1/intel-reports/{report.pk}/").json()
    assert ("source" in body) is sees
    assert ("source_name" in body) is sees
    if sees:
        assert body["source_name"] == "Fuente a-1"
    assert "Fuente a-1" not in str(body) or sees


@pytest.mark.parametrize("role,sees", sorted(SEE_SOURCES.items()))
def test_source_register_is_restricted_per_role(world, api_client, role, sees):
    response = api_client(world.users[role]).get("/api/v1/intel-sources/")
    if sees:
        assert response.status_code == 200
        assert [row["name"] for row in response.json()["results"]] == ["Fuente a-1"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role,sees", sorted(SEE_SOURCES.items()))
def test_actor_link_source_is_omitted_for_other_roles(world, api_client, role, sees):
    link = world.extra["intel_link_a"]
    body = api_client(world.users[role]).get(f"/api/v1/actor-links/{link.pk}/").json()
    assert ("source" in body) is sees


def test_other_companys_manager_sees_neither_source_nor_report(world, api_client):
    client = api_client(world.users["b-manager"])
    source = world.extra["intel_source_a"]
    assert client.get(f"/api/v1/intel-sources/{source.pk}/").status_code == 404
    assert (
        client.get(f"/api/v1/intel-reports/{world.extra['intel_report_a'].pk}/").status_code == 404
    )


def test_another_companys_source_reads_as_unknown(world, api_client):
    body = report_body(world, source=world.extra["intel_source_b"].pk)
    response = api_client(world.users["analyst"]).post("/api/v1/intel-reports/", body,
                                                        format="json")  # fmt: skip
    assert response.status_code == 400
    assert "source" in response.json()


def test_analyst_creates_source_and_operator_cannot(world, api_client):
    body = {"name": "Informante minero 7", "contact": "celular", "notes": "pago de viáticos"}
    assert (
        api_client(world.users["operator"]).post("/api/v1/intel-sources/", body).status_code == 403
    )
    response = api_client(world.users["analyst"]).post("/api/v1/intel-sources/", body)
    assert response.status_code == 201
    assert IntelSource.objects.filter(name="Informante minero 7").exists()


def test_actor_graph_shows_who_is_connected_through_which_incident(world, api_client):
    first, second = world.extra["intel_actors_a"]
    client = api_client(world.users["analyst"])
    third = client.post("/api/v1/actors/", {"name": "Clan c", "kind": "unidentified_group",
                                            "incidents": [world.incidents["a1"].pk]},
                        format="json")  # fmt: skip
    assert third.status_code == 201, third.content
    body = client.get(f"/api/v1/actors/{first.pk}/graph/", {"hops": 2}).json()
    ids = {node["id"] for node in body["nodes"]}
    assert {f"actor:{second.pk}", f"incident:{world.incidents['a1'].pk}",
            f"report:{world.extra['intel_report_a'].pk}"} <= ids  # fmt: skip
    through = next(c for c in body["connections"] if c["actor"] == f"actor:{third.json()['id']}")
    assert through["via_incidents"] == [f"incident:{world.incidents['a1'].pk}"]


def test_actor_graph_with_bad_hops_is_400(world, api_client):
    first, _second = world.extra["intel_actors_a"]
    response = api_client(world.users["analyst"]).get(f"/api/v1/actors/{first.pk}/graph/",
                                                       {"hops": "many"})  # fmt: skip
    assert response.status_code == 400
    assert "hops" in response.json()


def test_actor_graph_of_another_company_is_404(world, api_client):
    first, _second = world.extra["intel_actors_b"]
    response = api_client(world.users["analyst"]).get(f"/api/v1/actors/{first.pk}/graph/")
    assert response.status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"name": "X", "kind": "gang"}, "kind"),
    ({"name": "X", "kind": "individual", "incidents": [999999]}, "incidents"),
    ({"name": "X", "kind": "individual", "geometry": {"type": "Point", "coordinates": [-77, -8]}},
     "geometry"),
])  # fmt: skip
def test_bad_actor_is_400_naming_field(world, api_client, body, field):
    response = api_client(world.users["analyst"]).post("/api/v1/actors/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_actor_cannot_be_linked_to_another_companys_incident(world, api_client):
    body = {"name": "X", "kind": "individual", "incidents": [world.incidents["b1"].pk]}
    response = api_client(world.users["analyst"]).post("/api/v1/actors/", body, format="json")
    assert response.status_code == 400
    assert "incidents" in response.json()


@pytest.mark.parametrize("values,field", [({"confidence": 1.5}, "confidence"),
                                          ({"relation": "friends"}, "relation")])  # fmt: skip
def test_bad_actor_link_is_400_naming_field(world, api_client, values, field):
    first, second = world.extra["intel_actors_a"]
    body = {"from_actor": second.pk, "to_actor": first.pk, "relation": "rival_of", **values}
    response = api_client(world.users["analyst"]).post("/api/v1/actor-links/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_grading_scales_are_published_in_both_languages(world, api_client):
    body = api_client(world.users["guard"]).get("/api/v1/intel-grading/").json()
    assert [g["code"] for g in body["source_reliability"]] == list("ABCDEF")
    assert body["information_credibility"][5]["label"] == {
        "es": "No se puede juzgar su veracidad", "en": "Truth cannot be judged"}  # fmt: skip


def incident_link_url(world, key: str = "a") -> str:
    first, _second = world.extra[f"intel_actors_{key}"]
    return f"/api/v1/actors/{first.pk}/incidents/"


@pytest.mark.parametrize(
    "role,status_code",
    [("admin", 201), ("security_manager", 201), ("analyst", 201), ("operator", 403),
     ("guard", 403), ("liaison", 403), ("auditor", 403)],
)  # fmt: skip
def test_link_an_actor_to_an_incident_by_role(world, api_client, role, status_code):
    from minewatch.intel.models import IncidentActor

    first, _second = world.extra["intel_actors_a"]
    incident = world.incidents["a2"]
    response = api_client(world.users[role]).post(
        incident_link_url(world), {"incident": incident.pk, "role": "perpetrator",
                                   "note": "Mismo modus operandi"}, format="json",
    )  # fmt: skip
    assert response.status_code == status_code, response.content
    stored = IncidentActor.objects.filter(actor=first, incident=incident)
    if status_code == 201:
        assert response.json() == {"actor": first.pk, "incident": incident.pk,
                                   "role": "perpetrator", "note": "Mismo modus operandi"}  # fmt: skip
        assert stored.get().role == "perpetrator"
    else:
        assert not stored.exists()


def test_linked_incident_appears_in_the_actor_graph_and_relinking_changes_the_role(
    world, api_client
):
    from minewatch.intel.models import IncidentActor

    first, _second = world.extra["intel_actors_a"]
    incident = world.incidents["a2"]
    client = api_client(world.users["analyst"])
    url = incident_link_url(world)
    assert client.post(url, {"incident": incident.pk}, format="json").status_code == 201
    assert IncidentActor.objects.get(actor=first, incident=incident).role == "suspected"
    graph = client.get(f"/api/v1/actors/{first.pk}/graph/").json()
    assert f"incident:{incident.pk}" in {node["id"] for node in graph["nodes"]}
    body = {"incident": incident.pk, "role": "claimed"}
    assert client.post(url, body, format="json").status_code == 201
    assert IncidentActor.objects.filter(actor=first, incident=incident).count() == 1
    assert IncidentActor.objects.get(actor=first, incident=incident).role == "claimed"


@pytest.mark.parametrize(
    "body,field",
    [({}, "incident"), ({"incident": "abc"}, "incident"), ({"incident": 999999}, "incident"),
     ({"incident": "b1"}, "incident"), ({"incident": "a2", "role": "boss"}, "role"),
     ({"incident": "a2", "note": "x" * 301}, "note")],
)  # fmt: skip
def test_bad_incident_link_is_400_naming_field_and_stores_nothing(world, api_client, body, field):
    from minewatch.intel.models import IncidentActor

    if body.get("incident") in ("a2", "b1"):
        body = {**body, "incident": world.incidents[body["incident"]].pk}
    before = IncidentActor.objects.count()
    response = api_client(world.users["analyst"]).post(incident_link_url(world), body,
                                                       format="json")  # fmt: skip
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert IncidentActor.objects.count() == before


def test_another_companys_actor_cannot_be_linked(world, api_client):
    response = api_client(world.users["analyst"]).post(
        incident_link_url(world, "b"), {"incident": world.incidents["a2"].pk}, format="json"
    )
    assert response.status_code == 404
