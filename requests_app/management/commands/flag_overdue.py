import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from cooperation_portal.notifications.services import notifications_send
from requests_app import overdue
from requests_app.choices import EscalationLevel


class Command(BaseCommand):
    help = "Run the overdue sweep now (remind, flag, escalate, clear); --queue hands it to a Celery worker instead."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", action="store_true", help="Queue the sweep for a worker and return.")
        parser.add_argument("--send", action="store_true", help="Also e-mail the notifications now.")
        parser.add_argument(
            "--on", type=datetime.date.fromisoformat, default=None,
            help="Sweep as of this day (YYYY-MM-DD) instead of the Court's today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["queue"]:
            from requests_app.tasks import sweep_overdue

            transaction.on_commit(sweep_overdue.delay)
            self.stdout.write("Sweep queued.")
            return
        result = overdue.sweep(on=options["on"])
        self.stdout.write(f"Overdue sweep for {result.on.isoformat()} (run {result.sweep_id}):")
        for level in sorted(result.escalated):
            self.stdout.write(f"  {EscalationLevel(level).label}: {result.escalated[level]}")
        self.stdout.write(f"  Cleared: {result.cleared}")
        self.stdout.write(f"  Notifications queued: {result.notifications}")
        if options["send"]:
            self.stdout.write(f"  E-mails sent: {notifications_send()}")
