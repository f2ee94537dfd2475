"""The base every API viewset stands on: reads go through the model's one scoping method."""

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.http import Http404, HttpResponseBase
from rest_framework import mixins, permissions, viewsets
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.audit.services import audit_scope_miss

from .representation import values_plan


def acting_user(request: Request) -> User:
    """The signed-in portal user behind an API call; views reach this only past an authenticating permission."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


class WritesInTransaction:
    """ATOMIC_REQUESTS for the methods that may write, and none for reads (GET, HEAD, OPTIONS).

    A write still runs whole or not at all, with DRF's rollback of a write answered by an error, as under
    ATOMIC_REQUESTS. A read gains nothing from a transaction under PostgreSQL's read committed isolation (each
    statement reads its own snapshot either way) and paid two round trips for it, BEGIN and COMMIT, about a tenth of
    a read's time in a web worker under load. What a read records (the audit) is written by the audit middleware,
    outside the view, as it was. A read called inside a transaction already open (a test's) gets a savepoint as
    before: DRF marks the innermost transaction for rollback when it answers an error, and that must be the view's.
    """

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any) -> Any:
        return transaction.non_atomic_requests(super().as_view(*args, **kwargs))  # type: ignore[misc]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method in permissions.SAFE_METHODS and not transaction.get_connection().in_atomic_block:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class ScopedViewSet(WritesInTransaction, viewsets.GenericViewSet):
    """Reads through `visible_to(user)`, so an object out of the user's scope is a 404, like a missing one.

    A viewset whose queryset has no `visible_to` fails at once instead of leaking: scoping is not optional.
    """

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = super().get_queryset()
        if not hasattr(queryset, "visible_to"):
            raise TypeError(f"{type(self).__name__}.queryset must offer visible_to(user)")
        return queryset.visible_to(self.request.user)

    def filter_queryset(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """List filters and ordering apply to list routes only: DRF would also run them on every detail lookup
        (building the FilterSet and its form for nothing, about a fifth of a detail call), and a detail route's
        query string is not a filter of what it names."""
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self) -> Any:
        """The object in scope; when the id exists outside the caller's scope, the miss is audited and the answer
        is the same 404 as for a missing id."""
        try:
            return super().get_object()
        except Http404:
            lookup_kwarg = self.lookup_url_kwarg or self.lookup_field
            if lookup_kwarg in self.kwargs:
                audit_scope_miss(
                    self.get_queryset().model,
                    request=self.request,
                    scoped=self.get_queryset(),
                    **{self.lookup_field: self.kwargs[lookup_kwarg]},
                )
            raise


class ValuesListMixin(mixins.ListModelMixin):
    """list() whose page is read as tuples of the columns its serializer writes and written from them
    (representation.ValuesPlan), not as model instances: the same scope, filters, ordering, count and rows."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        plan = values_plan(self.get_serializer_class())  # type: ignore[attr-defined]
        values = queryset.values_list(*plan.paths)
        paginator = self.paginator  # type: ignore[attr-defined]
        # Counted on the queryset itself: the joins that the page's columns need stay out of the count.
        page = None if paginator is None else paginator.paginate_queryset(values, request, view=self, counted=queryset)
        rows = plan.rows(values if page is None else page)
        self.listed(request, rows)
        return Response(rows) if page is None else self.get_paginated_response(rows)  # type: ignore[attr-defined]

    def listed(self, request: Request, rows: Sequence[dict[str, Any]]) -> None:
        """Called with the rows of the page as written, before they are answered: where a viewset audits the
        sealed material a list showed."""


class VersionedRetrieveMixin:
    """Retrieve that answers with the object's ETag, for the If-Match its changes must carry."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from .writes import answer

        obj = self.get_object()  # type: ignore[attr-defined]
        self.retrieved(request, obj)
        return answer(self.get_serializer(obj).data, obj)  # type: ignore[attr-defined]

    def retrieved(self, request: Request, obj: Any) -> None:
        """Called once the object is read, before it is answered: where a viewset audits a view of sealed material."""


class ActionRoles(permissions.BasePermission):
    """Which roles may call each action, from the viewset's `action_roles`; reads default to any signed-in role."""

    message = "Your role may not do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        action = getattr(view, "action", None) or ""
        roles: dict[str, frozenset[str]] = getattr(view, "action_roles", {})
        allowed = roles.get(action, roles.get("*", frozenset(Role)))
        return getattr(user, "role", None) in allowed


REGISTRY_ONLY = frozenset({Role.REGISTRY})
REGISTRY_AND_FOCAL_POINTS = frozenset({Role.REGISTRY, Role.FOCAL_POINT})
FOCAL_POINTS_ONLY = frozenset({Role.FOCAL_POINT})
