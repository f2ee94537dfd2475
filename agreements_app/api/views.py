from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cooperation_portal.api.etags import IF_MATCH, expected_version
from cooperation_portal.api.viewsets import (
    REGISTRY_ONLY,
    ActionRoles,
    ScopedViewSet,
    VersionedRetrieveMixin,
    acting_user,
)
from cooperation_portal.api.writes import PartialInputMixin, answer, validated
from cooperation_portal.partners.api import PartnerSerializer
from cooperation_portal.partners.models import Partner

from .. import services
from ..choices import AgreementType
from ..filtersets import VoluntaryAgreementFilterSet
from ..models import VoluntaryAgreement


class VoluntaryAgreementSerializer(serializers.ModelSerializer[VoluntaryAgreement]):
    partner = PartnerSerializer(read_only=True)
    status = serializers.SerializerMethodField(help_text="Status today, computed from the dates.")

    class Meta:
        model = VoluntaryAgreement
        fields = [
            "id",
            "partner",
            "agreement_type",
            "title",
            "negotiation_started_on",
            "signed_on",
            "in_force_on",
            "terminated_on",
            "status",
            "is_public",
            "source",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_status(self, agreement: VoluntaryAgreement) -> str:
        return agreement.status


class VoluntaryAgreementInputSerializer(serializers.Serializer[VoluntaryAgreement]):
    partner = serializers.SlugRelatedField(slug_field="code", queryset=Partner.objects.states())
    agreement_type = serializers.ChoiceField(choices=AgreementType.choices)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    negotiation_started_on = serializers.DateField(required=False, allow_null=True, default=None)
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)
    in_force_on = serializers.DateField(required=False, allow_null=True, default=None)
    terminated_on = serializers.DateField(required=False, allow_null=True, default=None)
    is_public = serializers.BooleanField(default=True)
    # A field named like Field.source: DRF's metaclass collects it as a field, which the stubs cannot know.
    source = serializers.CharField(required=False, allow_blank=True, default="")  # type: ignore[assignment]


class VoluntaryAgreementUpdateSerializer(PartialInputMixin, VoluntaryAgreementInputSerializer):
    pass


class VoluntaryAgreementViewSet(mixins.ListModelMixin, VersionedRetrieveMixin, ScopedViewSet):
    """Framework agreements; a focal point sees only their own State's, a facilitator only public ones."""

    queryset = VoluntaryAgreement.objects.select_related("partner")
    serializer_class = VoluntaryAgreementSerializer
    filterset_class = VoluntaryAgreementFilterSet
    permission_classes = [ActionRoles]
    action_roles = {"create": REGISTRY_ONLY, "partial_update": REGISTRY_ONLY}
    ordering_fields = ["signed_on", "in_force_on", "agreement_type"]
    ordering = ["agreement_type", "partner__name"]

    @extend_schema(request=VoluntaryAgreementInputSerializer, responses={201: VoluntaryAgreementSerializer})
    def create(self, request: Request) -> Response:
        data = validated(VoluntaryAgreementInputSerializer, request)
        agreement = services.agreement_create(actor=acting_user(request), **data)
        return answer(self.get_serializer(agreement).data, agreement, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH], request=VoluntaryAgreementUpdateSerializer, responses={200: VoluntaryAgreementSerializer}
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        agreement = self.get_object()
        version = expected_version(request, agreement)
        data = validated(VoluntaryAgreementUpdateSerializer, request)
        agreement = services.agreement_update(
            agreement=agreement, actor=acting_user(request), expected_version=version, data=data
        )
        return answer(self.get_serializer(agreement).data, agreement)
