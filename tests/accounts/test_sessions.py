"""Sessions: idle and absolute time-outs (times moved by editing the session's stored timestamps, never by
sleeping), and a deactivated user's sessions and API token ended at once."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cooperation_portal.accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from cooperation_portal.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

MINUTE = 60


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    return client


def shift(client: Client, *, started: float | None = None, seen: float | None = None) -> None:
    """Move the session's login and last-request times this many seconds into the past."""
    session = client.session
    now = time.time()
    if started is not None:
        session[SESSION_STARTED_KEY] = now - started
    if seen is not None:
        session[SESSION_SEEN_KEY] = now - seen
    session.save()


def test_login_records_both_times(focal_point_a):
    client = logged_in(focal_point_a)
    started, seen = client.session[SESSION_STARTED_KEY], client.session[SESSION_SEEN_KEY]
    assert abs(started - time.time()) < 60 and abs(seen - time.time()) < 60


def test_a_session_idle_for_longer_than_the_limit_ends(focal_point_a):
    """31 minutes without a request: the next page goes to the login page with a message, and the session is over."""
    client = logged_in(focal_point_a)
    shift(client, seen=31 * MINUTE)
    response = client.get("/requests/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/requests/"
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"])
    assert "Your session has expired. Please log in again." in login_page.text
    assert client.get("/").status_code == 302


def test_activity_within_the_idle_limit_keeps_the_session(focal_point_a):
    """29 minutes idle is within the limit; the request moves the last-seen time forward."""
    client = logged_in(focal_point_a)
    shift(client, seen=29 * MINUTE)
    assert client.get("/").status_code == 200
    assert time.time() - client.session[SESSION_SEEN_KEY] < 60


def test_an_active_session_still_ends_after_the_absolute_limit(focal_point_a):
    """Active a second ago, but logged in 12 hours and a minute ago: the session ends all the same."""
    client = logged_in(focal_point_a)
    shift(client, started=12 * 60 * MINUTE + MINUTE, seen=1)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_the_limits_come_from_the_settings(settings, focal_point_a):
    """PORTAL_SESSION_IDLE_MINUTES sets the idle limit (here 5 minutes): 6 minutes idle ends the session."""
    settings.PORTAL_SESSION_IDLE_TIMEOUT = settings.PORTAL_SESSION_IDLE_TIMEOUT / 6
    client = logged_in(focal_point_a)
    shift(client, seen=6 * MINUTE)
    assert client.get("/").status_code == 302


def test_an_expired_session_gets_no_data_from_the_api(focal_point_a):
    """The API answers a timed-out session as an anonymous caller (401/403), never with data."""
    client = logged_in(focal_point_a)
    shift(client, seen=31 * MINUTE)
    response = client.get("/api/v1/partners/", HTTP_ACCEPT="application/json")
    assert response.status_code in (401, 403)
    assert "_auth_user_id" not in client.session


def test_an_htmx_request_is_sent_to_the_login_page_as_a_whole(focal_point_a):
    """A timed-out htmx request gets HX-Redirect, so the login page replaces the page rather than a fragment."""
    client = logged_in(focal_point_a)
    shift(client, seen=31 * MINUTE)
    response = client.get("/requests/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("login"))


def _sessions_of(user: User) -> list[str]:
    return [s.session_key for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]


def test_deactivating_a_user_in_the_admin_ends_all_their_sessions_and_token(admin_client, focal_point_a, facilitator):
    """Two live sessions and a token of one user: unticking "active" in the admin deletes them all at once; another
    user's session is untouched."""
    first, second = logged_in(focal_point_a), logged_in(focal_point_a)
    bystander = logged_in(facilitator)
    token = Token.objects.create(user=focal_point_a)
    assert len(_sessions_of(focal_point_a)) == 2
    page = admin_client.get(reverse("admin:accounts_user_change", args=[focal_point_a.pk]))
    data = factories.admin_form_data(page)
    data.pop("is_active", None)
    response = admin_client.post(reverse("admin:accounts_user_change", args=[focal_point_a.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert not User.objects.get(pk=focal_point_a.pk).is_active
    assert _sessions_of(focal_point_a) == []
    assert not Token.objects.filter(pk=token.pk).exists()
    for client in (first, second):
        assert client.get("/").status_code == 302
    assert Client().get("/api/v1/partners/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401
    assert bystander.get("/").status_code == 200


def test_deactivating_through_code_ends_the_sessions_too(focal_point_a):
    """Any save that turns is_active off, not only the admin's, ends the sessions."""
    client = logged_in(focal_point_a)
    focal_point_a.is_active = False
    focal_point_a.save()
    assert _sessions_of(focal_point_a) == []
    assert client.get("/").status_code == 302


def test_other_changes_to_a_user_leave_their_sessions_alone(focal_point_a):
    client = logged_in(focal_point_a)
    focal_point_a.first_name = "Renamed"
    focal_point_a.save()
    assert len(_sessions_of(focal_point_a)) == 1
    assert client.get("/").status_code == 200
