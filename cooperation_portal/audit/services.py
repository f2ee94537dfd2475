"""The only code that writes the audit trail: `audit_record`, and the helpers that call it.

Most events are written in the transaction of the request that caused them (an export, a download, a sealed
record viewed), so they stand or fall with it. Refusals are different: the view that refused raised, and with
ATOMIC_REQUESTS its transaction is rolled back. Those events are kept on the request and written by
AuditMiddleware once the response exists, outside the view's transaction (`deferred=True`).
"""

import logging
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection, models
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework.request import Request

from cooperation_portal.accounts.models import User

from .choices import AuditKind
from .models import AuditEvent

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=models.Model)

# The HTTP request being handled, and the events to write after its response; set by AuditMiddleware.
_current: ContextVar[tuple[HttpRequest, list[dict[str, Any]]] | None] = ContextVar("audit_request", default=None)

MAX_DETAIL_VALUE = 200


def client_ip(request: HttpRequest | Request | None) -> str | None:
    """REMOTE_ADDR, or with PORTAL_AUDIT_PROXY_COUNT trusted proxies in front, the address the nearest of them saw.

    Only the entries the trusted proxies appended are read, counted from the right: the left of
    X-Forwarded-For is whatever the client sent.
    """
    if request is None:
        return None
    proxies = int(getattr(settings, "PORTAL_AUDIT_PROXY_COUNT", 0) or 0)
    address: str | None = request.META.get("REMOTE_ADDR")
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return _valid_ip(address)


def _valid_ip(address: str | None) -> str | None:
    if not address:
        return None
    try:
        validate_ipv46_address(address)
    except DjangoValidationError:
        return None
    return address


