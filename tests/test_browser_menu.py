# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""The web client shows Sales > Tools > Cloud Commerce to the admin."""
import pytest

from . import browser

pytestmark = pytest.mark.skipif(
    bool(browser.missing_requirements()),
    reason=browser.missing_requirements() or "ready")


@pytest.fixture(scope='module')
def base_url():
    with browser.demo_server() as url:
        yield url


@pytest.fixture
def page():
    with browser.chromium() as context:
        yield context.new_page()


def test_login_shows_cloud_commerce_menu(base_url, page):
    browser.login(page, base_url)
    browser.screenshot(page, 'menu-after-login')
    assert 'Administrator' in page.locator('#user-preferences').inner_text()

    entry = browser.open_menu(page, 'Sales', 'Tools', 'Cloud Commerce')

    assert entry.is_visible()
    browser.screenshot(page, 'menu-cloud-commerce')

