"""The Content-Security-Policy in a real Chromium: every kind of page works under it and nothing is refused.

The `new_page` fixture fails a test on any CSP report on the console; these tests add the pages the other browser
tests do not open: the admin, the API documentation (Swagger UI, Redoc), the browsable API, the account pages.
"""

import pytest

from tests import factories
from tests.e2e.login import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_anonymous_account_pages_load_under_the_policy(new_page):
    """Login, password reset and the admin's login page: styled from the portal's files, nothing refused."""
    page = new_page()
    for path in ("/accounts/login/", "/accounts/password-reset/", "/admin/login/"):
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto("/accounts/login/")
    # Bootstrap's stylesheet applied (not refused): the button is styled as a primary button.
    color = page.get_by_role("button", name="Log in").evaluate("b => getComputedStyle(b).backgroundColor")
    assert color not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)")


def test_staff_pages_admin_and_api_documentation_work_under_the_policy(new_page):
    """Registry staff go through the portal's pages, the admin and both API documentation pages."""
    factories.PartnerFactory(code="NLD", name="Netherlands")
    staff = factories.RegistryStaffFactory(username="registry-csp", is_superuser=True)
    page = new_page()
    log_in(page, staff.username)
    for path in ("/", "/requests/", "/requests/new/", "/agreements/", "/warrants/", "/reports/annual/",
                 "/admin/", "/admin/requests_app/cooperationrequest/", "/admin/accounts/user/",
                 f"/admin/accounts/user/{staff.pk}/change/"):
        response = page.goto(path)
        assert response.status == 200, path
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Cooperation Portal API" in page.locator(".swagger-ui .info .title").inner_text()
    page.goto("/api/redoc/")
    page.wait_for_selector("#redoc-container h1")
    assert "Cooperation Portal API" in page.locator("#redoc-container h1").first.inner_text()
    response = page.goto("/api/v1/requests/")
    assert response.status == 200
    assert "text/html" in response.headers["content-type"]


def test_the_navigation_menu_opens_on_a_narrow_screen(new_page):
    """Bootstrap's script runs from the portal's files: the collapsed menu opens on a phone-sized screen."""
    focal = factories.FocalPointFactory(username="focal-csp")
    page = new_page()
    page.set_viewport_size({"width": 400, "height": 800})
    log_in(page, focal.username)
    assert not page.get_by_role("link", name="Inbox").is_visible()
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="Inbox").wait_for(state="visible")
