"""Soft deletion of requests and documents: registry staff only, with a reason; the request or document then
disappears for everyone (pages, API, exports, dashboard, annual report, overdue sweep, notifications) but stays in
the database, the admin and the history, and can be restored."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.models import AuditEvent
from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification
from cooperation_portal.reports.services import annual_report
from requests_app import overdue, services
from requests_app.choices import Confidentiality, EventKind, Organ, RequestType, Status
from requests_app.importing import import_preview
from requests_app.models import Attachment, CooperationRequest, EscalationStep, RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
GONE_SUBJECT = "GONE-MARKER-5c1d"
KEPT_SUBJECT = "KEPT-MARKER-0e9a"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def overdue_request(partner, subject: str) -> CooperationRequest:
    """Transmitted 90 days ago, due 5 days ago: overdue today, in this year's dashboard and report period."""
    today = court_today()
    return factories.CooperationRequestFactory(
        partner=partner, subject=subject, transmitted_on=today - datetime.timedelta(days=90),
        due_on=today - datetime.timedelta(days=5),
    )


@pytest.fixture
def pair(state_a):
    """Two identical overdue requests of A: one is deleted in the tests, the other keeps every figure at one."""
    return overdue_request(state_a, GONE_SUBJECT), overdue_request(state_a, KEPT_SUBJECT)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def delete(coop_request, actor, reason="Logged twice by mistake"):
    return services.request_soft_delete(coop_request=coop_request, actor=actor, reason=reason)


# --- The service ---


def test_soft_delete_keeps_the_row_and_records_who_when_why(pair, registry_user):
    gone, _kept = pair
    deleted = delete(gone, registry_user)
    row = CooperationRequest.objects.get(pk=gone.pk)
    assert row.deleted_at is not None and row.deleted_by == registry_user
    assert row.deletion_reason == "Logged twice by mistake"
    assert row.version == gone.version + 1 == deleted.version
    event = RequestEvent.objects.get(coop_request=gone, kind=EventKind.DELETED)
    assert (event.actor, event.note) == (registry_user, "Logged twice by mistake")
    latest = row.history.latest()
    assert latest.deleted_at == row.deleted_at and latest.history_user == registry_user
    audit = AuditEvent.objects.get(kind=AuditKind.SOFT_DELETE)
    assert (audit.username, audit.object_type, audit.object_id) == (
        "registry", "requests_app.cooperationrequest", str(gone.pk),
    )
    assert GONE_SUBJECT not in str(audit.detail)


@pytest.mark.parametrize("who", ["focal_point_a", "facilitator"])
def test_only_registry_staff_may_delete(who, pair, request):
    gone, _kept = pair
    with pytest.raises(PermissionDenied):
        delete(gone, request.getfixturevalue(who))
    assert CooperationRequest.objects.get(pk=gone.pk).deleted_at is None


def test_registry_staff_without_clearance_cannot_delete_a_request_under_seal(registry_user, state_a):
    sealed = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    with pytest.raises(PermissionDenied):
        delete(sealed, registry_user)
    assert CooperationRequest.objects.get(pk=sealed.pk).deleted_at is None


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_a_reason_is_required_and_nothing_is_written_without_one(reason, pair, registry_user):
    gone, _kept = pair
    with pytest.raises(ValidationError) as refused:
        delete(gone, registry_user, reason=reason)
    assert "reason" in refused.value.message_dict
    assert CooperationRequest.objects.get(pk=gone.pk).deleted_at is None
    assert not RequestEvent.objects.filter(kind=EventKind.DELETED).exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.SOFT_DELETE).exists()


def test_a_deleted_request_cannot_be_deleted_again_nor_changed(pair, registry_user):
    gone, _kept = pair
    delete(gone, registry_user)
    with pytest.raises(ValidationError, match="already deleted"):
        delete(gone, registry_user)
    with pytest.raises(ValidationError, match="restore it"):
        services.request_transition(coop_request=gone, actor=registry_user, to_status=Status.WITHDRAWN)
    with pytest.raises(ValidationError, match="restore it"):
        services.request_update(coop_request=gone, actor=registry_user, expected_version=gone.version + 1,
                                data={"subject": "changed"})
    assert CooperationRequest.objects.get(pk=gone.pk).status == Status.TRANSMITTED


