"""Login throttling (django-axes) through the real login forms: five failures for a username from one address lock
that pair out for the cool-off, with a clear page that is the same whether the account exists or not."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LIMIT = 5


def _csrf(client: Client, url: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).text)
    assert match
    return match.group(1)


def post_login(client: Client, username: str, password: str, url: str | None = None, **extra):
    url = url or reverse("login")
    return client.post(url, {"username": username, "password": password, "csrfmiddlewaretoken": _csrf(client, url)},
                       **extra)


def fail(client: Client, username: str, times: int, url: str | None = None, **extra):
    return [post_login(client, username, "wrong password", url, **extra) for _ in range(times)]


def _comparable(html: str) -> str:
    """The page without what differs on every response anyway: the clock and the CSRF token."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r"\b\d{2}:\d{2}\b", "HH:MM", html)


@pytest.fixture
def user(db):
    return factories.FocalPointFactory(username="focal-lock")


def test_five_failures_lock_the_login_even_for_the_right_password(user):
    """Four wrong passwords re-show the form; the fifth gets the lock-out page (429, Retry-After); then even the
    right password is refused with the same page, and no session is opened."""
    client = Client(enforce_csrf_checks=True)
    responses = fail(client, user.username, LIMIT)
    assert [r.status_code for r in responses[:-1]] == [400] * (LIMIT - 1)
    assert "correct username and password" in responses[0].text
    locked = responses[-1]
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert "Login temporarily locked" in locked.text
    assert "Logging in is locked for 15 minutes" in locked.text
    assert re.search(r"Try again after \d{2}:\d{2}", locked.text)
    after = post_login(client, user.username, PASSWORD)
    assert after.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_an_unknown_username_is_locked_the_same_way(user):
    """The page, status and header for a username that does not exist are those for a real account."""
    real = fail(Client(), user.username, LIMIT)[-1]
    unknown = fail(Client(), "no-such-user", LIMIT)[-1]
    assert (real.status_code, real["Retry-After"]) == (unknown.status_code, unknown["Retry-After"])
    assert _comparable(real.text) == _comparable(unknown.text)


def test_the_lock_is_per_username_and_address(user):
    """Another address logs in as the same user; the locked address logs in as another user."""
    fail(Client(), user.username, LIMIT, REMOTE_ADDR="203.0.113.7")
    elsewhere = post_login(Client(), user.username, PASSWORD, REMOTE_ADDR="198.51.100.2")
    assert elsewhere.status_code == 302
    other = factories.FacilitatorFactory(username="other-user")
    same_address = post_login(Client(), other.username, PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert same_address.status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(user):
    """Without a trusted proxy configured, X-Forwarded-For is ignored: changing it on each try changes nothing."""
    client = Client()
    for n in range(LIMIT):
        post_login(client, user.username, "wrong password", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = post_login(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429


def test_the_lock_ends_after_the_cool_off(user):
    """Once the cool-off has passed since the last failure, the right password logs in again (time is moved by
    ageing the stored attempt, not by waiting)."""
    client = Client()
    fail(client, user.username, LIMIT)
    assert post_login(client, user.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16))
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_success_before_the_limit_resets_the_count(user):
    """Four failures, a success, then four more failures: no lock-out, as the count started again."""
    client = Client()
    fail(client, user.username, LIMIT - 1)
    assert post_login(client, user.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert [r.status_code for r in fail(client, user.username, LIMIT - 1)] == [400] * (LIMIT - 1)


def test_the_admin_login_is_throttled_too(db):
    """The admin's own login form counts failures and locks out the same way."""
    staff = factories.RegistryStaffFactory(username="staff-lock")
    client = Client()
    url = reverse("admin:login")
    responses = fail(client, staff.username, LIMIT, url)
    assert [r.status_code for r in responses[:-1]] == [200] * (LIMIT - 1)
    assert responses[-1].status_code == 429
    assert "Login temporarily locked" in responses[-1].text
    assert post_login(client, staff.username, PASSWORD, url).status_code == 429


def test_the_lock_out_page_is_translated(user):
    """In French, the page says the same in French."""
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    locked = fail(client, user.username, LIMIT)[-1]
    assert locked.status_code == 429
    assert '<html lang="fr">' in locked.text
    assert "Connexion temporairement bloquée" in locked.text
