"""A partner's profile page under every role: a focal point sees only their own State's; staff and the
facilitator see any; the page shows the State's dated treaty data, its agreements (as the user may see them) and
the public warrants of persons believed to be there, never a sealed one.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from cooperation_portal.partners.choices import RequestChannel
from cooperation_portal.partners.urls import urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "registry", "registry_cleared", "focal_a", "focal_b", "facilitator")
LOGIN = 302
SEALED_MARKER = "SEALED-MARKER-PERSON-2b7f"
# The profile of State A, by role.
EXPECTED = {
    "profile": {"anonymous": LOGIN, "registry": 200, "registry_cleared": 200, "focal_a": 200, "focal_b": 404,
                "facilitator": 200},
}


@pytest.fixture
def users(registry_user, cleared_registry_user, focal_point_a, focal_point_b, facilitator) -> dict[str, object]:
    return {"anonymous": None, "registry": registry_user, "registry_cleared": cleared_registry_user,
            "focal_a": focal_point_a, "focal_b": focal_point_b, "facilitator": facilitator}


@pytest.fixture
def profile_data(state_a, state_b):
    state_a.apic_date = datetime.date(2002, 9, 9)
    state_a.implementing_legislation_date = datetime.date(2003, 6, 20)
    state_a.channel = RequestChannel.CENTRAL_AUTHORITY
    state_a.request_language = "English"
    state_a.save()
    factories.VoluntaryAgreementFactory(partner=state_a, title="A public", is_public=True)
    factories.VoluntaryAgreementFactory(partner=state_a, title="A confidential", is_public=False,
                                        agreement_type="relocation")
    factories.VoluntaryAgreementFactory(partner=state_b, title="B agreement")
    public = factories.ArrestWarrantFactory(person_name="Public Person In A")
    public.believed_in.set([state_a])
    sealed = factories.ArrestWarrantFactory(person_name=SEALED_MARKER, under_seal=True)
    sealed.believed_in.set([state_a])
    elsewhere = factories.ArrestWarrantFactory(person_name="Person In B")
    elsewhere.believed_in.set([state_b])


def client_as(users: dict[str, object], role: str) -> Client:
    client = Client()
    if users[role] is not None:
        client.force_login(users[role])  # type: ignore[arg-type]
    return client


def test_every_page_has_a_row_in_the_table():
    """A page added to cooperation_portal.partners.urls without an expected-status row fails here."""
    assert {pattern.name for pattern in urlpatterns} == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
def test_profile_status_by_role(role, users, state_a, profile_data):
    """Each role gets the expected status on State A's profile; no one sees a sealed warrant there."""
    response = client_as(users, role).get(reverse("partners:profile", kwargs={"code": state_a.code}))
    assert response.status_code == EXPECTED["profile"][role], role
    if response.status_code == LOGIN:
        assert response["Location"].startswith(reverse("login"))
    assert SEALED_MARKER not in response.content.decode()


def test_another_states_profile_is_the_same_404_as_an_unknown_code(users, state_a):
    """B's focal point cannot tell A's profile from a code that does not exist."""
    client = client_as(users, "focal_b")
    hidden = client.get(reverse("partners:profile", kwargs={"code": state_a.code}))
    missing = client.get(reverse("partners:profile", kwargs={"code": "ZZZ"}))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_focal_points_profile_shows_treaty_data_agreements_and_public_warrants(users, state_a, profile_data):
    """A's focal point sees A's dates, APIC, legislation, channel and language, both of A's agreements, the public
    warrant believed to be in A, and nothing of B."""
    page = client_as(users, "focal_a").get(reverse("partners:profile", kwargs={"code": state_a.code}))
    text = page.content.decode()
    for expected in ("2002-07-01", "2002-09-09", "2003-06-20", "Central authority", "English",
                     "Public Person In A", "Enforcement of sentences", "Relocation of witnesses"):
        assert expected in text, expected
    assert "Person In B" not in text
    assert "State Party on" in text


def test_facilitator_sees_public_agreements_only(users, state_a, profile_data):
    """The facilitator's profile lists A's public agreement, not the confidential one (as visible_to says)."""
    text = client_as(users, "facilitator").get(
        reverse("partners:profile", kwargs={"code": state_a.code})).content.decode()
    assert "Enforcement of sentences" in text
    assert "Relocation of witnesses" not in text


def test_cleared_staff_see_no_sealed_warrant_on_a_profile(users, state_a, profile_data):
    """Even with clearance, the profile lists public warrants only: it is about the State, not sealed material."""
    text = client_as(users, "registry_cleared").get(
        reverse("partners:profile", kwargs={"code": state_a.code})).content.decode()
    assert "Public Person In A" in text and SEALED_MARKER not in text


def test_nav_links_a_focal_point_to_their_own_state(users, state_a):
    """The navigation's "My State" link leads a focal point to their own profile."""
    text = client_as(users, "focal_a").get(reverse("home")).content.decode()
    assert reverse("partners:profile", kwargs={"code": state_a.code}) in text
    assert reverse("agreements:list") in text and reverse("warrants:list") in text


def test_profile_in_french(users, state_a):
    """With French chosen, the profile's headings are in French."""
    client = client_as(users, "focal_a")
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    text = client.get(reverse("partners:profile", kwargs={"code": state_a.code})).content.decode()
    assert "Statut de Rome" in text and "Mon État" in text
