"""Logins, failed logins, logouts and lock-outs, from Django's auth signals and django-axes' `user_locked_out`.

A failed login records the username as typed, never the password (Django has already masked it in
`credentials`; only the username key is read). Axes is optional: its signal is hooked only when the app is
installed, so the trail works with and without it.
"""

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from .choices import AuditKind
from .services import audit_record


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(kind=AuditKind.LOGIN, user=user, request=request)


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(kind=AuditKind.LOGOUT, user=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username_field = get_user_model().USERNAME_FIELD
    typed = credentials.get(username_field, credentials.get("username", ""))
    # No user even if the name matches an account: the attempt is not theirs until it succeeds.
    audit_record(
        kind=AuditKind.LOGIN_FAILED, user=False, request=request, username=str(typed or ""), deferred=True
    )


def on_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    audit_record(kind=AuditKind.LOCKED_OUT, user=False, request=request, username=str(username or ""), deferred=True)


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="audit_login")
    user_logged_out.connect(on_logout, dispatch_uid="audit_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    if apps.is_installed("axes"):
        from axes.signals import user_locked_out

        user_locked_out.connect(on_locked_out, dispatch_uid="audit_locked_out")
