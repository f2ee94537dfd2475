from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from cooperation_portal.api.viewsets import ScopedViewSet
from cooperation_portal.partners.api import PartnerSerializer

from ..filtersets import VoluntaryAgreementFilterSet
from ..models import VoluntaryAgreement


class VoluntaryAgreementSerializer(serializers.ModelSerializer[VoluntaryAgreement]):
    partner = PartnerSerializer(read_only=True)
    status = serializers.SerializerMethodField(help_text="Status today, computed from the dates.")

    class Meta:
        model = VoluntaryAgreement
        fields = [
            "id", "partner", "agreement_type", "title", "negotiation_started_on", "signed_on", "in_force_on",
            "terminated_on", "status", "source",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_status(self, agreement: VoluntaryAgreement) -> str:
        return agreement.status


class VoluntaryAgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Framework agreements; a focal point sees only their own State's."""

    queryset = VoluntaryAgreement.objects.select_related("partner")
    serializer_class = VoluntaryAgreementSerializer
    filterset_class = VoluntaryAgreementFilterSet
    ordering_fields = ["signed_on", "in_force_on", "agreement_type"]
    ordering = ["agreement_type", "partner__name"]
