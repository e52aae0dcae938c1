"""Named, scoped, expiring API tokens: API, CLI, web, and the refusals that name their cause."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from typer.testing import CliRunner

from minewatch.accounts import services
from minewatch.accounts.engine import tokens as engine
from minewatch.accounts.models import ApiToken
from minewatch.cli import app

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Messages are asserted in English here (the default language is Spanish)."""
    settings.LANGUAGE_CODE = "en"


def bearer(secret: str, keyword: str = "Bearer", **extra: Any) -> APIClient:
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return client


def make(user: Any, scope: str = "read", **options: Any) -> tuple[ApiToken, str]:
    return services.create_token(actor=None, user=user, name="script", scope=scope, **options)


def test_a_token_is_stored_only_as_its_digest_and_shown_once(world, api_client) -> None:
    user = world.users["operator"]
    response = api_client(user).post("/api/v1/api-tokens/", {"name": "SIEM", "scope": "read",
                                                             "expires_in_days": 30}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    secret = response.json()["token"]
    assert engine.looks_like_token(secret)
    row = ApiToken.objects.get(pk=response.json()["id"])
    assert row.key_digest == engine.digest(secret) and secret not in str(row.__dict__)
    listed = api_client(user).get("/api/v1/api-tokens/").json()["results"]
    assert [item["name"] for item in listed] == ["SIEM"] and "token" not in listed[0]
    assert (row.expires_at - timezone.now()).days in (29, 30)


@pytest.mark.parametrize("keyword", ["Bearer", "Token"])
def test_a_token_reads_as_its_user_within_the_tenant(world, keyword) -> None:
    _row, secret = make(world.users["operator"])
    client = bearer(secret, keyword)
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200 and me.json()["username"] == "a-operator"
    ids = {row["id"] for row in client.get("/api/v1/incidents/").json()["results"]}
    assert world.incidents["a1"].pk in ids and world.incidents["b1"].pk not in ids
    assert client.get(f"/api/v1/incidents/{world.incidents['b1'].pk}/").status_code == 404
    row = ApiToken.objects.get(pk=_row.pk)
    assert row.last_used_at is not None and row.last_used_from == "127.0.0.1"


def test_a_read_only_token_cannot_write_and_says_so(world) -> None:
    _row, secret = make(world.users["security_manager"], scope="read")
    incident = world.incidents["a1"]
    response = bearer(secret).patch(f"/api/v1/incidents/{incident.pk}/", {"title": "x"},
                                    format="json")  # fmt: skip
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_write_token_writes_but_never_beyond_its_users_role(world) -> None:
    incident = world.incidents["a1"]
    _row, manager_secret = make(world.users["security_manager"], scope="write")
    changed = bearer(manager_secret).patch(f"/api/v1/incidents/{incident.pk}/",
                                           {"title": "Robo de mineral"}, format="json")  # fmt: skip
    assert changed.status_code == 200, changed.content
    _row, auditor_secret = make(world.users["auditor"], scope="write")
    refused = bearer(auditor_secret).patch(f"/api/v1/incidents/{incident.pk}/", {"title": "y"},
                                           format="json")  # fmt: skip
    assert refused.status_code == 403 and "role" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda row: ApiToken.objects.filter(pk=row.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)), "expired"),
        (lambda row: services.revoke_token(row, actor=None), "revoked"),
        (lambda row: ApiToken.objects.filter(pk=row.pk).update(
            allowed_networks=["10.0.0.0/8"]), "may not be used from 127.0.0.1"),
        (lambda row: row.user.__class__.objects.filter(pk=row.user_id).update(is_active=False),
         "not active"),
    ],
    ids=["expired", "revoked", "outside-ranges", "inactive-user"],
)  # fmt: skip
def test_a_spoiled_token_is_refused_with_401_naming_why(world, spoil, message) -> None:
    row, secret = make(world.users["operator"])
    spoil(row)
    response = bearer(secret).get("/api/v1/incidents/")
    assert response.status_code == 401
    assert message in response.json()["detail"]


