"""Login throttling: per user name and address, per address, atomic, told, unlockable."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.test import Client

from minewatch.core import throttle
from minewatch.core.models import LoginThrottle
from minewatch.testing.world import PASSWORD

LOGIN = "/accounts/login/"


def client_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="es")


def fail(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        client.post(LOGIN, {"username": username, "password": "mala"})


def test_lockout_is_told_with_its_end_in_spanish(world: Any) -> None:
    attacker = client_from("198.51.100.7")
    fail(attacker, "a-operator", 5)
    response = attacker.post(LOGIN, {"username": "a-operator", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in attacker.session
    text = response.content.decode()
    assert "Demasiados intentos fallidos" in text and "desbloquee" in text


def test_attacker_cannot_lock_out_the_operator_at_the_console(world: Any) -> None:
    fail(client_from("198.51.100.7"), "a-operator", 10)
    console = client_from("10.20.0.15")
    response = console.post(LOGIN, {"username": "a-operator", "password": PASSWORD})
    assert response.status_code == 302


def test_nonexistent_user_names_are_throttled_per_address(world: Any) -> None:
    prober = client_from("203.0.113.50")
    for number in range(20):
        prober.post(LOGIN, {"username": f"nadie-{number}", "password": "x"})
    response = prober.post(LOGIN, {"username": "a-operator", "password": PASSWORD})
    assert "_auth_user_id" not in prober.session
    assert "Demasiados intentos fallidos" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_parallel_failures_are_all_counted(transactional_db: Any) -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite runs one writer at a time; the race is PostgreSQL's (second pass)")

    def one() -> None:
        throttle.record_failure("quien", "192.0.2.1")
        from django.db import connection

        connection.close()

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row = LoginThrottle.objects.get(key=throttle._keys("quien", "192.0.2.1")[0])
    assert row.failures == 12 and row.locked_until is not None


def test_manager_unlocks_and_others_cannot(world: Any, api_client: Any) -> None:
    fail(client_from("198.51.100.7"), "a-operator", 5)
    operator = world.users["operator"]
    assert throttle.locked_until("a-operator", "198.51.100.7") is not None
    url = f"/api/v1/users/{operator.pk}/unlock-login/"
    assert api_client(world.users["analyst"]).post(url).status_code == 403
    assert api_client(world.users["b-manager"]).post(url).status_code == 404
    response = api_client(world.users["security_manager"]).post(url)
    assert response.status_code == 200 and response.json()["cleared"] >= 1
    assert throttle.locked_until("a-operator", "198.51.100.7") is None


def test_anonymous_api_requests_are_rate_limited(db: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    client = Client(REMOTE_ADDR="198.51.100.99")
    codes = [client.get("/api/v1/health").status_code for _ in range(125)]
    assert codes[:120].count(429) == 0 and codes[-1] == 429
