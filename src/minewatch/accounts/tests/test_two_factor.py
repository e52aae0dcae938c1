"""Two-factor login: policy per role, enrolment, verification, recovery codes, admin reset."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from typer.testing import CliRunner

from minewatch.accounts import services
from minewatch.accounts.models import RecoveryCode
from minewatch.cli import app
from minewatch.testing.world import PASSWORD

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Messages are asserted in English here (the default language is Spanish)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def enforced(settings: Any) -> None:
    """The test runner turns enforcement off for everyone else's fixtures; on here."""
    settings.MINEWATCH_ENFORCE_TWO_FACTOR = True


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=offset_steps)  # fmt: skip
    return str(value).zfill(device.digits)


def sign_in(client: Any, username: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def enrol(user: Any) -> tuple[TOTPDevice, list[str]]:
    device = services.start_enrolment(user)
    return device, services.confirm_enrolment(user, device, code_for(device))


def test_managers_must_enrol_by_default_operators_need_not(world, client) -> None:
    assert services.required_roles(world.orgs["a"].pk) == ["admin", "security_manager"]
    sign_in(client, "a-security_manager")
    page = client.get("/map/")
    assert page.status_code == 302 and page["Location"].startswith("/security/two-factor/enrol/")
    api = client.get("/api/v1/incidents/")
    assert api.status_code == 403 and "Two-factor" in api.json()["detail"]
    other = client.__class__()
    sign_in(other, "a-operator")
    assert other.get("/map/").status_code == 200


def test_enrolment_shows_a_qr_code_and_gives_single_use_recovery_codes(world, client) -> None:
    user = world.users["admin"]
    sign_in(client, user.username)
    page = client.get("/security/two-factor/enrol/?next=/map/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "<path" in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post("/security/two-factor/enrol/", {"code": "000000", "next": "/map/"})
    assert "does not match" in wrong.content.decode()
    throttled = client.post("/security/two-factor/enrol/", {"code": code_for(device), "next": "/"})
    assert "wait 1 seconds" in throttled.content.decode()
    time.sleep(1.1)  # django-otp's wait after one wrong code
    done = client.post("/security/two-factor/enrol/", {"code": code_for(device), "next": "/map/"})
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_digest", flat=True))
    assert not stored & set(codes)  # only digests are kept
    assert client.get("/map/").status_code == 200  # this session passed its second factor


def test_sign_in_asks_for_the_code_then_lets_in(world, client) -> None:
    user = world.users["security_manager"]
    device, _codes = enrol(user)
    sign_in(client, user.username)
    assert client.get("/map/")["Location"].startswith("/security/two-factor/verify/")
    bad = client.post("/security/two-factor/verify/", {"code": "123456", "next": "/map/"})
    assert bad.status_code == 200 and "not valid" in bad.content.decode()
    time.sleep(1.1)  # django-otp's wait after one wrong code
    good = client.post(
        "/security/two-factor/verify/", {"code": code_for(device, 1), "next": "/map/"}
    )
    assert good.status_code == 302 and good["Location"] == "/map/"
    assert client.get("/map/").status_code == 200


def test_a_totp_code_cannot_be_replayed(world) -> None:
    user = world.users["security_manager"]
    device, _codes = enrol(user)
    code = code_for(device, 1)
    assert services.verify_second_factor(user, code) is not None
    assert services.verify_second_factor(user, code) is None


def test_a_recovery_code_works_once(world, client) -> None:
    user = world.users["admin"]
    _device, codes = enrol(user)
    sign_in(client, user.username)
    typed = codes[3].lower().replace("-", " ")  # as a person types it
    ok = client.post("/security/two-factor/verify/", {"code": typed, "next": "/"})
    assert ok.status_code == 302
    assert services.unused_recovery_codes(user) == 9
    client.post("/accounts/logout/")
    sign_in(client, user.username)
    again = client.post("/security/two-factor/verify/", {"code": codes[3], "next": "/"})
    assert again.status_code == 200 and "not valid" in again.content.decode()


def test_an_enrolled_operator_is_asked_even_when_not_required(world, client) -> None:
    user = world.users["operator"]
    enrol(user)
    sign_in(client, user.username)
    assert client.get("/map/")["Location"].startswith("/security/two-factor/verify/")


def test_the_admin_sets_the_policy_and_a_non_admin_cannot(world, api_client) -> None:
    admin = api_client(world.users["admin"])
    changed = admin.put("/api/v1/two-factor/policy/", {"required_roles": ["operator", "admin"]},
                        format="json")  # fmt: skip
    assert changed.status_code == 200 and changed.json() == {
        "required_roles": ["admin", "operator"]
    }
    assert services.two_factor_required(world.users["operator"])
    assert not services.two_factor_required(world.users["security_manager"])
    assert services.required_roles(world.orgs["b"].pk) == ["admin", "security_manager"]
    refused = api_client(world.users["security_manager"]).put(
        "/api/v1/two-factor/policy/", {"required_roles": []}, format="json")  # fmt: skip
    assert refused.status_code == 403
    bad = admin.put("/api/v1/two-factor/policy/", {"required_roles": ["boss"]}, format="json")
    assert bad.status_code == 400 and "required_roles" in bad.json()


def test_the_admin_resets_a_lost_phone_by_api_within_the_organisation(world, api_client) -> None:
    user = world.users["security_manager"]
    enrol(user)
    refused = api_client(world.users["b-manager"]).post("/api/v1/two-factor/reset/",
                                                        {"user": user.pk}, format="json")  # fmt: skip
    assert refused.status_code == 403
    other_org = api_client(world.users["admin"]).post(
        "/api/v1/two-factor/reset/", {"user": world.users["b-manager"].pk}, format="json")  # fmt: skip
    assert other_org.status_code == 400 and "user" in other_org.json()
    done = api_client(world.users["admin"]).post("/api/v1/two-factor/reset/", {"user": user.pk},
                                                 format="json")  # fmt: skip
    assert done.status_code == 200 and done.json()["devices_removed"] == 1
    assert not services.has_two_factor(user) and not RecoveryCode.objects.filter(user=user).exists()
    status = api_client(user).get("/api/v1/two-factor/").json()
    assert status["enrolled"] is False and status["required"] is True


def test_the_cli_resets_two_factor(world) -> None:
    user = world.users["admin"]
    enrol(user)
    result = runner.invoke(app, ["users", "reset-2fa", user.username])
    assert result.exit_code == 0 and "1 authenticator" in result.output
    assert not services.has_two_factor(user)
    missing = runner.invoke(app, ["users", "reset-2fa", "nobody"])
    assert missing.exit_code == 2 and "USERNAME" in missing.output


def test_api_tokens_are_not_stopped_by_the_second_factor(world) -> None:
    from rest_framework.test import APIClient

    user = world.users["security_manager"]  # required, not enrolled
    _row, secret = services.create_token(actor=None, user=user, name="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/incidents/").status_code == 200


def test_the_demo_organisations_do_not_require_it(world) -> None:
    from minewatch.accounts import demo

    class Context:
        summary: list[str] = []

    demo.load(Context())
    assert not services.two_factor_required(world.users["admin"])
