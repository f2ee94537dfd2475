"""Thin Celery tasks. Neither takes arguments: each works on the database's current state, so a redelivered or
duplicated message does the same thing as the first and adds nothing (acks_late is set globally)."""

from typing import Any

from celery import shared_task

from cooperation_portal.notifications.services import notifications_send

from . import overdue


@shared_task(name="requests_app.tasks.sweep_overdue")
def sweep_overdue() -> dict[str, Any]:
    """Flag, remind, escalate and clear; the e-mail task is queued after the sweep commits."""
    return overdue.sweep(queue_delivery=True).as_dict()


@shared_task(name="requests_app.tasks.send_notifications")
def send_notifications() -> int:
    """E-mail the outbox rows not yet sent."""
    return notifications_send()
