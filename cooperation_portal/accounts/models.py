from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import Role

SEALED_CLEARANCE_PERMISSION = "accounts.sealed_clearance"


class PortalUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> "User":
        extra.setdefault("role", Role.ADMINISTRATOR)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """A portal user. A focal point is bound to exactly one partner; no other role has one."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="focal_points",
        help_text=_("The State or organization a focal point answers for."),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects: ClassVar[PortalUserManager] = PortalUserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]
        permissions = [("sealed_clearance", _("May see sealed material (sealed warrants, requests under seal)"))]
        constraints = [
            models.CheckConstraint(
                name="user_focal_point_has_exactly_one_partner",
                condition=(Q(role=Role.FOCAL_POINT) & Q(partner__isnull=False))
                | (~Q(role=Role.FOCAL_POINT) & Q(partner__isnull=True)),
                violation_error_message=_("A focal point must be bound to one partner; other roles to none."),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.role == Role.FOCAL_POINT and self.partner_id is None:
            raise ValidationError({"partner": _("A focal point must be bound to a partner.")})
        if self.role != Role.FOCAL_POINT and self.partner_id is not None:
            raise ValidationError({"partner": _("Only a focal point is bound to a partner.")})

    @property
    def is_registry(self) -> bool:
        return self.is_active and self.role == Role.REGISTRY

    @property
    def is_focal_point(self) -> bool:
        return self.is_active and self.role == Role.FOCAL_POINT

    @property
    def is_facilitator(self) -> bool:
        return self.is_active and self.role == Role.FACILITATOR

    @property
    def has_sealed_clearance(self) -> bool:
        return self.is_active and self.role == Role.REGISTRY and self.has_perm(SEALED_CLEARANCE_PERMISSION)
