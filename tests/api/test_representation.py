"""The planned representation writes exactly what DRF's own Serializer.to_representation writes, field for field."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework import serializers

from cooperation_portal.api.representation import PlannedRepresentation, ValuesPlan, _represent, values_plan
from requests_app import services
from requests_app.api import serializers as s
from requests_app.choices import Confidentiality, Organ, PauseReason, RequestType, Status
from requests_app.models import CooperationRequest
from tests import factories
from tests.clients import api_client

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


@pytest.mark.parametrize("zone", ["UTC", "Europe/Amsterdam", "America/Bogota"])
def test_a_list_written_from_values_rows_is_what_the_serializer_writes(requests, zone):
    """The list's rows read as tuples (no model instances) give the serializer's own output, row for row: a request
    with situation, case and every date, one without them, a draft; date-times in the active time zone."""
    plan = values_plan(s.CooperationRequestSerializer)
    assert plan is values_plan(s.CooperationRequestSerializer)  # made once per class
    assert {"partner__code", "situation__code", "case__number", "updated_at"} <= set(plan.paths)
    queryset = CooperationRequest.objects.filter(pk__in=[r.pk for r in requests]).order_by("pk")
    with timezone.override(zone):
        from_values = plan.rows(queryset.values_list(*plan.paths))
        from_objects = [s.CooperationRequestSerializer(obj).data for obj in queryset.select_related("partner")]
    assert from_values == from_objects
    assert len(from_values) == 3
    assert from_values[1]["situation"] is not None and from_values[0]["situation"] is None


def test_stored_text_numbers_and_choices_are_written_as_they_are():
    """Where DRF would give the stored value back unchanged (text, a whole number, a boolean, a choice keyed by the
    stored value), a values row writes it without calling the field; a date through date.isoformat; a choice whose
    keys are not of the stored type, and anything else, through the field itself."""
    slots = {slot[0]: slot for slot in values_plan(s.CooperationRequestSerializer).slots}
    for name in ("reference", "status", "escalation_level", "urgent", "version"):
        assert slots[name][2] is None, name
    assert slots["due_on"][2] is datetime.date.isoformat
    text = CooperationRequest._meta.get_field("reference")
    keyed_by_numbers = serializers.ChoiceField(choices=[(1, "one")])
    assert _represent(keyed_by_numbers, text) == keyed_by_numbers.to_representation
    assert keyed_by_numbers.to_representation("1") == 1  # not the stored text: the field must be called
    as_text = serializers.CharField()
    assert _represent(as_text, CooperationRequest._meta.get_field("due_on")) == as_text.to_representation


def test_the_api_list_answers_the_serializers_rows(requests, registry_user):
    cleared = factories.RegistryFactory(username="cleared", sealed_clearance=True)
    body = api_client(cleared).get("/api/v1/requests/", {"ordering": "reference"}).json()
    expected = CooperationRequest.objects.visible_to(cleared).with_related().order_by("reference")
    assert body["results"] == [s.CooperationRequestSerializer(obj).data for obj in expected]
    assert len(body["results"]) == 3


def test_what_cannot_be_written_from_a_values_row_is_refused():
    class NullableNested(PlannedRepresentation, serializers.ModelSerializer):  # type: ignore[type-arg]
        situation = s.PartnerRefSerializer(read_only=True)

        class Meta:
            model = CooperationRequest
            fields = ["reference", "situation"]

    class WithMethod(PlannedRepresentation, serializers.ModelSerializer):  # type: ignore[type-arg]
        shout = serializers.SerializerMethodField()

        class Meta:
            model = CooperationRequest
            fields = ["reference", "shout"]

        def get_shout(self, obj: object) -> str:
            return "!"

    for serializer_class, field in [
        (s.CooperationRequestDetailSerializer, "events"),  # to-many
        (NullableNested, "situation"),
        (WithMethod, "shout"),
    ]:
        with pytest.raises(TypeError, match=rf"{serializer_class.__name__}\.{field}: not written from a values row"):
            ValuesPlan(serializer_class)