def test_a_stale_version_is_refused(pair, registry_user):
    gone, _kept = pair
    with pytest.raises(services.StaleVersionError):
        services.request_soft_delete(coop_request=gone, actor=registry_user, reason="x", expected_version=99)
    assert CooperationRequest.objects.get(pk=gone.pk).deleted_at is None


def test_restore_brings_it_back_everywhere_and_is_recorded(pair, registry_user, focal_point_a):
    gone, _kept = pair
    delete(gone, registry_user)
    services.request_restore(coop_request=gone, actor=registry_user)
    row = CooperationRequest.objects.get(pk=gone.pk)
    assert (row.deleted_at, row.deleted_by, row.deletion_reason) == (None, None, "")
    assert CooperationRequest.objects.visible_to(focal_point_a).filter(pk=gone.pk).exists()
    kinds = list(RequestEvent.objects.filter(coop_request=gone).values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.DELETED, EventKind.RESTORED]
    assert AuditEvent.objects.filter(kind=AuditKind.RESTORE, object_id=str(gone.pk)).exists()
    assert row.history.count() == 3  # created, deleted, restored
    with pytest.raises(PermissionDenied):
        services.request_restore(coop_request=gone, actor=focal_point_a)


# --- Gone for everyone, everywhere ---


@pytest.mark.parametrize("who", ["registry_user", "cleared_registry_user", "focal_point_a"])
def test_a_deleted_request_is_in_no_page_api_or_export(who, pair, registry_user, request):
    gone, kept = pair
    delete(gone, registry_user)
    client = client_for(request.getfixturevalue(who))
    listing = client.get(reverse("requests:list")).text
    assert KEPT_SUBJECT in listing and GONE_SUBJECT not in listing
    assert client.get(reverse("requests:detail", args=[gone.pk])).status_code == 404
    assert client.get(reverse("requests:edit", args=[gone.pk])).status_code in (403, 404)
    api_list = client.get("/api/v1/requests/").json()
    assert [row["id"] for row in api_list["results"]] == [kept.pk]
    assert client.get(f"/api/v1/requests/{gone.pk}/").status_code == 404
    csv_export = b"".join(client.get(reverse("requests:export_csv")).streaming_content).decode()
    assert kept.reference in csv_export and gone.reference not in csv_export
    xlsx = client.get(reverse("requests:export_xlsx")).content
    assert xlsx  # the XLSX reads the same queryset as the CSV


@pytest.mark.parametrize("who", ["registry_user", "focal_point_a", "facilitator"])
def test_a_deleted_request_is_not_counted_on_home_dashboard_or_report(who, pair, registry_user, request):
    gone, _kept = pair
    user = request.getfixturevalue(who)
    client = client_for(user)
    summary_before = client.get("/api/v1/dashboard/summary/").json()
    today = court_today()
    report_before = annual_report(start=today - datetime.timedelta(days=365), end=today)
    delete(gone, registry_user)
    summary = client.get("/api/v1/dashboard/summary/").json()
    assert summary["requests"]["transmitted"] == summary_before["requests"]["transmitted"] - 1 == 1
    assert summary["overdue"]["total"] == summary_before["overdue"]["total"] - 1 == 1
    report = annual_report(start=today - datetime.timedelta(days=365), end=today)
    assert report["requests"]["transmitted"] == report_before["requests"]["transmitted"] - 1 == 1
    assert report["requests"]["overdue_at_end"] == 1
    home = client.get(reverse("home")).text
    assert 'data-testid="overdue-count">1<' in home.replace("\n", "").replace(" ", "")


def test_the_overdue_sweep_skips_a_deleted_request(pair, registry_user, focal_point_a):
    gone, kept = pair
    delete(gone, registry_user)
    overdue.sweep()
    assert EscalationStep.objects.filter(coop_request=kept).exists()
    assert not EscalationStep.objects.filter(coop_request=gone).exists()
    assert not Notification.objects.filter(coop_request=gone).exists()
    assert CooperationRequest.objects.get(pk=gone.pk).escalation_level == 0


