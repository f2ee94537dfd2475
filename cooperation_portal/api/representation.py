"""Read-only serializers that write their rows from a plan made once per class, not once per call.

A ModelSerializer rebuilds its fields from the model on every instantiation (introspection and deep copies) and,
per row, walks them through `_readable_fields` and `get_attribute`. For a page of 50 requests that was about half of
the list call's Python time. `PlannedRepresentation` builds the fields once, keeps for each readable field its
name, an attribute getter for its source and the field's own `to_representation`, and writes each row from that
list: the output is the one the serializer's own `to_representation` gives (tests/api/test_representation.py
compares both), and the declared fields stay what the schema is generated from.

Only for fields whose output depends on the object alone: a field that reads the serializer's context (hyperlinks,
method fields) is refused when the plan is made, since the plan's fields are bound to a serializer without one.

A list goes further (`ValuesPlan`): its page is read as tuples of exactly the columns the serializer writes, the
related ones through their joins (`partner__code`), and each row is written from its tuple, so no model instance
is built at all (building 50 requests with their partner, situation and case was about a third of a list call).
"""

import datetime
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.relations import HyperlinkedRelatedField, ManyRelatedField, PKOnlyObject, RelatedField
from rest_framework.settings import api_settings

ContextBound = (serializers.SerializerMethodField, serializers.HiddenField, HyperlinkedRelatedField)
# (name, attribute getter, the field's to_representation, whether it is a plain ISO 8601 date-time in local time)
Plan = list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], bool]]


def _local_iso_datetime(field: serializers.Field[Any, Any, Any, Any]) -> bool:
    """A DateTimeField that writes ISO 8601 in the current time zone: its output for an aware value is the value in
    that zone, `isoformat()`, UTC as "Z". DRF looks the zone up again for each such field of each row (a tenth of a
    list call's Python time); the plan looks it up once per row."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        type(field) is serializers.DateTimeField
        and isinstance(output_format, str)
        and output_format.lower() == ISO_8601
        and not hasattr(field, "timezone")
        and settings.USE_TZ
    )


def _local_iso(value: datetime.datetime, zone: Any) -> str:
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _plan_of(serializer_class: type[serializers.BaseSerializer[Any]]) -> Plan:
    plan: Plan = []
    for name, field in serializer_class().fields.items():  # type: ignore[attr-defined]
        if field.write_only:
            continue
        inner = field.child_relation if isinstance(field, ManyRelatedField) else field
        if isinstance(inner, ContextBound) or field.source == "*":
            raise TypeError(f"{serializer_class.__name__}.{name}: its output depends on the serializer's context")
        # Relations keep DRF's own lookup (a primary key read without fetching the object, managers as querysets);
        # a plain attribute is read directly.
        relational = isinstance(field, RelatedField | ManyRelatedField | serializers.ListSerializer)
        read = field.get_attribute if relational else attrgetter(field.source)
        plan.append((name, read, field.to_representation, _local_iso_datetime(field)))
    return plan


class PlannedRepresentation:
    """Mixin for read-only (output) serializers: to_representation from a per-class plan."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        cls = type(self)
        plan: Plan | None = cls.__dict__.get("_representation_plan")
        if plan is None:
            plan = _plan_of(cls)  # type: ignore[arg-type]
            cls._representation_plan = plan  # type: ignore[attr-defined]
        row: dict[str, Any] = {}
        zone = None
        for name, read, represent, local_iso in plan:
            value = read(instance)
            empty = value.pk is None if isinstance(value, PKOnlyObject) else value is None
            if empty:
                row[name] = None
            elif local_iso and isinstance(value, datetime.datetime) and value.utcoffset() is not None:
                zone = zone or timezone.get_current_timezone()
                row[name] = _local_iso(value, zone)
            else:  # naive date-times and every other field: the field's own output
                row[name] = represent(value)
        return row


# (output name, index of the value in the row, the field's to_representation or None where the stored value is
# written as it is, local ISO date-time, None), or for a nested to-one serializer (output name, -1, None, False, its
# own slots): one shape, so that a row is written without asking each slot which kind it is.
Slot = tuple[str, int, Callable[[Any], Any] | None, bool, list[Any] | None]


# DRF fields whose to_representation gives back a stored value of these model fields unchanged: text (str(text)), a
# whole number (int(n)), a boolean, a choice (keyed by the stored value itself). A row writes such a value as it is.
_WRITTEN_AS_STORED: dict[type, tuple[type, ...]] = {
    serializers.CharField: (models.CharField, models.TextField),
    serializers.IntegerField: (models.IntegerField,),
    serializers.BooleanField: (models.BooleanField,),
    serializers.ChoiceField: (models.CharField, models.IntegerField),
}


