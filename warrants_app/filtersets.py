import datetime
from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _

from cooperation_portal.filters import CodeMultipleChoiceFilter, IdFilter, PortalFilterSet
from cooperation_portal.situations.models import Situation

from .models import ArrestWarrant, ContactReport
from .querysets import ArrestWarrantQuerySet


class ArrestWarrantFilterSet(PortalFilterSet):
    q = django_filters.CharFilter(label=_("Person"), field_name="person_name", lookup_expr="icontains")
    situation = CodeMultipleChoiceFilter(
        label=_("Situation"), field_name="situation__code", to_field_name="code", queryset=Situation.objects.all()
    )
    issued = django_filters.DateFromToRangeFilter(label=_("Issued between"), field_name="issued_on")
    outstanding_on = django_filters.DateFilter(label=_("Outstanding on"), method="filter_outstanding_on")

    class Meta:
        model = ArrestWarrant
        fields = ["q", "situation", "issued", "outstanding_on"]

    def filter_outstanding_on(self, queryset: ArrestWarrantQuerySet, name: str, value: datetime.date | None) -> Any:
        return queryset.outstanding_on(value) if value else queryset


class ContactReportFilterSet(PortalFilterSet):
    # A plain number, not a choice over all warrants: validating against every warrant would tell a caller
    # whether a sealed warrant's id exists.
    warrant = IdFilter(label=_("Warrant"), field_name="warrant_id")
    contact = django_filters.DateFromToRangeFilter(label=_("Contact between"), field_name="contact_on")

    class Meta:
        model = ContactReport
        fields = ["warrant", "contact"]
