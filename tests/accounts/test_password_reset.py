"""Password reset by e-mail (Django's views, the message sent by a task): the same answer, and the same work during
the request, for a known and an unknown address; mail only to a known active account; a link that works once.

The page's queued message is a Celery signature; `deliver` runs it here, as a worker would (the worker itself is
tested in tests/requests_app/test_tasks_worker.py)."""

import re
import socket
from collections.abc import Callable

import pytest
from celery.canvas import Signature
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


@pytest.fixture
def ask_reset(django_capture_on_commit_callbacks) -> Callable[..., tuple]:
    """Asks for a reset on the page; returns the answer (redirect followed) and the messages queued once the request
    committed, which are not sent."""

    def ask(email: str, client: Client | None = None) -> tuple:
        client = client or Client(enforce_csrf_checks=True)
        page = client.get(reverse("password_reset"))
        assert page.status_code == 200
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(reverse("password_reset"), {"email": email,
                                                               "csrfmiddlewaretoken": _csrf(page.text)}, follow=True)
        return response, [callback.__self__ for callback in callbacks]  # each callback is `signature.delay`

    return ask


def deliver(messages: list[Signature]) -> None:
    for message in messages:
        message()  # the task's body, here and now


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


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_gets_mail(user, ask_reset):
    """Both end on the same page with the same text, and each queues one message of the same task and shape, with
    nothing sent during the request; delivered, they make one message, to the account's address."""
    known, known_queued = ask_reset("forgetful@example.org")
    unknown, unknown_queued = ask_reset("nobody@example.org")
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.status_code == unknown.status_code == 200
    assert _comparable(known.text) == _comparable(unknown.text)
    assert "If the address you entered belongs to an account" in known.text
    assert mail.outbox == []
    assert len(known_queued) == len(unknown_queued) == 1
    assert known_queued[0].task == unknown_queued[0].task == "accounts.tasks.send_password_reset"
    assert known_queued[0].kwargs == {"email": "forgetful@example.org", "domain": "testserver", "use_https": False,
                                      "language": "en"}
    assert unknown_queued[0].kwargs == {**known_queued[0].kwargs, "email": "nobody@example.org"}
    deliver(known_queued + unknown_queued)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@example.org"]
    assert mail.outbox[0].subject == "Cooperation Portal: choose a new password"


def test_an_inactive_account_gets_no_mail_and_the_same_answer(user, ask_reset):
    user.is_active = False
    user.save()
    response, queued = ask_reset("forgetful@example.org")
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    deliver(queued)
    assert len(queued) == 1
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["", "not an address", "x" * 300 + "@example.org"])
def test_a_bad_address_is_a_400_with_the_form_and_nothing_queued(db, ask_reset, email):
    response, queued = ask_reset(email)
    assert response.status_code == 400
    assert response.redirect_chain == []
    assert 'data-testid="error-email"' in response.text and 'aria-invalid="true"' in response.text
    assert queued == []


def test_with_the_mail_server_down_a_known_address_gets_the_same_answer(user, ask_reset, settings, caplog):
    """The page does not talk to the mail server: it answers as usual, and the task meets the failure, which Django's
    form logs without the address."""
    with socket.socket() as probe:  # a local port with nothing listening
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    response, queued = ask_reset("forgetful@example.org")
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert "If the address you entered belongs to an account" in response.text
    deliver(queued)
    assert mail.outbox == []
    [record] = [record for record in caplog.records if record.name == "django.contrib.auth"]
    assert record.getMessage() == f"Failed to send password reset email to {user.pk}"
    assert isinstance(record.exc_info[1], ConnectionRefusedError)


def test_the_link_sets_a_new_password_once(user, ask_reset):
    """The mailed link opens the form; the new password logs in; the same link then says it is no longer valid."""
    deliver(ask_reset("forgetful@example.org")[1])
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    client = Client(enforce_csrf_checks=True)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert '<label class="form-label" for="id_new_password1">' in form.text
    set_url = form.redirect_chain[-1][0]
    mismatch = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "something else entirely",
                                     "csrfmiddlewaretoken": _csrf(form.text)})
    assert mismatch.status_code == 400
    assert 'id="id_new_password2-errors"' in mismatch.text
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
                                 "csrfmiddlewaretoken": _csrf(mismatch.text)}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert "Your new password is saved" in done.text
    login = Client()
    assert login.post(reverse("login"), {"username": "forgetful", "password": NEW_PASSWORD}).status_code == 302
    again = Client().get(link, follow=True)
    assert 'data-testid="reset-link-invalid"' in again.text


def test_the_pages_and_the_mail_are_translated(user, ask_reset):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="fr")
    response, queued = ask_reset("forgetful@example.org", client)
    deliver(queued)
    assert '<html lang="fr">' in response.text
    assert "Vérifiez vos courriels" in response.text
    assert mail.outbox[0].subject == "Portail de la coopération : choisir un nouveau mot de passe"
