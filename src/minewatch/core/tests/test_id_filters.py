"""An id in a query string or a path larger than 64 bits is a 400 (or 404), never a 500.

SQLite cannot compare a column with a Python int past 2**63-1 (``OverflowError``).
"""

from __future__ import annotations

from typing import Any

import pytest

MAX_ID = 2**63 - 1
BIG = "99999999999999999999"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/incidents/", "site"),
        ("/api/v1/evidence/", "incident"),
        ("/api/v1/positions/", "device"),
        ("/api/v1/detections/", "trip"),
        ("/api/v1/delivery-attempts/", "alert"),
        ("/api/v1/early-warnings/", "route"),
        ("/api/v1/actor-links/", "actor"),
        ("/api/v1/intel-reports/", "site"),
        ("/api/v1/alerts/", "incident"),
        ("/api/v1/sites/", "organisation"),
        ("/api/v1/devices/", "site"),
        ("/api/v1/audit/", "actor"),
    ],
)
def test_out_of_range_id_filter_is_a_400_naming_the_parameter(
    world: Any, api_client: Any, path: str, parameter: str
) -> None:
    client = api_client(world.users["admin"])
    for value in (BIG, str(MAX_ID + 1), "-" + BIG, "0", "1.5", "abc"):
        response = client.get(path, {parameter: value})
        assert response.status_code == 400, (value, response.content[:300])
        assert parameter in response.json()


def test_largest_id_is_accepted_and_matches_nothing(world: Any, api_client: Any) -> None:
    response = api_client(world.users["admin"]).get("/api/v1/incidents/", {"site": str(MAX_ID)})
    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/incidents/{BIG}/"),
        ("get", f"/api/v1/sites/{BIG}/"),
        ("post", f"/api/v1/alerts/{BIG}/create-incident/"),
        ("post", f"/api/v1/evidence/{BIG}/legal-hold/"),
        ("patch", f"/api/v1/trips/{BIG}/"),
    ],
)
def test_out_of_range_id_in_the_path_is_a_404(
    world: Any, api_client: Any, method: str, path: str
) -> None:
    response = getattr(api_client(world.users["admin"]), method)(path, {}, format="json")
    assert response.status_code == 404, response.content[:300]
