"""Single sign-on against a real OpenID Connect provider (django-oauth-toolkit) run in its
own process on 127.0.0.1: discovery, code flow, RS256 ID token checked against the
provider's keys, userinfo — nothing mocked. MineWatch is the in-process test client."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from minewatch.accounts import oidc
from minewatch.core import config
from minewatch.testing.plugin import port_open

pytestmark = pytest.mark.django_db

CLIENT_ID = "minewatch-test"
CLIENT_SECRET = "a-client-secret-for-the-test-provider"
CALLBACK = "http://testserver/security/oidc/callback/"


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Messages are asserted in English here (the default language is Spanish)."""
    settings.LANGUAGE_CODE = "en"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def provider(tmp_path_factory: Any) -> Iterator[str]:
    """The provider's issuer URL; the provider runs until the module's tests are done."""
    directory = tmp_path_factory.mktemp("oidc-provider")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINEWATCH_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="minewatch.accounts.tests.oidc_provider.settings",
               OIDC_TEST_DIR=str(directory), OIDC_TEST_ISSUER=issuer)  # fmt: skip
    setup = subprocess.run(
        [sys.executable, "-m", "minewatch.accounts.tests.oidc_provider.setup", CLIENT_ID,
         CLIENT_SECRET, CALLBACK], env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr[-3000:]
    log = (directory / "op.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload",
         "--nothreading"], env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "the OIDC provider did not start:\n" + (directory / "op.log").read_text()
                )
            time.sleep(0.2)
        yield issuer
    finally:
        server.terminate()
        server.wait(10)
        oidc._discovery.clear()


@pytest.fixture
def relying_party(settings: Any, provider: str) -> Any:
    """MineWatch configured from MINEWATCH_OIDC_* as an operator would set them."""

    def configure(**extra: str) -> None:
        values = config.oidc_settings({"MINEWATCH_OIDC_ISSUER": provider,
                                       "MINEWATCH_OIDC_CLIENT_ID": CLIENT_ID,
                                       "MINEWATCH_OIDC_CLIENT_SECRET": CLIENT_SECRET, **extra})  # fmt: skip
        for name, value in values.items():
            setattr(settings, name, value)
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS,
                                            "minewatch.accounts.oidc.MineWatchOIDCBackend"]  # fmt: skip

    configure()
    return configure


def sso(client: Any, username: str, next_url: str = "/map/") -> Any:
    """Go through the provider as ``username``; returns MineWatch's answer to the callback."""
    start = client.get(f"/security/oidc/login/?next={next_url}")
    assert start.status_code == 302
    authorize = start["Location"]
    browser = requests.Session()
    to_login = browser.get(authorize, allow_redirects=False, timeout=30)
    login_url = urljoin(authorize, to_login.headers["Location"])
    form = browser.get(login_url, timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    signed = browser.post(login_url, data={"username": username, "password": "idp-password-1",
                                           "csrfmiddlewaretoken": csrf,
                                           "next": urlsplit(authorize).path + "?" + urlsplit(authorize).query},
                          headers={"Referer": login_url}, allow_redirects=False, timeout=30)  # fmt: skip
    assert signed.status_code == 302, signed.text[:500]
    back = browser.get(urljoin(login_url, signed.headers["Location"]), allow_redirects=False,
                       timeout=30)  # fmt: skip
    callback = back.headers["Location"]
    assert callback.startswith(CALLBACK), callback
    return client.get(callback[len("http://testserver") :])


def test_the_user_with_the_providers_email_is_signed_in_keeping_their_role(
    world, client, relying_party
) -> None:
    user = world.users["analyst"]
    user.email = "Rosa.Quispe@minera-a.pe"  # matched without regard to case
    user.save(update_fields=["email"])
    answer = sso(client, "rosa")
    assert answer.status_code == 302 and answer["Location"] == "/map/"
    me = client.get("/api/v1/users/me/").json()
    assert me["username"] == user.username
    user.refresh_from_db()
    assert user.role == "analyst"  # the provider's "admin" group is not a role here
    assert client.get("/map/").status_code == 200


def test_an_unknown_email_is_refused_and_no_account_is_made(world, client, relying_party) -> None:
    from minewatch.core.models import User

    before = User.objects.count()
    answer = sso(client, "nadie")
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/")
    assert "e-mail" in page.content.decode() and User.objects.count() == before
    assert client.get("/api/v1/users/me/").status_code in (401, 403)


def test_accounts_and_roles_from_the_provider_only_when_configured(
    world, client, relying_party
) -> None:
    from minewatch.core.models import User

    relying_party(MINEWATCH_OIDC_CREATE_USERS="true", MINEWATCH_OIDC_ORGANISATION="Org a",
                  MINEWATCH_OIDC_ROLE_CLAIM="groups")  # fmt: skip
    answer = sso(client, "nueva")
    assert answer.status_code == 302 and answer["Location"] == "/map/"
    made = User.objects.get(email="nueva.analista@minera-a.pe")
    assert made.organisation == world.orgs["a"] and made.role == "admin"
    assert not made.has_usable_password()


def test_half_configured_sso_is_refused_at_start_up() -> None:
    with pytest.raises(config.ConfigError, match="all three or none"):
        config.oidc_settings({"MINEWATCH_OIDC_ISSUER": "https://login.example.pe/realms/mina"})
    with pytest.raises(config.ConfigError, match="needs MINEWATCH_OIDC_ORGANISATION"):
        config.oidc_settings({"MINEWATCH_OIDC_ISSUER": "x", "MINEWATCH_OIDC_CLIENT_ID": "y",
                              "MINEWATCH_OIDC_CLIENT_SECRET": "z",
                              "MINEWATCH_OIDC_CREATE_USERS": "true"})  # fmt: skip
    assert config.oidc_settings({}) == {}
