"""Browser pages of the register of voluntary agreements, under every role.

The expected-status table is checked against agreements_app.urls itself: a page added without a row fails.
State B's focal point never sees State A's agreements (404, like a missing id); every write goes through the
services, and a stale edit overwrites nothing.
"""

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from agreements_app.choices import AgreementType, PlacementDecision
from agreements_app.models import Placement, VoluntaryAgreement
from agreements_app.urls import urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "registry", "registry_cleared", "focal_a", "focal_b", "facilitator")
LOGIN = 302
A_MARKER = "MARKER-AGREEMENT-A-4c1d"


@pytest.fixture
def users(registry_user, cleared_registry_user, focal_point_a, focal_point_b, facilitator) -> dict[str, object]:
    return {"anonymous": None, "registry": registry_user, "registry_cleared": cleared_registry_user,
            "focal_a": focal_point_a, "focal_b": focal_point_b, "facilitator": facilitator}


@pytest.fixture
def agreement_a(state_a) -> VoluntaryAgreement:
    return factories.VoluntaryAgreementFactory(partner=state_a, title=A_MARKER, notes="internal note A")


@pytest.fixture
def agreement_b(state_b) -> VoluntaryAgreement:
    return factories.VoluntaryAgreementFactory(partner=state_b, title="Belgian agreement",
                                               agreement_type=AgreementType.RELOCATION)


def client_as(users: dict[str, object], role: str) -> Client:
    client = Client()
    if users[role] is not None:
        client.force_login(users[role])  # type: ignore[arg-type]
    return client


def statuses(**overrides: int) -> dict[str, int]:
    return {"anonymous": LOGIN, **overrides}


READ = statuses(registry=200, registry_cleared=200, focal_a=200, focal_b=200, facilitator=403)
READ_A = statuses(registry=200, registry_cleared=200, focal_a=200, focal_b=404, facilitator=403)
WRITE = statuses(registry=200, registry_cleared=200, focal_a=403, focal_b=403, facilitator=403)
ON_A: Callable[[VoluntaryAgreement], dict[str, int]] = lambda a: {"pk": a.pk}  # noqa: E731
NONE: Callable[[VoluntaryAgreement], dict[str, int]] = lambda a: {}  # noqa: E731

EXPECTED: dict[str, tuple[Callable[[VoluntaryAgreement], dict[str, int]], dict[str, int]]] = {
    "list": (NONE, READ),
    "create": (NONE, WRITE),
    "detail": (ON_A, READ_A),
    "edit": (ON_A, WRITE),
    "status": (ON_A, WRITE),
    "placement_create": (ON_A, WRITE),
}


def test_every_page_has_a_row_in_the_table():
    """A page added to agreements_app.urls without an expected-status row fails here."""
    assert {pattern.name for pattern in urlpatterns} == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_status_by_role(name, role, users, agreement_a, agreement_b):
    """Each role gets the expected status; B, the facilitator and anonymous users never see A's agreement."""
    kwargs, expected = EXPECTED[name]
    response = client_as(users, role).get(reverse(f"agreements:{name}", kwargs=kwargs(agreement_a)))
    assert response.status_code == expected[role], (name, role)
    if response.status_code == LOGIN:
        assert response["Location"].startswith(reverse("login"))
    if role in ("anonymous", "focal_b", "facilitator"):
        assert A_MARKER not in response.content.decode()


def test_focal_point_b_gets_the_same_404_for_as_agreement_as_for_a_missing_id(users, agreement_a):
    """B cannot tell A's agreement from an id that does not exist."""
    client = client_as(users, "focal_b")
    hidden = client.get(reverse("agreements:detail", kwargs={"pk": agreement_a.pk}))
    missing = client.get(reverse("agreements:detail", kwargs={"pk": 987654}))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_list_shows_a_focal_point_only_their_own_agreements(users, agreement_a, agreement_b):
    """A's focal point lists A's agreement and not B's; B's lists B's and not A's; registry lists both."""
    page_a = client_as(users, "focal_a").get(reverse("agreements:list")).content.decode()
    page_b = client_as(users, "focal_b").get(reverse("agreements:list")).content.decode()
    page_registry = client_as(users, "registry").get(reverse("agreements:list")).content.decode()
    assert A_MARKER in page_a and "Belgian agreement" not in page_a
    assert "Belgian agreement" in page_b and A_MARKER not in page_b
    assert A_MARKER in page_registry and "Belgian agreement" in page_registry


