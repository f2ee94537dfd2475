"""Filters shared by the FilterSets of several apps."""

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
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


class IdFilter(django_filters.NumberFilter):
    """A database id: a whole number within the range of a 64-bit key, so no value can overflow the query."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)
