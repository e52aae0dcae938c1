"""The demo as a whole, loaded once: every app's demo records are what the issues ask for.

The real demo (``minewatch.core.demo.load_demo``) takes about a minute to load, so it is
loaded once for this module (not once per app's test module) inside a transaction that is
rolled back at the end; each test runs in a savepoint of it. The risk gaps and losses of
every site (#5), the accountability records (#16) and the synthetic personnel (#15).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from minewatch.accountability.choices import GrievanceStatus
from minewatch.core.choices import Role
from minewatch.risk.engine.gaps import THREATS
from minewatch.risk.tests.html_rows import table_rows, whole_usd


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo loaded in a transaction rolled back at the end: its summary lines."""
    from minewatch.core.demo import load_demo

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield load_demo()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo_sites(demo: Any, db: Any) -> list[Any]:
    """The demo's sites; a gate (the people app's access points) is part of its mine, and
    the mine carries the risk register and the losses."""
    from minewatch.geo.models import Site

    return list(Site.objects.exclude(kind="access_point").select_related("organisation")
                .order_by("pk"))  # fmt: skip


def manager_of(site: Any) -> Any:
    from minewatch.core.models import User

    return User.objects.filter(organisation_id=site.organisation_id,
                               role__in=[Role.ADMIN, Role.SECURITY_MANAGER]).order_by("pk").first()  # fmt: skip


def test_the_demo_has_sites_of_two_companies(demo_sites, db):
    assert len(demo_sites) >= 10
    assert len({site.organisation_id for site in demo_sites}) == 2


def test_every_demo_site_has_a_gap_row_per_threat_and_non_zero_losses_in_the_api(demo_sites, db,
                                                                                  api_client):  # fmt: skip
    for site in demo_sites:
        client = api_client(manager_of(site))
        gaps = client.get("/api/v1/risk/gaps/", {"site": site.pk})
        assert gaps.status_code == 200, (site.name, gaps.content)
        rows = gaps.json()["sites"][0]["threats"]
        assert sorted(r["threat"] for r in rows) == sorted(THREATS), site.name
        assert all(0 <= r["gap"] <= 1 and 0 <= r["coverage"] <= 1 for r in rows), site.name
        assert any(r["threat_level"] > 0 for r in rows), site.name
        losses = client.get("/api/v1/risk/losses/", {"site": site.pk})
        assert losses.status_code == 200, (site.name, losses.content)
        total = losses.json()["total"]["without_controls"]
        assert 0 < total["p50_usd"] <= total["p90_usd"] <= total["p99_usd"], (site.name, total)
        per_threat = losses.json()["threats"]
        assert set(per_threat) == set(THREATS)
        assert any(t["without_controls"]["p99_usd"] > 0 for t in per_threat.values()), site.name
        # the demo holds two years of incidents: two yearly bins, no empty third year
        assert {len(t["yearly_counts"]) for t in per_threat.values()} == {2}, site.name


def test_every_demo_site_shows_its_gaps_and_losses_on_its_page_and_the_heatmap(demo_sites, db, client,
                                                                               api_client):  # fmt: skip
    seen_on_heatmap: set[str] = set()
    for site in demo_sites:
        manager = manager_of(site)
        client.force_login(manager)
        heatmap = table_rows(client.get("/risk/", HTTP_ACCEPT_LANGUAGE="es").content.decode(),
                             "data-site")  # fmt: skip
        assert len(heatmap[str(site.pk)]) == 1 + len(THREATS), site.name
        seen_on_heatmap.add(str(site.pk))
        losses = api_client(manager).get("/api/v1/risk/losses/", {"site": site.pk}).json()
        page = client.get(f"/risk/sites/{site.pk}/", HTTP_ACCEPT_LANGUAGE="es")
        assert page.status_code == 200, site.name
        rows = table_rows(page.content.decode(), "data-loss-threat")
        assert set(rows) == {*THREATS, "total"}, site.name
        assert set(table_rows(page.content.decode(), "data-gap-threat")) == set(THREATS)
        total = losses["total"]["without_controls"]
        shown = rows["total"][1:4]
        assert shown == [whole_usd(total[k]) for k in ("p50_usd", "p90_usd", "p99_usd")], site.name
        assert all(int(figure.replace(",", "")) > 0 for figure in shown), (site.name, shown)
    assert seen_on_heatmap == {str(site.pk) for site in demo_sites}


def test_demo_has_every_accountability_record_the_issue_asks_for(demo, db) -> None:
    from minewatch.accountability.models import (
        Contractor,
        Grievance,
        PublicSecurityAgreement,
        UseOfForceReport,
    )
    from minewatch.accountability.services.grievances import missed_deadlines
    from minewatch.alerts.models import Alert

    assert any("use-of-force" in line for line in demo)
    shots = UseOfForceReport.objects.filter(force_level="firearm_discharged")
    assert shots.count() == 1 and shots.get().status == "under_review"
    assert UseOfForceReport.objects.filter(status="reviewed").exists()
    assert not UseOfForceReport.objects.filter(is_synthetic=False).exists()
    statuses = set(Grievance.objects.values_list("status", flat=True))
    assert statuses == set(GrievanceStatus.values)
    today = timezone.localdate()
    overdue = [g for g in Grievance.objects.all() if missed_deadlines(g, today)]
    assert len(overdue) == 1
    assert Alert.objects.filter(kind="accountability.grievance_overdue").count() == 1
    assert Alert.objects.filter(kind="accountability.use_of_force", severity=5).count() == 1
    registry = list(Contractor.objects.order_by("sucamec_expires_on"))
    assert len(registry) == 2
    assert registry[0].sucamec_expires_on - today <= dt.timedelta(days=30)
    assert {c.icoca_status for c in registry} == {"certified_member", "affiliate"}
    agreement = PublicSecurityAgreement.objects.get()
    assert agreement.force == "pnp" and agreement.support.count() == 4


