"""The dashboard summary: each role's figures, filters, and a fixed number of queries."""

import datetime

import pytest
from rest_framework.test import APIClient

from cooperation_portal.dates import court_today
from requests_app.choices import Confidentiality, Status
from tests import factories
from tests.clients import api_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/summary/"


@pytest.fixture
def figures(state_a, state_b):
    """Requests to A and B this year, one overdue to A, one under seal to B; a public and a sealed warrant."""
    today = court_today()
    recent = today - datetime.timedelta(days=30)  # due in 30 days: the factory gives 60 days to answer
    factories.CooperationRequestFactory.create_batch(3, partner=state_a, transmitted_on=recent)
    factories.CooperationRequestFactory(partner=state_a, transmitted_on=recent, due_on=recent)  # overdue
    factories.CooperationRequestFactory.create_batch(2, partner=state_b, transmitted_on=recent)
    factories.CooperationRequestFactory(
        partner=state_b, transmitted_on=recent, confidentiality=Confidentiality.UNDER_SEAL
    )
    factories.CooperationRequestFactory(partner=state_a, status=Status.DRAFT, transmitted_on=None, due_on=None)
    factories.ArrestWarrantFactory(issued_on=datetime.date(2015, 1, 1))
    factories.ArrestWarrantFactory(issued_on=datetime.date(2010, 1, 1), under_seal=True)


def test_registry_counts_what_it_sees(registry_user, figures):
    """Registry staff without clearance: six transmitted requests (not the sealed one), one overdue, by partner."""
    body = api_client(registry_user).get(URL).json()
    assert body["requests"]["transmitted"] == 6
    assert body["overdue"]["total"] == 1
    assert {row["code"]: row["count"] for row in body["requests"]["by_partner"]} == {"NLD": 4, "BEL": 2}
    assert body["warrants"]["at_large"] == 1


def test_focal_point_sees_only_their_own_states_figures(focal_point_a, figures):
    """A focal point's dashboard counts their State's requests only."""
    body = api_client(focal_point_a).get(URL).json()
    assert body["requests"]["transmitted"] == 4
    assert [row["code"] for row in body["requests"]["by_partner"]] == ["NLD"]


def test_facilitator_gets_aggregates_without_partner_breakdown_or_sealed_matter(facilitator, figures):
    """Facilitators count confidential requests, never those under seal, never by single partner;
    a sealed warrant changes no figure."""
    body = api_client(facilitator).get(URL).json()
    assert body["requests"]["transmitted"] == 6
    assert "by_partner" not in body["requests"]
    assert "by_partner" not in body["overdue"]
    assert body["warrants"] == {
        "at_large": 1,
        "longest_at_large_days": (court_today() - datetime.date(2015, 1, 1)).days,
        "at_large_by_year_issued": {"2015": 1},
    }


def test_facilitator_may_not_filter_by_partner_or_content(facilitator, figures):
    """Filters that could single out one request are refused with a 400 naming them."""
    response = api_client(facilitator).get(URL, {"partner": "NLD", "q": "records"})
    assert response.status_code == 400
    assert set(response.json()) == {"partner", "q"}


def test_filters_and_period_apply(registry_user, figures):
    """The shared FilterSet narrows the figures; a period outside the data gives zeros."""
    client = api_client(registry_user)
    assert client.get(URL, {"partner": "BEL"}).json()["requests"]["transmitted"] == 2
    old = client.get(URL, {"start": "2001-01-01", "end": "2001-12-31"}).json()
    assert old["requests"]["transmitted"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"start": "2026-05-01", "end": "2026-01-01"}, "end"),
        ({"status": "nonsense"}, "status"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(registry_user, params, field):
    """A malformed date, a reversed period or an unknown choice is a 400, never a 500."""
    response = api_client(registry_user).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_administrator_and_anonymous_are_refused(db):
    """Dashboards serve registry staff, focal points and facilitators."""
    admin = factories.UserFactory(username="admin", role="administrator")
    assert api_client(admin).get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


@pytest.mark.parametrize("rows", [5, 60])
def test_summary_issues_a_fixed_number_of_queries(registry_user, state_a, state_b, django_assert_max_num_queries, rows):
    """The summary is a bounded set of aggregate queries, whatever the number of requests."""
    recent = court_today() - datetime.timedelta(days=30)
    for partner in (state_a, state_b):
        factories.CooperationRequestFactory.create_batch(rows, partner=partner, transmitted_on=recent)
    with django_assert_max_num_queries(24):
        response = api_client(registry_user).get(URL)
    assert response.json()["requests"]["transmitted"] == 2 * rows


def test_escalation_levels_show_in_the_api_filter_and_dashboard(registry_user, state_a):
    """The sweep's escalation level is in the request API, filterable, and counted on the dashboard."""
    from requests_app.choices import EscalationLevel

    escalated = factories.CooperationRequestFactory(
        partner=state_a, escalation_level=EscalationLevel.SECOND_NOTICE, escalation_changed_on=court_today()
    )
    factories.CooperationRequestFactory(partner=state_a)
    client = api_client(registry_user)
    listed = client.get("/api/v1/requests/", {"escalation_level": EscalationLevel.SECOND_NOTICE}).json()["results"]
    assert [(row["id"], row["escalation_level"]) for row in listed] == [(escalated.pk, 3)]
    summary = client.get(URL).json()
    assert summary["overdue"]["by_escalation_level"] == {"3": 1}
