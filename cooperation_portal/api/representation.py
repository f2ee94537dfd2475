"""Read-only serializers that write their rows from a plan made once per class, not once per call.

A ModelSerializer rebuilds its fields from the model on every instantiation (introspection and deep copies) and,
per row, walks them through `_readable_fields` and `get_attribute`. For a page of 50 requests that was about half of
the list call's Python time. `PlannedRepresentation` builds the fields once, keeps for each readable field its
name, an attribute getter for its source and the field's own `to_representation`, and writes each row from that
list: the output is the one the serializer's own `to_representation` gives (tests/api/test_representation.py
compares both), and the declared fields stay what the schema is generated from.

Only for fields whose output depends on the object alone: a field that reads the serializer's context (hyperlinks,
method fields) is refused when the plan is made, since the plan's fields are bound to a serializer without one.
"""

import datetime
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from django.conf import settings
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
                text = value.astimezone(zone).isoformat()
                row[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            else:  # naive date-times and every other field: the field's own output
                row[name] = represent(value)
        return row
