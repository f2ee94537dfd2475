"""The agreement admin: writes through agreements_app.services, placements recorded inline, stale edits refused."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from agreements_app import services
from agreements_app.choices import AgreementType, PlacementDecision
from agreements_app.models import Placement, VoluntaryAgreement
from cooperation_portal.versioning import StaleVersionError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return factories.RegistryStaffFactory(username="registry-staff")


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _agreement(staff, partner) -> VoluntaryAgreement:
    return services.agreement_create(
        actor=staff, partner=partner, agreement_type=AgreementType.ENFORCEMENT,
        signed_on=datetime.date(2010, 5, 1), in_force_on=datetime.date(2010, 6, 1),
    )


def test_agreement_and_placement_pages_render(staff, staff_client, state_a):
    """List, add, change and history pages of agreements and placements answer 200."""
    agreement = _agreement(staff, state_a)
    placement = services.placement_record(
        actor=staff, agreement=agreement, reference="PL-1", person_label="Witness A",
        requested_on=datetime.date(2020, 1, 1), decision=PlacementDecision.PENDING,
    )
    for model, obj in (("voluntaryagreement", agreement), ("placement", placement)):
        for name, args in (("changelist", ()), ("change", (obj.pk,)), ("history", (obj.pk,))):
            response = staff_client.get(reverse(f"admin:agreements_app_{model}_{name}", args=args))
            assert response.status_code == 200, (model, name)
    assert staff_client.get(reverse("admin:agreements_app_voluntaryagreement_add")).status_code == 200
    change_url = reverse("admin:agreements_app_voluntaryagreement_change", args=(agreement.pk,))
    assert "PL-1" in staff_client.get(change_url).text


def test_admin_add_creates_an_agreement_and_its_placement_through_services(staff_client, state_a):
    """The add form and a new inline placement are both saved."""
    data = factories.admin_form_data(staff_client.get(reverse("admin:agreements_app_voluntaryagreement_add")))
    data.update({
        "partner": state_a.pk, "agreement_type": AgreementType.RELOCATION, "signed_on": "2012-01-10",
        "in_force_on": "2012-02-01", "placements-TOTAL_FORMS": "1", "placements-0-reference": "PL-9",
        "placements-0-person_label": "Witness B", "placements-0-requested_on": "2013-04-01",
        "placements-0-decision": PlacementDecision.ACCEPTED, "placements-0-decided_on": "2013-05-01",
    })
    response = staff_client.post(reverse("admin:agreements_app_voluntaryagreement_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agreement = VoluntaryAgreement.objects.get()
    assert (agreement.agreement_type, agreement.version) == (AgreementType.RELOCATION, 1)
    assert Placement.objects.get().agreement == agreement


def test_admin_add_refuses_an_agreement_with_an_organization(staff_client):
    """Only States can be chosen; an organization is refused and nothing is written."""
    organization = factories.OrganizationFactory(code="AU")
    data = factories.admin_form_data(staff_client.get(reverse("admin:agreements_app_voluntaryagreement_add")))
    data.update({"partner": organization.pk, "agreement_type": AgreementType.RELOCATION})
    response = staff_client.post(reverse("admin:agreements_app_voluntaryagreement_add"), data)
    assert response.status_code == 200
    assert "partner" in response.context["adminform"].form.errors
    assert not VoluntaryAgreement.objects.exists()


def test_admin_add_refuses_entry_into_force_before_signature(staff_client, state_a):
    """The dates' order is refused on the form with the constraint's message; nothing is written."""
    data = factories.admin_form_data(staff_client.get(reverse("admin:agreements_app_voluntaryagreement_add")))
    data.update({
        "partner": state_a.pk, "agreement_type": AgreementType.RELOCATION, "signed_on": "2012-02-01",
        "in_force_on": "2012-01-10",
    })
    response = staff_client.post(reverse("admin:agreements_app_voluntaryagreement_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "An agreement cannot enter into force before it is signed."
    ]
    assert not VoluntaryAgreement.objects.exists()


def test_concurrent_admin_edits_of_an_agreement_keep_the_first(staff, staff_client, state_a):
    """The second of two editors who opened the same agreement gets the stale-version error; the first edit stays."""
    agreement = _agreement(staff, state_a)
    url = reverse("admin:agreements_app_voluntaryagreement_change", args=(agreement.pk,))
    first = factories.admin_form_data(staff_client.get(url))
    second = factories.admin_form_data(staff_client.get(url))
    first["title"] = "First title"
    second["title"] = "Second title"
    assert staff_client.post(url, first).status_code == 302
    response = staff_client.post(url, second)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [str(StaleVersionError(current_version=2))]
    saved = VoluntaryAgreement.objects.get(pk=agreement.pk)
    assert (saved.title, saved.version) == ("First title", 2)
