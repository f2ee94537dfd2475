import pytest
from rest_framework.test import APIClient

from agreements_app.choices import AgreementType
from cooperation_portal.accounts.choices import Role
from tests import factories

from .conftest import ENFORCEMENT_STATES

URL = "/api/v1/reports/annual/"
PERIOD = {"start": "2011-10-01", "end": "2013-09-30"}


@pytest.fixture
def api(facilitator):
    client = APIClient()
    client.force_authenticate(facilitator)
    return client


def test_api_gives_back_the_2013_figures_with_the_issue_keys(period_2013, api):
    """The JSON endpoint returns the must-show figures under the keys the issue lists."""
    response = api.get(URL, PERIOD)
    assert response.status_code == 200
    data = response.json()
    assert data["period"]["start"] == "2011-10-01" and data["period"]["end"] == "2013-09-30"
    requests = data["requests"]
    for key in ("transmitted", "visa_requests", "by_organ", "by_partner_kind", "by_regional_group", "by_type",
                "distinct_partners", "overdue_at_end"):
        assert key in requests, key
    assert set(requests["by_organ"]) == {"registry", "otp", "presidency", "chambers"}
    assert set(requests["by_partner_kind"]) == {"state_party", "non_party_state", "organization"}
    assert requests["by_transmitter"]["registry"]["transmitted"] == 533
    assert requests["by_transmitter"]["registry"]["organization"] == 19
    assert requests["visa_requests"] == 1320
    assert requests["transmitted"] == 1142
    assert requests["by_transmitter"]["otp"] == {**requests["by_transmitter"]["otp"], "transmitted": 609,
                                                 "distinct_partners": 71}
    agreements = data["agreements"]
    for key in ("in_force_at_end", "concluded_in_period", "states"):
        assert set(agreements[key]) == {"relocation", "enforcement", "interim_release", "release"}, key
    assert set(agreements["states"][AgreementType.ENFORCEMENT]) == ENFORCEMENT_STATES
    assert agreements["in_force_at_end"]["enforcement"] == 7
    assert agreements["states_at_end"]["relocation"] == 13
    assert data["warrants"]["outstanding_at_end"] == 12
    for key in ("issued_in_period", "executed_in_period"):
        assert key in data["warrants"]
    assert isinstance(data["states_parties_at_end"], int)
    assert isinstance(data["apic_parties_at_end"], int)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "start"),
        ({"start": "2013-01-01"}, "end"),
        ({"start": "2013-13-01", "end": "2013-12-31"}, "start"),
        ({"start": "yesterday", "end": "2013-12-31"}, "start"),
        ({"start": "2013-01-01", "end": "31/12/2013"}, "end"),
        ({"start": "2013-06-01", "end": "2013-05-31"}, "end"),
        ({"start": "1990-01-01", "end": "2013-12-31"}, "end"),
        ({"start": "0001-01-01", "end": "9999-12-31"}, "end"),
    ],
)
def test_bad_period_is_a_400_naming_the_field(api, query, field):
    """Missing, malformed, reversed or overlong periods answer 400 with the offending field named, never a 500."""
    response = api.get(URL, query)
    assert response.status_code == 400
    assert field in response.json(), response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.REGISTRY, Role.ADMINISTRATOR])
def test_facilitators_registry_and_administrators_may_read_the_report(role):
    """The report's readers: facilitators, registry staff, administrators."""
    client = APIClient()
    client.force_authenticate(factories.UserFactory(role=role))
    assert client.get(URL, PERIOD).status_code == 200


@pytest.mark.django_db
def test_focal_point_is_refused_with_403(focal_point_a):
    """A focal point sees only their own partner: the cross-partner report is forbidden (403, documented choice)."""
    client = APIClient()
    client.force_authenticate(focal_point_a)
    response = client.get(URL, PERIOD)
    assert response.status_code == 403
    assert "requests" not in response.json()


@pytest.mark.django_db
def test_anonymous_and_inactive_users_are_refused():
    """Without a signed-in, active user the answer is 401 or 403 and carries no figure."""
    anonymous = APIClient().get(URL, PERIOD)
    assert anonymous.status_code in (401, 403)
    inactive = APIClient()
    inactive.force_authenticate(factories.FacilitatorFactory(is_active=False))
    assert inactive.get(URL, PERIOD).status_code in (401, 403)
