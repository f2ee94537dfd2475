"""The dashboard page: who may open it, and what it is wired to."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

URL = "/dashboard/"


def test_anonymous_is_sent_to_login(client):
    """The dashboard needs a signed-in user."""
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("fixture", ["registry_user", "focal_point_a", "facilitator"])
def test_each_dashboard_role_gets_the_page_wired_to_the_api(client, request, fixture):
    """Registry staff, focal points and facilitators get the page, which draws from the summary endpoint."""
    client.force_login(request.getfixturevalue(fixture))
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-api-url="/api/v1/dashboard/summary/"' in body
    assert "vendor/chartjs/chart.umd.min.js" in body
    assert "<script>" not in body  # no inline script: charts are drawn by static/js/dashboard.js


def test_facilitator_page_has_no_partner_table(client, facilitator):
    """The facilitator's page has no per-partner section, matching what its endpoint leaves out."""
    client.force_login(facilitator)
    assert 'data-table="requests.by_partner"' not in client.get(URL).content.decode()


def test_administrator_is_refused(client, db):
    """Administrators manage users and reference data; the dashboard is not theirs."""
    client.force_login(factories.UserFactory(username="admin", role="administrator"))
    assert client.get(URL).status_code == 403
