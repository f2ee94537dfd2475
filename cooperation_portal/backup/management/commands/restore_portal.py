"""`manage.py restore_portal DIR`: a backup of backup_portal into an empty database and uploads folder."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cooperation_portal.backup.services import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_portal into the database of DATABASE_URL and the folder PORTAL_MEDIA_ROOT, "
        "then check the row count of every table against the manifest. Refuses a database that holds portal rows "
        "and an uploads folder that holds files, unless --replace-existing is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="The backup folder (the one holding manifest.json).")
        parser.add_argument(
            "--replace-existing", action="store_true",
            help="Replace the contents of a database that holds rows, and write over files in the uploads folder.",
        )
        parser.add_argument(
            "--no-owner", action="store_true",
            help="PostgreSQL: the restoring role owns every object, instead of the roles that owned them when dumped "
            "(for a server where those roles do not exist).",
        )
        parser.add_argument("--database", default="default", help="The database alias to restore into.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_restore(
                backup=options["backup"], replace_existing=options["replace_existing"],
                no_owner=options["no_owner"], using=options["database"],
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {len(result.tables)} tables ({result.rows} rows) and {result.media_files} uploaded files."
        )
        for migration in result.unapplied_migrations:
            self.stdout.write(self.style.WARNING(f"Not applied in the backup: {migration}; run manage.py migrate."))
        for migration in result.unknown_migrations:
            self.stdout.write(self.style.WARNING(
                f"Applied in the backup but unknown to this code: {migration} (a backup of a newer portal)."
            ))
        problems = [
            f"{table}: {expected} rows in the manifest, {'no such table' if found is None else found} restored"
            for table, (expected, found) in result.mismatched_tables.items()
        ] + [f"missing file: {name}" for name in result.missing_files]
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The restore does not match the manifest ({len(problems)} problems, listed above).")
        self.stdout.write(self.style.SUCCESS(
            "Checked against the manifest: every table has its row count, every stored file is present."
        ))