def test_list_filters_with_the_shared_filterset(users, agreement_a, agreement_b, state_b):
    """The list takes the VoluntaryAgreementFilterSet's parameters (here the State's code and the type)."""
    client = client_as(users, "registry")
    page = client.get(reverse("agreements:list"), {"partner": state_b.code}).content.decode()
    assert "Belgian agreement" in page and A_MARKER not in page
    page = client.get(reverse("agreements:list"), {"agreement_type": AgreementType.ENFORCEMENT}).content.decode()
    assert A_MARKER in page and "Belgian agreement" not in page
    assert client.get(reverse("agreements:list"), {"in_force_on": "not-a-date"}).status_code == 400


@pytest.mark.parametrize("role", ["focal_a", "focal_b", "facilitator", "anonymous"])
def test_posting_to_every_page_changes_nothing(role, users, agreement_a):
    """Roles other than registry POST to every page: refused, and no agreement or placement changes."""
    before = list(VoluntaryAgreement.objects.values_list("pk", "version", "title", "signed_on"))
    client = client_as(users, role)
    data = {"version": agreement_a.version, "partner": agreement_a.partner_id, "agreement_type": "relocation",
            "title": "hijacked", "change": "terminated_on", "on": "2020-01-01", "reference": "P-1",
            "person_label": "W-1", "requested_on": "2020-01-01", "decision": "pending"}
    for name, (kwargs, _expected) in EXPECTED.items():
        response = client.post(reverse(f"agreements:{name}", kwargs=kwargs(agreement_a)), data)
        assert response.status_code in (302, 403, 404, 405), (name, response.status_code)
        if response.status_code == 302:
            assert role == "anonymous" and response["Location"].startswith(reverse("login"))
    assert list(VoluntaryAgreement.objects.values_list("pk", "version", "title", "signed_on")) == before
    assert not Placement.objects.exists()


def test_registry_creates_an_agreement(users, state_b):
    """Registry staff create an agreement through the form; it is saved by the service, version 1."""
    response = client_as(users, "registry").post(reverse("agreements:create"), {
        "partner": state_b.pk, "agreement_type": AgreementType.INTERIM_RELEASE, "title": "Interim release",
        "signed_on": "2014-03-01", "is_public": "on",
    })
    agreement = VoluntaryAgreement.objects.get(title="Interim release")
    assert response.status_code == 302
    assert response["Location"] == reverse("agreements:detail", kwargs={"pk": agreement.pk})
    assert (agreement.partner, agreement.signed_on, agreement.version) == (state_b, datetime.date(2014, 3, 1), 1)
    assert agreement.history.get().history_user == users["registry"]


def test_create_refuses_dates_out_of_order_next_to_the_field(users, state_b):
    """A model rule broken (in force before signature) comes back as a 400 with the message; nothing saved."""
    response = client_as(users, "registry").post(reverse("agreements:create"), {
        "partner": state_b.pk, "agreement_type": AgreementType.RELOCATION, "signed_on": "2014-03-01",
        "in_force_on": "2014-01-01",
    })
    assert response.status_code == 400
    assert "cannot enter into force before it is signed" in response.content.decode()
    assert not VoluntaryAgreement.objects.exists()


def test_stale_edit_is_refused_and_overwrites_nothing(users, agreement_a):
    """Two people open the edit page; the second save carries the old version: 409, the message, no change."""
    client = client_as(users, "registry")
    page = client.get(reverse("agreements:edit", kwargs={"pk": agreement_a.pk}))
    assert f'name="version" value="{agreement_a.version}"' in page.content.decode()
    form = {"partner": agreement_a.partner_id, "agreement_type": agreement_a.agreement_type,
            "signed_on": "2010-05-01", "in_force_on": "2010-06-01", "is_public": "on",
            "version": agreement_a.version}
    first = client.post(reverse("agreements:edit", kwargs={"pk": agreement_a.pk}), {**form, "title": "First"})
    assert first.status_code == 302
    second = client.post(reverse("agreements:edit", kwargs={"pk": agreement_a.pk}), {**form, "title": "Second"})
    assert second.status_code == 409
    assert "changed by someone else" in second.content.decode()
    agreement_a.refresh_from_db()
    assert (agreement_a.title, agreement_a.version) == ("First", 2)


