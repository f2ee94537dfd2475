"""The request pages in the browser: the list and its filters, exports, the lifecycle forms, versions, e-mail."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification
from cooperation_portal.notifications.services import notifications_send
from cooperation_portal.partners.choices import RegionalGroup
from requests_app import services
from requests_app.choices import Confidentiality, EventKind, Organ, RequestType, Status, default_response_days
from requests_app.models import Attachment, CooperationRequest, RequestEvent
from requests_app.views import allowed_actions
from tests import factories

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads land in a fresh folder per test, so a test can see exactly what was stored."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft_for(registry_user, partner, **fields):
    return services.request_create(
        actor=registry_user, partner=partner, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject=fields.pop("subject", "Bank records of a fictional company"), **fields,
    )


def transmitted_for(registry_user, partner, **fields):
    return services.request_transition(
        coop_request=draft_for(registry_user, partner, **fields), actor=registry_user, to_status=Status.TRANSMITTED
    )


def detail_url(coop_request) -> str:
    return reverse("requests:detail", kwargs={"pk": coop_request.pk})


def action_url(name: str, coop_request) -> str:
    return reverse(f"requests:{name}", kwargs={"pk": coop_request.pk})


# --- The list ---


def test_focal_point_inbox_lists_only_their_partners_transmitted_requests(registry_user, focal_point_a, state_a,
                                                                          state_b):
    """The inbox is the same list scoped by visible_to: own partner's transmitted requests, no drafts, no others."""
    transmitted_for(registry_user, state_a, subject="Whereabouts of a fictional witness")
    draft_for(registry_user, state_a, subject="Unsent draft on a fictional matter")
    transmitted_for(registry_user, state_b, subject="Records held by the other State")
    response = client_for(focal_point_a).get(reverse("requests:list"))
    assert response.status_code == 200
    assert "Whereabouts of a fictional witness" in response.text
    assert "Unsent draft on a fictional matter" not in response.text
    assert "Records held by the other State" not in response.text


def test_list_filters_with_the_shared_filterset(registry_user, state_a, state_b):
    """Partner, status, regional group and full-text filters narrow the list, through the FilterSet the API uses."""
    state_b.regional_group = RegionalGroup.AFRICAN
    state_b.save()
    transmitted_for(registry_user, state_a, subject="Alpha subject")
    on_b = transmitted_for(registry_user, state_b, subject="Bravo subject")
    services.request_add_message(coop_request=on_b, actor=registry_user, body="Mentions the harbour", files=[])
    client = client_for(registry_user)
    cases = {
        "partner=NLD": ("Alpha subject", "Bravo subject"),
        "regional_group=African": ("Bravo subject", "Alpha subject"),
        "status=transmitted&q=harbour": ("Bravo subject", "Alpha subject"),
    }
    for query, (present, absent) in cases.items():
        html = client.get(f"{reverse('requests:list')}?{query}").text
        assert present in html, query
        assert absent not in html, query


def test_an_invalid_filter_is_a_400_with_the_message_next_to_it(registry_user):
    """A malformed filter value re-renders the list with an error, not a 500."""
    response = client_for(registry_user).get(f"{reverse('requests:list')}?status=bogus")
    assert response.status_code == 400
    assert 'id="id_status_error"' in response.text


def test_list_sorts_by_a_column_both_ways(registry_user, state_a):
    """The column headers sort ascending, then descending."""
    for subject in ("Middle", "Aardvark", "Zebra"):
        transmitted_for(registry_user, state_a, subject=subject)
    client = client_for(registry_user)
    ascending = client.get(f"{reverse('requests:list')}?sort=subject").text
    descending = client.get(f"{reverse('requests:list')}?sort=-subject").text
    assert ascending.index("Aardvark") < ascending.index("Middle") < ascending.index("Zebra")
    assert descending.index("Zebra") < descending.index("Middle") < descending.index("Aardvark")
    assert 'aria-sort="ascending"' in ascending


