"""Input serializers check shape only; output serializers say what a reader sees. Rules live in the services."""

from rest_framework import serializers

from cooperation_portal.accounts.models import User
from cooperation_portal.api.representation import PlannedRepresentation
from cooperation_portal.api.writes import PartialInputMixin
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation

from ..choices import OUTCOME_STATUSES, Confidentiality, ConsultationGround, Organ, PauseReason, RequestType, Status
from ..models import Attachment, ClockPause, CooperationRequest, RequestEvent


class PartnerRefSerializer(PlannedRepresentation, serializers.ModelSerializer[Partner]):
    class Meta:
        model = Partner
        fields = ["code", "name", "kind", "regional_group"]


class RequestEventSerializer(PlannedRepresentation, serializers.ModelSerializer[RequestEvent]):
    actor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RequestEvent
        fields = ["id", "kind", "from_status", "to_status", "actor", "occurred_at", "note"]


class AttachmentSerializer(PlannedRepresentation, serializers.ModelSerializer[Attachment]):
    class Meta:
        model = Attachment
        fields = ["id", "event", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class MessageSerializer(RequestEventSerializer):
    """A message event with the documents attached to it."""

    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(RequestEventSerializer.Meta):
        fields = [*RequestEventSerializer.Meta.fields, "attachments"]


class MessageInputSerializer(serializers.Serializer[RequestEvent]):
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list,
        help_text="Documents to attach: multipart/form-data, the field repeated once per file. Each is checked by "
        "its content (size, allowed types, active PDF content, zip bombs) and its name before anything is stored.",
    )


class ClockPauseSerializer(PlannedRepresentation, serializers.ModelSerializer[ClockPause]):
    class Meta:
        model = ClockPause
        fields = ["id", "reason", "ground", "started_on", "ended_on"]


class CooperationRequestSerializer(PlannedRepresentation, serializers.ModelSerializer[CooperationRequest]):
    partner = PartnerRefSerializer(read_only=True)
    situation: serializers.SlugRelatedField[Situation] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    case: serializers.SlugRelatedField[Case] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )

    class Meta:
        model = CooperationRequest
        fields = [
            "id",
            "reference",
            "organ",
            "request_type",
            "partner",
            "situation",
            "case",
            "subject",
            "description",
            "confidentiality",
            "urgent",
            "status",
            "transmitted_on",
            "due_on",
            "acknowledged_on",
            "outcome_on",
            "closed_on",
            "clock_paused_since",
            "provisional_arrest_on",
            "escalation_level",
            "escalation_changed_on",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CooperationRequestDetailSerializer(CooperationRequestSerializer):
    events = RequestEventSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    clock_pauses = ClockPauseSerializer(many=True, read_only=True)

    class Meta(CooperationRequestSerializer.Meta):
        fields = [*CooperationRequestSerializer.Meta.fields, "events", "attachments", "clock_pauses"]
        read_only_fields = fields


class CooperationRequestInputSerializer(serializers.Serializer[CooperationRequest]):
    partner = serializers.SlugRelatedField(slug_field="code", queryset=Partner.objects.all())
    organ = serializers.ChoiceField(choices=Organ.choices)
    request_type = serializers.ChoiceField(choices=RequestType.choices)
    subject = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL)
    urgent = serializers.BooleanField(default=False)
    situation = serializers.SlugRelatedField(
        slug_field="code", queryset=Situation.objects.all(), required=False, allow_null=True, default=None
    )
    case = serializers.SlugRelatedField(
        slug_field="number", queryset=Case.objects.all(), required=False, allow_null=True, default=None
    )


class CooperationRequestUpdateSerializer(PartialInputMixin, CooperationRequestInputSerializer):
    """Only the fields sent are changed; the service says which may change after transmission."""


class TransitionSerializer(serializers.Serializer[CooperationRequest]):
    on = serializers.DateField(required=False, help_text="Date of the change (default: today in the Court's calendar).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class ProvisionalArrestCorrectionSerializer(serializers.Serializer[CooperationRequest]):
    arrested_on = serializers.DateField(help_text="The right day of the provisional arrest (art. 92).")
    reason = serializers.CharField(max_length=10_000, help_text="Why the date recorded was wrong; kept in the history.")


class TransmitSerializer(TransitionSerializer):
    due_on = serializers.DateField(required=False, help_text="Default: the type's response period from transmission.")


class OutcomeSerializer(TransitionSerializer):
    outcome = serializers.ChoiceField(choices=[(s.value, s.label) for s in Status if s in OUTCOME_STATUSES])

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        if attrs["outcome"] != Status.EXECUTED and not str(attrs.get("note", "")).strip():
            raise serializers.ValidationError({"note": "Give the reasons when a request is not fully executed."})
        return attrs


class PauseSerializer(TransitionSerializer):
    reason = serializers.ChoiceField(choices=PauseReason.choices)
    ground = serializers.ChoiceField(choices=ConsultationGround.choices, required=False, allow_blank=True, default="")


class ProvisionalArrestSerializer(serializers.Serializer[CooperationRequest]):
    arrested_on = serializers.DateField(
        help_text="Day of the provisional arrest (art. 92), between the transmission and today; the supporting "
        "documents are due 60 days later (rule 188)."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
