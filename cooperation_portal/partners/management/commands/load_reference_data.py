from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cooperation_portal.partners.services import (
    AGREEMENTS_CSV,
    ORGANIZATIONS_CSV,
    STATES_CSV,
    ReferenceDataError,
    reference_data_load,
)


class Command(BaseCommand):
    help = (
        "Create or update States (Rome Statute dates), intergovernmental organizations and voluntary agreements "
        "from the reference CSV files. Running it again changes nothing unless a file changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--states", type=Path, default=STATES_CSV, help="States CSV (default: %(default)s)")
        parser.add_argument(
            "--organizations", type=Path, default=ORGANIZATIONS_CSV, help="Organizations CSV (default: %(default)s)"
        )
        parser.add_argument(
            "--agreements", type=Path, default=AGREEMENTS_CSV, help="Voluntary agreements CSV (default: %(default)s)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for option in ("states", "organizations", "agreements"):
            if not options[option].is_file():
                raise CommandError(f"No such file: {options[option]}")
        try:
            summary = reference_data_load(
                states_csv=options["states"],
                organizations_csv=options["organizations"],
                agreements_csv=options["agreements"],
            )
        except ReferenceDataError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"States: {summary.states}")
        self.stdout.write(f"Organizations: {summary.organizations}")
        self.stdout.write(f"Voluntary agreements: {summary.agreements}")
