"""The outbox: one row per message to one user. The rows are the in-portal notifications; e-mail is sent from them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.choices import EscalationLevel

from .querysets import NotificationQuerySet


class NotificationKind(models.TextChoices):
    ESCALATION = "escalation", _("Overdue request escalation")
    TRANSMITTED = "transmitted", _("Request transmitted to your partner")
    ANSWERED = "answered", _("Answer from a partner")
    DEADLINE_CHANGED = "deadline_changed", _("A deadline of your partner's request moved")


class Notification(models.Model):
    """A message to one user about one request, written in the same transaction as the change it reports."""

    # The recipient and the step have no index of their own: notification_unread_idx leads with the recipient, the
    # unique constraint with the step (the overdue sweep writes a notification per step and recipient, and every
    # index is written on each of them).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications",
        db_index=False,
    )
    coop_request = models.ForeignKey(
        "requests_app.CooperationRequest", verbose_name=_("request"), on_delete=models.CASCADE,
        related_name="notifications",
    )
    escalation_step = models.ForeignKey(
        "requests_app.EscalationStep", verbose_name=_("escalation step"), on_delete=models.CASCADE,
        null=True, blank=True, related_name="notifications", db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices, default=EscalationLevel.NONE)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed for sending at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    last_error = models.TextField(_("last delivery error"), blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One message per step and person: a repeated or concurrent sweep cannot queue a second copy.
            models.UniqueConstraint(
                fields=["escalation_step", "recipient"], name="notification_once_per_step_recipient"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            # The sender scans only what is still to be sent.
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="notification_unsent_idx"),
        ]

    def __str__(self) -> str:
        return self.subject
