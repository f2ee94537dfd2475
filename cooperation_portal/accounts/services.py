"""The writes on accounts: ending a user's sessions and tokens, enrolling and confirming a TOTP device, sending a
password-reset link."""

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from .models import User

DEVICE_NAME = "Authenticator app"
RESET_MAIL_SUBJECT = "registration/password_reset_subject.txt"
RESET_MAIL_BODY = "registration/password_reset_email.txt"


def user_end_sessions(*, user: User) -> int:
    """Delete every live session of `user` and their API token; returns the number of sessions ended.

    Sessions do not name their user in a column, so each unexpired one is decoded: this runs only when an account
    is deactivated, and the table holds one row per signed-in browser.
    """
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    Token.objects.filter(user=user).delete()
    return len(ended)


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """The device being enrolled: the user's unconfirmed one, or a new one with a fresh secret."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=user, name=DEVICE_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice) -> TOTPDevice:
    """Mark an enrolled device confirmed (its first code was right) and drop any other pending enrolment."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).exclude(pk=device.pk).delete()
    return device


def password_reset_send(*, email: str, domain: str, use_https: bool, language: str) -> None:
    """E-mail a one-time link to choose a new password to each active account at `email` that has a usable password
    (Django's PasswordResetForm finds them, makes the token and writes the message), in `language`.

    Run by a task, never during the request (accounts.forms.PasswordResetRequestForm): the page that asked answers
    the same, in the same time, whether or not the address belongs to an account and whether or not the mail server
    is up. The link is made here, when the message is written, so a message queued before a password change carries
    a link that no longer works."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():  # checked by the page already; a message queued by hand could still be malformed
        return
    with translation.override(language):
        form.save(
            domain_override=domain, use_https=use_https,
            subject_template_name=RESET_MAIL_SUBJECT, email_template_name=RESET_MAIL_BODY,
        )
