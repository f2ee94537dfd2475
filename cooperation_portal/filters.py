"""The base of every FilterSet, and filters shared by the FilterSets of several apps."""

import copy
from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.STR)
class CodeMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """Select related rows by a public code (ISO code, situation code) rather than by database id."""

    def filter(self, qs: Any, value: Any) -> Any:
        # No code asked for arrives as `queryset.none()`; django-filter's `if not value` would compile that
        # queryset on every list call (several milliseconds in the request list's profile) to learn it is empty.
        if isinstance(value, QuerySet) and value.query.is_empty():
            return qs
        return super().filter(qs, value)


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """Rows whose field has any of the values chosen, as one `IN (...)`; no DISTINCT unless asked for.

    django-filter writes one equality per value joined by OR, which PostgreSQL (before 17) cannot use as an index
    condition: a focal point's count of its open requests then filtered every request of its partner in the index
    instead of reading those of each status asked for (`= ANY`, which `IN` becomes). The rows are the same.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def filter(self, qs: Any, value: Any) -> Any:
        if not value or self.conjoined or self.null_value in value or self.lookup_expr != "exact":
            return super().filter(qs, value)
        qs = self.get_method(qs)(**{f"{self.field_name}__in": sorted(set(value))})
        return qs.distinct() if self.distinct else qs


class IdFilter(django_filters.NumberFilter):
    """A database id: a whole number within the range of a 64-bit key, so no value can overflow the query."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class PortalFilterSet(django_filters.FilterSet):
    """A FilterSet that builds its form class once per class instead of once per call.

    django-filter deep-copies every declared filter for each FilterSet it makes, then builds a form field from
    each copy and a new form class from those fields, and the form deep-copies its fields once more: about a
    millisecond of each list call (API and pages alike) spent copying choice lists, querysets and lazy labels that
    never change. Here each filter is copied shallowly (its own object, so `parent` and `model` are this
    FilterSet's; what it holds is read-only: name, lookup, choices, queryset), and the form class is made once
    from the declared filters. Each form still copies its fields deeply (Django's Form does), so a page may
    restyle its form's widgets without touching another request's.

    Only for filters whose form field does not depend on the request (no callable `queryset`): checked when the
    form class is first made.
    """

    _form_class: ClassVar[type[forms.Form] | None] = None

    def __init__(
        self, data: Any = None, queryset: Any = None, *, request: Any = None, prefix: str | None = None
    ) -> None:
        # BaseFilterSet.__init__ of django-filter, with a shallow copy of each filter for its deep copy of them all
        # (tests/test_filters.py checks that both set the same attributes).
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, declared in self.base_filters.items():
            filter_ = copy.copy(declared)
            if declared.method is not None:
                filter_.method = declared.method  # its FilterMethod bound to the copy, which has the parent
            filter_.model = queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    def get_form_class(self) -> type[forms.Form]:
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            for name, declared in cls.base_filters.items():
                if callable(declared.extra.get("queryset")):
                    raise TypeError(f"{cls.__name__}.{name}: a queryset that depends on the request")
            fields = {name: declared.field for name, declared in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            cls._form_class = form_class
        return form_class