def _represent(field: serializers.Field[Any, Any, Any, Any], model_field: Any) -> Callable[[Any], Any] | None:
    """The field's to_representation for a values row; None where it would give back the stored value unchanged
    (about 1,000 calls of a 50-row page), and date.isoformat for a plain ISO 8601 date field (what DRF calls)."""
    stored = _WRITTEN_AS_STORED.get(type(field))
    if stored and isinstance(model_field, stored):
        if not isinstance(field, serializers.ChoiceField):
            return None
        # A choice is written as its key, looked up by str(value): unchanged when every key is of the stored type.
        kind = str if isinstance(model_field, models.CharField) else int
        if all(type(key) is kind for key in field.choice_strings_to_values.values()):
            return None
    if (
        type(field) is serializers.DateField
        and isinstance(model_field, models.DateField)
        and not isinstance(model_field, models.DateTimeField)
        and str(getattr(field, "format", api_settings.DATE_FORMAT)).lower() == ISO_8601
    ):
        return datetime.date.isoformat
    return field.to_representation


class ValuesPlan:
    """The columns a read-only serializer writes, as `values_list` paths, and how to write a row from them.

    Plain model fields are read as they are and written by the field's own `to_representation`; a SlugRelatedField
    reads its slug through the join (`situation__code`); a nested PlannedRepresentation serializer of a non-null
    to-one relation reads its own fields the same way. Anything else (to-many, method fields, a nullable nested
    object, dotted sources) is refused when the plan is made; tests/api/test_representation.py compares the rows
    with the serializer's own output.
    """

    def __init__(self, serializer_class: type[serializers.BaseSerializer[Any]]) -> None:
        self.paths: list[str] = []
        self.slots = self._slots(serializer_class, "")

    def _slots(self, serializer_class: type[serializers.BaseSerializer[Any]], prefix: str) -> list[Slot]:
        model = serializer_class.Meta.model  # type: ignore[attr-defined]
        slots: list[Slot] = []
        for name, field in serializer_class().fields.items():  # type: ignore[attr-defined]
            if field.write_only:
                continue
            source = field.source
            refused = f"{serializer_class.__name__}.{name}: not written from a values row"
            if "." in source or source == "*" or isinstance(field, (*ContextBound, ManyRelatedField)):
                raise TypeError(refused)
            if isinstance(field, serializers.BaseSerializer):
                relation = model._meta.get_field(source)
                if getattr(field, "many", False) or not relation.many_to_one or relation.null:
                    raise TypeError(refused)
                if not isinstance(field, PlannedRepresentation):
                    raise TypeError(refused)
                slots.append((name, -1, None, False, self._slots(type(field), f"{prefix}{source}__")))
            elif isinstance(field, serializers.SlugRelatedField):
                slots.append((name, self._path(f"{prefix}{source}__{field.slug_field}"), None, False, None))
            elif isinstance(field, RelatedField):
                raise TypeError(refused)
            else:
                index = self._path(f"{prefix}{source}")
                represent = _represent(field, model._meta.get_field(source))
                slots.append((name, index, represent, _local_iso_datetime(field), None))
        return slots

    def _path(self, path: str) -> int:
        self.paths.append(path)
        return len(self.paths) - 1

    def rows(self, values: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """Each tuple of `queryset.values_list(*self.paths)` written as the serializer writes its object."""
        zone = timezone.get_current_timezone()

        def write(slots: list[Slot], values: tuple[Any, ...]) -> dict[str, Any]:
            row: dict[str, Any] = {}
            for name, index, represent, local_iso, nested in slots:
                if nested is not None:
                    row[name] = write(nested, values)
                    continue
                value = values[index]
                if value is None:
                    row[name] = None
                elif represent is None:
                    row[name] = value
                elif local_iso and isinstance(value, datetime.datetime) and value.utcoffset() is not None:
                    row[name] = _local_iso(value, zone)
                else:
                    row[name] = represent(value)
            return row

        return [write(self.slots, row) for row in values]


def values_plan(serializer_class: type[serializers.BaseSerializer[Any]]) -> ValuesPlan:
    """The serializer class's ValuesPlan, made once."""
    plan: ValuesPlan | None = serializer_class.__dict__.get("_values_plan")
    if plan is None:
        plan = ValuesPlan(serializer_class)
        serializer_class._values_plan = plan  # type: ignore[attr-defined]
    return plan
