"""Every page of requests_app.urls under every role, with the status each role must get.

The table is checked against the URL patterns themselves: a page added without a row here fails the test.
State B's focal point (and the facilitator) must never see anything of State A: every response they get is
searched for A's marker strings, and A's requests must be unchanged after they POST to every page.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cooperation_portal.accounts.models import User
from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification, NotificationKind
from requests_app import services
from requests_app.choices import Organ, PauseReason, RequestType, Status
from requests_app.models import CooperationRequest, RequestEvent
from requests_app.urls import urlpatterns
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# Strings that exist only in State A's data; none may reach B's focal point or the facilitator.
A_MARKERS = ("A-MARKER-REF", "MARKER-A-SUBJECT-7f3c", "MARKER-A-MESSAGE-91b2", "marker-a-evidence-5d1e",
             "MARKER-A-NOTICE-3e4f")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLES = ("anonymous", "registry", "focal_a", "focal_b", "facilitator")


@dataclass
class World:
    users: dict[str, User | None]
    transmitted: CooperationRequest
    draft: CooperationRequest
    paused: CooperationRequest
    executed: CooperationRequest
    provisional_arrest: CooperationRequest
    arrest_recorded: CooperationRequest
    attachment_pk: int
    notification_pk: int

    def requests_of_a(self) -> list[CooperationRequest]:
        return [self.transmitted, self.draft, self.paused, self.executed, self.provisional_arrest,
                self.arrest_recorded]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(registry_user, focal_point_a, focal_point_b, facilitator, state_a, state_b) -> World:
    counter = iter(range(1, 100))

    def draft(**fields):
        fields.setdefault("request_type", RequestType.EVIDENCE)
        return services.request_create(
            actor=registry_user, partner=state_a, organ=Organ.REGISTRY,
            subject=f"MARKER-A-SUBJECT-7f3c {fields.pop('label', '')}", reference=f"A-MARKER-REF-{next(counter):04d}",
            **fields,
        )

    def transmit(coop_request):
        return services.request_transition(coop_request=coop_request, actor=registry_user,
                                           to_status=Status.TRANSMITTED)

    transmitted = transmit(draft(label="transmitted"))
    event = services.request_add_message(
        coop_request=transmitted, actor=registry_user, body="MARKER-A-MESSAGE-91b2",
        files=[SimpleUploadedFile("marker-a-evidence-5d1e.pdf", PDF)],
    )
    paused = transmit(draft(label="paused"))
    services.request_pause_clock(coop_request=paused, actor=registry_user, reason=PauseReason.POSTPONEMENT_ART94)
    executed = transmit(draft(label="executed"))
    executed = services.request_transition(coop_request=executed, actor=registry_user, to_status=Status.EXECUTED)
    notification = Notification.objects.create(
        recipient=focal_point_a, coop_request=transmitted, kind=NotificationKind.ESCALATION,
        subject="MARKER-A-NOTICE-3e4f", body="Due soon.",
    )
    arrest_recorded = services.request_record_provisional_arrest(
        coop_request=transmit(draft(label="arrest recorded", request_type=RequestType.PROVISIONAL_ARREST)),
        actor=registry_user, arrested_on=court_today(),
    )
    # B has its own request, so that B's pages are not empty for want of data.
    own = services.request_create(actor=registry_user, partner=state_b, organ=Organ.REGISTRY,
                                  request_type=RequestType.EVIDENCE, subject="B's own request")
    transmit(own)
    return World(
        users={"anonymous": None, "registry": registry_user, "focal_a": focal_point_a, "focal_b": focal_point_b,
               "facilitator": facilitator},
        transmitted=transmitted, draft=draft(label="draft"), paused=paused, executed=executed,
        provisional_arrest=transmit(draft(label="provisional arrest", request_type=RequestType.PROVISIONAL_ARREST)),
        arrest_recorded=arrest_recorded,
        attachment_pk=event.attachments.get().pk, notification_pk=notification.pk,
    )


@dataclass(frozen=True)
class Row:
    kwargs: Callable[[World], dict[str, int]]
    statuses: dict[str, int]  # GET status per role


def _on(attr: str) -> Callable[[World], dict[str, int]]:
    return lambda w: {"pk": getattr(w, attr).pk}


NO_KWARGS: Callable[[World], dict[str, int]] = lambda w: {}  # noqa: E731
LOGIN = 302
# Registry and both focal points may use the page; B's focal point gets 404 on A's request (not 403, which would
# tell B the id exists); the facilitator's role never uses these pages.
SHARED_ON_A = {"anonymous": LOGIN, "registry": 200, "focal_a": 200, "focal_b": 404, "facilitator": 403}
REGISTRY_ON_A = {"anonymous": LOGIN, "registry": 200, "focal_a": 403, "focal_b": 403, "facilitator": 403}
LISTS = {"anonymous": LOGIN, "registry": 200, "focal_a": 200, "focal_b": 200, "facilitator": 403}

EXPECTED: dict[str, Row] = {
    "list": Row(NO_KWARGS, LISTS),
    "export_csv": Row(NO_KWARGS, LISTS),
    "export_xlsx": Row(NO_KWARGS, LISTS),
    "create": Row(NO_KWARGS, REGISTRY_ON_A),
    "create_batch": Row(NO_KWARGS, REGISTRY_ON_A),
    "notifications": Row(NO_KWARGS, dict.fromkeys(ROLES, 200) | {"anonymous": LOGIN}),
    "notification_read": Row(
        lambda w: {"pk": w.notification_pk}, dict.fromkeys(ROLES, 405) | {"anonymous": LOGIN}
    ),
    "detail": Row(_on("transmitted"), SHARED_ON_A),
    "edit": Row(_on("transmitted"), REGISTRY_ON_A),
    "transmit": Row(_on("draft"), REGISTRY_ON_A),
    "acknowledge": Row(_on("transmitted"), SHARED_ON_A),
    "start_execution": Row(_on("transmitted"), SHARED_ON_A),
    "outcome": Row(_on("transmitted"), SHARED_ON_A),
    "pause": Row(_on("transmitted"), SHARED_ON_A),
    "resume": Row(_on("paused"), REGISTRY_ON_A),
    "provisional_arrest": Row(_on("provisional_arrest"), SHARED_ON_A),
    # Correcting a recorded arrest date is registry staff's alone.
    "correct_provisional_arrest": Row(_on("arrest_recorded"), REGISTRY_ON_A),
    "message": Row(_on("transmitted"), SHARED_ON_A),
    "close": Row(_on("executed"), REGISTRY_ON_A),
    "withdraw": Row(_on("transmitted"), REGISTRY_ON_A),
    "attachment": Row(lambda w: {"pk": w.transmitted.pk, "attachment_pk": w.attachment_pk}, SHARED_ON_A),
    # Soft deletion is registry staff's alone: a focal point, even of the request's own partner, gets 403.
    "delete": Row(_on("transmitted"), REGISTRY_ON_A),
    "attachment_delete": Row(lambda w: {"pk": w.transmitted.pk, "attachment_pk": w.attachment_pk}, REGISTRY_ON_A),
}


def client_as(world: World, role: str) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    return client


def body_of(response) -> str:
    """The response as text to search; an XLSX is unpacked, since its cells are compressed inside the zip."""
    if not hasattr(response, "_text_for_search"):
        raw = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
        if response.get("Content-Type", "").startswith(XLSX) and response.status_code == 200:
            sheet = load_workbook(io.BytesIO(raw)).active
            text = "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row)
        else:
            text = raw.decode("utf-8", "replace")
        response._text_for_search = text
    return response._text_for_search


def test_every_page_has_a_row_in_the_table():
    """A page added to requests_app.urls without an expected-status row fails here."""
    assert {pattern.name for pattern in urlpatterns} == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_status_by_role(name, role, world):
    """Each role gets the expected status on each page; B and the facilitator never see A's data."""
    row = EXPECTED[name]
    url = reverse(f"requests:{name}", kwargs=row.kwargs(world))
    response = client_as(world, role).get(url)
    assert response.status_code == row.statuses[role], (name, role, body_of(response)[:500])
    if response.status_code == LOGIN:
        assert response["Location"].startswith(reverse("login"))
    if role in ("focal_b", "facilitator", "anonymous"):
        text = body_of(response)
        leaked = [marker for marker in A_MARKERS if marker in text]
        assert not leaked, (name, role, leaked)


