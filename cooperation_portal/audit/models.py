from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import AuditKind


class AuditEvent(models.Model):
    """One security event. Rows are only ever inserted: triggers refuse UPDATE, DELETE and TRUNCATE (see db.py).

    `user` has no database constraint and is never cascaded: the row outlives the account, and `username` keeps
    the name as it was (or as typed, for a failed login).
    """

    occurred_at = models.DateTimeField(_("when (UTC)"), default=timezone.now, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=AuditKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Ids, formats, flags: never a password, a token, a subject or anything else from a sealed record.
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["occurred_at"], name="audit_time_idx"),
            models.Index(fields=["kind", "occurred_at"], name="audit_kind_time_idx"),
            models.Index(fields=["username", "occurred_at"], name="audit_username_time_idx"),
            models.Index(fields=["ip_address", "occurred_at"], name="audit_ip_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"
