"""Input shape of the account pages: the one-time code step, the request for a password reset."""

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice


class OneTimeCodeForm(forms.Form):
    """A code from the user's authenticator app, checked against `devices` (django-otp throttles wrong codes)."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=10,
        help_text=_("Six digits; a new code appears every 30 seconds."),
    )
    device: TOTPDevice | None = None

    def __init__(self, *args: Any, devices: list[TOTPDevice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.devices = devices

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit():
            raise forms.ValidationError(_("Enter the digits your authenticator app shows."), code="not_digits")
        if not any(device.verify_is_allowed()[0] for device in self.devices):
            raise forms.ValidationError(
                _("Too many wrong codes in a row. Wait a minute, then enter the current code."), code="throttled"
            )
        for device in self.devices:
            if device.verify_token(code):
                self.device = device
                return code
        raise forms.ValidationError(_("That code is wrong or has expired. Enter the current code."), code="wrong")


class PasswordResetRequestForm(PasswordResetForm):
    """Django's form, whose message is written and sent by a task once the request has answered.

    Django's own `save` looks the address up and, for an account only, renders and sends the mail during the
    request, so a known address was answered later than an unknown one (the mail server's round trips): the time
    of the answer told whether an address has an account. Here every valid address queues one message the same
    way, and the task finds the accounts.
    """

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Queues the message after the commit. The view's template and token options are not passed on: the
        task's are its own (accounts/services.py)."""
        from .tasks import send_password_reset

        request = kwargs["request"]
        message = send_password_reset.s(
            email=self.cleaned_data["email"],
            domain=kwargs.get("domain_override") or get_current_site(request).domain,
            use_https=bool(kwargs.get("use_https")),
            language=translation.get_language(),
        )
        transaction.on_commit(message.delay)
