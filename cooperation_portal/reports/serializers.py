"""Input shape of a report request; the same rules as the service's `validate_period`, named per field."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .services import MAX_PERIOD_DAYS, validate_period


class ReportPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(input_formats=["%Y-%m-%d"], help_text="First day of the period, YYYY-MM-DD.")
    end = serializers.DateField(
        input_formats=["%Y-%m-%d"], help_text=f"Last day of the period, YYYY-MM-DD; at most {MAX_PERIOD_DAYS} days."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            validate_period(start=attrs["start"], end=attrs["end"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs
