"""Browser pages of the register of arrest warrants and of contact reports, under every role.

The expected-status table is checked against warrants_app.urls itself: a page added without a row fails.
A warrant under seal exists only for registry staff with clearance: to everyone else it is a 404 like a
missing id, its name appears on no list, and no contact report can be filed against it.
"""

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from cooperation_portal.dates import court_today
from requests_app.choices import Confidentiality, RequestType
from tests import factories
from warrants_app.models import ArrestWarrant, ContactReport
from warrants_app.urls import urlpatterns

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "registry", "registry_cleared", "focal_a", "focal_b", "facilitator")
LOGIN = 302
SEALED_MARKER = "SEALED-MARKER-PERSON-8e2a"
PUBLIC_NAME = "Public Person Alpha"


@pytest.fixture
def users(registry_user, cleared_registry_user, focal_point_a, focal_point_b, facilitator) -> dict[str, object]:
    return {"anonymous": None, "registry": registry_user, "registry_cleared": cleared_registry_user,
            "focal_a": focal_point_a, "focal_b": focal_point_b, "facilitator": facilitator}


@pytest.fixture
def public_warrant(state_a) -> ArrestWarrant:
    warrant = factories.ArrestWarrantFactory(person_name=PUBLIC_NAME)
    warrant.believed_in.set([state_a])
    return warrant


@pytest.fixture
def sealed_warrant(state_a) -> ArrestWarrant:
    warrant = factories.ArrestWarrantFactory(person_name=SEALED_MARKER, under_seal=True)
    warrant.believed_in.set([state_a])
    return warrant


def client_as(users: dict[str, object], role: str) -> Client:
    client = Client()
    if users[role] is not None:
        client.force_login(users[role])  # type: ignore[arg-type]
    return client


def statuses(**overrides: int) -> dict[str, int]:
    return {"anonymous": LOGIN, **overrides}


READ = statuses(registry=200, registry_cleared=200, focal_a=200, focal_b=200, facilitator=403)
WRITE = statuses(registry=200, registry_cleared=200, focal_a=403, focal_b=403, facilitator=403)
REPORT = statuses(registry=403, registry_cleared=403, focal_a=200, focal_b=200, facilitator=403)
ON = Callable[[ArrestWarrant], dict[str, int]]
ON_WARRANT: ON = lambda w: {"pk": w.pk}  # noqa: E731
NONE: ON = lambda w: {}  # noqa: E731

# On a public warrant.
EXPECTED: dict[str, tuple[ON, dict[str, int]]] = {
    "list": (NONE, READ),
    "create": (NONE, WRITE),
    "contact_report": (NONE, REPORT),
    "detail": (ON_WARRANT, READ),
    "edit": (ON_WARRANT, WRITE),
    "status": (ON_WARRANT, WRITE),
    "link_requests": (ON_WARRANT, WRITE),
}
# On a sealed warrant: only registry staff with clearance find it; the others who may use the page get a 404.
SEALED_STATUSES = {
    "detail": statuses(registry=404, registry_cleared=200, focal_a=404, focal_b=404, facilitator=403),
    "edit": statuses(registry=404, registry_cleared=200, focal_a=403, focal_b=403, facilitator=403),
    "status": statuses(registry=404, registry_cleared=200, focal_a=403, focal_b=403, facilitator=403),
    "link_requests": statuses(registry=404, registry_cleared=200, focal_a=403, focal_b=403, facilitator=403),
}


def test_every_page_has_a_row_in_the_table():
    """A page added to warrants_app.urls without an expected-status row fails here."""
    assert {pattern.name for pattern in urlpatterns} == set(EXPECTED)
    assert {name for name, (kwargs, _s) in EXPECTED.items() if kwargs is ON_WARRANT} == set(SEALED_STATUSES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_status_by_role(name, role, users, public_warrant, sealed_warrant):
    """Each role gets the expected status on each page; only cleared registry staff ever see the sealed name."""
    kwargs, expected = EXPECTED[name]
    response = client_as(users, role).get(reverse(f"warrants:{name}", kwargs=kwargs(public_warrant)))
    assert response.status_code == expected[role], (name, role)
    if response.status_code == LOGIN:
        assert response["Location"].startswith(reverse("login"))
    if role != "registry_cleared":
        assert SEALED_MARKER not in response.content.decode(), (name, role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SEALED_STATUSES))
def test_sealed_warrant_pages_by_role(name, role, users, sealed_warrant):
    """A sealed warrant's pages are a 404 to anyone who may use them but lacks clearance."""
    response = client_as(users, role).get(reverse(f"warrants:{name}", kwargs={"pk": sealed_warrant.pk}))
    assert response.status_code == SEALED_STATUSES[name][role], (name, role)
    if role != "registry_cleared":
        assert SEALED_MARKER not in response.content.decode()


def test_sealed_warrant_is_the_same_404_as_a_missing_id(users, sealed_warrant):
    """Registry staff without clearance cannot tell a sealed warrant from an id that does not exist."""
    client = client_as(users, "registry")
    hidden = client.get(reverse("warrants:detail", kwargs={"pk": sealed_warrant.pk}))
    missing = client.get(reverse("warrants:detail", kwargs={"pk": 987654}))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_sealed_warrant_is_listed_only_with_clearance(users, public_warrant, sealed_warrant):
    """The list names the sealed warrant to cleared registry staff only; the public one to every reader."""
    for role in ("registry", "focal_a", "focal_b"):
        page = client_as(users, role).get(reverse("warrants:list")).content.decode()
        assert PUBLIC_NAME in page and SEALED_MARKER not in page, role
    page = client_as(users, "registry_cleared").get(reverse("warrants:list")).content.decode()
    assert PUBLIC_NAME in page and SEALED_MARKER in page


def test_unsealed_warrant_becomes_visible(users, sealed_warrant):
    """Once its unsealing date has passed, a warrant issued under seal is public."""
    sealed_warrant.unsealed_on = court_today()
    sealed_warrant.save()
    assert client_as(users, "focal_b").get(
        reverse("warrants:detail", kwargs={"pk": sealed_warrant.pk})).status_code == 200


def test_list_filters_with_the_shared_filterset(users, public_warrant):
    """The list takes the ArrestWarrantFilterSet's parameters (person search, outstanding on a date)."""
    other = factories.ArrestWarrantFactory(person_name="Someone Else", custody_on=datetime.date(2021, 1, 1))
    client = client_as(users, "registry")
    page = client.get(reverse("warrants:list"), {"q": "alpha"}).content.decode()
    assert PUBLIC_NAME in page and other.person_name not in page
    page = client.get(reverse("warrants:list"), {"outstanding_on": "2022-01-01"}).content.decode()
    assert PUBLIC_NAME in page and other.person_name not in page


@pytest.mark.parametrize("role", ["focal_a", "focal_b", "facilitator", "anonymous"])
def test_posting_to_every_page_changes_nothing(role, users, public_warrant):
    """Roles other than registry POST to every warrant page: refused, and no warrant changes."""
    before = list(ArrestWarrant.objects.values_list("pk", "version", "person_name", "custody_on"))
    data = {"version": public_warrant.version, "person_name": "hijacked", "situation": public_warrant.situation_id,
            "chamber": "X", "issued_on": "2020-01-01", "change": "custody_on", "on": "2021-01-01",
            "references": ""}
    client = client_as(users, role)
    for name, (kwargs, _expected) in EXPECTED.items():
        if name == "contact_report":
            continue  # focal points may file reports; covered below
        response = client.post(reverse(f"warrants:{name}", kwargs=kwargs(public_warrant)), data)
        assert response.status_code in (302, 403, 404, 405), (name, response.status_code)
        if response.status_code == 302:
            assert role == "anonymous" and response["Location"].startswith(reverse("login"))
    assert list(ArrestWarrant.objects.values_list("pk", "version", "person_name", "custody_on")) == before


def test_registry_creates_a_public_warrant_and_cannot_seal_without_clearance(users, state_b):
    """Staff without clearance see no "under seal" field and create a public warrant; a forged field is ignored."""
    situation = factories.SituationFactory()
    client = client_as(users, "registry")
    assert "under_seal" not in client.get(reverse("warrants:create")).content.decode()
    response = client.post(reverse("warrants:create"), {
        "person_name": "New Person", "situation": situation.pk, "chamber": "Pre-Trial Chamber II",
        "issued_on": "2024-05-01", "believed_in": [state_b.pk], "under_seal": "on",
    })
    assert response.status_code == 302
    warrant = ArrestWarrant.objects.get(person_name="New Person")
    assert not warrant.under_seal
    assert list(warrant.believed_in.all()) == [state_b]


