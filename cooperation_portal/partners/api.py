from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from cooperation_portal.api.viewsets import ScopedViewSet
from cooperation_portal.dates import court_today

from .filtersets import PartnerFilterSet
from .models import Partner


class PartnerSerializer(serializers.ModelSerializer[Partner]):
    is_state_party = serializers.SerializerMethodField(help_text="State Party today, in the Court's calendar.")

    class Meta:
        model = Partner
        fields = [
            "id", "kind", "code", "name", "name_fr", "regional_group", "signature_date", "ratification_date",
            "entry_into_force_date", "withdrawal_notified_date", "withdrawal_effective_date", "apic_date",
            "implementing_legislation_date", "channel", "request_language", "source", "is_state_party",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_is_state_party(self, partner: Partner) -> bool:
        return partner.is_state_party_on(court_today())


class PartnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """States and organizations; a focal point sees only their own partner."""

    queryset = Partner.objects.all()
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilterSet
    lookup_field = "code"
    ordering_fields = ["name", "code", "entry_into_force_date"]
    ordering = ["name"]
