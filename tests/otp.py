"""Second-factor helpers for tests: real TOTP codes from a user's device, and the forced-login shortcut."""

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cooperation_portal.accounts.models import User


def otp_code(user: User) -> str:
    """The code the user's authenticator app would show now, as a string of digits.

    django-otp refuses a time step it already accepted (replay), so after a recent login this is the next step's
    code, which the device accepts within its tolerance of one step.
    """
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time = device.t0 + (device.last_t + 1) * device.step
    return str(totp.token()).zfill(device.digits)


def mark_otp_verified(client: Client, user: User) -> None:
    """Test shortcut: what django_otp.login does after a right code, done on a client's session directly.

    Only for clients logged in with `force_login`, which skips the login form and so the code step too; the
    second-factor flow itself is tested through the real pages (tests/accounts/test_two_factor.py).
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
