import datetime
from typing import Any

import django_filters
from django.core.validators import validate_ipv46_address
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cooperation_portal.filters import ChoicesFilter, PortalFilterSet

from .choices import AuditKind
from .models import AuditEvent


class AuditEventFilterSet(PortalFilterSet):
    kind = ChoicesFilter(label=_("Kind"), choices=AuditKind.choices)
    day = django_filters.DateFromToRangeFilter(label=_("Between (UTC days)"), method="filter_utc_days")
    username = django_filters.CharFilter(label=_("Username"))
    ip_address = django_filters.CharFilter(label=_("IP address"), validators=[validate_ipv46_address])

    class Meta:
        model = AuditEvent
        fields = ["kind", "day", "username", "ip_address"]

    def filter_utc_days(self, queryset: QuerySet[AuditEvent], name: str, value: slice | None) -> Any:
        """Whole days in UTC, the time the trail is kept and shown in (not the portal's local time)."""
        if not value:
            return queryset
        if value.start is not None:
            queryset = queryset.filter(occurred_at__gte=_utc_midnight(value.start))
        if value.stop is not None:
            queryset = queryset.filter(occurred_at__lt=_utc_midnight(value.stop) + datetime.timedelta(days=1))
        return queryset


def _utc_midnight(day: datetime.date | datetime.datetime) -> datetime.datetime:
    if isinstance(day, datetime.datetime):
        day = day.date()
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