@pytest.mark.parametrize("role", ["focal_b", "facilitator", "anonymous"])
def test_posting_to_every_page_changes_nothing_of_a(role, world, media_root):
    """B's focal point, the facilitator and anonymous users POST to every page of A's requests: 302/403/404/405,
    never a 2xx or 500, no leak, and A's requests, events and attachments are unchanged."""
    before = {c.pk: (c.version, c.status) for c in CooperationRequest.objects.all()}
    events_before = RequestEvent.objects.count()
    client = client_as(world, role)
    for name, row in EXPECTED.items():
        url = reverse(f"requests:{name}", kwargs=row.kwargs(world))
        data = {"version": world.transmitted.version, "on": "2026-01-01", "subject": "hijacked", "body": "hijacked",
                "outcome": Status.EXECUTED, "reason": PauseReason.POSTPONEMENT_ART94,
                "arrested_on": court_today().isoformat()}
        response = client.post(url, data)
        assert response.status_code in (302, 403, 404, 405), (name, response.status_code)
        if response.status_code == 302:
            assert role == "anonymous" and response["Location"].startswith(reverse("login")), name
        assert not [marker for marker in A_MARKERS if marker in body_of(response)], name
    after = {c.pk: (c.version, c.status) for c in CooperationRequest.objects.all()}
    assert after == before
    assert RequestEvent.objects.count() == events_before
    assert not CooperationRequest.objects.filter(subject="hijacked").exists()


