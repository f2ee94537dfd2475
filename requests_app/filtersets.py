"""The one FilterSet of cooperation requests, used by the browser list and the API alike."""

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from cooperation_portal.dates import court_today
from cooperation_portal.filters import ChoicesFilter, CodeMultipleChoiceFilter, PortalFilterSet
from cooperation_portal.partners.choices import RegionalGroup
from cooperation_portal.partners.models import Partner

from .choices import Confidentiality, EscalationLevel, Organ, RequestType, Status
from .models import CooperationRequest, RequestEvent
from .querysets import CooperationRequestQuerySet, overdue_q


class CooperationRequestFilterSet(PortalFilterSet):
    # Multiple-choice filters ask for DISTINCT by default, in case they cross a to-many relation. None here does
    # (partner and region are to-one; the search uses EXISTS), so each request is one row already, and DISTINCT
    # over a million rows cost seconds in the count and the page: no filter here asks for it (ChoicesFilter does
    # not by default; the partner filter says distinct=False).
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", help_text=_("Reference, subject or the text of its messages.")
    )
    partner = CodeMultipleChoiceFilter(
        label=_("Partner"),
        field_name="partner__code",
        to_field_name="code",
        queryset=Partner.objects.all(),
        distinct=False,
    )
    regional_group = ChoicesFilter(
        label=_("Regional group"), field_name="partner__regional_group", choices=RegionalGroup.choices
    )
    request_type = ChoicesFilter(label=_("Type / legal basis"), choices=RequestType.choices)
    organ = ChoicesFilter(label=_("Organ"), choices=Organ.choices)
    status = ChoicesFilter(label=_("Status"), choices=Status.choices)
    confidentiality = ChoicesFilter(label=_("Confidentiality"), choices=Confidentiality.choices)
    urgent = django_filters.BooleanFilter(label=_("Urgent"))
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    escalation_level = ChoicesFilter(
        label=_("Escalation"),
        choices=EscalationLevel.choices,
        help_text=_("Where the overdue sweep has got to."),
    )
    transmitted = django_filters.DateFromToRangeFilter(label=_("Transmitted between"), field_name="transmitted_on")
    due = django_filters.DateFromToRangeFilter(label=_("Due between"), field_name="due_on")

    class Meta:
        model = CooperationRequest
        fields = [
            "q",
            "partner",
            "regional_group",
            "request_type",
            "organ",
            "status",
            "confidentiality",
            "urgent",
            "overdue",
            "escalation_level",
            "transmitted",
            "due",
        ]

    def filter_search(self, queryset: CooperationRequestQuerySet, name: str, value: str) -> Any:
        value = value.strip()
        if not value:
            return queryset
        in_messages = RequestEvent.objects.filter(coop_request=OuterRef("pk"), note__icontains=value)
        return queryset.filter(Q(reference__icontains=value) | Q(subject__icontains=value) | Exists(in_messages))

    def filter_overdue(self, queryset: CooperationRequestQuerySet, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        condition = overdue_q(court_today())
        return queryset.filter(condition) if value else queryset.exclude(condition)
