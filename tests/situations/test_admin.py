"""The situation and case admin pages render for registry staff, and a case is listed with its situation."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(factories.RegistryStaffFactory(username="registry-staff"))
    return client


@pytest.mark.parametrize("model", ["situation", "case"])
def test_situation_and_case_pages_render(staff_client, model):
    """List, add, change and history pages answer 200."""
    case = factories.CaseFactory()
    obj = case if model == "case" else case.situation
    for name, args in (("changelist", ()), ("add", ()), ("change", (obj.pk,)), ("history", (obj.pk,))):
        response = staff_client.get(reverse(f"admin:situations_{model}_{name}", args=args))
        assert response.status_code == 200, name
    label = case.number if model == "case" else case.situation.code
    assert label in staff_client.get(reverse(f"admin:situations_{model}_changelist")).text


def test_case_list_does_not_query_per_row(staff_client, django_assert_max_num_queries):
    """The situation of each case is joined, not fetched row by row."""
    situation = factories.SituationFactory()
    factories.CaseFactory.create_batch(2, situation=situation)
    url = reverse("admin:situations_case_changelist")
    with django_assert_max_num_queries(20) as few:
        staff_client.get(url)
    factories.CaseFactory.create_batch(20, situation=factories.SituationFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(url)
