"""The public grievance form in a phone-sized Chromium, without login: send, get a code, check it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from minewatch.web.tests.test_browser import PHONE, browser, open_page, server  # noqa: F401

pytestmark = pytest.mark.browser


def test_neighbour_sends_a_grievance_from_a_phone_and_checks_its_status(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
) -> None:
    page = open_page(browser, PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{server}/reclamos/")
    assert page.locator("h1").inner_text() == "Enviar un reclamo"
    assert page.locator(".mainnav").count() == 0  # no login, no staff menu
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the phone
    page.select_option("#id_organisation", label="Org a")
    page.locator("label", has_text="Daños a la propiedad").click()
    page.fill("#id_description", "El camión rompió el cerco de mi chacra.")
    page.fill("#id_place_name", "Comunidad de Chagual")
    page.locator("#use-gps").click()  # the phone's GPS fills the hidden point
    page.wait_for_function("document.getElementById('id_lat').value !== ''")
    # The honeypot is off the screen, out of the tab order and hidden from screen readers.
    honeypot = page.locator("#id_website")
    assert honeypot.evaluate("e => e.getBoundingClientRect().right <= 0")
    assert honeypot.get_attribute("tabindex") == "-1"
    page.click("button.submit-big")
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"RC-[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    page.click("a.button")  # "check its status"
    assert page.locator("#grievance-status").get_attribute("data-status") == "received"
    assert "Recibido" in page.locator("#grievance-status").inner_text()
    assert "cerco" not in page.locator("main").inner_text()  # nothing but the status
    page.fill("#id_code", "RC-22222-22222")
    page.click("button.submit-big")
    assert "Ningún reclamo tiene este código" in page.locator("div.error").inner_text()
    assert page.errors == []
    page.context.close()
