"""Optimistic concurrency over HTTP: a versioned object's ETag, and the If-Match a change must carry."""

from typing import Any, Protocol

from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from .exceptions import PreconditionFailed, PreconditionRequired

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the version you read; a stale one gets 412, a missing one 428.",
)


class Versioned(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def version(self) -> int: ...


def etag_for(obj: Versioned) -> str:
    return f'"{obj.pk}-{obj.version}"'


def expected_version(request: Request, obj: Versioned) -> int:
    """The version the client read, from If-Match; 428 when absent, 412 when it names another object or version."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    if header == "*":
        return obj.version
    for tag in (part.strip().removeprefix("W/") for part in header.split(",")):
        pk, _, version = tag.strip('"').rpartition("-")
        if pk == str(obj.pk) and version.isdigit():
            return int(version)
    raise PreconditionFailed()
