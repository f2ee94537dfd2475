from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    """The audit trail of security events: append-only at the database level, read by administrators."""

    name = "cooperation_portal.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from . import db, signals

        signals.connect()
        # Also after `migrate --run-syncdb` (the test suite runs without migrations) and after SQLite rebuilt the
        # table for a schema change, which drops its triggers with it.
        post_migrate.connect(db.ensure_guard_after_migrate, sender=self, dispatch_uid="audit_append_only_guard")