def test_cleared_registry_creates_a_sealed_warrant(users):
    """With clearance, a warrant can be issued under seal; staff without clearance then cannot find it."""
    situation = factories.SituationFactory()
    response = client_as(users, "registry_cleared").post(reverse("warrants:create"), {
        "person_name": "Sealed New", "situation": situation.pk, "chamber": "PTC I", "issued_on": "2024-05-01",
        "under_seal": "on",
    })
    assert response.status_code == 302
    warrant = ArrestWarrant.objects.get(person_name="Sealed New")
    assert warrant.under_seal
    assert client_as(users, "registry").get(reverse("warrants:detail", kwargs={"pk": warrant.pk})).status_code == 404


def test_stale_edit_is_refused_and_overwrites_nothing(users, public_warrant):
    """The second of two saves from the same version is a 409 with the message; the first one stands."""
    client = client_as(users, "registry")
    page = client.get(reverse("warrants:edit", kwargs={"pk": public_warrant.pk})).content.decode()
    assert f'name="version" value="{public_warrant.version}"' in page
    form = {"situation": public_warrant.situation_id, "chamber": "PTC I", "issued_on": "2020-03-01",
            "version": public_warrant.version}
    assert client.post(reverse("warrants:edit", kwargs={"pk": public_warrant.pk}),
                       {**form, "person_name": "First"}).status_code == 302
    second = client.post(reverse("warrants:edit", kwargs={"pk": public_warrant.pk}), {**form, "person_name": "Second"})
    assert second.status_code == 409
    assert "changed by someone else" in second.content.decode()
    public_warrant.refresh_from_db()
    assert (public_warrant.person_name, public_warrant.version) == ("First", 2)


@pytest.mark.parametrize(("change", "status"), [
    ("custody_on", "in_custody"), ("withdrawn_on", "withdrawn"), ("terminated_on", "terminated"),
])
def test_status_change_records_its_date(change, status, users, public_warrant):
    """Custody, withdrawal and termination are each recorded as a date; the status today follows."""
    response = client_as(users, "registry").post(
        reverse("warrants:status", kwargs={"pk": public_warrant.pk}),
        {"version": public_warrant.version, "change": change, "on": "2023-01-01"},
    )
    assert response.status_code == 302
    public_warrant.refresh_from_db()
    assert getattr(public_warrant, change) == datetime.date(2023, 1, 1)
    assert public_warrant.status == status


def test_unsealing_is_recorded_by_cleared_staff(users, sealed_warrant):
    """Cleared staff record the unsealing date; the warrant is then public to every reader."""
    response = client_as(users, "registry_cleared").post(
        reverse("warrants:status", kwargs={"pk": sealed_warrant.pk}),
        {"version": sealed_warrant.version, "change": "unsealed_on", "on": court_today().isoformat()},
    )
    assert response.status_code == 302
    sealed_warrant.refresh_from_db()
    assert not sealed_warrant.is_sealed_on()
    assert SEALED_MARKER in client_as(users, "focal_b").get(reverse("warrants:list")).content.decode()


def test_status_change_before_issue_is_refused(users, public_warrant):
    """Custody dated before the warrant was issued: 400 with the rule's message; nothing saved."""
    response = client_as(users, "registry").post(
        reverse("warrants:status", kwargs={"pk": public_warrant.pk}),
        {"version": public_warrant.version, "change": "custody_on", "on": "2000-01-01"},
    )
    assert response.status_code == 400
    assert "before it is issued" in response.content.decode()
    public_warrant.refresh_from_db()
    assert public_warrant.custody_on is None


