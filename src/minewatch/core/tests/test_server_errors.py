"""A server error answers JSON on the API, is logged with its traceback, and carries a request id."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import RequestFactory
from rest_framework.test import APIClient

from minewatch.core.middleware import RequestIdMiddleware
from minewatch.incidents.api import IncidentViewSet


@pytest.fixture
def broken_incident_list(monkeypatch: Any) -> None:
    """Make the incident list fail as an unexpected bug would (the fault, not the handling, is faked)."""

    def fail(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom: a bug in the view")

    monkeypatch.setattr(IncidentViewSet, "list", fail)


def test_api_server_error_is_json_logged_with_traceback_and_request_id(
    world: Any, api_client: Any, broken_incident_list: None, caplog: Any
) -> None:
    client = api_client(world.users["admin"])
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/incidents/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    request_id = response["X-Request-ID"]
    assert response.json()["request_id"] == request_id
    assert "boom" not in response.content.decode()  # no internals leak to the client
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert logged, "the server error was not logged with its traceback"
    assert any(request_id in r.getMessage() for r in logged)
    assert any("RuntimeError" in caplog.text for _ in logged)


def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(db: Any) -> None:
    client = APIClient()
    first = client.get("/api/v1/health")
    second = client.get("/api/v1/health")
    assert first["X-Request-ID"] and first["X-Request-ID"] != second["X-Request-ID"]
    kept = client.get("/api/v1/health", HTTP_X_REQUEST_ID="proxy-1234.abc_DEF")
    assert kept["X-Request-ID"] == "proxy-1234.abc_DEF"
    for insane in ("x" * 300, "bad id with spaces", "<script>", "a\u00e9b"):
        replaced = client.get("/api/v1/health", HTTP_X_REQUEST_ID=insane)
        assert replaced["X-Request-ID"] != insane
        assert replaced["X-Request-ID"].isalnum()


def test_web_page_server_error_is_logged_with_request_id(
    world: Any, client: Any, caplog: Any, monkeypatch: Any
) -> None:
    from minewatch.incidents import views

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom in a page")

    monkeypatch.setattr(views, "render", fail)
    client.force_login(world.users["admin"])
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/incidents/{world.incidents['a1'].pk}/")
    assert response.status_code == 500
    assert response["X-Request-ID"]
    assert any(response["X-Request-ID"] in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("exception", [Http404("no such page"), PermissionDenied("not yours"),
                                       SuspiciousOperation("odd"), BadRequest("bad")])  # fmt: skip
def test_a_404_403_or_400_raised_by_a_view_is_not_a_server_error(exception: Exception) -> None:
    """Before: every exception reached the 500 handler, so a plain view under /api/ or
    /ingest/ raising Http404 answered 500, and each 404 page logged "server error"."""
    middleware = RequestIdMiddleware(lambda request: None)
    for path in ("/api/v1/anything/", "/ingest/osmand/", "/setup/"):
        assert middleware.process_exception(RequestFactory().get(path), exception) is None


def test_a_page_the_role_may_not_see_is_a_404_without_a_server_error_log(
    world: Any, client: Any, caplog: Any
) -> None:
    client.force_login(world.users["guard"])
    with caplog.at_level(logging.ERROR):
        response = client.get("/setup/")
    assert response.status_code == 404
    assert not [r for r in caplog.records if "server error" in r.getMessage()]
