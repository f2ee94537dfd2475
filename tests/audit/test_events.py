"""What the audit trail records, driven through the real pages and API: logins, failures, logouts, lock-outs,
refusals, out-of-scope lookups, exports, downloads and views of sealed material. Nothing secret in any row."""

import datetime
import json

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.models import AuditEvent
from cooperation_portal.reports import views as report_views
from cooperation_portal.reports.choices import ExportStatus
from cooperation_portal.reports.models import ReportExport
from requests_app import services
from requests_app.choices import Confidentiality, Organ, RequestType, Status
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "Wrong-Password-Marker-71c9"
SEALED_SUBJECT = "SEALED-SUBJECT-MARKER-4d2b"
SEALED_PERSON = "SEALED-PERSON-MARKER-9a7e"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user) -> Client:
    client = Client(REMOTE_ADDR="203.0.113.7")
    client.force_login(user)  # itself a login event, without address: the tests below count other kinds
    return client


def events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


def as_text(event: AuditEvent) -> str:
    return json.dumps(
        {field.attname: str(getattr(event, field.attname)) for field in AuditEvent._meta.concrete_fields}
    )


def transmitted_request(registry_user, partner, **fields):
    coop_request = services.request_create(
        actor=registry_user, partner=partner, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject=fields.pop("subject", "Evidence"), **fields,
    )
    return services.request_transition(coop_request=coop_request, actor=registry_user, to_status=Status.TRANSMITTED)


# --- Logins ---


def test_login_through_the_form_is_recorded_with_user_ip_and_path(focal_point_a):
    client = Client(REMOTE_ADDR="198.51.100.4")
    response = client.post(reverse("login"), {"username": focal_point_a.username, "password": PASSWORD})
    assert response.status_code == 302
    [login] = events(AuditKind.LOGIN)
    assert (login.user_id, login.username, login.ip_address) == (focal_point_a.pk, "focal-a", "198.51.100.4")
    assert (login.method, login.path) == ("POST", reverse("login"))
    assert login.occurred_at.utcoffset() == datetime.timedelta(0)  # stored and read back in UTC


def test_failed_login_records_the_typed_username_never_the_password(focal_point_a):
    client = Client(REMOTE_ADDR="198.51.100.4")
    response = client.post(reverse("login"), {"username": "focal-a", "password": WRONG_PASSWORD})
    assert response.status_code == 400
    client.post(reverse("login"), {"username": "no-such-account", "password": WRONG_PASSWORD})
    failures = events(AuditKind.LOGIN_FAILED)
    assert [(e.username, e.user_id, e.ip_address) for e in failures] == [
        ("focal-a", None, "198.51.100.4"),
        ("no-such-account", None, "198.51.100.4"),
    ]
    assert not [e for e in AuditEvent.objects.all() if WRONG_PASSWORD in as_text(e)]
    assert not events(AuditKind.LOGIN)


def test_logout_is_recorded(focal_point_a):
    client = client_for(focal_point_a)
    assert client.post(reverse("logout")).status_code == 302
    [logout] = events(AuditKind.LOGOUT)
    assert (logout.user_id, logout.username) == (focal_point_a.pk, "focal-a")


@pytest.mark.skipif(not apps.is_installed("axes"), reason="django-axes is not installed")
def test_lock_out_is_recorded(settings, focal_point_a):
    """django-axes' lock-out signal becomes an event, with the username the attacker typed."""
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="192.0.2.9")
    for _attempt in range(4):
        client.post(reverse("login"), {"username": "focal-a", "password": WRONG_PASSWORD})
    [locked] = events(AuditKind.LOCKED_OUT)[:1]
    assert (locked.username, locked.ip_address) == ("focal-a", "192.0.2.9")
    assert not [e for e in AuditEvent.objects.all() if WRONG_PASSWORD in as_text(e)]


# --- Refusals ---


def test_a_403_page_is_recorded_as_access_denied(focal_point_a):
    client = client_for(focal_point_a)
    assert client.get(reverse("requests:create")).status_code == 403
    [denied] = events(AuditKind.ACCESS_DENIED)
    assert (denied.username, denied.path, denied.method) == ("focal-a", reverse("requests:create"), "GET")
    assert denied.detail == {"status": 403}


def test_a_403_from_the_api_is_recorded(facilitator):
    client = client_for(facilitator)
    assert client.get("/api/v1/requests/").status_code == 403
    [denied] = events(AuditKind.ACCESS_DENIED)
    assert (denied.username, denied.path) == ("facilitator", "/api/v1/requests/")


