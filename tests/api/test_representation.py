"""The planned representation writes exactly what DRF's own Serializer.to_representation writes, field for field."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework import serializers

from cooperation_portal.api.representation import PlannedRepresentation
from requests_app import services
from requests_app.api import serializers as s
from requests_app.choices import Confidentiality, Organ, PauseReason, RequestType, Status
from requests_app.models import CooperationRequest
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def drf_representation(serializer: serializers.Serializer, instance: object) -> dict:  # type: ignore[type-arg]
    """What the serializer writes without the plan: DRF's field walk, nested serializers included."""
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.fixture
def requests(settings, tmp_path, registry_user, state_a):
    settings.MEDIA_ROOT = tmp_path / "media"
    situation = factories.SituationFactory()
    case = factories.CaseFactory(situation=situation)
    plain = factories.CooperationRequestFactory(partner=state_a)
    full = factories.CooperationRequestFactory(
        partner=factories.OrganizationFactory(), situation=situation, case=case, urgent=True,
        confidentiality=Confidentiality.UNDER_SEAL, request_type=RequestType.PROVISIONAL_ARREST,
        organ=Organ.OTP, description="Détails, with ünïcode and \"quotes\"",
        acknowledged_on=datetime.date(2026, 1, 6), provisional_arrest_on=datetime.date(2026, 1, 7),
        escalation_level=3, escalation_changed_on=datetime.date(2026, 3, 1),
    )
    draft = factories.CooperationRequestFactory(partner=state_a, status=Status.DRAFT, transmitted_on=None, due_on=None)
    services.request_add_message(
        coop_request=plain, actor=registry_user, body="With a document",
        files=[SimpleUploadedFile("answer.pdf", PDF)],
    )
    services.request_pause_clock(coop_request=plain, actor=registry_user, reason=PauseReason.CONSULTATION,
                                 ground="person_not_found")
    return [plain, full, draft]


@pytest.mark.parametrize("serializer_class", [s.CooperationRequestSerializer, s.CooperationRequestDetailSerializer])
def test_requests_are_written_as_drf_writes_them(requests, serializer_class):
    for coop_request in CooperationRequest.objects.with_related().filter(pk__in=[r.pk for r in requests]):
        serializer = serializer_class(coop_request)
        planned = serializer.data
        assert planned == drf_representation(serializer_class(), coop_request)
        assert planned["partner"]["code"] == coop_request.partner.code
    detail = s.CooperationRequestDetailSerializer(requests[0]).data
    assert [event["kind"] for event in detail["events"]] == [e.kind for e in requests[0].events.all()]
    assert detail["attachments"][0]["event"] == requests[0].attachments.get().event_id
    assert detail["clock_pauses"][0]["reason"] == PauseReason.CONSULTATION
    full = s.CooperationRequestSerializer(requests[1]).data
    assert (full["situation"], full["case"], full["escalation_level"]) == (
        requests[1].situation.code, requests[1].case.number, 3
    )
    assert full["updated_at"].endswith("Z") or "+" in full["updated_at"]


def test_nested_rows_are_written_as_drf_writes_them(requests):
    event = requests[0].events.filter(kind="message").get()
    for serializer_class, instance in [
        (s.MessageSerializer, event),
        (s.RequestEventSerializer, event),
        (s.AttachmentSerializer, requests[0].attachments.get()),
        (s.ClockPauseSerializer, requests[0].clock_pauses.get()),
        (s.PartnerRefSerializer, requests[1].partner),
    ]:
        assert serializer_class(instance).data == drf_representation(serializer_class(), instance)


def test_a_field_that_needs_the_serializers_context_is_refused():
    class WithMethod(PlannedRepresentation, serializers.Serializer):  # type: ignore[type-arg]
        reference = serializers.CharField()
        shout = serializers.SerializerMethodField()

        def get_shout(self, obj: object) -> str:
            return "!"

    with pytest.raises(TypeError, match=r"WithMethod\.shout"):
        WithMethod(CooperationRequest(reference="X")).data  # noqa: B018


@pytest.mark.parametrize("zone", ["UTC", "Europe/Amsterdam", "America/Bogota", "Asia/Kolkata"])
def test_date_times_are_written_in_the_active_time_zone_as_drf_writes_them(requests, zone):
    """Date-times are written in the current time zone (UTC as "Z") without DRF's lookup per field: the same text in
    every zone, an aware value at midnight UTC and one in summer time included."""
    coop_request = CooperationRequest.objects.with_related().get(pk=requests[0].pk)
    coop_request.created_at = datetime.datetime(2026, 7, 1, 0, 0, tzinfo=datetime.UTC)
    coop_request.updated_at = datetime.datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC)
    with timezone.override(zone):
        planned = s.CooperationRequestSerializer(coop_request).data
        assert planned == drf_representation(s.CooperationRequestSerializer(), coop_request)
    assert planned["created_at"].endswith("Z") == (zone == "UTC")
