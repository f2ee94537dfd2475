"""Thin Celery tasks: load by id, call the service. Queued with transaction.on_commit by the service."""

from celery import shared_task

from .services import report_export_run


@shared_task(name="reports.generate_report_export", acks_late=True)
def generate_report_export(export_id: int) -> str:
    """Generate a queued report export; a second delivery of the same id leaves a finished export as it is."""
    return report_export_run(export_id=export_id).status
