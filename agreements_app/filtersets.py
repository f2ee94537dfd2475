import datetime
from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _

from cooperation_portal.filters import ChoicesFilter, CodeMultipleChoiceFilter, PortalFilterSet
from cooperation_portal.partners.choices import RegionalGroup
from cooperation_portal.partners.models import Partner

from .choices import AgreementType
from .models import VoluntaryAgreement
from .querysets import VoluntaryAgreementQuerySet


class VoluntaryAgreementFilterSet(PortalFilterSet):
    agreement_type = ChoicesFilter(label=_("Type"), choices=AgreementType.choices)
    partner = CodeMultipleChoiceFilter(
        label=_("State"), field_name="partner__code", to_field_name="code", queryset=Partner.objects.all()
    )
    regional_group = ChoicesFilter(
        label=_("Regional group"), field_name="partner__regional_group", choices=RegionalGroup.choices
    )
    in_force_on = django_filters.DateFilter(label=_("In force on"), method="filter_in_force_on")

    class Meta:
        model = VoluntaryAgreement
        fields = ["agreement_type", "partner", "regional_group", "in_force_on"]

    def filter_in_force_on(self, queryset: VoluntaryAgreementQuerySet, name: str, value: datetime.date | None) -> Any:
        return queryset.in_force_on(value) if value else queryset
