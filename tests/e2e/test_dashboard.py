"""The dashboard in a real Chromium: charts and their tables are drawn from the API."""

import datetime

import pytest

from cooperation_portal.dates import court_today
from tests import factories
from tests.e2e.login import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_registry_dashboard_draws_charts_and_tables(new_page):
    """After login, the dashboard fetches its figures and fills each chart's table."""
    state = factories.PartnerFactory(code="NLD", name="Netherlands", regional_group="WEOG")
    factories.CooperationRequestFactory.create_batch(
        3, partner=state, transmitted_on=court_today() - datetime.timedelta(days=20)
    )
    factories.RegistryFactory(username="registry-e2e")
    page = new_page()
    log_in(page, "registry-e2e")
    page.goto("/dashboard/")
    page.wait_for_selector("body[data-dashboard-loaded='true']")
    assert page.locator("[data-kpi='requests.transmitted']").inner_text() == "3"
    status_rows = page.locator("[data-chart='requests.by_status'] tbody tr")
    assert status_rows.count() == 1
    assert "Transmitted" in status_rows.first.inner_text()
    assert "Netherlands (NLD)" in page.locator("[data-table='requests.by_partner'] tbody").inner_text()
    assert page.evaluate("() => Object.keys(Chart.instances).length") >= 6
