import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from cooperation_portal.accounts.choices import Role

if TYPE_CHECKING:
    from cooperation_portal.accounts.models import User

    from .models import Partner


class PartnerQuerySet(models.QuerySet["Partner"]):
    """Reads only. Treaty status is computed from stored dates, for any date, never from a frozen flag."""

    def visible_to(self, user: "User") -> "PartnerQuerySet":
        """Treaty data is public, but a focal point's portal shows only their own partner."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.FOCAL_POINT:
            return self.filter(pk=user.partner_id)
        return self.all()

    def states(self) -> "PartnerQuerySet":
        return self.filter(kind="state")

    def organizations(self) -> "PartnerQuerySet":
        return self.filter(kind="organization")

    def states_parties_on(self, on: datetime.date) -> "PartnerQuerySet":
        """States for which the Statute is in force on `on`: entered into force, withdrawal not yet effective."""
        return self.filter(kind="state", entry_into_force_date__lte=on).exclude(withdrawal_effective_date__lte=on)

    def non_party_states_on(self, on: datetime.date) -> "PartnerQuerySet":
        party = Q(entry_into_force_date__lte=on) & ~Q(withdrawal_effective_date__lte=on)
        return self.filter(kind="state").exclude(party)

    def apic_parties_on(self, on: datetime.date) -> "PartnerQuerySet":
        return self.filter(kind="state", apic_date__lte=on)

    def with_implementing_legislation_on(self, on: datetime.date) -> "PartnerQuerySet":
        return self.filter(implementing_legislation_date__lte=on)