def _short(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """Scalars and short lists only, each cut to a length that holds ids, codes and formats."""
    short: dict[str, Any] = {}
    for key, value in (detail or {}).items():
        if isinstance(value, bool | int | float) or value is None:
            short[str(key)] = value
        elif isinstance(value, list | tuple):
            short[str(key)] = [str(item)[:MAX_DETAIL_VALUE] for item in value][:20]
        else:
            short[str(key)] = str(value)[:MAX_DETAIL_VALUE]
    return short


def object_label(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


def audit_record(
    *,
    kind: str,
    user: Any = None,
    request: HttpRequest | Request | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    username: str | None = None,
    detail: Mapping[str, Any] | None = None,
    deferred: bool = False,
) -> AuditEvent | None:
    """Record one security event: who (the request's user unless `user` is given; `user=False` records none, as for
    a failed login), from where, on what.

    `detail` must hold nothing secret: ids, formats, flags; it is cut short here in any case. With `deferred`,
    during a request handled by AuditMiddleware, the event is written after the response, outside the view's
    transaction, so that it survives the view raising (a refusal, a 404); it is then not returned.
    """
    if obj is not None:
        object_type, object_id = object_type or object_label(obj), obj.pk
    fields = _event_fields(
        kind=kind, user=user, request=request, object_type=object_type, object_id=object_id, username=username,
        detail=detail,
    )
    current = _current.get()
    if deferred and current is not None:
        current[1].append(fields)
        return None
    return AuditEvent.objects.create(**fields)


def audit_sealed_listed(
    *, request: HttpRequest | Request, model: type[models.Model], ids: Iterable[Any], shown_in: str = "list"
) -> int:
    """One SEALED_VIEW event per object under seal that a page listed (`ids`), written in one statement, so that
    "who saw this sealed record" is answered for lists, and for the records another record's page lists
    (`shown_in`: "list" for a list page, else the listing object's label and id), as for the record's own page;
    nothing when `ids` is empty. Returns how many."""
    ids = list(ids)
    if not ids:
        return 0
    fields = _event_fields(
        kind=AuditKind.SEALED_VIEW, request=request, object_type=object_label(model), detail={"shown_in": shown_in}
    )
    return _insert_events([{**fields, "object_id": str(pk)} for pk in ids])


def _insert_events(events: list[dict[str, Any]]) -> int:
    """One INSERT statement for `events` (field values as _event_fields gives them). Not bulk_create: outside a
    transaction (an API read has none) it wraps its INSERT in BEGIN and COMMIT, two more round trips on every list
    page that shows sealed rows, where one statement is atomic by itself."""
    occurred_at = timezone.now()
    columns = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    params: list[Any] = []
    for event in events:
        user = event["user"]
        values = {**event, "occurred_at": occurred_at, "user": None if user is None else user.pk}
        params += [field.get_db_prep_save(values[field.name], connection) for field in columns]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names = ", ".join(connection.ops.quote_name(str(field.column)) for field in columns)
    # Names from the model, every value a parameter.
    statement = f"INSERT INTO {connection.ops.quote_name(AuditEvent._meta.db_table)} ({names}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement + ", ".join([row] * len(events)), params)
    return len(events)


def _event_fields(
    *,
    kind: str,
    user: Any = None,
    request: HttpRequest | Request | None = None,
    object_type: str = "",
    object_id: Any = "",
    username: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    if kind not in AuditKind.values:
        raise ValueError(f"Unknown audit event kind: {kind}")
    if user is None and request is not None:
        user = getattr(request, "user", None)
    portal_user = user if isinstance(user, User) and user.pk is not None else None
    return {
        "kind": kind,
        "user": portal_user,
        "username": (username if username is not None else (portal_user.get_username() if portal_user else ""))[
            :150
        ],
        "ip_address": client_ip(request),
        "method": (request.method or "")[:10] if request is not None else "",
        "path": request.path[:500] if request is not None else "",
        "object_type": object_type[:100],
        "object_id": "" if object_id in (None, "") else str(object_id)[:64],
        "detail": _short(detail),
    }


def get_in_scope_or_404(scoped: models.QuerySet[M], **lookup: Any) -> M:
    """`get_object_or_404` over a scoped queryset; when the object exists outside the scope, the miss is recorded
    (after the response), and the user still gets the same 404 as for a missing id."""
    try:
        return get_object_or_404(scoped, **lookup)
    except Http404:
        audit_scope_miss(scoped.model, **lookup)
        raise


def audit_scope_miss(
    model: type[models.Model],
    *,
    request: HttpRequest | Request | None = None,
    scoped: models.QuerySet[Any] | None = None,
    **lookup: Any,
) -> None:
    """Record that a lookup missed an object that exists outside the user's scope; nothing if it does not exist at
    all, nor if it is in `scoped` (the miss then came from other filters, such as an API query string)."""
    try:
        exists = model._base_manager.filter(**lookup).exists()
        if exists and scoped is not None:
            exists = not scoped.filter(**lookup).exists()
    except (ValueError, TypeError, DjangoValidationError):  # a malformed id in the URL: nothing to look for
        return
    if not exists:
        return
    current = _current.get()
    request = request if request is not None else (current[0] if current is not None else None)
    object_id = lookup.get("pk", lookup.get("id", ""))
    audit_record(
        kind=AuditKind.OUT_OF_SCOPE,
        request=request,
        object_type=object_label(model),
        object_id=object_id,
        detail={"lookup": sorted(lookup)},
        deferred=True,
    )


def begin_request(request: HttpRequest) -> Any:
    return _current.set((request, []))


def end_request(token: Any) -> list[dict[str, Any]]:
    current = _current.get()
    _current.reset(token)
    return current[1] if current is not None else []


def write_deferred(events: list[dict[str, Any]]) -> None:
    """Write the events a request deferred; a failure is logged, never turned into an error page."""
    if not events:
        return
    try:
        AuditEvent.objects.bulk_create([AuditEvent(**fields) for fields in events])
    except Exception:
        logger.exception("Could not write %s audit events", len(events))
