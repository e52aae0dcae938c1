"""Two-factor login in Chromium: an admin enrols (QR code, code computed here), signs in
with a TOTP code, then with a recovery code that works only once."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django_otp.oath import totp

from minewatch.web.tests.test_browser import DESKTOP, SETUP_WORLD, log_in, open_page, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    # The test runner's servers have enforcement off (their fixtures log in as managers).
    os.environ["MINEWATCH_TEST_TWO_FACTOR"] = "1"
    try:
        yield from serve(SETUP_WORLD)
    finally:
        os.environ.pop("MINEWATCH_TEST_TWO_FACTOR", None)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from minewatch.web.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def code(secret_b32: str, steps_ahead: int = 0) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    return str(totp(key, step=30, t0=0, digits=6, drift=steps_ahead)).zfill(6)


def log_out(page: Any) -> None:
    page.click(".topbar-right .usermenu summary")  # the user menu holds "log out"
    page.click(".topbar-right form[action$='/logout/'] button")
    page.wait_for_load_state("networkidle")


def test_admin_enrols_then_signs_in_with_totp_and_a_recovery_code(
    browser: Any, server: str
) -> None:
    page = open_page(browser, DESKTOP)
    log_in(page, server, "a-admin")
    # Required for admins by default: the first page after the password is the enrolment.
    assert "/security/two-factor/enrol/" in page.url
    assert page.locator("#enrol-qr svg path").count() == 1
    secret = page.inner_text("#enrol-secret").replace(" ", "")
    page.fill("#id_code", code(secret))
    page.click("main form button[type=submit]")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(len(c) == 11 and c[5] == "-" for c in codes)
    page.click("main a.button")
    page.wait_for_load_state("networkidle")
    assert "/security/" not in page.url and "/accounts/login/" not in page.url

    log_out(page)
    log_in(page, server, "a-admin")
    assert "/security/two-factor/verify/" in page.url
    page.fill("#id_code", code(secret, steps_ahead=1))  # the enrolment used this step's code
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/two-factor/" not in page.url and "/accounts/login/" not in page.url
    page.goto(f"{server}/security/")
    assert page.locator("#tokens-title").count() == 1  # the security page itself, no redirect

    log_out(page)
    log_in(page, server, "a-admin")
    page.fill("#id_code", codes[0])
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/two-factor/" not in page.url

    log_out(page)
    log_in(page, server, "a-admin")
    page.fill("#id_code", codes[0])
    page.click("main form button[type=submit]")
    assert page.locator("main .error[role=alert]").is_visible()  # a recovery code works once
    assert "/security/two-factor/verify/" in page.url
    page.fill("#id_code", codes[1])
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/two-factor/" not in page.url
    assert page.errors == []
    page.context.close()
