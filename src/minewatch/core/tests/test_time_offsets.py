"""A time with an unusual UTC offset is read as the instant it names, never a server error.

Python accepts offsets up to ±23:59; PostgreSQL refuses anything beyond ±15:59
("time zone displacement out of range"). schemathesis found
``GET /api/v1/alerts/?raised_after=6724-02-15T19:54:46-18:21`` answering 500 on
PostgreSQL; every datetime filter, form and serializer was exposed the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from minewatch.incidents.models import Incident

FAR_OFFSET = "-18:21"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/alerts/", "raised_after"),
        ("/api/v1/incidents/", "occurred_after"),
        ("/api/v1/intel-reports/", "observed_after"),
        ("/api/v1/evidence/", "collected_after"),
        ("/api/v1/positions/", "since"),
        ("/api/v1/audit/", "since"),
    ],
)
def test_a_filter_with_a_far_utc_offset_answers(
    world: Any, api_client: Any, path: str, parameter: str
) -> None:
    client = api_client(world.users["admin"])
    for value in (f"6724-02-15T19:54:46{FAR_OFFSET}", f"2020-01-01T00:00:00{FAR_OFFSET}"):
        response = client.get(path, {parameter: value})
        assert response.status_code == 200, (value, response.content[:300])


def test_the_filter_keeps_the_instant_it_names(world: Any, api_client: Any) -> None:
    incident = world.incidents["a1"]
    # The same instant written at −18:21: the incident is on the boundary, so it is included.
    moment = incident.occurred_at.astimezone(dt.timezone(-dt.timedelta(hours=18, minutes=21)))
    client = api_client(world.users["analyst"])
    rows = client.get(
        "/api/v1/incidents/", {"occurred_after": moment.isoformat(), "page_size": 100}
    ).json()["results"]
    assert incident.pk in {row["id"] for row in rows}
    later = (moment + dt.timedelta(seconds=1)).isoformat()
    rows = client.get("/api/v1/incidents/", {"occurred_after": later, "page_size": 100}).json()[
        "results"
    ]
    assert incident.pk not in {row["id"] for row in rows}


def test_a_record_written_with_a_far_offset_is_stored_at_that_instant(world: Any) -> None:
    moment = (timezone.now() - dt.timedelta(days=2)).replace(microsecond=0)
    written = moment.astimezone(dt.timezone(dt.timedelta(hours=20)))
    Incident.objects.filter(pk=world.incidents["a1"].pk).update(occurred_at=written)
    assert Incident.objects.get(pk=world.incidents["a1"].pk).occurred_at == moment
