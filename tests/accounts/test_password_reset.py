"""Password reset by e-mail (Django's views): the same answer for a known and an unknown address, mail only to a
known active account, a link that works once."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh and rather long passphrase 42"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match
    return match.group(1)


def ask_reset(email: str, client: Client | None = None):
    client = client or Client(enforce_csrf_checks=True)
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200
    return client.post(reverse("password_reset"), {"email": email, "csrfmiddlewaretoken": _csrf(page.text)},
                       follow=True)


def _comparable(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def user(db):
    return factories.FocalPointFactory(username="forgetful", email="forgetful@example.org")


def test_the_form_is_linked_from_the_login_page_and_labelled(client, db):
    login = client.get(reverse("login"))
    assert f'href="{reverse("password_reset")}"' in login.text
    page = client.get(reverse("password_reset"))
    assert '<label class="form-label" for="id_email">' in page.text
    assert 'autocomplete="email"' in page.text


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_gets_mail(user):
    """Both end on the same page with the same text; one message, to the account's address."""
    known = ask_reset("forgetful@example.org")
    unknown = ask_reset("nobody@example.org")
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.status_code == unknown.status_code == 200
    assert _comparable(known.text) == _comparable(unknown.text)
    assert "If the address you entered belongs to an account" in known.text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@example.org"]
    assert mail.outbox[0].subject == "Cooperation Portal: choose a new password"


def test_an_inactive_account_gets_no_mail_and_the_same_answer(user):
    user.is_active = False
    user.save()
    response = ask_reset("forgetful@example.org")
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert mail.outbox == []


def test_the_link_sets_a_new_password_once(user):
    """The mailed link opens the form; the new password logs in; the same link then says it is no longer valid."""
    ask_reset("forgetful@example.org")
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    client = Client(enforce_csrf_checks=True)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert '<label class="form-label" for="id_new_password1">' in form.text
    set_url = form.redirect_chain[-1][0]
    mismatch = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "something else entirely",
                                     "csrfmiddlewaretoken": _csrf(form.text)})
    assert mismatch.status_code == 200
    assert 'id="id_new_password2-errors"' in mismatch.text
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
                                 "csrfmiddlewaretoken": _csrf(mismatch.text)}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert "Your new password is saved" in done.text
    login = Client()
    assert login.post(reverse("login"), {"username": "forgetful", "password": NEW_PASSWORD}).status_code == 302
    again = Client().get(link, follow=True)
    assert 'data-testid="reset-link-invalid"' in again.text


def test_the_pages_and_the_mail_are_translated(user):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="fr")
    response = ask_reset("forgetful@example.org", client)
    assert '<html lang="fr">' in response.text
    assert "Vérifiez vos courriels" in response.text
    assert mail.outbox[0].subject == "Portail de la coopération : choisir un nouveau mot de passe"
