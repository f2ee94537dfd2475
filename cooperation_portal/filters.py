"""Filters shared by the FilterSets of several apps."""

from typing import Any

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.STR)
class CodeMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """Select related rows by a public code (ISO code, situation code) rather than by database id."""


class IdFilter(django_filters.NumberFilter):
    """A database id: a whole number within the range of a 64-bit key, so no value can overflow the query."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)
