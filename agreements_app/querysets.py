import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from cooperation_portal.accounts.choices import Role

if TYPE_CHECKING:
    from cooperation_portal.accounts.models import User

    from .models import VoluntaryAgreement


class VoluntaryAgreementQuerySet(models.QuerySet["VoluntaryAgreement"]):
    """Reads only. Status on a date is computed from the stored dates."""

    def visible_to(self, user: "User") -> "VoluntaryAgreementQuerySet":
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.REGISTRY:
            return self.all()
        if user.role == Role.FACILITATOR:
            # The Court's reports name the States of public framework agreements; the others stay confidential.
            return self.filter(is_public=True)
        if user.role == Role.FOCAL_POINT and user.partner_id is not None:
            return self.filter(partner_id=user.partner_id)
        return self.none()

    def in_force_on(self, on: datetime.date) -> "VoluntaryAgreementQuerySet":
        return self.filter(in_force_on__lte=on).exclude(terminated_on__lte=on)

    def concluded_between(self, start: datetime.date, end: datetime.date) -> "VoluntaryAgreementQuerySet":
        """Concluded = signed (or, where no signature date is known, entered into force) within the period."""
        signed = Q(signed_on__gte=start, signed_on__lte=end)
        in_force_unsigned = Q(signed_on__isnull=True, in_force_on__gte=start, in_force_on__lte=end)
        return self.filter(signed | in_force_unsigned)