def test_a_flagged_request_deleted_later_is_left_as_it_stood(pair, registry_user):
    gone, _kept = pair
    overdue.sweep()
    level = CooperationRequest.objects.get(pk=gone.pk).escalation_level
    assert level > 0
    delete(gone, registry_user)
    steps = EscalationStep.objects.filter(coop_request=gone).count()
    overdue.sweep(on=court_today() + datetime.timedelta(days=200))
    assert EscalationStep.objects.filter(coop_request=gone).count() == steps
    assert CooperationRequest.objects.get(pk=gone.pk).escalation_level == level


def test_notifications_of_a_deleted_request_leave_the_inbox(pair, registry_user, focal_point_a):
    gone, _kept = pair
    for coop_request in pair:
        Notification.objects.create(recipient=focal_point_a, coop_request=coop_request, kind="escalation",
                                    subject=f"About {coop_request.subject}", body="Due.")
    delete(gone, registry_user)
    page = client_for(focal_point_a).get(reverse("requests:notifications")).text
    assert KEPT_SUBJECT in page and GONE_SUBJECT not in page


def test_the_import_still_refuses_a_deleted_requests_reference(pair, registry_user):
    """References stay unique in the database: a deleted request keeps its own, and the preview says why."""
    gone, _kept = pair
    delete(gone, registry_user)
    csv = (
        "reference,organ,request_type,partner,subject,status\n"
        f"{gone.reference},registry,visa,NLD,Re-logged,draft\n"
    ).encode()
    preview = import_preview(csv, "csv")
    assert [(e.column, str(e.message)) for e in preview.errors] == [
        ("reference", "A deleted request had this reference; references are not reused."),
    ]


def test_the_admin_keeps_deleted_requests_filterable_and_restores_them(pair, state_a):
    gone, kept = pair
    staff = factories.RegistryStaffFactory(username="registry-staff")
    delete(gone, staff)
    client = client_for(staff)
    url = reverse("admin:requests_app_cooperationrequest_changelist")
    assert gone.reference in client.get(url).text
    only_deleted = client.get(url, {"deleted": "yes"}).text
    assert gone.reference in only_deleted and kept.reference not in only_deleted
    not_deleted = client.get(url, {"deleted": "no"}).text
    assert kept.reference in not_deleted and gone.reference not in not_deleted
    change = client.get(reverse("admin:requests_app_cooperationrequest_change", args=[gone.pk]))
    assert change.status_code == 200 and "Logged twice by mistake" in change.text
    assert 'name="_save"' not in change.text  # read-only until restored
    response = client.post(url, {"action": "restore_selected", "_selected_action": [gone.pk]})
    assert response.status_code == 302
    assert CooperationRequest.objects.get(pk=gone.pk).deleted_at is None


# --- The browser pages ---


def test_registry_deletes_through_the_confirmation_page(pair, registry_user, focal_point_a):
    gone, _kept = pair
    client = client_for(registry_user)
    detail = client.get(reverse("requests:detail", args=[gone.pk])).text
    assert reverse("requests:delete", args=[gone.pk]) in detail
    page = client.get(reverse("requests:delete", args=[gone.pk]))
    assert page.status_code == 200 and 'name="reason"' in page.text
    refused = client.post(reverse("requests:delete", args=[gone.pk]), {"version": gone.version, "reason": " "})
    assert refused.status_code == 400
    assert 'data-testid="error-reason"' in refused.text
    assert CooperationRequest.objects.get(pk=gone.pk).deleted_at is None
    stale = client.post(reverse("requests:delete", args=[gone.pk]), {"version": gone.version + 5, "reason": "x"})
    assert stale.status_code == 409
    done = client.post(reverse("requests:delete", args=[gone.pk]), {"version": gone.version, "reason": "Duplicate"})
    assert done.status_code == 302 and done["Location"] == reverse("requests:list")
    assert CooperationRequest.objects.get(pk=gone.pk).deletion_reason == "Duplicate"
    assert client_for(focal_point_a).get(reverse("requests:detail", args=[gone.pk])).status_code == 404


