"""The warrant admin: sealed warrants only with clearance, writes through warrants_app.services."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from cooperation_portal.versioning import StaleVersionError
from requests_app.choices import Confidentiality
from tests import factories
from warrants_app.models import ArrestWarrant, ContactReport

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(db):
    return factories.RegistryStaffFactory(username="registry-staff")


@pytest.fixture
def staff_client(staff) -> Client:
    return _client(staff)


@pytest.fixture
def cleared_client(db) -> Client:
    return _client(factories.RegistryStaffFactory(username="registry-cleared-staff", sealed_clearance=True))


@pytest.fixture
def sealed_warrant(state_a, focal_point_a) -> ArrestWarrant:
    warrant = factories.ArrestWarrantFactory(person_name="Sealed Person", under_seal=True)
    ContactReport.objects.create(
        warrant=warrant, partner=state_a, reported_by=focal_point_a, contact_on=datetime.date(2021, 1, 1),
        description="Seen at a border crossing (sealed warrant).",
    )
    return warrant


@pytest.fixture
def public_warrant(state_a, focal_point_a) -> ArrestWarrant:
    warrant = factories.ArrestWarrantFactory(person_name="Public Person")
    ContactReport.objects.create(
        warrant=warrant, partner=state_a, reported_by=focal_point_a, contact_on=datetime.date(2021, 1, 1),
        description="Seen at a conference (public warrant).",
    )
    return warrant


def _url(model: str, name: str, *args: object) -> str:
    return reverse(f"admin:warrants_app_{model}_{name}", args=args)


def test_warrant_and_contact_report_pages_render(staff_client, public_warrant):
    """List, change and history pages of warrants and contact reports answer 200, and the warrant add page."""
    report = public_warrant.contact_reports.get()
    for model, obj in (("arrestwarrant", public_warrant), ("contactreport", report)):
        assert staff_client.get(_url(model, "changelist")).status_code == 200
        assert staff_client.get(_url(model, "change", obj.pk)).status_code == 200
        assert staff_client.get(_url(model, "history", obj.pk)).status_code == 200
    assert staff_client.get(_url("arrestwarrant", "add")).status_code == 200


def test_sealed_warrant_is_hidden_from_a_registry_user_without_clearance(staff_client, sealed_warrant, public_warrant):
    """Absent from the lists; its change, history and contact report pages answer as for a missing id."""
    warrants = staff_client.get(_url("arrestwarrant", "changelist"))
    assert [w.pk for w in warrants.context["cl"].result_list] == [public_warrant.pk]
    assert "Sealed Person" not in warrants.text
    reports = staff_client.get(_url("contactreport", "changelist"))
    assert [r.warrant_id for r in reports.context["cl"].result_list] == [public_warrant.pk]

    sealed_report = sealed_warrant.contact_reports.get()
    history_version = sealed_warrant.history.earliest("history_date").history_id
    for url in (
        _url("arrestwarrant", "change", sealed_warrant.pk),
        _url("arrestwarrant", "history", sealed_warrant.pk),
        _url("arrestwarrant", "simple_history", sealed_warrant.pk, history_version),
        _url("contactreport", "change", sealed_report.pk),
        _url("contactreport", "history", sealed_report.pk),
    ):
        response = staff_client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("admin:index")
        follow = staff_client.get(response.url)
        assert "Sealed Person" not in follow.text
    messages = [str(m) for m in get_messages(follow.wsgi_request)]
    assert all("doesn\u2019t exist" in message for message in messages)


def test_sealed_warrant_is_shown_to_a_cleared_registry_user(cleared_client, sealed_warrant):
    """With sealed clearance the warrant and its contact report are listed and open."""
    assert "Sealed Person" in cleared_client.get(_url("arrestwarrant", "changelist")).text
    assert cleared_client.get(_url("arrestwarrant", "change", sealed_warrant.pk)).status_code == 200
    report = sealed_warrant.contact_reports.get()
    assert cleared_client.get(_url("contactreport", "change", report.pk)).status_code == 200


def test_unsealed_warrant_is_visible_again(staff_client, sealed_warrant):
    """Once its unsealing date has passed, a warrant issued under seal is public."""
    ArrestWarrant.objects.filter(pk=sealed_warrant.pk).update(unsealed_on=datetime.date(2022, 1, 1))
    assert staff_client.get(_url("arrestwarrant", "change", sealed_warrant.pk)).status_code == 200


def test_admin_add_creates_a_warrant_through_the_service(staff, staff_client, state_a):
    """The add form creates the warrant with the States where the person is believed to be, and a later date."""
    situation = factories.SituationFactory()
    data = factories.admin_form_data(staff_client.get(_url("arrestwarrant", "add")))
    data.update({
        "person_name": "New Person", "situation": situation.pk, "chamber": "Pre-Trial Chamber II",
        "issued_on": "2019-05-02", "custody_on": "2020-01-03", "believed_in": [str(state_a.pk)],
    })
    response = staff_client.post(_url("arrestwarrant", "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    warrant = ArrestWarrant.objects.get(person_name="New Person")
    assert list(warrant.believed_in.all()) == [state_a]
    assert warrant.custody_on == datetime.date(2020, 1, 3)
    assert warrant.history.latest("history_date").history_user == staff


def test_admin_add_refuses_a_sealed_warrant_without_clearance(staff_client):
    """A user without clearance cannot issue a sealed warrant: the service's refusal is shown, nothing is written."""
    data = factories.admin_form_data(staff_client.get(_url("arrestwarrant", "add")))
    data.update({
        "person_name": "Would Be Sealed", "situation": factories.SituationFactory().pk,
        "chamber": "Pre-Trial Chamber II", "issued_on": "2019-05-02", "under_seal": "on",
    })
    response = staff_client.post(_url("arrestwarrant", "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "A warrant under seal needs sealed-material clearance."
    ]
    assert not ArrestWarrant.objects.filter(person_name="Would Be Sealed").exists()


def test_admin_change_refuses_custody_before_issue(staff_client, public_warrant):
    """A custody date before the warrant's issue is refused with the constraint's message and not stored."""
    url = _url("arrestwarrant", "change", public_warrant.pk)
    data = factories.admin_form_data(staff_client.get(url))
    data["custody_on"] = "2019-01-01"
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "A person cannot be taken into custody on a warrant before it is issued." in response.text
    assert ArrestWarrant.objects.get(pk=public_warrant.pk).custody_on is None


def test_concurrent_admin_edits_of_a_warrant_keep_the_first(staff_client, public_warrant):
    """The second of two editors gets the stale-version error on the form; the first edit stays."""
    url = _url("arrestwarrant", "change", public_warrant.pk)
    first = factories.admin_form_data(staff_client.get(url))
    second = factories.admin_form_data(staff_client.get(url))
    first["charges"] = "First editor's charges"
    second["charges"] = "Second editor's charges"
    assert staff_client.post(url, first).status_code == 302
    response = staff_client.post(url, second)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [str(StaleVersionError(current_version=2))]
    saved = ArrestWarrant.objects.get(pk=public_warrant.pk)
    assert (saved.charges, saved.version) == ("First editor's charges", 2)


def test_saving_a_warrant_keeps_links_to_requests_the_editor_cannot_see(staff_client, public_warrant, state_a):
    """A link to a request under seal is neither shown to an editor without clearance nor dropped by their save."""
    sealed_request = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    public_request = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.PUBLIC)
    other_request = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.PUBLIC)
    public_warrant.linked_requests.add(sealed_request, public_request)
    url = _url("arrestwarrant", "change", public_warrant.pk)
    page = staff_client.get(url)
    data = factories.admin_form_data(page)
    assert data["linked_requests"] == str(public_request.pk)
    assert sealed_request.reference not in page.text
    data["linked_requests"] = f"{public_request.pk},{other_request.pk}"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(public_warrant.linked_requests.all()) == {sealed_request, public_request, other_request}


def test_linking_a_request_the_editor_cannot_see_is_refused(staff_client, public_warrant, state_a):
    """Typing the id of a request under seal is refused as an unknown choice and nothing is linked."""
    sealed_request = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    url = _url("arrestwarrant", "change", public_warrant.pk)
    data = factories.admin_form_data(staff_client.get(url))
    data["linked_requests"] = str(sealed_request.pk)
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "linked_requests" in response.context["adminform"].form.errors
    assert not public_warrant.linked_requests.exists()


def test_contact_reports_are_read_only_in_the_admin(staff_client, public_warrant):
    """Focal points file contact reports; the admin shows them and offers no add, change or delete."""
    report = public_warrant.contact_reports.get()
    assert staff_client.get(_url("contactreport", "add")).status_code == 403
    assert staff_client.get(_url("contactreport", "delete", report.pk)).status_code == 403
    page = staff_client.get(_url("contactreport", "change", report.pk))
    assert not page.context["adminform"].form.fields
