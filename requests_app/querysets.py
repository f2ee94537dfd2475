import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from cooperation_portal.accounts.choices import Role

from .choices import CLOCK_RUNNING_STATUSES, Confidentiality, Status

if TYPE_CHECKING:
    from cooperation_portal.accounts.models import User

    from .models import Attachment, CooperationRequest


def overdue_q(on: datetime.date) -> Q:
    """Past the due date at the end of `on`, clock not paused, not answered nor closed."""
    return Q(status__in=CLOCK_RUNNING_STATUSES, due_on__lt=on, clock_paused_since__isnull=True)


class CooperationRequestQuerySet(models.QuerySet["CooperationRequest"]):
    """Reads only. `visible_to` is the one place that decides which requests a user may see."""

    def alive(self) -> "CooperationRequestQuerySet":
        """Not soft-deleted: every page, the API, exports, figures and the overdue sweep read only these."""
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user: "User", *, include_deleted: bool = False) -> "CooperationRequestQuerySet":
        """`include_deleted` is for the admin only, where registry staff find (and restore) deleted requests."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        queryset = self if include_deleted else self.alive()
        if user.role == Role.REGISTRY:
            if user.has_sealed_clearance:
                return queryset.all()
            return queryset.exclude(confidentiality=Confidentiality.UNDER_SEAL)
        if user.role == Role.FOCAL_POINT and user.partner_id is not None:
            # A focal point sees what was transmitted to their own partner, never drafts.
            return queryset.filter(partner_id=user.partner_id).exclude(status=Status.DRAFT)
        # Facilitators and administrators work with aggregates only.
        return self.none()

    def countable_by(self, user: "User") -> "CooperationRequestQuerySet":
        """Requests a user's aggregate figures may count: what they see, and for facilitators every transmitted
        request but those under seal, counted and never itemized (DOMAIN.md, confidentiality)."""
        if user.is_authenticated and user.is_active and user.role == Role.FACILITATOR:
            return self.alive().exclude(status=Status.DRAFT).exclude(confidentiality=Confidentiality.UNDER_SEAL)
        return self.visible_to(user)

    def open(self) -> "CooperationRequestQuerySet":
        return self.filter(status__in=CLOCK_RUNNING_STATUSES)

    def overdue(self, on: datetime.date) -> "CooperationRequestQuerySet":
        return self.filter(overdue_q(on))

    def with_related(self) -> "CooperationRequestQuerySet":
        return self.select_related("partner", "situation", "case")


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def alive(self) -> "AttachmentQuerySet":
        """Not soft-deleted: the only documents a page or the API lists or serves."""
        return self.filter(deleted_at__isnull=True)
