"""One handler turns domain errors into API answers: a clear 4xx, never a 500, nothing half-written."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cooperation_portal.versioning import StaleVersionError


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "This change needs an If-Match header carrying the ETag of the version you read."
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object changed since you read it; fetch it again and retry."
    default_code = "precondition_failed"


def _validation_detail(exc: DjangoValidationError) -> dict[str, Any] | list[str]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_validation_detail(exc))
    elif isinstance(exc, StaleVersionError):
        exc = PreconditionFailed(detail=str(exc))
    return drf_exception_handler(exc, context)
