from django.apps import AppConfig


class BackupConfig(AppConfig):
    """Backup and restore of the database and the uploads (management commands); owns no models."""

    name = "cooperation_portal.backup"
    label = "backup"
    verbose_name = "Backup and restore"
