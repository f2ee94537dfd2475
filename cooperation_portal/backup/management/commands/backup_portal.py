"""`manage.py backup_portal --output DIR`: the database, the uploads and a manifest, into a new folder."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from cooperation_portal.backup.services import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the portal into a new folder: the database (PostgreSQL: pg_dump -Fc; SQLite: the online backup "
        "API), every file under MEDIA_ROOT (media.tar) and manifest.json (row count per table, checksums, applied "
        "migrations, time in UTC). Restore it with restore_portal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, required=True, help="A new (or empty) folder for the backup.")
        parser.add_argument("--database", default="default", help="The database alias to back up (default: default).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_create(output=options["output"], using=options["database"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {result.path} at {manifest['created_at']}: {len(manifest['tables'])} tables, "
            f"{result.rows} rows; {manifest['media']['files']} uploaded files "
            f"({filesizeformat(manifest['media']['bytes'])})."
        ))
