"""Thin Celery tasks of the accounts."""

from celery import shared_task

from .services import password_reset_send


@shared_task(name="accounts.tasks.send_password_reset")
def send_password_reset(*, email: str, domain: str, use_https: bool, language: str) -> None:
    """The reset link for the accounts at `email`. It takes the address the person typed, not an account id: the page
    queues the same message whether or not an account has it, so that its answer tells nothing. Delivered at least
    once (acks_late): a redelivered message sends a second link, and either works. A message the mail server refuses
    is logged and dropped by Django's form, as it was during the request; the person asks again."""
    password_reset_send(email=email, domain=domain, use_https=use_https, language=language)
