"""The cooperation request admin: scoped reads, writes only through services, refusals shown, nothing written."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from cooperation_portal.dates import court_today
from requests_app import services
from requests_app.choices import Confidentiality, EventKind, Organ, PauseReason, RequestType, Status
from requests_app.models import Attachment, CooperationRequest, RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db

STALE_MESSAGE_START = "This record was changed by someone else since you opened it"


@pytest.fixture
def staff(db):
    return factories.RegistryStaffFactory(username="registry-staff")


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _url(name: str, *args: object) -> str:
    return reverse(f"admin:requests_app_cooperationrequest_{name}", args=args)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _transmitted(staff, partner, **kwargs) -> CooperationRequest:
    coop_request = services.request_create(
        actor=staff, partner=partner, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject="Bank records of a fictional company", **kwargs,
    )
    return services.request_transition(
        coop_request=coop_request, actor=staff, to_status=Status.TRANSMITTED,
        on=court_today() - datetime.timedelta(days=5),
    )


def test_changelist_change_and_history_pages_render(staff, staff_client, state_a):
    """A registry staff user sees the list, a request with its events, pause and attachment, and its history."""
    coop_request = _transmitted(staff, state_a)
    services.request_pause_clock(
        coop_request=coop_request, actor=staff, reason=PauseReason.CONSULTATION, ground="person_not_found",
        on=court_today(),
    )
    Attachment.objects.create(
        coop_request=coop_request, file="attachments/1/x.pdf", original_name="note-verbale.pdf",
        content_type="application/pdf", size=10, sha256="0" * 64, uploaded_by=staff,
    )
    changelist = staff_client.get(_url("changelist"))
    assert changelist.status_code == 200
    assert coop_request.reference in changelist.text

    change = staff_client.get(_url("change", coop_request.pk))
    assert change.status_code == 200
    assert "note-verbale.pdf" in change.text
    assert "Consultations (art. 97)" in change.text
    assert "/media/" not in change.text  # files are served only by a view that checks access
    version = CooperationRequest.objects.get(pk=coop_request.pk).version
    assert f'<input type="hidden" name="expected_version" value="{version}"' in change.text

    assert staff_client.get(_url("history", coop_request.pk)).status_code == 200
    assert staff_client.get(_url("add")).status_code == 200


def test_changelist_query_count_does_not_grow_with_rows(staff, staff_client, state_a, django_assert_max_num_queries):
    """The list issues a fixed number of queries whatever the number of rows (partner is joined, not fetched)."""
    factories.CooperationRequestFactory.create_batch(3, partner=state_a)
    with django_assert_max_num_queries(12) as few:
        assert staff_client.get(_url("changelist")).status_code == 200
    factories.CooperationRequestFactory.create_batch(30, partner=factories.PartnerFactory(code="KEN"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff_client.get(_url("changelist")).status_code == 200


def test_admin_add_creates_a_draft_with_a_created_event(staff, staff_client, state_a):
    """The add form goes through request_create: a numbered draft, version 1, and an attributed 'created' event."""
    response = staff_client.post(
        _url("add"),
        {
            "reference": "", "organ": Organ.OTP, "request_type": RequestType.RECORDS, "partner": state_a.pk,
            "subject": "Registry of companies", "description": "", "confidentiality": Confidentiality.PUBLIC,
            "situation": "", "case": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    coop_request = CooperationRequest.objects.get()
    assert coop_request.reference == f"OTP-{court_today().year}-000001"
    assert (coop_request.status, coop_request.version, coop_request.created_by) == (Status.DRAFT, 1, staff)
    event = RequestEvent.objects.get(coop_request=coop_request)
    assert (event.kind, event.actor) == (EventKind.CREATED, staff)


def test_admin_add_refuses_a_case_of_another_situation(staff, staff_client, state_a):
    """A case that belongs to another situation is refused on the form and no request is written."""
    case = factories.CaseFactory()
    other_situation = factories.SituationFactory()
    response = staff_client.post(
        _url("add"),
        {
            "reference": "", "organ": Organ.OTP, "request_type": RequestType.RECORDS, "partner": state_a.pk,
            "subject": "Registry of companies", "confidentiality": Confidentiality.PUBLIC,
            "situation": other_situation.pk, "case": case.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["case"] == ["This case belongs to another situation."]
    assert not CooperationRequest.objects.exists()
    assert not RequestEvent.objects.exists()


def test_admin_change_goes_through_the_service_and_bumps_the_version(staff, staff_client, state_a):
    """Editing the subject saves through request_update: the version goes up by one."""
    coop_request = _transmitted(staff, state_a)
    data = factories.admin_form_data(staff_client.get(_url("change", coop_request.pk)))
    data["subject"] = "Corrected subject"
    response = staff_client.post(_url("change", coop_request.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    coop_request.refresh_from_db()
    assert (coop_request.subject, coop_request.version) == ("Corrected subject", 3)


def test_lifecycle_fields_are_read_only_in_the_admin_form(staff, staff_client, state_a):
    """Status, dates and version cannot be set through the form, and the partner is fixed once transmitted."""
    coop_request = _transmitted(staff, state_a)
    response = staff_client.get(_url("change", coop_request.pk))
    form_fields = set(response.context["adminform"].form.fields)
    read_only = {
        "status", "transmitted_on", "due_on", "acknowledged_on", "outcome_on", "closed_on", "clock_paused_since",
        "version", "partner", "organ", "request_type", "reference",
    }
    assert not form_fields & read_only
    data = factories.admin_form_data(response)
    data.update({"status": Status.CLOSED, "due_on": "2000-01-01", "version": "99", "partner": state_a.pk + 1000})
    staff_client.post(_url("change", coop_request.pk), data)
    saved = CooperationRequest.objects.get(pk=coop_request.pk)
    assert (saved.status, saved.due_on, saved.partner_id) == (Status.TRANSMITTED, coop_request.due_on, state_a.pk)


def test_concurrent_admin_edits_second_save_gets_a_stale_version_error(staff, staff_client, state_a):
    """Two editors open the same request; the second save is refused on the form and the first edit is kept."""
    other = factories.RegistryStaffFactory(username="registry-other")
    other_client = Client()
    other_client.force_login(other)
    coop_request = _transmitted(staff, state_a)
    events_before = RequestEvent.objects.count()

    first = factories.admin_form_data(staff_client.get(_url("change", coop_request.pk)))
    second = factories.admin_form_data(other_client.get(_url("change", coop_request.pk)))
    first["subject"] = "First editor's subject"
    second["subject"] = "Second editor's subject"

    assert staff_client.post(_url("change", coop_request.pk), first).status_code == 302
    response = other_client.post(_url("change", coop_request.pk), second)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [str(services.StaleVersionError(current_version=3))]
    assert errors[0].startswith(STALE_MESSAGE_START)
    assert STALE_MESSAGE_START in response.text
    saved = CooperationRequest.objects.get(pk=coop_request.pk)
    assert (saved.subject, saved.version) == ("First editor's subject", 3)
    assert RequestEvent.objects.count() == events_before


def test_admin_edit_refused_by_the_service_is_a_form_error(staff, staff_client, state_a):
    """A refusal the service raises at save time is shown on the form, not as a server error, and nothing is kept."""
    coop_request = _transmitted(staff, state_a)
    data = factories.admin_form_data(staff_client.get(_url("change", coop_request.pk)))
    data["expected_version"] = "1"  # as if the page had been opened before the transmission
    data["subject"] = "Edited from an old page"
    response = staff_client.post(_url("change", coop_request.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()[0].startswith(STALE_MESSAGE_START)
    assert CooperationRequest.objects.get(pk=coop_request.pk).subject == coop_request.subject


def _run_action(client: Client, action: str, *requests: CooperationRequest):
    return client.post(
        _url("changelist"),
        {"action": action, "_selected_action": [str(r.pk) for r in requests], "index": "0"},
        follow=True,
    )


def test_transmit_action_transmits_a_draft(staff, staff_client, state_a):
    """The Transmit action moves a draft to transmitted through the service, with a dated transition event."""
    draft = services.request_create(
        actor=staff, partner=state_a, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE, subject="Records",
    )
    response = _run_action(staff_client, "transmit_selected", draft)
    draft.refresh_from_db()
    assert draft.status == Status.TRANSMITTED
    assert draft.transmitted_on == court_today()
    assert RequestEvent.objects.filter(coop_request=draft, kind=EventKind.TRANSITION, actor=staff).count() == 1
    assert f"1 request is now Transmitted: {draft.reference}." in _messages(response)


def test_transmit_action_refuses_a_closed_request_and_writes_nothing_for_it(staff, staff_client, state_a):
    """Closed → transmitted is not in the table: an error names the request, which keeps its status and version;
    the other selected request is still transmitted."""
    closed = factories.CooperationRequestFactory(
        reference="TEST-CLOSED-1", partner=state_a, status=Status.CLOSED, closed_on=datetime.date(2026, 2, 1),
    )
    draft = services.request_create(
        actor=staff, partner=state_a, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE, subject="Records",
    )
    response = _run_action(staff_client, "transmit_selected", closed, draft)

    assert "TEST-CLOSED-1: A request that is Closed cannot become Transmitted." in _messages(response)
    unchanged = CooperationRequest.objects.get(pk=closed.pk)
    assert (unchanged.status, unchanged.version, unchanged.transmitted_on) == (
        Status.CLOSED, closed.version, closed.transmitted_on,
    )
    assert not RequestEvent.objects.filter(coop_request=closed).exists()
    draft.refresh_from_db()
    assert draft.status == Status.TRANSMITTED


def test_close_and_withdraw_actions_follow_the_table(staff, staff_client, state_a):
    """Close refuses a request without an outcome; Withdraw accepts it."""
    coop_request = _transmitted(staff, state_a)
    response = _run_action(staff_client, "close_selected", coop_request)
    assert f"{coop_request.reference}: A request that is Transmitted cannot become Closed." in _messages(response)
    assert CooperationRequest.objects.get(pk=coop_request.pk).status == Status.TRANSMITTED
    _run_action(staff_client, "withdraw_selected", coop_request)
    assert CooperationRequest.objects.get(pk=coop_request.pk).status == Status.WITHDRAWN


def test_request_under_seal_is_hidden_from_a_registry_user_without_clearance(staff, staff_client, state_a):
    """Under seal: absent from the list; its change and history pages answer as for a missing id."""
    sealed = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    public = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.PUBLIC)

    changelist = staff_client.get(_url("changelist"))
    shown = {r.pk for r in changelist.context["cl"].result_list}
    assert shown == {public.pk}
    assert sealed.reference not in changelist.text

    for url in (_url("change", sealed.pk), _url("history", sealed.pk)):
        response = staff_client.get(url, follow=True)
        assert response.redirect_chain == [(reverse("admin:index"), 302)]
        assert any("doesn\u2019t exist" in message for message in _messages(response))
        assert sealed.reference not in response.text
    assert _run_action(staff_client, "withdraw_selected", sealed).status_code == 200
    assert CooperationRequest.objects.get(pk=sealed.pk).status == Status.TRANSMITTED


def test_request_under_seal_is_shown_to_a_cleared_registry_user(state_a):
    """With sealed clearance the same request is listed and opens."""
    cleared = factories.RegistryStaffFactory(username="registry-cleared-staff", sealed_clearance=True)
    client = Client()
    client.force_login(cleared)
    sealed = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    assert sealed.reference in client.get(_url("changelist")).text
    assert client.get(_url("change", sealed.pk)).status_code == 200


def test_administrator_sees_no_requests_in_the_admin(admin_client, state_a):
    """Administrators manage users and reference data; requests are not theirs to read."""
    factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.PUBLIC)
    response = admin_client.get(_url("changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_history_cannot_be_replayed_over_a_request(staff, staff_client, state_a):
    """simple_history's revert form would save an old row directly; here it is refused and nothing changes."""
    coop_request = _transmitted(staff, state_a)
    oldest = coop_request.history.earliest("history_date")
    url = reverse("admin:requests_app_cooperationrequest_simple_history", args=(coop_request.pk, oldest.history_id))
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"subject": "Reverted", "_change_history": "1"})
    assert response.status_code == 403
    saved = CooperationRequest.objects.get(pk=coop_request.pk)
    assert (saved.status, saved.version, saved.subject) == (Status.TRANSMITTED, 2, coop_request.subject)


def test_requests_are_never_deleted_in_the_admin(staff, staff_client, state_a):
    """A request is withdrawn or closed, never deleted: the delete page is forbidden."""
    coop_request = _transmitted(staff, state_a)
    assert staff_client.get(_url("delete", coop_request.pk)).status_code == 403
    assert CooperationRequest.objects.filter(pk=coop_request.pk).exists()
