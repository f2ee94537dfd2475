import functools
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import connection, models
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
        """Active registry staff holding the sealed-clearance permission, directly or through a group (as has_perm
        reads it with the model backend), or a superuser.

        Every scoped list and page asks this once. has_perm() costs two queries (the user's and the groups'
        permissions) and the same test written with the ORM's Exists() costs more to compile and plan than to run
        (about 9 ms against 0.6 ms here), so it is one short statement of table names taken from the models, asked
        once per user object (a request's user), unless the token authentication read it with the user
        (accounts/authentication.py)."""
        if not (self.is_active and self.role == Role.REGISTRY):
            return False
        if self.is_superuser:
            return True
        # Kept on this object for the rest of the request, as has_perm() keeps its permission cache.
        if "_sealed_clearance" in self.__dict__:
            return bool(self.__dict__["_sealed_clearance"])
        condition, params = sealed_clearance_sql("%s")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {condition}", [*params, self.pk, self.pk])
            cleared = bool(cursor.fetchone()[0])
        self.__dict__["_sealed_clearance"] = cleared
        return cleared


@functools.cache
def sealed_clearance_sql(user_id: str) -> tuple[str, tuple[str, str]]:
    """An SQL condition, true when the user whose id is the SQL expression `user_id` (a column, or a placeholder
    given twice) holds the sealed-clearance permission directly or through a group, and its parameters (which come
    before the user id's). Role, active flag and superuser are for the caller: see User.has_sealed_clearance.
    Made once per expression: every API call by token asks for it."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    def table(model: Any) -> str:
        return str(connection.ops.quote_name(model._meta.db_table))

    app_label, codename = SEALED_CLEARANCE_PERMISSION.split(".")
    condition = f"""EXISTS (
        SELECT 1 FROM {table(Permission)} p JOIN {table(ContentType)} ct ON ct.id = p.content_type_id
        WHERE p.codename = %s AND ct.app_label = %s AND (
            p.id IN (SELECT permission_id FROM {table(User.user_permissions.through)} WHERE user_id = {user_id})
            OR p.id IN (SELECT gp.permission_id FROM {table(Group.permissions.through)} gp
                        JOIN {table(User.groups.through)} ug ON ug.group_id = gp.group_id
                        WHERE ug.user_id = {user_id})))"""  # noqa: S608 - names from the models; values are parameters
    return condition, (codename, app_label)
