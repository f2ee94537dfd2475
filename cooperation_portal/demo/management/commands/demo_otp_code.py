"""Print the current two-factor code of a demo login, for trying the portal without an authenticator app."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP

from cooperation_portal.accounts.models import User
from cooperation_portal.accounts.two_factor import confirmed_device
from cooperation_portal.demo.services import DEMO_EMAIL_DOMAIN


class Command(BaseCommand):
    help = "Print the current 6-digit code of a demo login's authenticator (demo logins only, never a real account)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], email__endswith=DEMO_EMAIL_DOMAIN).first()
        if user is None:
            raise CommandError(f"{options['username']} is not a demo login (load_demo_data creates them).")
        device = confirmed_device(user)
        if device is None:
            raise CommandError(f"{user.username} has no authenticator: this role logs in without a code.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        remaining = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(str(totp.token()).zfill(device.digits))
        self.stderr.write(f"(valid for {remaining} more seconds)")
