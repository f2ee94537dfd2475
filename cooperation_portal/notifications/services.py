"""The only code that writes notifications, apart from the overdue sweep's set-based INSERT ... SELECT."""

import logging
import time

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from cooperation_portal.accounts.models import User

from .models import Notification

logger = logging.getLogger(__name__)

# After this many failed attempts a row stays unsent (visible in the admin with its last error) instead of
# being retried forever.
MAX_ATTEMPTS = 5
WITHHELD = "Not e-mailed: the request is no longer in the recipient's scope (deleted, sealed, or the recipient moved)."


def _claim_next() -> Notification | None:
    """Lock the oldest unsent row, skipping rows another sender holds (PostgreSQL).

    SQLite has no row locks: there the whole database is locked by the first write, so two senders serialize
    instead of skipping; the portal runs one worker on SQLite.
    """
    pending = Notification.objects.unsent().filter(attempts__lt=MAX_ATTEMPTS).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        pending = pending.select_for_update(skip_locked=True, of=("self",))
    return pending.select_related("recipient").first()


def notifications_send(*, limit: int | None = None) -> int:
    """Deliver unsent notifications by e-mail, one transaction per message; return how many were sent.

    Each row is locked, e-mailed and marked sent in one transaction, so a message is marked sent only if the mail
    backend accepted it, and no other sender can pick it up meanwhile. What remains is an at-least-once window:
    if the process dies after the mail server accepted the message and before the commit, the row is still unsent
    and is e-mailed again on the next run. That window is the duration of one COMMIT per message.

    A message is e-mailed only if its request is still in the recipient's scope when it is sent (WITHHELD).
    """
    sent = 0
    mail_connection = get_connection()
    delay = float(getattr(settings, "PORTAL_NOTIFY_TEST_DELAY", 0) or 0)
    while limit is None or sent < limit:
        with transaction.atomic():
            notification = _claim_next()
            if notification is None:
                break
            now = timezone.now()
            if not _recipient_still_sees(notification):
                # Queued while the request was in the recipient's scope, and no longer is (deleted since, put under
                # seal, the recipient moved to another partner or left): not e-mailed, and not tried again.
                Notification.objects.filter(pk=notification.pk).update(
                    claimed_at=now, attempts=MAX_ATTEMPTS, last_error=WITHHELD
                )
                continue
            Notification.objects.filter(pk=notification.pk).update(claimed_at=now)
            try:
                with transaction.atomic():
                    _deliver(notification, mail_connection)
            except Exception as error:
                logger.warning("Notification %s not sent: %s", notification.pk, error)
                Notification.objects.filter(pk=notification.pk).update(
                    attempts=F("attempts") + 1, last_error=str(error)[:2000]
                )
                continue
            Notification.objects.filter(pk=notification.pk).update(sent_at=now, attempts=F("attempts") + 1)
            sent += 1
        if delay:
            time.sleep(delay)  # only the worker tests set it, to kill a worker between two messages
    return sent


def _recipient_still_sees(notification: Notification) -> bool:
    """Whether the recipient may still read this notification in the portal (its request still in their scope)."""
    return Notification.objects.for_user(notification.recipient).filter(pk=notification.pk).exists()


def _deliver(notification: Notification, mail_connection: BaseEmailBackend) -> None:
    recipient: User = notification.recipient
    if not recipient.email:
        return  # in-portal only: the row itself is the notification
    send_mail(
        subject=notification.subject,
        message=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient.email],
        connection=mail_connection,
    )


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of the user's own notifications read; another user's is simply not found."""
    notification = Notification.objects.for_user(user).get(pk=notification.pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