def test_another_partners_request_is_a_404_and_recorded_a_missing_id_is_not(registry_user, focal_point_b, state_a):
    """B's focal point gets the same 404 for A's request as for an id that does not exist; only the first, which
    exists, is recorded, with its id and nothing of its content."""
    coop_request = transmitted_request(registry_user, state_a, subject=SEALED_SUBJECT)
    client = client_for(focal_point_b)
    hidden = client.get(reverse("requests:detail", args=[coop_request.pk]))
    missing = client.get(reverse("requests:detail", args=[coop_request.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404
    assert SEALED_SUBJECT.encode() not in hidden.content
    [miss] = events(AuditKind.OUT_OF_SCOPE)
    assert (miss.username, miss.object_type, miss.object_id) == (
        "focal-b", "requests_app.cooperationrequest", str(coop_request.pk),
    )
    assert SEALED_SUBJECT not in as_text(miss)


def test_api_lookup_outside_the_scope_is_recorded(registry_user, focal_point_b, state_a):
    coop_request = transmitted_request(registry_user, state_a)
    client = client_for(focal_point_b)
    assert client.get(f"/api/v1/requests/{coop_request.pk}/").status_code == 404
    assert client.get(f"/api/v1/requests/{coop_request.pk + 1000}/").status_code == 404
    assert client.get("/api/v1/requests/not-a-number/").status_code == 404
    [miss] = events(AuditKind.OUT_OF_SCOPE)
    assert (miss.object_type, miss.object_id, miss.path) == (
        "requests_app.cooperationrequest", str(coop_request.pk), f"/api/v1/requests/{coop_request.pk}/",
    )


def test_a_sealed_warrant_looked_up_without_clearance_is_recorded(registry_user):
    warrant = factories.ArrestWarrantFactory(person_name=SEALED_PERSON, under_seal=True)
    client = client_for(registry_user)
    assert client.get(reverse("warrants:detail", args=[warrant.pk])).status_code == 404
    assert client.get(f"/api/v1/warrants/{warrant.pk}/").status_code == 404
    misses = events(AuditKind.OUT_OF_SCOPE)
    assert [(m.object_type, m.object_id) for m in misses] == [("warrants_app.arrestwarrant", str(warrant.pk))] * 2
    assert not events(AuditKind.SEALED_VIEW)


def test_another_requests_attachment_through_ones_own_request_is_recorded(registry_user, focal_point_b, state_a,
                                                                          state_b):
    """B's focal point asks for A's document through B's own request: 404, recorded as out of scope."""
    own = transmitted_request(registry_user, state_b)
    of_a = transmitted_request(registry_user, state_a)
    event = services.request_add_message(coop_request=of_a, actor=registry_user, body="x",
                                         files=[SimpleUploadedFile("evidence.pdf", PDF)])
    attachment = event.attachments.get()
    client = client_for(focal_point_b)
    assert client.get(reverse("requests:attachment", args=[own.pk, attachment.pk])).status_code == 404
    [miss] = events(AuditKind.OUT_OF_SCOPE)
    assert (miss.object_type, miss.object_id) == ("requests_app.attachment", str(attachment.pk))
    assert not events(AuditKind.DOWNLOAD)


# --- Exports and downloads ---


def test_request_list_exports_are_recorded_with_their_filters_not_the_search_text(registry_user, state_a):
    transmitted_request(registry_user, state_a)
    client = client_for(registry_user)
    response = client.get(reverse("requests:export_csv"), {"status": "transmitted", "q": "Secret-Search-Words"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert client.get(reverse("requests:export_xlsx")).status_code == 200
    csv_export, xlsx_export = events(AuditKind.EXPORT)
    assert csv_export.detail == {"format": "csv", "search": True, "status": ["transmitted"]}
    assert (csv_export.username, csv_export.object_type) == ("registry", "requests_app.cooperationrequest")
    assert xlsx_export.detail == {"format": "xlsx"}
    assert "Secret-Search-Words" not in as_text(csv_export)


def test_invalid_export_filters_record_nothing(registry_user):
    client = client_for(registry_user)
    assert client.get(reverse("requests:export_csv"), {"due_after": "not-a-date"}).status_code == 400
    assert not events(AuditKind.EXPORT)


def test_attachment_download_is_recorded(registry_user, focal_point_a, state_a):
    coop_request = transmitted_request(registry_user, state_a)
    event = services.request_add_message(coop_request=coop_request, actor=registry_user, body="see attached",
                                         files=[SimpleUploadedFile("evidence.pdf", PDF)])
    attachment = event.attachments.get()
    response = client_for(focal_point_a).get(reverse("requests:attachment", args=[coop_request.pk, attachment.pk]))
    assert response.status_code == 200
    [download] = events(AuditKind.DOWNLOAD)
    assert (download.username, download.object_type, download.object_id) == (
        "focal-a", "requests_app.attachment", str(attachment.pk),
    )
    assert download.detail == {"request": coop_request.pk, "under_seal": False}


def test_annual_report_downloads_and_background_exports_are_recorded(facilitator, monkeypatch):
    client = client_for(facilitator)
    period = {"start": "2024-01-01", "end": "2024-03-31", "format": "csv"}
    assert client.post(reverse("reports:annual-download"), period).status_code == 200
    assert client.get("/api/v1/reports/annual/", {"start": "2024-01-01", "end": "2024-03-31"}).status_code == 200
    monkeypatch.setattr(report_views, "BACKGROUND_AFTER_DAYS", 10)
    assert client.post(reverse("reports:annual-download"), {**period, "format": "xlsx"}).status_code == 302
    export = ReportExport.objects.get()
    export.status = ExportStatus.DONE
    export.file.save("report.xlsx", ContentFile(b"PK fake workbook"), save=True)
    response = client.get(reverse("reports:export-download", args=[export.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)

    sync_file, api_json, queued = events(AuditKind.EXPORT)
    assert sync_file.detail == {"start": "2024-01-01", "end": "2024-03-31", "format": "csv"}
    assert api_json.detail["format"] == "json" and api_json.path == "/api/v1/reports/annual/"
    assert (queued.object_type, queued.object_id, queued.detail["format"]) == ("reports.reportexport", str(export.pk),
                                                                              "xlsx")
    [download] = events(AuditKind.DOWNLOAD)
    assert (download.object_type, download.object_id, download.username) == (
        "reports.reportexport", str(export.pk), "facilitator",
    )


def test_someone_elses_background_export_is_a_404_and_recorded(facilitator):
    export = ReportExport.objects.create(requested_by=facilitator, start=datetime.date(2020, 1, 1),
                                         end=datetime.date(2023, 12, 31), format="xlsx")
    other = factories.FacilitatorFactory(username="other-facilitator")
    assert client_for(other).get(reverse("reports:export-download", args=[export.pk])).status_code == 404
    [miss] = events(AuditKind.OUT_OF_SCOPE)
    assert (miss.username, miss.object_type, miss.object_id) == ("other-facilitator", "reports.reportexport",
                                                                 str(export.pk))


# --- Sealed material ---


def test_views_of_a_request_under_seal_are_recorded_page_and_api(cleared_registry_user, focal_point_a, state_a,
                                                                   registry_user):
    sealed = transmitted_request(cleared_registry_user, state_a, subject=SEALED_SUBJECT,
                                 confidentiality=Confidentiality.UNDER_SEAL)
    ordinary = transmitted_request(registry_user, state_a)
    cleared = client_for(cleared_registry_user)
    assert cleared.get(reverse("requests:detail", args=[sealed.pk])).status_code == 200
    assert cleared.get(f"/api/v1/requests/{sealed.pk}/").status_code == 200
    assert client_for(focal_point_a).get(reverse("requests:detail", args=[sealed.pk])).status_code == 200
    assert cleared.get(reverse("requests:detail", args=[ordinary.pk])).status_code == 200
    views = events(AuditKind.SEALED_VIEW)
    assert [(v.username, v.object_id, v.path) for v in views] == [
        ("registry-cleared", str(sealed.pk), reverse("requests:detail", args=[sealed.pk])),
        ("registry-cleared", str(sealed.pk), f"/api/v1/requests/{sealed.pk}/"),
        ("focal-a", str(sealed.pk), reverse("requests:detail", args=[sealed.pk])),
    ]
    assert not [v for v in views if SEALED_SUBJECT in as_text(v)]


def test_views_of_a_sealed_warrant_by_a_cleared_user_are_recorded(cleared_registry_user):
    sealed = factories.ArrestWarrantFactory(person_name=SEALED_PERSON, under_seal=True)
    public = factories.ArrestWarrantFactory()
    client = client_for(cleared_registry_user)
    assert client.get(reverse("warrants:detail", args=[sealed.pk])).status_code == 200
    assert client.get(f"/api/v1/warrants/{sealed.pk}/").status_code == 200
    assert client.get(reverse("warrants:detail", args=[public.pk])).status_code == 200
    assert client.get(f"/api/v1/warrants/{public.pk}/").status_code == 200
    views = events(AuditKind.SEALED_VIEW)
    assert [(v.object_type, v.object_id) for v in views] == [("warrants_app.arrestwarrant", str(sealed.pk))] * 2
    assert not [v for v in views if SEALED_PERSON in as_text(v)]


def test_requests_under_seal_shown_in_lists_are_recorded_page_and_api(cleared_registry_user, registry_user,
                                                                      focal_point_a, state_a):
    """One event per sealed request a list page showed, for every role that sees it; none for the ordinary request
    beside it, none for a list that did not show it."""
    sealed = transmitted_request(cleared_registry_user, state_a, subject=SEALED_SUBJECT,
                                 confidentiality=Confidentiality.UNDER_SEAL)
    ordinary = transmitted_request(registry_user, state_a)
    cleared = client_for(cleared_registry_user)
    lists = {"page": reverse("requests:list"), "api": "/api/v1/requests/"}
    for path in lists.values():
        answer = cleared.get(path)
        assert answer.status_code == 200
        assert SEALED_SUBJECT in answer.content.decode()
        assert cleared.get(path, {"confidentiality": "public"}).status_code == 200  # the sealed one filtered out
    for path in lists.values():  # without clearance, the sealed request is not listed at all
        assert SEALED_SUBJECT not in client_for(registry_user).get(path).content.decode()
    focal = client_for(focal_point_a).get(lists["page"])
    assert SEALED_SUBJECT in focal.content.decode()
    views = events(AuditKind.SEALED_VIEW)
    assert [(v.username, v.object_type, v.object_id, v.path, v.detail, v.ip_address) for v in views] == [
        ("registry-cleared", "requests_app.cooperationrequest", str(sealed.pk), lists["page"],
         {"shown_in": "list"}, "203.0.113.7"),
        ("registry-cleared", "requests_app.cooperationrequest", str(sealed.pk), lists["api"],
         {"shown_in": "list"}, "203.0.113.7"),
        ("focal-a", "requests_app.cooperationrequest", str(sealed.pk), lists["page"], {"shown_in": "list"},
         "203.0.113.7"),
    ]
    assert str(ordinary.pk) not in {v.object_id for v in views}
    assert not [v for v in views if SEALED_SUBJECT in as_text(v)]


@pytest.mark.django_db(transaction=True)  # as in production: an API read runs in no transaction of its own
def test_an_api_list_records_its_sealed_rows_in_one_statement(cleared_registry_user, state_a):
    """One INSERT for the page's sealed rows, and no BEGIN or COMMIT around it (bulk_create added both: two more
    round trips on each such list call)."""
    sealed = [transmitted_request(cleared_registry_user, state_a, confidentiality=Confidentiality.UNDER_SEAL)
              for _ in range(3)]
    client = client_for(cleared_registry_user)
    client.get("/api/v1/requests/")  # the session's first call
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/requests/").status_code == 200
    audit = [query["sql"] for query in captured if "audit_auditevent" in query["sql"]]
    assert len(audit) == 1 and audit[0].startswith('INSERT INTO "audit_auditevent"')
    assert not [query for query in captured if query["sql"] in ("BEGIN", "COMMIT")]
    new = AuditEvent.objects.order_by("id")[before:]
    assert sorted(int(event.object_id) for event in new) == sorted(request.pk for request in sealed)
    assert {(event.kind, event.username, event.occurred_at.tzinfo is not None) for event in new} == {
        (AuditKind.SEALED_VIEW, "registry-cleared", True)}


def test_warrants_under_seal_shown_in_lists_are_recorded_page_and_api(cleared_registry_user, registry_user):
    """Only warrants under seal today: not a public one, not one unsealed since."""
    sealed = [factories.ArrestWarrantFactory(person_name=f"{SEALED_PERSON}-{n}", under_seal=True) for n in (1, 2)]
    factories.ArrestWarrantFactory()
    factories.ArrestWarrantFactory(under_seal=True, unsealed_on=datetime.date(2021, 1, 1))
    cleared = client_for(cleared_registry_user)
    for path in (reverse("warrants:list"), "/api/v1/warrants/"):
        answer = cleared.get(path)
        assert answer.status_code == 200
        assert SEALED_PERSON in answer.content.decode()
        assert SEALED_PERSON not in client_for(registry_user).get(path).content.decode()
    views = events(AuditKind.SEALED_VIEW)
    assert sorted((v.path, v.object_id) for v in views) == sorted(
        (path, str(warrant.pk)) for path in (reverse("warrants:list"), "/api/v1/warrants/") for warrant in sealed
    )
    assert {(v.username, v.object_type) for v in views} == {("registry-cleared", "warrants_app.arrestwarrant")}
    assert not [v for v in views if SEALED_PERSON in as_text(v)]


def test_requests_under_seal_listed_on_a_warrant_page_are_recorded(cleared_registry_user, registry_user,
                                                                     focal_point_a, state_a):
    """A warrant's page lists the requests linked to it (to registry staff): each one under seal that it shows is
    recorded, naming the warrant; none for the ordinary request beside it, none for a reader not shown the sealed
    one (registry staff without clearance, a focal point of the requested State: no list of links at all)."""
    sealed = transmitted_request(cleared_registry_user, state_a, confidentiality=Confidentiality.UNDER_SEAL)
    ordinary = transmitted_request(registry_user, state_a)
    warrant = factories.ArrestWarrantFactory()
    warrant.linked_requests.set([sealed, ordinary])
    page = reverse("warrants:detail", args=[warrant.pk])
    for user, shown in ((cleared_registry_user, {sealed, ordinary}), (registry_user, {ordinary}),
                        (focal_point_a, set())):
        answer = client_for(user).get(page)
        assert answer.status_code == 200
        assert {linked for linked in (sealed, ordinary) if linked.reference in answer.content.decode()} == shown
    views = events(AuditKind.SEALED_VIEW)
    assert [(v.username, v.object_type, v.object_id, v.path, v.detail) for v in views] == [
        ("registry-cleared", "requests_app.cooperationrequest", str(sealed.pk), page,
         {"shown_in": f"warrants_app.arrestwarrant {warrant.pk}"}),
    ]


def test_records_under_seal_shown_in_the_admin_are_recorded(state_a):
    """The admin's list, change and history pages record each request and warrant under seal they show, as the
    portal's pages do (detail: which admin page); the ordinary ones beside them are not recorded."""
    staff = factories.RegistryStaffFactory(username="staff-cleared", sealed_clearance=True)
    sealed = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    ordinary = factories.CooperationRequestFactory(partner=state_a)
    sealed_warrant = factories.ArrestWarrantFactory(person_name=SEALED_PERSON, under_seal=True)
    public_warrant = factories.ArrestWarrantFactory()
    client = client_for(staff)
    for model, shown in (("requests_app_cooperationrequest", (sealed, ordinary)),
                         ("warrants_app_arrestwarrant", (sealed_warrant, public_warrant))):
        assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200
        for obj in shown:
            for page in ("change", "history"):
                assert client.get(reverse(f"admin:{model}_{page}", args=[obj.pk])).status_code == 200
    recorded = [(v.object_type, v.object_id, v.detail["shown_in"]) for v in events(AuditKind.SEALED_VIEW)]
    assert recorded == [
        ("requests_app.cooperationrequest", str(sealed.pk), "admin list"),
        ("requests_app.cooperationrequest", str(sealed.pk), "admin"),
        ("requests_app.cooperationrequest", str(sealed.pk), "admin history"),
        ("warrants_app.arrestwarrant", str(sealed_warrant.pk), "admin list"),
        ("warrants_app.arrestwarrant", str(sealed_warrant.pk), "admin"),
        ("warrants_app.arrestwarrant", str(sealed_warrant.pk), "admin history"),
    ]
    assert {v.username for v in events(AuditKind.SEALED_VIEW)} == {"staff-cleared"}


def test_the_client_address_behind_trusted_proxies(settings, focal_point_a):
    """With one trusted proxy, the address it appended is recorded, not what the client claimed before it."""
    settings.PORTAL_AUDIT_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.23")
    client.post(reverse("login"), {"username": focal_point_a.username, "password": PASSWORD})
    settings.PORTAL_AUDIT_PROXY_COUNT = 0
    Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4").post(
        reverse("login"), {"username": focal_point_a.username, "password": PASSWORD}
    )
    assert [e.ip_address for e in events(AuditKind.LOGIN)] == ["198.51.100.23", "10.0.0.2"]
