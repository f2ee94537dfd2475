"""`manage.py load_demo_data --requests N`: synthetic, clearly fictional demo and benchmark data."""

import datetime
import secrets
import time
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cooperation_portal.dates import court_today
from cooperation_portal.demo import services
from cooperation_portal.partners.models import Partner

LOGIN_URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = (
        "Load synthetic demo data: reference data first (load_reference_data), then one login per role, fictional "
        "situations, cases, arrest warrants and contact reports, one more fictional arrest warrant and one "
        "fictional voluntary agreement per 250 requests, and N cooperation requests with their events and "
        "deadline-clock pauses. Re-runnable: logins are reset to this run's password, and only what is missing is "
        "added (requests, numbered warrants and agreements are numbered from 0 and only the missing numbers are "
        "generated, so --requests is the total wanted and an interrupted run can simply be run again). The same "
        "--seed and --today give the same rows. Bulk rows are written without django-simple-history records: they "
        "are synthetic seed rows whose history starts with the first real change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, required=True, help="Total number of demo requests wanted.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--batch-size", type=int, default=10_000, help="Requests per transaction (default 10000).")
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, default=None,
            help="The day the data is generated for, YYYY-MM-DD (default: today in the Court's time zone). "
            "Due dates and overdue requests are relative to it.",
        )
        parser.add_argument(
            "--writers", type=int, default=None,
            help="Database connections writing batches side by side (default: 2 on PostgreSQL, 1 otherwise).",
        )
        parser.add_argument(
            "--password", default=None,
            help="Password for every demo login (default: a new random one per run, printed at the end).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.monotonic()
        total: int = options["requests"]
        batch_size: int = options["batch_size"]
        seed: int = options["seed"]
        today: datetime.date = options["today"] or court_today()
        if total < 0 or batch_size < 1:
            raise CommandError("--requests must be 0 or more and --batch-size at least 1.")
        password = options["password"] or f"demo-{secrets.token_urlsafe(12)}"
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(f"--password: {' '.join(error.messages)}") from error

        if "load_reference_data" in get_commands():
            self.stdout.write("Loading reference data (load_reference_data) ...")
            call_command("load_reference_data", verbosity=options["verbosity"], stdout=self.stdout)
        else:
            self.stdout.write(self.style.WARNING(
                "load_reference_data is not available; using the partners already in the database."
            ))
        if not Partner.objects.exists():
            raise CommandError("No partner is loaded: load the reference data (States and organizations) first.")

        with transaction.atomic():
            focal_partner, focal_partner_2 = services.demo_focal_partners_pick(today=today)
            try:
                logins = services.demo_logins_ensure(
                    password=password, focal_partner=focal_partner, focal_partner_2=focal_partner_2
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
            users = {login.username: login.user for login in logins}
            focal_users = [users["focal-point"], users["focal-point-2"]]
            fixtures = services.demo_fixtures_ensure(seed=seed, today=today, reporters=focal_users)
        for table, n in fixtures.created.items():
            self.stdout.write(f"  {table}: +{n:,}")
        registers = services.demo_registers_load(
            ctx=services.demo_register_context_build(seed=seed, today=today), requests=total, batch_size=batch_size,
            progress=lambda message: self.stdout.write(message),
        )
        for table, n in registers.created.items():
            self.stdout.write(f"  {table}: +{n:,}")

        ctx = services.demo_context_build(
            seed=seed, today=today, registry_user=users["registry"], focal_users=focal_users
        )
        self.stdout.write(f"Generating {total:,} demo requests (seed {seed}, today {today}, batches of {batch_size:,})")
        try:
            counts = services.demo_requests_load(
                ctx=ctx, total=total, batch_size=batch_size, writers=options["writers"],
                progress=lambda message: self.stdout.write(message),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error

        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - began:,.1f} s. Rows created:"))
        created: dict[str, int] = {}
        for part in (fixtures, registers, counts):
            for table, n in part.created.items():
                if n:
                    created[table] = created.get(table, 0) + n
        for table, n in created.items():
            self.stdout.write(f"  {table}: {n:,}")
        if not created:
            self.stdout.write("  none: the demo data was already complete.")
        self.stdout.write(f"\nLog in at {LOGIN_URL} (admin at {LOGIN_URL}admin/) with:")
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username:<{width}}  {login.note}")
        self.stdout.write(f"Password for every demo login: {password}")
        self.stdout.write(
            "Registry staff and administrators then enter a 6-digit code: add the secret below to an authenticator "
            "app (TOTP, 30 s), or print the current code with `python manage.py demo_otp_code USERNAME`."
        )
        for login in logins:
            if login.totp_device is not None:
                self.stdout.write(f"  {login.username:<{width}}  secret {login.totp_secret}")
        self.stdout.write("These are demo accounts: never use them, or this password, in production.")
