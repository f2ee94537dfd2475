import datetime
from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _

from cooperation_portal.filters import ChoicesFilter, PortalFilterSet

from .choices import PartnerKind, RegionalGroup
from .models import Partner
from .querysets import PartnerQuerySet


class PartnerFilterSet(PortalFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PartnerKind.choices)
    regional_group = ChoicesFilter(label=_("Regional group"), choices=RegionalGroup.choices)
    state_party_on = django_filters.DateFilter(label=_("State Party on"), method="filter_state_party_on")
    apic_party_on = django_filters.DateFilter(label=_("APIC party on"), method="filter_apic_party_on")

    class Meta:
        model = Partner
        fields = ["q", "kind", "regional_group", "state_party_on", "apic_party_on"]

    def filter_search(self, queryset: PartnerQuerySet, name: str, value: str) -> Any:
        value = value.strip()
        return queryset.filter(code__iexact=value) | queryset.filter(name__icontains=value) if value else queryset

    def filter_state_party_on(self, queryset: PartnerQuerySet, name: str, value: datetime.date | None) -> Any:
        return queryset.states_parties_on(value) if value else queryset

    def filter_apic_party_on(self, queryset: PartnerQuerySet, name: str, value: datetime.date | None) -> Any:
        return queryset.apic_parties_on(value) if value else queryset
