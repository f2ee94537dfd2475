import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from cooperation_portal.accounts.choices import Role
from cooperation_portal.dates import court_today

if TYPE_CHECKING:
    from cooperation_portal.accounts.models import User

    from .models import ArrestWarrant, ContactReport


def sealed_on(on: datetime.date, prefix: str = "") -> Q:
    """Q for a warrant under seal on `on`: issued under seal and not yet unsealed."""
    return Q(**{f"{prefix}under_seal": True}) & (
        Q(**{f"{prefix}unsealed_on__isnull": True}) | Q(**{f"{prefix}unsealed_on__gt": on})
    )


class ArrestWarrantQuerySet(models.QuerySet["ArrestWarrant"]):
    """Reads only. `visible_to` is the one place that decides who sees which warrant; sealed needs clearance."""

    def visible_to(self, user: "User") -> "ArrestWarrantQuerySet":
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.REGISTRY and user.has_sealed_clearance:
            return self.all()
        if user.role in (Role.REGISTRY, Role.FOCAL_POINT, Role.FACILITATOR):
            return self.public_on(court_today())
        return self.none()

    def public_on(self, on: datetime.date) -> "ArrestWarrantQuerySet":
        return self.exclude(sealed_on(on))

    def outstanding_on(self, on: datetime.date) -> "ArrestWarrantQuerySet":
        """Issued by `on` and neither executed, withdrawn nor terminated by then."""
        return self.filter(issued_on__lte=on).exclude(
            Q(custody_on__lte=on) | Q(withdrawn_on__lte=on) | Q(terminated_on__lte=on)
        )


class ContactReportQuerySet(models.QuerySet["ContactReport"]):
    def visible_to(self, user: "User") -> "ContactReportQuerySet":
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.REGISTRY:
            if user.has_sealed_clearance:
                return self.all()
            return self.exclude(sealed_on(court_today(), prefix="warrant__"))
        if user.role == Role.FOCAL_POINT and user.partner_id is not None:
            return self.filter(partner_id=user.partner_id).exclude(sealed_on(court_today(), prefix="warrant__"))
        return self.none()
