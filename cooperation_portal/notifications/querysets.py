from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from cooperation_portal.accounts.models import User

    from .models import Notification


class NotificationQuerySet(models.QuerySet["Notification"]):
    """Reads only."""

    def for_user(self, user: "User") -> "NotificationQuerySet":
        """A user's in-portal notifications, limited to requests the user may still see (a focal point who moved on
        does not keep reading the old partner's requests through old notifications)."""
        from requests_app.models import CooperationRequest

        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(
            recipient=user, coop_request__in=CooperationRequest.objects.visible_to(user).values("pk")
        )

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def unsent(self) -> "NotificationQuerySet":
        return self.filter(sent_at__isnull=True)
