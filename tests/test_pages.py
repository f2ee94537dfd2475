"""The base pages every role goes through: login, home with its figures, health check, language switch."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from cooperation_portal.accounts.models import User
from cooperation_portal.accounts.two_factor import requires_two_factor
from cooperation_portal.dates import court_today
from requests_app.choices import Confidentiality, Status

from . import factories
from .otp import otp_code

PASSWORD = "correct horse battery staple"  # the password tests/factories.py gives every user


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the page has no CSRF token field"
    return match.group(1)


def _log_in_through_form(client: Client, username: str) -> None:
    """Fill in and post the login form as a browser would, CSRF token included."""
    page = client.get(reverse("login"))
    response = client.post(
        reverse("login"),
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": _csrf_token(page.text), "next": ""},
    )
    assert response.status_code == 302, response.text
    assert response["Location"] == reverse("home")
    user = User.objects.get(username=username)
    if requires_two_factor(user):
        # Registry staff and administrators then confirm with the code from their authenticator app.
        verify = client.get(reverse("two_factor_verify"))
        response = client.post(
            reverse("two_factor_verify"),
            {"code": otp_code(user), "next": "/", "csrfmiddlewaretoken": _csrf_token(verify.text)},
        )
        assert response.status_code == 302, response.text
        assert response["Location"] == reverse("home")


def _figure(html: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}">\s*(\d+)\s*<', html)
    assert match, f"no {testid} figure on the page"
    return int(match.group(1))


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF like a browser session, so a form post without its token fails."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def requests_on_two_partners(state_a, state_b):
    """Requests on two States, relative to the Court's today:

    State A: one overdue, one not yet due, one overdue but with its clock paused, one executed, one draft.
    State B: one overdue, and one under seal that registry staff without clearance do not see.
    """
    today = court_today()
    long_ago = today - datetime.timedelta(days=90)
    past = today - datetime.timedelta(days=5)
    future = today + datetime.timedelta(days=30)
    make = factories.CooperationRequestFactory
    make(partner=state_a, transmitted_on=long_ago, due_on=past)
    make(partner=state_a, transmitted_on=long_ago, due_on=future, status=Status.ACKNOWLEDGED)
    make(partner=state_a, transmitted_on=long_ago, due_on=past, clock_paused_since=past, status=Status.IN_EXECUTION)
    make(partner=state_a, transmitted_on=long_ago, due_on=past, status=Status.EXECUTED)
    make(partner=state_a, transmitted_on=None, due_on=None, status=Status.DRAFT)
    make(partner=state_b, transmitted_on=long_ago, due_on=past)
    make(partner=state_b, transmitted_on=long_ago, due_on=past, confidentiality=Confidentiality.UNDER_SEAL)


def test_login_page_renders_a_labelled_form(client, db):
    """The login page answers 200 with a label tied to each field, inside the main landmark of an English page."""
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en">' in html
    assert '<main id="main"' in html
    assert 'href="#main"' in html  # the skip link
    for field_id in ("id_username", "id_password"):
        assert f'<label class="form-label" for="{field_id}">' in html
        assert f'id="{field_id}"' in html


def test_wrong_password_shows_an_error_and_does_not_log_in(csrf_client, registry_user):
    """A wrong password re-displays the form (400, as any form sent with errors) with an error announced to assistive
    technology, and no session."""
    page = csrf_client.get(reverse("login"))
    response = csrf_client.post(
        reverse("login"),
        {"username": registry_user.username, "password": "wrong", "csrfmiddlewaretoken": _csrf_token(page.text)},
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert "correct username and password" in response.text
    assert csrf_client.get(reverse("home")).status_code == 302


def test_login_post_without_csrf_token_is_refused(csrf_client, registry_user):
    """The login form is protected against cross-site posts."""
    response = csrf_client.post(reverse("login"), {"username": registry_user.username, "password": PASSWORD})
    assert response.status_code == 403


def test_anonymous_visitor_is_sent_to_login(client, db):
    """Home is for logged-in users; an anonymous visitor is redirected to the login page with a return address."""
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_registry_staff_sees_every_open_request_but_sealed_ones(csrf_client, registry_user, requests_on_two_partners):
    """Registry staff without sealed clearance count open and overdue requests of every partner, sealed excluded."""
    _log_in_through_form(csrf_client, registry_user.username)
    response = csrf_client.get(reverse("home"))
    assert response.status_code == 200
    html = response.text
    assert "Registry staff" in html
    assert "As Registry staff" in html
    assert (_figure(html, "open-count"), _figure(html, "overdue-count")) == (4, 2)


def test_focal_point_sees_only_their_partner_figures(csrf_client, focal_point_a, requests_on_two_partners):
    """A focal point counts only requests transmitted to their own partner; the nav names role and partner."""
    _log_in_through_form(csrf_client, focal_point_a.username)
    response = csrf_client.get(reverse("home"))
    assert response.status_code == 200
    html = response.text
    assert '<span data-testid="current-role">Focal point</span>' in html
    assert '<span data-testid="current-partner">Netherlands</span>' in html
    assert "As focal point for Netherlands" in html
    assert (_figure(html, "open-count"), _figure(html, "overdue-count")) == (3, 1)


def test_facilitator_counts_without_seeing_any_request(csrf_client, facilitator, requests_on_two_partners):
    """A facilitator gets totals (nothing under seal) and no request one by one: no link to any request."""
    _log_in_through_form(csrf_client, facilitator.username)
    response = csrf_client.get(reverse("home"))
    assert response.status_code == 200
    html = response.text
    assert "As facilitator" in html
    assert (_figure(html, "open-count"), _figure(html, "overdue-count")) == (4, 2)
    assert "/requests/" not in html


def test_logout_is_a_post_and_ends_the_session(csrf_client, registry_user):
    """The logout button posts (with its token); afterwards home sends the visitor back to login."""
    _log_in_through_form(csrf_client, registry_user.username)
    home = csrf_client.get(reverse("home"))
    assert f'<form action="{reverse("logout")}" method="post">' in home.text
    response = csrf_client.post(reverse("logout"), {"csrfmiddlewaretoken": _csrf_token(home.text)})
    assert response.status_code == 302
    assert csrf_client.get(reverse("home")).status_code == 302


def test_healthz_answers_ok(client, db):
    """The health check used by docker-compose answers 200 with a JSON status, without logging in."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_switching_to_french_translates_the_pages(csrf_client, focal_point_a, requests_on_two_partners):
    """Posting FR to the language switcher turns the same home page into French, and marks the page lang="fr"."""
    _log_in_through_form(csrf_client, focal_point_a.username)
    home = csrf_client.get(reverse("home"))
    assert "Open requests" in home.text
    response = csrf_client.post(
        reverse("set_language"), {"language": "fr", "next": "/", "csrfmiddlewaretoken": _csrf_token(home.text)}
    )
    assert response.status_code == 302
    french = csrf_client.get(reverse("home")).text
    assert '<html lang="fr">' in french
    assert "Demandes ouvertes" in french
    assert "Se déconnecter" in french
    assert "Open requests" not in french
    assert (_figure(french, "open-count"), _figure(french, "overdue-count")) == (3, 1)
