"""PortalFilterSet: the same filtering and validation as django-filter's own FilterSet, without its per-call copies."""

import django_filters
import pytest
from django.http import QueryDict
from django_filters.filterset import BaseFilterSet

from agreements_app.filtersets import VoluntaryAgreementFilterSet
from cooperation_portal.audit.filtersets import AuditEventFilterSet
from cooperation_portal.filters import PortalFilterSet
from cooperation_portal.partners.filtersets import PartnerFilterSet
from cooperation_portal.partners.models import Partner
from requests_app.choices import Status
from requests_app.filtersets import CooperationRequestFilterSet
from requests_app.models import CooperationRequest
from tests import factories
from warrants_app.filtersets import ArrestWarrantFilterSet, ContactReportFilterSet

pytestmark = pytest.mark.django_db

ALL_FILTERSETS = [
    CooperationRequestFilterSet, VoluntaryAgreementFilterSet, ArrestWarrantFilterSet, ContactReportFilterSet,
    AuditEventFilterSet, PartnerFilterSet,
]

REQUEST_QUERIES = [
    ("", True),
    ("status=transmitted&status=acknowledged&transmitted_after=2025-01-01", True),
    ("partner=NLD&overdue=true", True),  # a model choice by code, and a method filter
    ("q=extradition&urgent=false&escalation_level=2", True),
    ("overdue=false&due_before=2026-01-31&organ=otp", True),
    ("status=lost&transmitted_after=31/02/2025", False),  # an unknown choice, a malformed date
    ("partner=XXX", False),  # no such partner
]


def django_filters_own(
    filterset_class: type[PortalFilterSet], data: QueryDict, queryset: object
) -> tuple[BaseFilterSet, set[str]]:
    """The same FilterSet made by django-filter's own __init__ and form class (deep copies and all), and the
    attributes that __init__ set."""
    reference = object.__new__(filterset_class)
    BaseFilterSet.__init__(reference, data, queryset)
    attributes = set(vars(reference))
    reference.get_form_class = lambda: BaseFilterSet.get_form_class(reference)  # type: ignore[method-assign]
    return reference, attributes


@pytest.mark.parametrize("filterset_class", ALL_FILTERSETS)
def test_every_filterset_of_the_portal_stands_on_the_base(filterset_class):
    assert issubclass(filterset_class, PortalFilterSet)
    assert set(filterset_class().form.fields) == set(filterset_class.base_filters)


@pytest.mark.parametrize(("query", "valid"), REQUEST_QUERIES)
def test_filters_validation_and_sql_are_django_filters_own(query, valid, state_a):
    data = QueryDict(query)
    queryset = CooperationRequest.objects.all()
    ours = CooperationRequestFilterSet(data, queryset)
    reference, attributes = django_filters_own(CooperationRequestFilterSet, data, queryset)

    assert set(vars(ours)) == attributes  # the attributes django-filter's __init__ sets, no more
    assert ours.is_valid() is reference.is_valid() is valid
    assert ours.errors == reference.errors
    if ours.is_valid():
        assert str(ours.qs.query) == str(reference.qs.query)
    assert type(ours.form) is not type(reference.form)  # the cached class, not a new one
    assert list(ours.form.fields) == list(reference.form.fields)


def test_a_query_that_filters_narrows_the_rows(state_a, state_b):
    mine = factories.CooperationRequestFactory(partner=state_a)
    factories.CooperationRequestFactory(partner=state_b)
    filterset = CooperationRequestFilterSet(QueryDict(f"partner={state_a.code}"), CooperationRequest.objects.all())
    assert filterset.is_valid()
    assert list(filterset.qs) == [mine]


def test_a_choice_filter_asks_for_its_values_in_one_in(state_a):
    """Two statuses asked for: one `IN (...)`, which PostgreSQL can use as an index condition, not an equality per
    value joined by OR (django-filter's own); the rows are the same."""
    transmitted = factories.CooperationRequestFactory(partner=state_a, status=Status.TRANSMITTED)
    acknowledged = factories.CooperationRequestFactory(partner=state_a, status=Status.ACKNOWLEDGED)
    factories.CooperationRequestFactory(partner=state_a, status=Status.IN_EXECUTION)
    asked = [Status.TRANSMITTED, Status.ACKNOWLEDGED]
    filterset = CooperationRequestFilterSet(QueryDict("status=transmitted&status=acknowledged"))
    assert filterset.is_valid()
    sql = str(filterset.qs.query)
    assert '"status" IN (' in sql
    assert " OR " not in sql
    everything = CooperationRequest.objects.all()
    ors = django_filters.MultipleChoiceFilter.filter(filterset.filters["status"], everything, asked)
    assert " OR " in str(ors.query)
    assert set(filterset.qs) == set(ors) == {transmitted, acknowledged}


def test_a_partner_added_after_the_form_class_was_made_can_be_filtered_on(state_a):
    """The form class is made once, but the partners a code may name are read at each call, not kept."""
    earlier = CooperationRequestFilterSet(QueryDict(f"partner={state_a.code}"), CooperationRequest.objects.all())
    assert earlier.is_valid()
    assert list(earlier.qs) == []
    newcomer = factories.PartnerFactory(code="SEN")
    mine = factories.CooperationRequestFactory(partner=newcomer)
    filterset = CooperationRequestFilterSet(QueryDict("partner=SEN"), CooperationRequest.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert list(filterset.qs) == [mine]


def test_each_filterset_has_its_own_filters_and_form_fields():
    first = CooperationRequestFilterSet(QueryDict("overdue=true"), CooperationRequest.objects.all())
    second = CooperationRequestFilterSet(QueryDict(""), CooperationRequest.objects.all())
    for name, declared in CooperationRequestFilterSet.base_filters.items():
        assert first.filters[name] is not declared
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name].parent is first
        assert second.filters[name].parent is second
    # A method filter calls the method of its own FilterSet, not of the class's declared filter.
    assert first.filters["overdue"].filter.f is first.filters["overdue"]
    assert type(first.form) is type(second.form)  # one form class for the FilterSet class
    first.form.fields["status"].widget.attrs["class"] = "is-invalid"
    assert "class" not in second.form.fields["status"].widget.attrs
    assert "class" not in CooperationRequestFilterSet().form.fields["status"].widget.attrs


def test_a_request_dependent_queryset_is_refused():
    class ByRequest(PortalFilterSet):
        partner = django_filters.ModelChoiceFilter(queryset=lambda request: Partner.objects.all())

        class Meta:
            model = Partner
            fields = ["partner"]

    with pytest.raises(TypeError, match="depends on the request"):
        ByRequest(QueryDict("")).form  # noqa: B018 - building the form is what is refused
