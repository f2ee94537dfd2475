"""Account events: the session clock starts at login; deactivating a user ends their sessions and token."""

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from .middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from .models import User
from .services import user_end_sessions
from .two_factor import SESSION_REQUIRED_KEY, requires_two_factor


@receiver(user_logged_in)
def start_session_clock(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_SEEN_KEY] = now
        request.session[SESSION_REQUIRED_KEY] = requires_two_factor(user)


@receiver(pre_save, sender=User)
def remember_whether_active(
    sender: type[User], instance: User, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        instance._was_active = False  # type: ignore[attr-defined]
        return
    stored = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    instance._was_active = bool(stored)  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def end_sessions_of_deactivated_user(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    """Any save that turns is_active off (the admin, a service, a script) ends every session at once.

    A bulk `QuerySet.update(is_active=False)` sends no signal; such a user's sessions still stop working, as the
    authentication backend refuses inactive users, but their rows stay until they expire.
    """
    if getattr(instance, "_was_active", False) and not instance.is_active:
        user_end_sessions(user=instance)
