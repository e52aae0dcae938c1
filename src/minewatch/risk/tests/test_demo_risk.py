"""The issue's "done when": the gap heatmap and the loss figures appear for every demo site.

The real demo (``minewatch.core.demo.load_demo``) is loaded once for this module inside
a transaction that is rolled back at the end; each test runs in a savepoint of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from minewatch.core.choices import Role
from minewatch.risk.engine.gaps import THREATS
from minewatch.risk.tests.html_rows import table_rows, whole_usd


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    from minewatch.core.demo import load_demo
    from minewatch.geo.models import Site

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_demo()
            sites = list(Site.objects.select_related("organisation").order_by("pk"))
            yield sites
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def manager_of(site: Any) -> Any:
    from minewatch.core.models import User

    return User.objects.filter(organisation_id=site.organisation_id,
                               role__in=[Role.ADMIN, Role.SECURITY_MANAGER]).order_by("pk").first()  # fmt: skip


def test_the_demo_has_sites_of_two_companies(demo, db):
    assert len(demo) >= 10
    assert len({site.organisation_id for site in demo}) == 2


def test_every_demo_site_has_a_gap_row_per_threat_and_non_zero_losses_in_the_api(demo, db,
                                                                                  api_client):  # fmt: skip
    for site in demo:
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


def test_every_demo_site_shows_its_gaps_and_losses_on_its_page_and_the_heatmap(demo, db, client,
                                                                               api_client):  # fmt: skip
    seen_on_heatmap: set[str] = set()
    for site in demo:
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
        assert all(int(figure) > 0 for figure in shown), (site.name, shown)
    assert seen_on_heatmap == {str(site.pk) for site in demo}