def test_status_change_records_its_date(users, state_b):
    """Recording signature, then entry into force, then termination sets each date; the status follows."""
    agreement = factories.VoluntaryAgreementFactory(partner=state_b, signed_on=None, in_force_on=None)
    client = client_as(users, "registry")
    url = reverse("agreements:status", kwargs={"pk": agreement.pk})
    for version, (change, on) in enumerate(
        [("signed_on", "2015-01-10"), ("in_force_on", "2015-02-01"), ("terminated_on", "2020-12-31")], start=1
    ):
        response = client.post(url, {"version": version, "change": change, "on": on})
        assert response.status_code == 302, response.content.decode()
    agreement.refresh_from_db()
    assert (agreement.signed_on, agreement.in_force_on, agreement.terminated_on) == (
        datetime.date(2015, 1, 10), datetime.date(2015, 2, 1), datetime.date(2020, 12, 31))
    assert agreement.status_on(datetime.date(2016, 1, 1)) == "in_force"
    assert agreement.status == "terminated"


def test_status_change_out_of_order_is_refused_on_the_date_field(users, agreement_a):
    """Termination dated before entry into force: 400 with the rule's message; the date is not saved."""
    response = client_as(users, "registry").post(
        reverse("agreements:status", kwargs={"pk": agreement_a.pk}),
        {"version": agreement_a.version, "change": "terminated_on", "on": "2009-01-01"},
    )
    assert response.status_code == 400
    assert "cannot end before it enters into force" in response.content.decode()
    agreement_a.refresh_from_db()
    assert agreement_a.terminated_on is None


def test_status_change_with_a_stale_version_is_refused(users, agreement_a):
    """A status change carries the version read; a stale one is a 409 and nothing changes."""
    response = client_as(users, "registry").post(
        reverse("agreements:status", kwargs={"pk": agreement_a.pk}),
        {"version": agreement_a.version + 5, "change": "terminated_on", "on": "2019-01-01"},
    )
    assert response.status_code == 409
    agreement_a.refresh_from_db()
    assert agreement_a.terminated_on is None


def test_registry_records_a_placement(users, agreement_a):
    """A placement under an agreement is recorded through placement_record and shown on the agreement."""
    client = client_as(users, "registry")
    response = client.post(reverse("agreements:placement_create", kwargs={"pk": agreement_a.pk}), {
        "reference": "PL-2026-001", "person_label": "Witness P-17", "requested_on": "2026-01-05",
        "decision": PlacementDecision.REFUSED, "decided_on": "2026-02-01",
    })
    assert response.status_code == 302
    placement = Placement.objects.get()
    assert (placement.agreement, placement.decision) == (agreement_a, PlacementDecision.REFUSED)
    assert "Witness P-17" in client.get(reverse("agreements:detail", kwargs={"pk": agreement_a.pk})).content.decode()
    refused = client.post(reverse("agreements:placement_create", kwargs={"pk": agreement_a.pk}), {
        "reference": "PL-2026-002", "person_label": "W", "requested_on": "2026-01-05",
        "decision": PlacementDecision.ACCEPTED,
    })
    assert refused.status_code == 400
    assert Placement.objects.count() == 1


@pytest.mark.parametrize("role", ["registry", "focal_a"])
def test_list_issues_a_fixed_number_of_queries(role, users, state_a, django_assert_max_num_queries):
    """The list costs the same number of queries with 5 agreements as with 40."""
    client = client_as(users, role)
    factories.VoluntaryAgreementFactory.create_batch(5, partner=state_a)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("agreements:list")).status_code == 200
    factories.VoluntaryAgreementFactory.create_batch(35, partner=state_a)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("agreements:list"))
    assert response.content.decode().count('data-testid="agreement-row"') == 40