def test_link_requests_only_among_visible_requests(users, public_warrant, state_a):
    """Staff link requests by reference; a request under seal is "no such request" without clearance, and a link
    to it that cleared staff made survives a save by uncleared staff."""
    arrest = factories.CooperationRequestFactory(reference="ARREST-1", partner=state_a,
                                                 request_type=RequestType.ARREST_SURRENDER)
    sealed = factories.CooperationRequestFactory(reference="SEALED-REQ-1", partner=state_a,
                                                 confidentiality=Confidentiality.UNDER_SEAL)
    url = reverse("warrants:link_requests", kwargs={"pk": public_warrant.pk})
    refused = client_as(users, "registry").post(url, {"references": "ARREST-1\nSEALED-REQ-1"})
    assert refused.status_code == 400
    assert "No such request: SEALED-REQ-1" in refused.content.decode()
    assert not public_warrant.linked_requests.exists()
    assert client_as(users, "registry_cleared").post(url, {"references": "SEALED-REQ-1"}).status_code == 302
    assert client_as(users, "registry").post(url, {"references": "ARREST-1"}).status_code == 302
    assert set(public_warrant.linked_requests.all()) == {arrest, sealed}
    detail = client_as(users, "registry").get(reverse("warrants:detail", kwargs={"pk": public_warrant.pk}))
    assert "ARREST-1" in detail.content.decode() and "SEALED-REQ-1" not in detail.content.decode()


def test_focal_point_files_a_contact_report(users, public_warrant, focal_point_a, state_a):
    """A's focal point reports a contact with the person of a public warrant; A's and the registry see it, B not."""
    response = client_as(users, "focal_a").post(reverse("warrants:contact_report"), {
        "warrant": public_warrant.pk, "contact_on": "2025-06-01", "place": "Border post",
        "description": "CONTACT-MARKER-A seen at the border.",
    })
    assert response.status_code == 302
    report = ContactReport.objects.get()
    assert (report.warrant, report.partner, report.reported_by) == (public_warrant, state_a, focal_point_a)
    detail = reverse("warrants:detail", kwargs={"pk": public_warrant.pk})
    assert "CONTACT-MARKER-A" in client_as(users, "registry").get(detail).content.decode()
    assert "CONTACT-MARKER-A" in client_as(users, "focal_a").get(detail).content.decode()
    assert "CONTACT-MARKER-A" not in client_as(users, "focal_b").get(detail).content.decode()


def test_contact_report_refuses_a_sealed_warrant(users, sealed_warrant, public_warrant):
    """The form offers public warrants only; a sealed warrant's id posted anyway is a form error and nothing is
    written, the same answer as for an id that does not exist."""
    client = client_as(users, "focal_a")
    form_page = client.get(reverse("warrants:contact_report"), {"warrant": sealed_warrant.pk}).content.decode()
    assert SEALED_MARKER not in form_page and PUBLIC_NAME in form_page
    data = {"contact_on": "2025-06-01", "description": "Seen."}
    sealed = client.post(reverse("warrants:contact_report"), {**data, "warrant": sealed_warrant.pk})
    missing = client.post(reverse("warrants:contact_report"), {**data, "warrant": 987654})
    assert sealed.status_code == missing.status_code == 400
    assert 'data-testid="error-warrant"' in sealed.content.decode()
    assert SEALED_MARKER not in sealed.content.decode()
    assert not ContactReport.objects.exists()


def test_contact_report_in_the_future_is_refused(users, public_warrant):
    """A contact dated after today is refused next to its field; nothing written."""
    response = client_as(users, "focal_a").post(reverse("warrants:contact_report"), {
        "warrant": public_warrant.pk, "contact_on": (court_today() + datetime.timedelta(days=3)).isoformat(),
        "description": "Later.",
    })
    assert response.status_code == 400
    assert 'data-testid="error-contact_on"' in response.content.decode()
    assert not ContactReport.objects.exists()


@pytest.mark.parametrize("role", ["registry_cleared", "focal_a"])
def test_list_issues_a_fixed_number_of_queries(role, users, state_a, state_b, django_assert_max_num_queries):
    """The list costs the same number of queries with 5 warrants as with 40, States believed in included (one more
    for registry staff: django-otp reads the session's second-factor device on each request)."""
    client = client_as(users, role)
    limit = 11 if role == "registry_cleared" else 10

    def make(count: int) -> None:
        for warrant in factories.ArrestWarrantFactory.create_batch(count, case=None):
            warrant.believed_in.set([state_a, state_b])

    make(5)
    with django_assert_max_num_queries(limit):
        assert client.get(reverse("warrants:list")).status_code == 200
    make(35)
    with django_assert_max_num_queries(limit):
        response = client.get(reverse("warrants:list"))
    assert response.content.decode().count('data-testid="warrant-row"') == 40
