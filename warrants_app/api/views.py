from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from cooperation_portal.api.viewsets import ScopedViewSet

from ..filtersets import ArrestWarrantFilterSet, ContactReportFilterSet
from ..models import ArrestWarrant, ContactReport


class ArrestWarrantSerializer(serializers.ModelSerializer[ArrestWarrant]):
    situation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    case = serializers.SlugRelatedField(slug_field="number", read_only=True)
    believed_in = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    status = serializers.SerializerMethodField(help_text="Status today, computed from the dates.")

    class Meta:
        model = ArrestWarrant
        fields = [
            "id", "person_name", "situation", "case", "chamber", "issued_on", "charges", "status", "custody_on",
            "withdrawn_on", "terminated_on", "under_seal", "unsealed_on", "believed_in",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_status(self, warrant: ArrestWarrant) -> str:
        return warrant.status


class ArrestWarrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Warrants; one under seal only for registry staff with clearance."""

    queryset = ArrestWarrant.objects.select_related("situation", "case").prefetch_related("believed_in")
    serializer_class = ArrestWarrantSerializer
    filterset_class = ArrestWarrantFilterSet
    ordering_fields = ["issued_on", "person_name"]
    ordering = ["-issued_on", "person_name"]


class ContactReportSerializer(serializers.ModelSerializer[ContactReport]):
    partner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ContactReport
        fields = ["id", "warrant", "partner", "reported_by", "contact_on", "place", "description", "created_at"]
        read_only_fields = fields


class ContactReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Contact reports: a focal point sees their own partner's; registry staff all on warrants they may see."""

    queryset = ContactReport.objects.select_related("partner", "reported_by")
    serializer_class = ContactReportSerializer
    filterset_class = ContactReportFilterSet
    ordering = ["-contact_on"]
