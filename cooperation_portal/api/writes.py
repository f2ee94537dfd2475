"""Helpers shared by the viewsets that write: validate input, answer with the output serializer and an ETag."""

from typing import Any

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from .etags import Versioned, etag_for


def validated(
    serializer_class: type[serializers.BaseSerializer[Any]], request: Request, **kwargs: Any
) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def answer(data: Any, obj: Versioned, code: int = status.HTTP_200_OK) -> Response:
    return Response(data, status=code, headers={"ETag": etag_for(obj)})


class PartialInputMixin(serializers.Serializer[Any]):
    """Partial updates: only the fields sent are changed, none is filled with a default."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty
