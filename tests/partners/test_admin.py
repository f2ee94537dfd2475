"""The partner admin: list filters and search, grouped dates, and an unknown ISO code refused on the form."""

import pytest
from django.test import Client
from django.urls import reverse

from cooperation_portal.partners.choices import PartnerKind, RegionalGroup
from cooperation_portal.partners.models import Partner
from tests import factories

pytestmark = pytest.mark.django_db

UNKNOWN_CODE_MESSAGE = "“XXX” is not an ISO 3166-1 alpha-3 country code."


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(factories.RegistryStaffFactory(username="registry-staff"))
    return client


def _add_data(**fields: str) -> dict[str, str]:
    return {
        "kind": PartnerKind.STATE, "code": "KEN", "name": "Kenya", "name_fr": "",
        "regional_group": RegionalGroup.AFRICAN,
        "signature_date": "", "ratification_date": "2005-03-15", "entry_into_force_date": "2005-06-01",
        "withdrawal_notified_date": "", "withdrawal_effective_date": "", "apic_date": "",
        "implementing_legislation_date": "", "channel": "", "request_language": "", "source": "", **fields,
    }


def test_partner_pages_render(staff_client, state_a):
    """List, add, change and history pages answer 200; the dates are grouped under Rome Statute."""
    assert staff_client.get(reverse("admin:partners_partner_changelist")).status_code == 200
    add = staff_client.get(reverse("admin:partners_partner_add"))
    assert add.status_code == 200
    fieldsets = {str(name): options["fields"] for name, options in add.context["adminform"].fieldsets}
    assert fieldsets["Rome Statute"] == (
        "signature_date", "ratification_date", "entry_into_force_date",
        "withdrawal_notified_date", "withdrawal_effective_date",
    )
    assert staff_client.get(reverse("admin:partners_partner_change", args=(state_a.pk,))).status_code == 200
    assert staff_client.get(reverse("admin:partners_partner_history", args=(state_a.pk,))).status_code == 200


def test_admin_add_refuses_an_unknown_iso_code_for_a_state(staff_client):
    """XXX is refused on the code field with the model's message, and no partner is written."""
    count = Partner.objects.count()
    response = staff_client.post(reverse("admin:partners_partner_add"), _add_data(code="XXX"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"code": [UNKNOWN_CODE_MESSAGE]}
    assert UNKNOWN_CODE_MESSAGE in response.text
    assert Partner.objects.count() == count


def test_admin_add_creates_a_state_with_a_valid_code(staff_client):
    """The same submission with an assigned code creates the State."""
    response = staff_client.post(reverse("admin:partners_partner_add"), _add_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Partner.objects.get(code="KEN").regional_group == RegionalGroup.AFRICAN


def test_admin_change_refuses_an_unknown_iso_code_and_keeps_the_stored_one(staff_client, state_a):
    """Editing an existing State's code to XXX is refused and the stored code stays."""
    url = reverse("admin:partners_partner_change", args=(state_a.pk,))
    data = factories.admin_form_data(staff_client.get(url))
    data["code"] = "XXX"
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"code": [UNKNOWN_CODE_MESSAGE]}
    assert Partner.objects.get(pk=state_a.pk).code == "NLD"


def test_changelist_filters_by_kind_and_regional_group_and_searches_code(staff_client, state_a):
    """The list filters on kind and regional group and finds a partner by code."""
    kenya = factories.PartnerFactory(code="KEN", name="Kenya", regional_group=RegionalGroup.AFRICAN)
    organization = factories.OrganizationFactory(code="INTERPOL", name="INTERPOL")
    url = reverse("admin:partners_partner_changelist")

    def shown(query: dict[str, str]) -> set[str]:
        return {p.code for p in staff_client.get(url, query).context["cl"].result_list}

    assert shown({"kind__exact": PartnerKind.ORGANIZATION}) == {organization.code}
    assert shown({"regional_group__exact": RegionalGroup.AFRICAN}) == {kenya.code}
    assert shown({"q": "NLD"}) == {state_a.code}


def test_history_form_cannot_write_even_for_a_view_only_user(state_a):
    """simple_history's history form saves whatever is posted, checking only view permission; here it refuses."""
    viewer = factories.grant_admin_permissions(factories.RegistryFactory(username="viewer", is_staff=True), "view")
    client = Client()
    client.force_login(viewer)
    version = state_a.history.earliest("history_date").history_id
    url = reverse("admin:partners_partner_simple_history", args=(state_a.pk, version))
    assert client.get(url).status_code == 200
    response = client.post(url, _add_data(code="NLD", name="Written by a viewer", regional_group=RegionalGroup.WEOG))
    assert response.status_code == 403
    assert Partner.objects.get(pk=state_a.pk).name == "Netherlands"