def test_hidden_request_is_the_same_404_as_a_missing_one(world):
    """For B's focal point, A's request and an id that does not exist give the same answer."""
    client = client_as(world, "focal_b")
    hidden = client.get(reverse("requests:detail", kwargs={"pk": world.transmitted.pk}))
    missing = client.get(reverse("requests:detail", kwargs={"pk": 987654}))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_focal_point_of_a_sees_no_draft_and_registry_without_clearance_no_sealed_request(world, state_a):
    """Drafts are not shown to focal points; a request under seal is a 404 to staff without clearance."""
    assert client_as(world, "focal_a").get(
        reverse("requests:detail", kwargs={"pk": world.draft.pk})
    ).status_code == 404
    sealed = factories.CooperationRequestFactory(partner=state_a, confidentiality="under_seal")
    assert client_as(world, "registry").get(reverse("requests:detail", kwargs={"pk": sealed.pk})).status_code == 404
    cleared = Client()
    cleared.force_login(factories.RegistryFactory(username="cleared", sealed_clearance=True))
    assert cleared.get(reverse("requests:detail", kwargs={"pk": sealed.pk})).status_code == 200


def test_focal_point_b_list_and_exports_hold_none_of_as_requests(world):
    """B's inbox and exports list B's own request and nothing of A."""
    client = client_as(world, "focal_b")
    for name in ("list", "export_csv", "export_xlsx"):
        response = client.get(reverse(f"requests:{name}"))
        assert response.status_code == 200
        assert not [m for m in A_MARKERS if m in body_of(response)]
    assert "B&#x27;s own request" in body_of(client.get(reverse("requests:list")))
    assert "B's own request" in body_of(client.get(reverse("requests:export_xlsx")))
