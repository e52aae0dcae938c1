"""The gate page on a tablet-sized Chromium: type a DNI, see who and whether cleared, record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from minewatch.web.tests.test_browser import SETUP_WORLD, log_in, open_page, serve

pytestmark = pytest.mark.browser

TABLET = {"width": 800, "height": 1280}
SETUP_GATE = SETUP_WORLD + (
    "from minewatch.core.models import User\n"
    "from minewatch.geo.models import Site\n"
    "from minewatch.geo import services\n"
    "mine = Site.objects.get(name='Pataz')\n"
    "services.save_site(actor=User.objects.get(username='a-security_manager'),\n"
    "    organisation=mine.organisation, name='Garita Pataz', kind='access_point',\n"
    "    lat=mine.lat + 0.001, lon=mine.lon, parent=mine)\n"
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    yield from serve(SETUP_GATE)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from minewatch.web.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def test_guard_checks_a_dni_and_records_entry_on_a_tablet(browser: Any, server: str) -> None:
    page = open_page(browser, TABLET, has_touch=True)
    log_in(page, server, "a-guard")
    page.goto(f"{server}/people/gate/")
    assert page.locator("h1").inner_text() == "Garita"
    page.fill("#credential", "10000001")
    page.click("#lookup button[type=submit]")
    assert page.locator("#who h2").inner_text() == "Juan Quispe Mamani"
    assert page.locator("#verdict").inner_text() == "Habilitado"
    assert page.locator("#assigned").inner_text() == "Asignado a este sitio"
    box = page.locator("button[value=in]").bounding_box()
    assert box["width"] >= 200 and box["height"] >= 44  # big enough to tap
    page.click("button[value=in]")
    assert "Entrada registrada" in page.locator(".messages").inner_text()
    page.fill("#credential", "A-002")
    page.click("#lookup button[type=submit]")
    assert page.locator("#verdict").inner_text() == "No habilitado"
    assert "No asignado" in page.locator("#assigned").inner_text()
    assert page.errors == []
    page.context.close()
