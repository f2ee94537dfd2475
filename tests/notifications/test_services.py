"""The outbox: delivery by e-mail once per row, failures kept for retry, and each user's own in-portal list."""

import datetime

import pytest
from django.core import mail
from django.test import override_settings

from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification
from cooperation_portal.notifications.services import (
    MAX_ATTEMPTS,
    WITHHELD,
    notification_mark_read,
    notifications_send,
)
from requests_app import overdue, services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(focal_point_a, state_a, registry_user):
    """Two overdue requests of partner A, so two rows for the focal point and two for the registry."""
    for due_in in (-3, -40):
        due = court_today() + datetime.timedelta(days=due_in)
        factories.CooperationRequestFactory(
            partner=state_a, created_by=registry_user, due_on=due, transmitted_on=due - datetime.timedelta(days=60)
        )
    overdue.sweep()
    assert Notification.objects.count() == 4
    return Notification.objects.all()


def test_send_mails_each_unsent_row_once_and_marks_it_sent(outbox):
    """Every unsent row is e-mailed once; a second run sends nothing."""
    assert notifications_send() == 4
    assert len(mail.outbox) == 4
    assert {(m.to[0], m.subject) for m in mail.outbox} == {(n.recipient.email, n.subject) for n in outbox}
    assert not Notification.objects.unsent().exists()
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert notifications_send() == 0
    assert len(mail.outbox) == 4


def test_user_without_email_gets_the_in_portal_notification_only(outbox, focal_point_a):
    """No address: nothing is e-mailed to that user, and the row still counts as delivered."""
    focal_point_a.email = ""
    focal_point_a.save()
    notifications_send()
    assert len(mail.outbox) == 2
    assert not Notification.objects.unsent().exists()


def test_a_message_whose_request_left_the_recipients_scope_is_withheld(outbox, focal_point_a, registry_user, state_b):
    """Queued, then the request was deleted (one), and the focal point moved to another partner (the other): nothing
    of either is e-mailed to anyone who can no longer see it, and those rows are not tried again."""
    deleted, kept = sorted({n.coop_request for n in outbox}, key=lambda r: r.pk)
    services.request_soft_delete(coop_request=deleted, actor=registry_user, reason="Logged twice by mistake.")
    focal_point_a.partner = state_b
    focal_point_a.save()
    assert notifications_send() == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([registry_user.email], Notification.objects.get(recipient=registry_user, coop_request=kept).subject)
    ]
    withheld = Notification.objects.exclude(recipient=registry_user, coop_request=kept)
    assert withheld.count() == 3
    assert {(row.sent_at, row.attempts, row.last_error) for row in withheld} == {(None, MAX_ATTEMPTS, WITHHELD)}
    assert notifications_send() == 0
    assert len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND="tests.notifications.failing_backend.FailingBackend")
def test_failed_delivery_is_kept_and_retried_then_given_up(outbox):
    """A mail failure leaves the row unsent with its error; after MAX_ATTEMPTS it is no longer retried."""
    for _ in range(MAX_ATTEMPTS + 2):
        assert notifications_send() == 0
    row = Notification.objects.first()
    assert row.sent_at is None
    assert row.attempts == MAX_ATTEMPTS
    assert "refused" in row.last_error


def test_for_user_lists_only_the_users_own_visible_notifications(outbox, focal_point_a, focal_point_b, registry_user):
    """Each user reads only their own rows; a focal point of another partner reads none."""
    assert Notification.objects.for_user(focal_point_a).count() == 2
    assert Notification.objects.for_user(registry_user).count() == 2
    assert not Notification.objects.for_user(focal_point_b).exists()


def test_mark_read_is_limited_to_the_recipient(outbox, focal_point_a, focal_point_b):
    """A user marks their own notification read; another user's is not found."""
    mine = Notification.objects.for_user(focal_point_a).first()
    notification_mark_read(notification=mine, user=focal_point_a)
    assert Notification.objects.for_user(focal_point_a).unread().count() == 1
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(notification=mine, user=focal_point_b)
