"""The passenger manifest on a tablet-sized Chromium: add a passenger by badge (a wrong one is
refused under the field), check them in at boarding, and see who is missing at arrival."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from minewatch.web.tests.test_browser import SETUP_WORLD, log_in, open_page, serve

pytestmark = pytest.mark.browser

TABLET = {"width": 800, "height": 1280}
SETUP_TRIPS = SETUP_WORLD + (
    "from minewatch.core.models import User\n"
    "from minewatch.geo.models import Site\n"
    "from minewatch.people import visits\n"
    "from minewatch.people.models import Person\n"
    "from minewatch.tracking.services import fleet\n"
    "manager = User.objects.get(username='a-security_manager')\n"
    "mine = Site.objects.get(name='Pataz')\n"
    "bus = fleet.save_vehicle(actor=manager, organisation=mine.organisation, plate='ZBU-100',\n"
    "    kind='bus', site=mine)\n"
    "fleet.save_trip(actor=manager, organisation=mine.organisation, reference='BUS-TABLET',\n"
    "    site=mine, vehicles=[(bus, 'cargo')])\n"
    "done = fleet.save_trip(actor=manager, organisation=mine.organisation,\n"
    "    reference='BUS-LLEGADA', site=mine)\n"
    "line = visits.add_passenger(actor=manager, trip=done,\n"
    "    person=Person.objects.get(badge_number='A001'))\n"
    "visits.check_passenger(actor=manager, passenger=line, stage='board')\n"
    "done = fleet.change_trip_status(done, actor=manager, to_status='en_route')\n"
    "fleet.change_trip_status(done, actor=manager, to_status='arrived')\n"
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    yield from serve(SETUP_TRIPS)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from minewatch.web.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def test_manager_fills_a_manifest_and_sees_the_missing_passenger_on_a_tablet(
    browser: Any, server: str
) -> None:
    page = open_page(browser, TABLET, has_touch=True)
    log_in(page, server, "a-security_manager")
    page.goto(f"{server}/people/transport/")
    assert page.locator("h1").inner_text() == "Transporte de personal"
    assert page.locator("[data-missing]").inner_text() == "1"
    page.click("text=BUS-TABLET")
    assert "Manifiesto de pasajeros" in page.locator("h1").inner_text()
    page.fill("#id_passenger-person", "ZZ-404")
    page.click("#passenger-form button[type=submit]")
    error = page.locator("#id_passenger-person_error")
    assert "ninguna persona con este fotocheck o DNI" in error.inner_text()
    assert page.input_value("#id_passenger-person") == "ZZ-404"  # kept, to correct it
    page.fill("#id_passenger-person", "A-002")
    page.click("#passenger-form button[type=submit]")
    assert "Rosa Huamán agregado(a) al manifiesto." in page.locator(".messages").inner_text()
    row = page.locator("tr[data-passenger]")
    assert row.get_attribute("data-state") == "waiting"
    board = row.locator("button[value=board]")
    box = board.bounding_box()
    assert box["height"] >= 44  # big enough to tap
    board.click()
    assert "registrado(a) al abordar" in page.locator(".messages").inner_text()
    assert page.locator("tr[data-passenger]").get_attribute("data-state") == "boarded"
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.goto(f"{server}/people/transport/")
    page.click("text=BUS-LLEGADA")
    assert page.locator("#missing-count").inner_text() == "1 pasajero falta a la llegada"
    missing = page.locator("tr[data-state=missing]")
    assert "Juan Quispe Mamani" in missing.inner_text()
    assert "Falta a la llegada" in missing.inner_text()
    assert page.errors == []
    page.context.close()