@pytest.mark.parametrize("rows", [5, 60])
def test_list_page_issues_a_fixed_number_of_queries(rows, registry_user, state_a, django_assert_max_num_queries):
    """Savepoint and release (ATOMIC_REQUESTS), session, user, the session's second-factor device, the user's two
    permission reads (sealed clearance), one COUNT, the partner choices of the filter form and one page of rows:
    10 queries for 5 rows or 60."""
    factories.CooperationRequestFactory.create_batch(rows, partner=state_a)
    client = client_for(registry_user)
    with django_assert_max_num_queries(10):
        response = client.get(f"{reverse('requests:list')}?per_page=100&sort=due")
    assert response.status_code == 200
    assert response.text.count('data-testid="request-row"') == rows


@pytest.mark.parametrize("rows", [5, 60])
def test_focal_point_inbox_issues_a_fixed_number_of_queries(rows, focal_point_a, state_a,
                                                            django_assert_max_num_queries):
    """The inbox costs the same 8 queries whatever its length (no permission reads; the partner in the header)."""
    factories.CooperationRequestFactory.create_batch(rows, partner=state_a)
    client = client_for(focal_point_a)
    with django_assert_max_num_queries(8):
        response = client.get(f"{reverse('requests:list')}?per_page=100")
    assert response.text.count('data-testid="request-row"') == rows


@pytest.mark.parametrize("rows", [5, 60])
def test_exports_issue_a_fixed_number_of_queries(rows, registry_user, state_a, django_assert_max_num_queries):
    """Both exports read every row in a fixed number of queries (the second-factor device read included)."""
    factories.CooperationRequestFactory.create_batch(rows, partner=state_a)
    client = client_for(registry_user)
    for name in ("requests:export_csv", "requests:export_xlsx"):
        with django_assert_max_num_queries(9):
            response = client.get(reverse(name))
            body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200
        assert body


def test_csv_export_follows_filters_and_neutralises_formulas(registry_user, state_a, state_b):
    """The CSV holds the filtered rows only, and a subject starting with = is written as text."""
    transmitted_for(registry_user, state_a, subject='=HYPERLINK("http://evil.example","click")')
    transmitted_for(registry_user, state_b, subject="Not in the filter")
    response = client_for(registry_user).get(f"{reverse('requests:export_csv')}?partner=NLD")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    subject = rows[1][5]
    assert subject.startswith("'=HYPERLINK")
    assert "Not in the filter" not in text


