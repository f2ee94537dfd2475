"""Input shape of the account pages: the one-time code step."""

from typing import Any

from django import forms
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
