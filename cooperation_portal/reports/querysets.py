from typing import TYPE_CHECKING

from django.db import models

from cooperation_portal.accounts.choices import Role

if TYPE_CHECKING:
    from cooperation_portal.accounts.models import User

    from .models import ReportExport

# Roles that see the annual report: it holds aggregates and public items only.
REPORT_ROLES = frozenset({Role.FACILITATOR, Role.REGISTRY, Role.ADMINISTRATOR})


def may_read_reports(user: "User") -> bool:
    """Facilitators, registry staff and administrators; never a focal point, who sees only their own partner."""
    return bool(user.is_authenticated and user.is_active and (user.role in REPORT_ROLES or user.is_superuser))


class ReportExportQuerySet(models.QuerySet["ReportExport"]):
    """Reads only. An export file is the requester's, and the Registry's, which answers for every report."""

    def visible_to(self, user: "User") -> "ReportExportQuerySet":
        if not may_read_reports(user):
            return self.none()
        if user.role == Role.REGISTRY:
            return self.all()
        return self.filter(requested_by=user)