def test_focal_points_get_no_delete_button_and_a_403(pair, focal_point_a):
    gone, _kept = pair
    client = client_for(focal_point_a)
    assert 'data-testid="delete-request"' not in client.get(reverse("requests:detail", args=[gone.pk])).text
    response = client.post(reverse("requests:delete", args=[gone.pk]), {"version": gone.version, "reason": "mine"})
    assert response.status_code == 403
    assert CooperationRequest.objects.get(pk=gone.pk).deleted_at is None


@pytest.fixture
def with_documents(registry_user, state_a):
    coop_request = services.request_create(actor=registry_user, partner=state_a, organ=Organ.REGISTRY,
                                           request_type=RequestType.EVIDENCE, subject="With documents")
    coop_request = services.request_transition(coop_request=coop_request, actor=registry_user,
                                               to_status=Status.TRANSMITTED)
    event = services.request_add_message(
        coop_request=coop_request, actor=registry_user, body="Two documents",
        files=[SimpleUploadedFile("gone-document.pdf", PDF), SimpleUploadedFile("kept-document.pdf", PDF)],
    )
    gone, kept = event.attachments.order_by("original_name")
    return coop_request, gone, kept


def test_a_deleted_document_leaves_every_page_and_the_api_but_stays_stored(with_documents, registry_user,
                                                                           focal_point_a):
    coop_request, gone, kept = with_documents
    client = client_for(registry_user)
    url = reverse("requests:attachment_delete", args=[coop_request.pk, gone.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    assert Attachment.objects.get(pk=gone.pk).deleted_at is None
    assert client.post(url, {"reason": "Sent to the wrong State"}).status_code == 302

    for user in (registry_user, focal_point_a):
        reader = client_for(user)
        page = reader.get(reverse("requests:detail", args=[coop_request.pk])).text
        assert "kept-document.pdf" in page
        assert reverse("requests:attachment", args=[coop_request.pk, gone.pk]) not in page
        assert reader.get(reverse("requests:attachment", args=[coop_request.pk, gone.pk])).status_code == 404
        assert reader.get(reverse("requests:attachment", args=[coop_request.pk, kept.pk])).status_code == 200
        api = reader.get(f"/api/v1/requests/{coop_request.pk}/").json()
        assert [a["id"] for a in api["attachments"]] == [kept.pk]

    row = Attachment.objects.get(pk=gone.pk)
    assert (row.deleted_by, row.deletion_reason) == (registry_user, "Sent to the wrong State")
    assert row.file.storage.exists(row.file.name)
    assert row.history.latest().deleted_at == row.deleted_at
    event = RequestEvent.objects.get(coop_request=coop_request, kind=EventKind.ATTACHMENT_DELETED)
    assert event.note == "gone-document.pdf\nSent to the wrong State"
    assert client.post(url, {"reason": "again"}).status_code == 404  # no longer there to delete


def test_only_registry_staff_delete_documents(with_documents, focal_point_a, facilitator):
    coop_request, gone, _kept = with_documents
    url = reverse("requests:attachment_delete", args=[coop_request.pk, gone.pk])
    for user in (focal_point_a, facilitator):
        assert client_for(user).post(url, {"reason": "mine"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.attachment_soft_delete(attachment=gone, actor=focal_point_a, reason="mine")
    assert Attachment.objects.get(pk=gone.pk).deleted_at is None


def test_a_document_can_be_restored(with_documents, registry_user):
    coop_request, gone, _kept = with_documents
    services.attachment_soft_delete(attachment=gone, actor=registry_user, reason="By mistake")
    services.attachment_restore(attachment=gone, actor=registry_user)
    assert Attachment.objects.alive().filter(pk=gone.pk).exists()
    kinds = list(RequestEvent.objects.filter(coop_request=coop_request).values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.ATTACHMENT_DELETED, EventKind.ATTACHMENT_RESTORED]


def test_the_confirmation_page_speaks_french(pair, registry_user):
    gone, _kept = pair
    client = client_for(registry_user)
    page = client.get(reverse("requests:delete", args=[gone.pk]), HTTP_ACCEPT_LANGUAGE="fr").text
    assert "Motif de la suppression" in page
    assert "Supprimer la demande" in page
    assert "Reason for the deletion" not in page
