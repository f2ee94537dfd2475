import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from cooperation_portal.dates import court_today
from cooperation_portal.partners.choices import RegionalGroup
from cooperation_portal.partners.models import Partner


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"“{value}” is not a date in YYYY-MM-DD form") from error


class Command(BaseCommand):
    help = "Print the number of States Parties to the Rome Statute on a date, by regional group, and APIC parties."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", type=_date, default=None, help="YYYY-MM-DD (default: today at the seat)")

    def handle(self, *args: Any, **options: Any) -> None:
        on: datetime.date = options["on"] or court_today()
        parties = Partner.objects.states_parties_on(on)
        by_group = dict(
            parties.order_by().values_list("regional_group").annotate(n=Count("pk")).values_list("regional_group", "n")
        )
        self.stdout.write(f"States Parties on {on.isoformat()}: {sum(by_group.values())}")
        for group in RegionalGroup:
            self.stdout.write(f"  {group.value}: {by_group.get(group.value, 0)}")
        self.stdout.write(f"APIC parties on {on.isoformat()}: {Partner.objects.apic_parties_on(on).count()}")
