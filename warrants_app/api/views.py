from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cooperation_portal.accounts.models import User
from cooperation_portal.api.etags import IF_MATCH, expected_version
from cooperation_portal.api.viewsets import (
    FOCAL_POINTS_ONLY,
    REGISTRY_AND_FOCAL_POINTS,
    REGISTRY_ONLY,
    ActionRoles,
    ScopedViewSet,
    VersionedRetrieveMixin,
    acting_user,
)
from cooperation_portal.api.writes import PartialInputMixin, answer, validated
from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.services import audit_record, audit_sealed_listed
from cooperation_portal.dates import court_today
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation

from .. import services
from ..filtersets import ArrestWarrantFilterSet, ContactReportFilterSet
from ..models import ArrestWarrant, ContactReport


class ArrestWarrantSerializer(serializers.ModelSerializer[ArrestWarrant]):
    situation: serializers.SlugRelatedField[Situation] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    case: serializers.SlugRelatedField[Case] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    believed_in: serializers.SlugRelatedField[Partner] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    status = serializers.SerializerMethodField(help_text="Status today, computed from the dates.")

    class Meta:
        model = ArrestWarrant
        fields = [
            "id",
            "person_name",
            "situation",
            "case",
            "chamber",
            "issued_on",
            "charges",
            "status",
            "custody_on",
            "withdrawn_on",
            "terminated_on",
            "under_seal",
            "unsealed_on",
            "believed_in",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_status(self, warrant: ArrestWarrant) -> str:
        return warrant.status


class ArrestWarrantInputSerializer(serializers.Serializer[ArrestWarrant]):
    person_name = serializers.CharField(max_length=200)
    situation = serializers.SlugRelatedField(slug_field="code", queryset=Situation.objects.all())
    case = serializers.SlugRelatedField(
        slug_field="number", queryset=Case.objects.all(), required=False, allow_null=True, default=None
    )
    chamber = serializers.CharField(max_length=100)
    issued_on = serializers.DateField()
    charges = serializers.CharField(required=False, allow_blank=True, default="")
    under_seal = serializers.BooleanField(default=False)
    believed_in = serializers.SlugRelatedField(
        slug_field="code", queryset=Partner.objects.states(), many=True, required=False
    )


class ArrestWarrantUpdateSerializer(PartialInputMixin, serializers.Serializer[ArrestWarrant]):
    person_name = serializers.CharField(max_length=200)
    chamber = serializers.CharField(max_length=100)
    charges = serializers.CharField(allow_blank=True)
    custody_on = serializers.DateField(allow_null=True)
    withdrawn_on = serializers.DateField(allow_null=True)
    terminated_on = serializers.DateField(allow_null=True)
    unsealed_on = serializers.DateField(allow_null=True)
    believed_in = serializers.SlugRelatedField(slug_field="code", queryset=Partner.objects.states(), many=True)


class ArrestWarrantViewSet(mixins.ListModelMixin, VersionedRetrieveMixin, ScopedViewSet):
    """Warrants; one under seal only for registry staff with clearance."""

    queryset = ArrestWarrant.objects.select_related("situation", "case").prefetch_related("believed_in")
    serializer_class = ArrestWarrantSerializer
    filterset_class = ArrestWarrantFilterSet
    permission_classes = [ActionRoles]
    action_roles = {"create": REGISTRY_ONLY, "partial_update": REGISTRY_ONLY}
    ordering_fields = ["issued_on", "person_name"]
    ordering = ["-issued_on", "person_name"]

    def retrieved(self, request: Request, obj: ArrestWarrant) -> None:
        if obj.is_sealed_on():
            audit_record(kind=AuditKind.SEALED_VIEW, request=request, obj=obj)

    def paginate_queryset(self, queryset: QuerySet[Any] | Sequence[Any]) -> list[Any] | None:
        """The page, whose warrants under seal today are audited as shown (audit_sealed_listed)."""
        page = super().paginate_queryset(queryset)
        today = court_today()
        sealed = [warrant.pk for warrant in page or () if warrant.is_sealed_on(today)]
        audit_sealed_listed(request=self.request, model=ArrestWarrant, ids=sealed)
        return page

    @extend_schema(request=ArrestWarrantInputSerializer, responses={201: ArrestWarrantSerializer})
    def create(self, request: Request) -> Response:
        warrant = services.warrant_create(
            actor=acting_user(request), **validated(ArrestWarrantInputSerializer, request)
        )
        data = self.get_serializer(self.get_queryset().get(pk=warrant.pk)).data
        return answer(data, warrant, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH], request=ArrestWarrantUpdateSerializer, responses={200: ArrestWarrantSerializer}
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change particulars, or record a dated status change: custody, withdrawal, termination, unsealing."""
        warrant = self.get_object()
        version = expected_version(request, warrant)
        data = validated(ArrestWarrantUpdateSerializer, request)
        believed_in = data.pop("believed_in", None)
        warrant = services.warrant_update(
            warrant=warrant, actor=acting_user(request), expected_version=version, data=data, believed_in=believed_in
        )
        return answer(self.get_serializer(self.get_queryset().get(pk=warrant.pk)).data, warrant)


class ContactReportSerializer(serializers.ModelSerializer[ContactReport]):
    partner: serializers.SlugRelatedField[Partner] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reported_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ContactReport
        fields = ["id", "warrant", "partner", "reported_by", "contact_on", "place", "description", "created_at"]
        read_only_fields = fields


class ContactReportInputSerializer(serializers.Serializer[ContactReport]):
    # An id checked by the service against the warrants the caller may see, never a choice over all warrants.
    warrant = serializers.IntegerField(min_value=1)
    contact_on = serializers.DateField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=20_000)


class ContactReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Contact reports: a focal point files and sees their own partner's; registry staff see them all."""

    queryset = ContactReport.objects.select_related("partner", "reported_by")
    serializer_class = ContactReportSerializer
    filterset_class = ContactReportFilterSet
    permission_classes = [ActionRoles]
    action_roles = {
        "list": REGISTRY_AND_FOCAL_POINTS,
        "retrieve": REGISTRY_AND_FOCAL_POINTS,
        "create": FOCAL_POINTS_ONLY,
    }
    ordering = ["-contact_on"]

    @extend_schema(request=ContactReportInputSerializer, responses={201: ContactReportSerializer})
    def create(self, request: Request) -> Response:
        data = validated(ContactReportInputSerializer, request)
        warrant = ArrestWarrant.objects.visible_to(acting_user(request)).filter(pk=data.pop("warrant")).first()
        if warrant is None:
            raise serializers.ValidationError({"warrant": ["No such public warrant."]})
        report = services.contact_report_create(actor=acting_user(request), warrant=warrant, **data)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)