def test_an_unknown_token_of_our_format_is_refused(world) -> None:
    response = bearer(engine.new_token()).get("/api/v1/incidents/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid API token."


def test_a_token_inside_its_ranges_is_accepted(world) -> None:
    _row, secret = make(world.users["operator"], allowed_networks="127.0.0.0/8, 10.1.2.3")
    assert bearer(secret).get("/api/v1/incidents/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "scope": "read"}, "name"),
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "expires_in_days": 400}, "expires_in_days"),
        ({"name": "x", "allowed_networks": "10.0.0.0/8, intranet"}, "allowed_networks"),
    ],
)
def test_bad_token_requests_name_the_field(world, api_client, body, field) -> None:
    response = api_client(world.users["operator"]).post("/api/v1/api-tokens/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not ApiToken.objects.exists()


def test_a_token_cannot_mint_tokens(world) -> None:
    _row, secret = make(world.users["operator"], scope="write")
    response = bearer(secret).post("/api/v1/api-tokens/", {"name": "x"}, format="json")
    assert response.status_code == 403 and ApiToken.objects.count() == 1


def test_owners_and_their_admin_revoke_others_do_not_see_the_token(world, api_client) -> None:
    row, secret = make(world.users["operator"])
    other = api_client(world.users["analyst"]).post(f"/api/v1/api-tokens/{row.pk}/revoke/")
    assert other.status_code == 404  # not theirs: not even listed
    foreign = api_client(world.users["b-manager"]).get(f"/api/v1/api-tokens/{row.pk}/")
    assert foreign.status_code == 404
    admin = api_client(world.users["admin"])
    assert row.pk in {item["id"] for item in admin.get("/api/v1/api-tokens/").json()["results"]}
    revoked = admin.post(f"/api/v1/api-tokens/{row.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert bearer(secret).get("/api/v1/incidents/").status_code == 401


def test_the_cli_creates_lists_and_revokes(world) -> None:
    made = runner.invoke(app, ["tokens", "create", "a-operator", "--name", "cron export",
                               "--scope", "write", "--expires-days", "7"])  # fmt: skip
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert bearer(secret).get("/api/v1/users/me/").json()["username"] == "a-operator"
    listed = runner.invoke(app, ["tokens", "list", "a-operator"])
    assert (
        "cron export" in listed.stdout and "active" in listed.stdout and secret not in listed.stdout
    )
    row = ApiToken.objects.get(name="cron export")
    assert runner.invoke(app, ["tokens", "revoke", str(row.pk)]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["tokens", "list"]).stdout
    assert bearer(secret).get("/api/v1/users/me/").status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tokens", "create", "nobody", "--name", "x"], "USERNAME"),
        (["tokens", "create", "a-operator", "--name", "x", "--scope", "all"], "scope"),
        (
            ["tokens", "create", "a-operator", "--name", "x", "--expires-days", "0"],
            "expires_in_days",
        ),
        (["tokens", "revoke", "999999"], "TOKEN_ID"),
    ],
)
def test_the_cli_names_a_bad_argument(world, args, message) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and message in result.output


def test_the_web_page_creates_shows_once_and_revokes(world, client) -> None:
    client.force_login(world.users["operator"])
    page = client.post("/security/", {"form": "token", "name": "Power BI", "scope": "read",
                                      "expires_in_days": 60, "allowed_networks": ""})  # fmt: skip
    assert page.status_code == 200
    secret = page.context["created_token"]
    assert secret and secret in page.content.decode()
    again = client.get("/security/").content.decode()
    assert "Power BI" in again and secret not in again
    row = ApiToken.objects.get(name="Power BI")
    assert client.post(f"/security/tokens/{row.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=row.pk).revoked_at is not None


def test_refusals_are_in_the_users_language(world) -> None:
    row, secret = make(world.users["operator"])
    services.revoke_token(row, actor=None)
    revoked = bearer(secret, HTTP_ACCEPT_LANGUAGE="es-PE").get("/api/v1/incidents/")
    assert revoked.json()["detail"] == "Este token de API fue revocado."
    _row, read_only = make(world.users["security_manager"])
    refused = bearer(read_only, HTTP_ACCEPT_LANGUAGE="es-PE").patch(
        f"/api/v1/incidents/{world.incidents['a1'].pk}/", {"title": "x"}, format="json"
    )
    assert "solo lectura" in refused.json()["detail"]