def test_xlsx_export_writes_formula_like_text_as_text(registry_user, state_a):
    """In the XLSX, user text starting with = + - @ is a string cell, never a formula."""
    for subject in ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "Plain subject"):
        transmitted_for(registry_user, state_a, subject=subject)
    response = client_for(registry_user).get(reverse("requests:export_xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    subjects = {row[5].value: row[5] for row in sheet.iter_rows(min_row=2)}
    assert set(subjects) == {"=1+2", "+SUM(A1)", "-2+3", "@cmd", "Plain subject"}
    for value, cell in subjects.items():
        assert cell.data_type == "s", value
    assert subjects["=1+2"].quotePrefix


def test_focal_point_export_holds_only_their_partners_requests(registry_user, focal_point_a, state_a, state_b):
    """An export is scoped like the list: nothing of another partner."""
    transmitted_for(registry_user, state_a, subject="Own request")
    transmitted_for(registry_user, state_b, subject="Foreign request")
    response = client_for(focal_point_a).get(reverse("requests:export_csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Own request" in text
    assert "Foreign request" not in text


# --- Create, edit, versions ---


def test_registry_creates_a_draft_through_the_form(registry_user, state_a):
    """A valid form logs a draft and redirects to it."""
    response = client_for(registry_user).post(reverse("requests:create"), {
        "partner": state_a.pk, "organ": Organ.OTP, "request_type": RequestType.IDENTIFICATION,
        "subject": "Whereabouts of a fictional suspect", "confidentiality": Confidentiality.CONFIDENTIAL,
    })
    coop_request = CooperationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(coop_request)
    assert (coop_request.status, coop_request.organ, coop_request.created_by) == (
        Status.DRAFT, Organ.OTP, registry_user
    )


def test_a_bad_form_is_a_400_with_the_error_next_to_the_field(registry_user, state_a):
    """A missing subject re-renders the form with its error tied to the field, and writes nothing."""
    response = client_for(registry_user).post(reverse("requests:create"), {
        "partner": state_a.pk, "organ": Organ.OTP, "request_type": RequestType.EVIDENCE, "subject": "",
        "confidentiality": Confidentiality.PUBLIC,
    })
    assert response.status_code == 400
    assert 'id="id_subject_error"' in response.text
    assert 'aria-describedby="id_subject_error"' in response.text
    assert not CooperationRequest.objects.exists()


def test_a_domain_error_from_the_service_shows_next_to_its_field(registry_user):
    """Art. 93(10) assistance to an organization is refused by the model rule, shown next to the type field."""
    organization = factories.OrganizationFactory(code="AU", name="African Union")
    response = client_for(registry_user).post(reverse("requests:create"), {
        "partner": organization.pk, "organ": Organ.REGISTRY, "request_type": RequestType.ASSISTANCE_TO_STATE,
        "subject": "Assistance", "confidentiality": Confidentiality.PUBLIC,
    })
    assert response.status_code == 400
    assert 'id="id_request_type_error"' in response.text
    assert not CooperationRequest.objects.exists()


def test_second_of_two_concurrent_edits_is_refused_and_overwrites_nothing(registry_user, state_a):
    """Two people open the same draft; the first save wins, the second is refused with a clear message."""
    coop_request = draft_for(registry_user, state_a, subject="Original subject")
    colleague = factories.RegistryFactory(username="registry-colleague")
    first, second = client_for(registry_user), client_for(colleague)
    url = action_url("edit", coop_request)
    form_first = first.get(url)
    form_second = second.get(url)
    assert f'name="version" value="{coop_request.version}"' in form_first.text
    assert f'name="version" value="{coop_request.version}"' in form_second.text
    fields = {"partner": state_a.pk, "organ": Organ.REGISTRY, "request_type": RequestType.EVIDENCE,
              "confidentiality": Confidentiality.CONFIDENTIAL, "version": coop_request.version}
    assert first.post(url, {**fields, "subject": "First editor's subject"}).status_code == 302
    response = second.post(url, {**fields, "subject": "Second editor's subject"})
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    coop_request.refresh_from_db()
    assert coop_request.subject == "First editor's subject"
    assert coop_request.version == 2


def test_edit_after_transmission_offers_only_the_fields_that_may_change(registry_user, state_a):
    """Once transmitted, partner, organ and type are no longer on the form."""
    coop_request = transmitted_for(registry_user, state_a)
    html = client_for(registry_user).get(action_url("edit", coop_request)).text
    assert 'name="subject"' in html
    assert 'name="partner"' not in html
    assert 'name="request_type"' not in html


def test_one_request_to_several_partners_creates_one_draft_each_in_a_batch(registry_user, state_a, state_b):
    """The batch form logs one draft per partner, with sequential references and a shared batch id."""
    response = client_for(registry_user).post(reverse("requests:create_batch"), {
        "partners": [state_a.pk, state_b.pk], "organ": Organ.REGISTRY, "request_type": RequestType.IDENTIFICATION,
        "subject": "Whereabouts of a fictional person", "confidentiality": Confidentiality.CONFIDENTIAL,
    })
    assert response.status_code == 302
    created = list(CooperationRequest.objects.order_by("reference"))
    assert {c.partner for c in created} == {state_a, state_b}
    assert created[0].batch is not None and created[0].batch == created[1].batch
    numbers = [int(c.reference.rsplit("-", 1)[1]) for c in created]
    assert numbers[1] == numbers[0] + 1


def test_batch_is_all_or_nothing(registry_user, state_a):
    """If one partner cannot receive the request, no draft at all is written."""
    organization = factories.OrganizationFactory(code="EU", name="European Union")
    response = client_for(registry_user).post(reverse("requests:create_batch"), {
        "partners": [state_a.pk, organization.pk], "organ": Organ.REGISTRY,
        "request_type": RequestType.ASSISTANCE_TO_STATE, "subject": "Assistance",
        "confidentiality": Confidentiality.PUBLIC,
    })
    assert response.status_code == 400
    assert "European Union" in response.text
    assert not CooperationRequest.objects.exists()


# --- The lifecycle ---


def test_transmit_form_proposes_the_types_due_date_and_notifies_focal_points(
    registry_user, focal_point_a, state_a, django_capture_on_commit_callbacks
):
    """The due date field defaults from the type (shorter when urgent); transmission e-mails A's focal point."""
    coop_request = draft_for(registry_user, state_a, urgent=True)
    client = client_for(registry_user)
    today = court_today()
    expected = today + datetime.timedelta(days=default_response_days(RequestType.EVIDENCE, urgent=True))
    form = client.get(action_url("transmit", coop_request))
    assert form.status_code == 200
    assert f'value="{expected.isoformat()}"' in form.text
    chosen = today + datetime.timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action_url("transmit", coop_request), {
            "version": coop_request.version, "on": today.isoformat(), "due_on": chosen.isoformat(), "note": "",
        })
    assert response.status_code == 302
    coop_request.refresh_from_db()
    assert (coop_request.status, coop_request.due_on) == (Status.TRANSMITTED, chosen)
    # In the portal at once; by e-mail when the sender task runs, once.
    assert list(Notification.objects.for_user(focal_point_a).values_list("kind", flat=True)) == ["transmitted"]
    assert notifications_send() == 1
    assert notifications_send() == 0
    assert [m.to for m in mail.outbox] == [[focal_point_a.email]]
    # Confidential particulars stay in the portal.
    assert coop_request.subject not in mail.outbox[0].body


def test_a_due_date_before_transmission_is_a_400_next_to_the_due_date(registry_user, state_a):
    """The model rule reaches the user next to the field it concerns, and nothing changes."""
    coop_request = draft_for(registry_user, state_a)
    today = court_today()
    response = client_for(registry_user).post(action_url("transmit", coop_request), {
        "version": coop_request.version, "on": today.isoformat(),
        "due_on": (today - datetime.timedelta(days=1)).isoformat(),
    })
    assert response.status_code == 400
    assert 'id="id_due_on_error"' in response.text
    coop_request.refresh_from_db()
    assert coop_request.status == Status.DRAFT


def test_focal_point_answers_and_registry_sees_it_at_once(
    registry_user, focal_point_a, state_a, django_capture_on_commit_callbacks
):
    """Acknowledge, reply with a PDF, ask for consultations, report the outcome: each a dated event on the detail
    page that registry staff read, and each answer e-mailed to the registry staff following the request."""
    coop_request = transmitted_for(registry_user, state_a)
    focal = client_for(focal_point_a)
    today = court_today().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        assert focal.post(action_url("acknowledge", coop_request),
                          {"version": 2, "on": today}).status_code == 302
        with io.BytesIO(PDF_BYTES) as handle:
            handle.name = "answer.pdf"
            assert focal.post(action_url("message", coop_request),
                              {"body": "Our answer is attached.", "files": [handle]}).status_code == 302
        assert focal.post(action_url("pause", coop_request), {
            "version": 3, "on": today, "reason": "consultation_art97", "ground": "person_not_found",
            "note": "The person named is not known here.",
        }).status_code == 302
        assert focal.post(action_url("outcome", coop_request), {
            "version": 4, "on": today, "outcome": Status.PARTIALLY_EXECUTED, "note": "Some records were destroyed.",
        }).status_code == 302
    html = client_for(registry_user).get(detail_url(coop_request)).text
    for text in ("Our answer is attached.", "answer.pdf", "The person named is not known here.",
                 "Some records were destroyed.", "Partially executed"):
        assert text in html
    kinds = list(RequestEvent.objects.filter(coop_request=coop_request).values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.TRANSITION, EventKind.TRANSITION, EventKind.MESSAGE,
                     EventKind.CLOCK_PAUSED, EventKind.TRANSITION]
    assert Notification.objects.for_user(registry_user).filter(kind="answered").count() == 4
    assert notifications_send() == 4
    assert len(mail.outbox) == 4
    assert all(m.to == [registry_user.email] for m in mail.outbox)


def test_not_fully_executed_needs_reasons(registry_user, focal_point_a, state_a):
    """Reporting 'not executed' without reasons is a 400 next to the reasons field."""
    coop_request = transmitted_for(registry_user, state_a)
    response = client_for(focal_point_a).post(action_url("outcome", coop_request), {
        "version": coop_request.version, "on": court_today().isoformat(), "outcome": Status.NOT_EXECUTED,
    })
    assert response.status_code == 400
    assert 'id="id_note_error"' in response.text


def test_consultations_need_an_art97_ground(registry_user, focal_point_a, state_a):
    """Asking for consultations without a ground is refused next to the ground field."""
    coop_request = transmitted_for(registry_user, state_a)
    response = client_for(focal_point_a).post(action_url("pause", coop_request), {
        "version": coop_request.version, "on": court_today().isoformat(), "reason": "consultation_art97",
    })
    assert response.status_code == 400
    assert 'id="id_ground_error"' in response.text


def test_registry_resumes_the_clock_closes_and_cannot_close_twice(registry_user, state_a):
    """Resume, record the outcome, close; a second close of the same version is a stale 409, not a 500."""
    coop_request = transmitted_for(registry_user, state_a)
    services.request_pause_clock(coop_request=coop_request, actor=registry_user, reason="postponement_art94")
    client = client_for(registry_user)
    today = court_today().isoformat()
    assert client.post(action_url("resume", coop_request), {"version": 3, "on": today}).status_code == 302
    assert client.post(action_url("outcome", coop_request),
                       {"version": 4, "on": today, "outcome": Status.EXECUTED}).status_code == 302
    assert client.post(action_url("close", coop_request), {"version": 5, "on": today}).status_code == 302
    assert client.post(action_url("close", coop_request), {"version": 5, "on": today}).status_code == 409
    coop_request.refresh_from_db()
    assert coop_request.status == Status.CLOSED


def test_a_forbidden_transition_is_a_400_with_the_reason(registry_user, state_a):
    """Closing a transmitted request (no outcome yet) is refused by the transition table: 400, message shown."""
    coop_request = transmitted_for(registry_user, state_a)
    response = client_for(registry_user).post(action_url("close", coop_request),
                                              {"version": coop_request.version, "on": court_today().isoformat()})
    assert response.status_code == 400
    assert "cannot become" in response.text


def test_focal_point_cannot_transmit_or_close_even_by_posting(registry_user, focal_point_a, state_a):
    """Registry-only pages answer 403 to a focal point, GET or POST, and nothing changes."""
    coop_request = transmitted_for(registry_user, state_a)
    client = client_for(focal_point_a)
    for name in ("edit", "close", "withdraw", "resume"):
        assert client.get(action_url(name, coop_request)).status_code == 403
        assert client.post(action_url(name, coop_request), {"version": 2}).status_code == 403
    coop_request.refresh_from_db()
    assert coop_request.version == 2


def test_allowed_actions_follow_the_transition_table(registry_user, focal_point_a, focal_point_b, state_a):
    """The offered actions come from TRANSITIONS and TRANSITION_ROLES, per role and status."""
    draft = draft_for(registry_user, state_a)
    names = [a.name for a in allowed_actions(registry_user, draft)]
    assert names == ["edit", "transmit", "message", "withdraw"]
    sent = transmitted_for(registry_user, state_a)
    assert [a.name for a in allowed_actions(focal_point_a, sent)] == [
        "acknowledge", "start_execution", "outcome", "pause", "message"
    ]
    assert allowed_actions(focal_point_b, sent) == []


def test_detail_page_shows_the_actions_allowed_to_the_role(registry_user, focal_point_a, state_a):
    """A focal point sees no transmit, close or withdraw button; registry staff do."""
    coop_request = transmitted_for(registry_user, state_a)
    focal_html = client_for(focal_point_a).get(detail_url(coop_request)).text
    registry_html = client_for(registry_user).get(detail_url(coop_request)).text
    assert 'data-action="acknowledge"' in focal_html
    assert 'data-action="withdraw"' not in focal_html
    assert 'data-action="withdraw"' in registry_html


def test_attachment_download_is_an_attachment_with_its_stored_type(registry_user, focal_point_a, state_a):
    """The file comes back as a download, with its stored content type and nosniff."""
    coop_request = transmitted_for(registry_user, state_a)
    with io.BytesIO(PDF_BYTES) as handle:
        handle.name = "reply.pdf"
        client_for(focal_point_a).post(action_url("message", coop_request), {"body": "", "files": [handle]})
    attachment = Attachment.objects.get()
    url = reverse("requests:attachment", kwargs={"pk": coop_request.pk, "attachment_pk": attachment.pk})
    response = client_for(registry_user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="reply.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_another_partners_attachment_is_a_404(registry_user, focal_point_b, state_a):
    """B's focal point gets 404 for A's document, the same as for a missing one."""
    coop_request = transmitted_for(registry_user, state_a)
    with io.BytesIO(PDF_BYTES) as handle:
        handle.name = "secret.pdf"
        client_for(registry_user).post(action_url("message", coop_request), {"body": "x", "files": [handle]})
    attachment = Attachment.objects.get()
    client = client_for(focal_point_b)
    hidden = reverse("requests:attachment", kwargs={"pk": coop_request.pk, "attachment_pk": attachment.pk})
    missing = reverse("requests:attachment", kwargs={"pk": coop_request.pk + 1000, "attachment_pk": 999})
    assert client.get(hidden).status_code == 404
    assert client.get(missing).status_code == 404


def test_notifications_page_lists_only_the_users_own(registry_user, focal_point_a, focal_point_b, state_a):
    """The in-portal notifications are the user's own, on requests they may see; marking read works."""
    from cooperation_portal.notifications.models import Notification, NotificationKind

    coop_request = transmitted_for(registry_user, state_a)
    notification = Notification.objects.create(
        recipient=focal_point_a, coop_request=coop_request, kind=NotificationKind.ESCALATION,
        subject="Reminder for the marker request", body="Due soon.",
    )
    assert "Reminder for the marker request" in client_for(focal_point_a).get(reverse("requests:notifications")).text
    assert "Reminder for the marker request" not in client_for(focal_point_b).get(
        reverse("requests:notifications")
    ).text
    read_url = reverse("requests:notification_read", kwargs={"pk": notification.pk})
    assert client_for(focal_point_b).post(read_url).status_code == 404
    assert client_for(focal_point_a).post(read_url).status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_pages_render_in_french(registry_user, state_a):
    """The list and the detail page switch to French with the language cookie."""
    coop_request = transmitted_for(registry_user, state_a)
    client = client_for(registry_user)
    client.cookies["django_language"] = "fr"
    assert "Exporter en CSV" in client.get(reverse("requests:list")).text
    assert "Chronologie" in client.get(detail_url(coop_request)).text


def test_list_shows_each_requests_escalation_step(client, registry_user, state_a):
    """The sweep's escalation step is visible in the list, beside the subject."""
    from requests_app.choices import EscalationLevel

    factories.CooperationRequestFactory(partner=state_a, escalation_level=EscalationLevel.SECOND_NOTICE)
    client.force_login(registry_user)
    body = client.get("/requests/").content.decode()
    assert 'data-testid="escalation">Second notice</span>' in body
