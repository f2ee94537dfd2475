"""Cooperation requests over HTTP. Reads go through the scoped queryset; every write calls a service."""

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from cooperation_portal.api.etags import IF_MATCH, expected_version
from cooperation_portal.api.viewsets import (
    REGISTRY_AND_FOCAL_POINTS,
    REGISTRY_ONLY,
    ActionRoles,
    ScopedViewSet,
    ValuesListMixin,
    VersionedRetrieveMixin,
    acting_user,
)
from cooperation_portal.api.writes import answer, validated
from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.services import audit_record, audit_sealed_listed
from cooperation_portal.multipart import APIMultiPartParser

from .. import services
from ..choices import Confidentiality, Status
from ..filtersets import CooperationRequestFilterSet
from ..models import Attachment, CooperationRequest, RequestEvent
from . import serializers as s

TRANSITION_SCHEMA = extend_schema(
    parameters=[IF_MATCH], request=s.TransitionSerializer, responses={200: s.CooperationRequestSerializer}
)


class CooperationRequestViewSet(ValuesListMixin, VersionedRetrieveMixin, ScopedViewSet):
    """Cooperation requests visible to the caller: all for registry staff, their own partner's for a focal point."""

    queryset = CooperationRequest.objects.with_related()
    serializer_class = s.CooperationRequestSerializer
    filterset_class = CooperationRequestFilterSet
    permission_classes = [ActionRoles]
    ordering_fields = ["transmitted_on", "due_on", "reference", "status", "updated_at"]
    ordering = ["-transmitted_on", "-id"]
    action_roles = {
        "list": REGISTRY_AND_FOCAL_POINTS,
        "retrieve": REGISTRY_AND_FOCAL_POINTS,
        "create": REGISTRY_ONLY,
        "partial_update": REGISTRY_ONLY,
        "transmit": REGISTRY_ONLY,
        "acknowledge": REGISTRY_AND_FOCAL_POINTS,
        "start_execution": REGISTRY_AND_FOCAL_POINTS,
        "report_outcome": REGISTRY_AND_FOCAL_POINTS,
        "close": REGISTRY_ONLY,
        "withdraw": REGISTRY_ONLY,
        "pause_clock": REGISTRY_AND_FOCAL_POINTS,
        "resume_clock": REGISTRY_ONLY,
        "record_provisional_arrest": REGISTRY_AND_FOCAL_POINTS,
        "correct_provisional_arrest": REGISTRY_ONLY,
        "add_message": REGISTRY_AND_FOCAL_POINTS,
    }

    def get_queryset(self) -> QuerySet[CooperationRequest]:
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=RequestEvent.objects.select_related("actor")),
                Prefetch("attachments", queryset=Attachment.objects.alive()),
                "clock_pauses",
            )
        return queryset

    def retrieved(self, request: Request, obj: CooperationRequest) -> None:
        if obj.is_sealed:
            audit_record(kind=AuditKind.SEALED_VIEW, request=request, obj=obj)

    def listed(self, request: Request, rows: Sequence[dict[str, Any]]) -> None:
        sealed = [row["id"] for row in rows if row["confidentiality"] == Confidentiality.UNDER_SEAL]
        audit_sealed_listed(request=request, model=CooperationRequest, ids=sealed)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "retrieve":
            return s.CooperationRequestDetailSerializer
        return super().get_serializer_class()

    def _answer(self, coop_request: CooperationRequest, code: int = status.HTTP_200_OK) -> Response:
        coop_request = self.get_queryset().get(pk=coop_request.pk)
        return answer(s.CooperationRequestSerializer(coop_request).data, coop_request, code)

    @extend_schema(request=s.CooperationRequestInputSerializer, responses={201: s.CooperationRequestSerializer})
    def create(self, request: Request) -> Response:
        """Log a new request as a draft."""
        data = validated(s.CooperationRequestInputSerializer, request)
        coop_request = services.request_create(actor=acting_user(request), **data)
        return self._answer(coop_request, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.CooperationRequestUpdateSerializer,
        responses={200: s.CooperationRequestSerializer},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        coop_request = self.get_object()
        version = expected_version(request, coop_request)
        data = validated(s.CooperationRequestUpdateSerializer, request)
        coop_request = services.request_update(
            coop_request=coop_request, actor=acting_user(request), expected_version=version, data=data
        )
        return self._answer(coop_request)

    def _change(
        self, request: Request, serializer_class: type[BaseSerializer[Any]], service: Callable[..., Any]
    ) -> Response:
        """Scoped lookup first (a hidden request is a 404 whatever the body), then If-Match, then the body, whose
        fields go to `service` with the request, the acting user and the version read."""
        coop_request = self.get_object()
        version = expected_version(request, coop_request)
        data = validated(serializer_class, request)
        service(coop_request=coop_request, actor=acting_user(request), expected_version=version, **data)
        return self._answer(coop_request)

    def _transition(
        self, request: Request, serializer_class: type[s.TransitionSerializer], to_status: str | None = None
    ) -> Response:
        """Scoped lookup first (a hidden request is a 404 whatever the body), then If-Match, then the body."""
        coop_request = self.get_object()
        version = expected_version(request, coop_request)
        data = validated(serializer_class, request)
        to_status = to_status or data.pop("outcome")
        coop_request = services.request_transition(
            coop_request=coop_request, actor=acting_user(request), to_status=to_status, expected_version=version, **data
        )
        return self._answer(coop_request)

    @extend_schema(parameters=[IF_MATCH], request=s.TransmitSerializer, responses={200: s.CooperationRequestSerializer})
    @action(detail=True, methods=["post"])
    def transmit(self, request: Request, pk: str | None = None) -> Response:
        """Transmit a draft to its partner; the due date follows the type's default unless given."""
        return self._transition(request, s.TransmitSerializer, Status.TRANSMITTED)

    @TRANSITION_SCHEMA
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, s.TransitionSerializer, Status.ACKNOWLEDGED)

    @TRANSITION_SCHEMA
    @action(detail=True, methods=["post"], url_path="start-execution")
    def start_execution(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, s.TransitionSerializer, Status.IN_EXECUTION)

    @extend_schema(parameters=[IF_MATCH], request=s.OutcomeSerializer, responses={200: s.CooperationRequestSerializer})
    @action(detail=True, methods=["post"], url_path="report-outcome")
    def report_outcome(self, request: Request, pk: str | None = None) -> Response:
        """Report the outcome: executed, partially executed or not executed (with reasons)."""
        return self._transition(request, s.OutcomeSerializer)

    @TRANSITION_SCHEMA
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, s.TransitionSerializer, Status.CLOSED)

    @TRANSITION_SCHEMA
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._transition(request, s.TransitionSerializer, Status.WITHDRAWN)

    @extend_schema(parameters=[IF_MATCH], request=s.PauseSerializer, responses={200: s.CooperationRequestSerializer})
    @action(detail=True, methods=["post"], url_path="pause-clock")
    def pause_clock(self, request: Request, pk: str | None = None) -> Response:
        """Pause the deadline clock for consultations (art. 97, with the ground) or postponement (arts. 94, 95)."""
        return self._change(request, s.PauseSerializer, services.request_pause_clock)

    @TRANSITION_SCHEMA
    @action(detail=True, methods=["post"], url_path="resume-clock")
    def resume_clock(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, s.TransitionSerializer, services.request_resume_clock)

    @extend_schema(
        parameters=[IF_MATCH], request=s.ProvisionalArrestSerializer, responses={200: s.CooperationRequestSerializer}
    )
    @action(detail=True, methods=["post"], url_path="provisional-arrest")
    def record_provisional_arrest(self, request: Request, pk: str | None = None) -> Response:
        """Record the day of the provisional arrest (art. 92), once; the supporting documents fall due 60 days
        later (rule 188) and the overdue sweep follows that date."""
        return self._change(request, s.ProvisionalArrestSerializer, services.request_record_provisional_arrest)

    @extend_schema(
        parameters=[IF_MATCH], request=s.ProvisionalArrestCorrectionSerializer,
        responses={200: s.CooperationRequestSerializer},
    )
    @action(detail=True, methods=["post"], url_path="provisional-arrest/correction")
    def correct_provisional_arrest(self, request: Request, pk: str | None = None) -> Response:
        """Correct the recorded day of the provisional arrest, with the reason (registry staff); the supporting
        documents' due date moves with it and the State's focal points are told."""
        return self._change(
            request, s.ProvisionalArrestCorrectionSerializer, services.request_correct_provisional_arrest
        )

    @extend_schema(
        request={"multipart/form-data": s.MessageInputSerializer, "application/json": s.MessageInputSerializer},
        responses={201: s.MessageSerializer},
    )
    @action(detail=True, methods=["post"], url_path="messages", parser_classes=[APIMultiPartParser, JSONParser])
    def add_message(self, request: Request, pk: str | None = None) -> Response:
        """Record a message on the request, with documents attached; a refused document stores nothing at all.

        A message is not a change to the request's particulars, so it carries no If-Match.
        """
        coop_request = self.get_object()
        misplaced = sorted(set(request.FILES) - {"files"})
        if misplaced:
            raise ValidationError({field: ["Attach documents in the field “files”."] for field in misplaced})
        data = validated(s.MessageInputSerializer, request)
        event = services.request_add_message(
            coop_request=coop_request, actor=acting_user(request), body=data["body"], files=data["files"]
        )
        return Response(s.MessageSerializer(event).data, status=status.HTTP_201_CREATED)