def test_demo_personnel_are_synthetic_with_every_status(demo: Any, db: Any) -> None:
    from minewatch.people.models import AccessAnomaly, Person
    from minewatch.people.queries import status_of

    people = list(Person.objects.all())
    assert people and all(p.is_synthetic and "(sintético)" in p.name for p in people)
    assert {p.organisation.name for p in people} >= {
        "Minera Andes del Sur S.A.A. (demo, synthetic)"
    }
    assert len({p.employer.kind for p in people}) == 2  # own staff and contractors
    states = Counter(status_of(p).state for p in people)
    assert {"cleared", "expiring", "expired", "failed"} <= set(states)
    kinds = set(AccessAnomaly.objects.values_list("kind", flat=True))
    assert {"unknown_credential", "not_cleared", "anti_passback", "outside_shift"} <= kinds
    assert any("synthetic personnel" in line for line in demo)


def test_demo_access_history_has_every_anomaly_kind(demo: Any, db: Any) -> None:
    from minewatch.people.choices import AnomalyKind
    from minewatch.people.models import AccessAnomaly

    kinds = set(AccessAnomaly.objects.values_list("kind", flat=True))
    assert kinds == set(AnomalyKind.values)
    after_hours = AccessAnomaly.objects.get(kind="after_hours_magazine")
    assert after_hours.access_point.parent.kind == "explosives_magazine"
    assert after_hours.person.is_synthetic


def test_each_contractor_sees_the_passes_at_the_gate_its_guards_staff(demo: Any, db: Any) -> None:
    from minewatch.core.models import User
    from minewatch.core.tenancy import restrict
    from minewatch.people.models import AccessEvent

    seen = {}
    for username in ("psc-operator", "psc2-operator"):
        user = User.objects.get(username=username)
        events = restrict(AccessEvent.objects.all(), user)
        seen[username] = set(events.values_list("access_point__parent__name", flat=True))
    assert seen == {"psc-operator": {"Las Bambas"}, "psc2-operator": {"Antamina"}}


def test_demo_visitors_some_gone_one_overstaying(demo: Any, db: Any) -> None:
    from minewatch.people.checks import check_overstays
    from minewatch.people.models import Visitor

    visitors = list(Visitor.objects.all())
    assert visitors and all(v.is_synthetic and "sintético" in v.name for v in visitors)
    now = timezone.now()
    assert sum(v.checked_out_at is not None for v in visitors) >= 2
    inside = [v for v in visitors if v.checked_out_at is None]
    assert sum(v.expected_exit < now for v in inside) == 1
    assert check_overstays(now) == 1  # the alerts worker pages about exactly that one


def test_demo_bus_manifest_boarded_checked_in_one_missing(demo: Any, db: Any) -> None:
    from minewatch.people.checks import check_missing_passengers
    from minewatch.people.models import TripPassenger
    from minewatch.tracking.models import Trip

    bus = Trip.objects.get(reference="DEMO-BUS-01")
    assert bus.is_synthetic and bus.status == "arrived"
    assert {m.vehicle.kind for m in bus.members.select_related("vehicle")} == {"bus"}
    lines = list(TripPassenger.objects.filter(trip=bus).select_related("person"))
    assert len(lines) >= 5 and all(line.boarded_at is not None for line in lines)
    missing = [line for line in lines if line.arrived_at is None]
    assert len(missing) == 1 and missing[0].person.is_synthetic
    assert check_missing_passengers(timezone.now()) == 1
    planned = Trip.objects.get(reference="DEMO-BUS-02")
    assert planned.status == "planned"
    assert not TripPassenger.objects.filter(trip=planned, boarded_at__isnull=False).exists()


def test_demo_bus_manifest_page_shows_the_missing_passenger(demo: Any, db: Any, client) -> None:
    from minewatch.core.models import User
    from minewatch.tracking.models import Trip

    bus = Trip.objects.get(reference="DEMO-BUS-01")
    client.force_login(User.objects.get(username="guard"))
    listing = client.get("/people/transport/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "DEMO-BUS-01" in listing and 'data-missing="1"' in listing
    page = client.get(f"/people/transport/{bus.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert page.count('data-state="missing"') == 1
    assert "1 pasajero falta a la llegada" in page


def test_gate_simulator_plays_every_anomaly_through_the_ingest_service(demo: Any, db: Any) -> None:
    """One cycle of the live simulator, every step an anomaly: each kind happens, every event it
    sends is accepted by the service behind POST /api/v1/access-events/."""
    import random

    from minewatch.people.choices import AnomalyKind
    from minewatch.people.models import AccessEvent
    from minewatch.people.simulator import SCENARIOS, GateSimulator, demo_plans

    plans = demo_plans()
    assert len(plans) == 2 and plans[0].magazine_gate_id and plans[0].revoked
    before = AccessEvent.objects.count()
    simulator = GateSimulator(plans, anomaly_every=1, rng=random.Random(7))
    now = timezone.now()
    for at in (now - dt.timedelta(hours=12), now):  # one cycle by day and one by night
        found: set[str] = set()
        for _step in SCENARIOS:
            for result in simulator.step(at):
                assert result.rejected == []
                for event in result.stored:
                    found |= {a.kind for a in event.anomalies.all()}
        assert found == set(AnomalyKind.values), at
    assert AccessEvent.objects.count() - before == simulator.sent > 2 * len(SCENARIOS)
