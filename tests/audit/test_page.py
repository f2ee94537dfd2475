"""The audit trail is read by administrators only, at /audit/ and in the admin; nobody adds, changes or deletes.

Every role is walked through both, as the request pages are in tests/requests_app/test_pages_by_role.py.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from cooperation_portal.accounts.choices import Role
from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.models import AuditEvent
from cooperation_portal.audit.services import audit_record
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "registry", "registry_cleared", "focal_a", "facilitator", "administrator")
LOGIN = 302
PAGE = dict.fromkeys(ROLES, 403) | {"anonymous": LOGIN, "administrator": 200}
# The admin sends anyone who is not staff to its login page; staff without the right get 403.
ADMIN_LIST = {"anonymous": LOGIN, "registry": 403, "registry_cleared": 403, "focal_a": LOGIN, "facilitator": LOGIN,
              "administrator": 200}


@pytest.fixture
def administrator(db):
    return factories.UserFactory(username="admin", role=Role.ADMINISTRATOR, is_staff=True)


@pytest.fixture
def users(registry_user, cleared_registry_user, focal_point_a, facilitator, administrator):
    return {"anonymous": None, "registry": registry_user, "registry_cleared": cleared_registry_user,
            "focal_a": focal_point_a, "facilitator": facilitator, "administrator": administrator}


@pytest.fixture
def trail(db) -> list[AuditEvent]:
    recorded = [
        audit_record(kind=AuditKind.LOGIN_FAILED, username="mallory-marker"),
        audit_record(kind=AuditKind.EXPORT, username="registry", detail={"format": "csv"}),
    ]
    return [event for event in recorded if event is not None]


def client_as(users, role: str) -> Client:
    client = Client()
    if users[role] is not None:
        client.force_login(users[role])
    return client


@pytest.mark.parametrize("role", ROLES)
def test_audit_page_by_role(role, users, trail):
    response = client_as(users, role).get(reverse("audit:list"))
    assert response.status_code == PAGE[role]
    if response.status_code == LOGIN:
        assert response["Location"].startswith(reverse("login"))
    assert ("mallory-marker" in response.text) == (role == "administrator")


@pytest.mark.parametrize("role", ROLES)
def test_admin_changelist_by_role(role, users, trail):
    response = client_as(users, role).get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == ADMIN_LIST[role]
    assert ("mallory-marker" in response.text) == (role == "administrator")


def test_page_shows_times_in_utc_newest_first_and_filters(users, trail):
    client = client_as(users, "administrator")
    page = client.get(reverse("audit:list")).text
    assert page.index("mallory-marker") > page.index('data-kind="export"')  # newest first
    stamp = trail[0].occurred_at.astimezone(datetime.UTC)
    assert f"{stamp:%Y-%m-%d %H:%M:%S} UTC" in page
    filtered = client.get(reverse("audit:list"), {"kind": AuditKind.EXPORT}).text
    assert 'data-kind="export"' in filtered and "mallory-marker" not in filtered
    by_name = client.get(reverse("audit:list"), {"username": "mallory-marker"}).text
    assert "mallory-marker" in by_name and 'data-kind="export"' not in by_name
    today = stamp.date()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert "mallory-marker" in client.get(reverse("audit:list"), {"day_after": today.isoformat()}).text
    assert "mallory-marker" not in client.get(reverse("audit:list"), {"day_after": tomorrow}).text


def test_page_refuses_a_bad_address_filter_with_a_message(users, trail):
    response = client_as(users, "administrator").get(reverse("audit:list"), {"ip_address": "not-an-address"})
    assert response.status_code == 400
    assert "Enter a valid IPv4 or IPv6 address." in response.text


def test_admin_offers_no_add_change_or_delete(users, trail):
    """Not even to a superuser: the rows are only read."""
    superuser = factories.UserFactory(username="root", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    event = trail[0]
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200  # the view-only page
    assert 'name="_save"' not in change.text
    assert client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"username": "x"}).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    listing = client.get(reverse("admin:audit_auditevent_changelist"), {"q": "mallory"})
    assert "mallory-marker" in listing.text and 'name="action"' not in listing.text
    assert AuditEvent.objects.get(pk=event.pk).username == "mallory-marker"


def test_page_speaks_french(users, trail):
    page = client_as(users, "administrator").get(reverse("audit:list"), HTTP_ACCEPT_LANGUAGE="fr").text
    assert "Journal d&#x27;audit" in page or "Journal d'audit" in page
    assert "Échec de connexion" in page and "Login failed" not in page
