"""Recording a provisional arrest (art. 92): who may, when, and the rule 188 clock the overdue sweep then keeps."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification
from requests_app import overdue, services
from requests_app.choices import EscalationLevel, EventKind, Organ, RequestType, Status
from requests_app.models import CooperationRequest, RequestEvent
from tests.api.test_requests_api import URL as API
from tests.api.test_requests_api import etag as _etag
from tests.clients import api_client as _api

pytestmark = pytest.mark.django_db


def _day(offset: int) -> datetime.date:
    return court_today() + datetime.timedelta(days=offset)


def _transmitted(actor, partner, *, request_type=RequestType.PROVISIONAL_ARREST, on=None) -> CooperationRequest:
    draft = services.request_create(
        actor=actor, partner=partner, organ=Organ.OTP, request_type=request_type, subject="Arrest of a suspect"
    )
    return services.request_transition(
        coop_request=draft, actor=actor, to_status=Status.TRANSMITTED, on=on or _day(-70)
    )


def _snapshot(coop_request: CooperationRequest) -> tuple:
    fresh = CooperationRequest.objects.get(pk=coop_request.pk)
    return (
        fresh.version,
        fresh.provisional_arrest_on,
        fresh.status,
        RequestEvent.objects.filter(coop_request=coop_request).count(),
        fresh.history.count(),
        Notification.objects.filter(coop_request=coop_request).count(),
    )


# --- The service ---


def test_focal_point_of_the_arresting_state_records_the_arrest(registry_user, focal_point_a, state_a):
    """The date is set, the version moves on, the history and the timeline record it, the registry is told."""
    coop_request = _transmitted(registry_user, state_a)
    history_before = coop_request.history.count()
    recorded = services.request_record_provisional_arrest(
        coop_request=coop_request, actor=focal_point_a, arrested_on=_day(-10), note="Arrested at the airport",
        expected_version=coop_request.version,
    )
    assert recorded.provisional_arrest_on == _day(-10)
    stored = CooperationRequest.objects.get(pk=coop_request.pk)
    assert stored.provisional_arrest_on == _day(-10)
    assert stored.version == coop_request.version + 1
    assert stored.history.count() == history_before + 1
    assert stored.history.first().history_user == focal_point_a
    event = RequestEvent.objects.get(coop_request=coop_request, kind=EventKind.PROVISIONAL_ARREST)
    assert event.actor == focal_point_a
    assert _day(-10).isoformat() in event.note
    assert _day(50).isoformat() in event.note  # the supporting documents' due date
    assert "Arrested at the airport" in event.note
    assert Notification.objects.filter(coop_request=coop_request, recipient=registry_user).count() == 1


def test_registry_records_the_arrest_after_the_outcome(registry_user, state_a):
    """Registry staff may record it too, also once an outcome is reported (the request is not final)."""
    coop_request = _transmitted(registry_user, state_a)
    coop_request = services.request_transition(
        coop_request=coop_request, actor=registry_user, to_status=Status.EXECUTED
    )
    services.request_record_provisional_arrest(coop_request=coop_request, actor=registry_user, arrested_on=_day(0))
    assert CooperationRequest.objects.get(pk=coop_request.pk).provisional_arrest_on == _day(0)
    assert not Notification.objects.filter(coop_request=coop_request).exists()


def _closed(registry_user, state_a):
    coop_request = _transmitted(registry_user, state_a)
    coop_request = services.request_transition(
        coop_request=coop_request, actor=registry_user, to_status=Status.EXECUTED
    )
    return services.request_transition(coop_request=coop_request, actor=registry_user, to_status=Status.CLOSED)


def _withdrawn(registry_user, state_a):
    coop_request = _transmitted(registry_user, state_a)
    return services.request_transition(coop_request=coop_request, actor=registry_user, to_status=Status.WITHDRAWN)


def _draft(registry_user, state_a):
    return services.request_create(
        actor=registry_user, partner=state_a, organ=Organ.OTP, request_type=RequestType.PROVISIONAL_ARREST,
        subject="Not yet sent",
    )


def _already_recorded(registry_user, state_a):
    coop_request = _transmitted(registry_user, state_a)
    return services.request_record_provisional_arrest(
        coop_request=coop_request, actor=registry_user, arrested_on=_day(-20)
    )


@pytest.mark.parametrize(
    ("make", "arrested_on", "message"),
    [
        (lambda u, p: _transmitted(u, p, request_type=RequestType.ARREST_SURRENDER), -10, "Only a provisional arrest"),
        (_draft, -10, "once the request is transmitted"),
        (_closed, -10, "can no longer be changed"),
        (_withdrawn, -10, "can no longer be changed"),
        (_already_recorded, -10, "already recorded"),
        (_transmitted, 1, "cannot be in the future"),
        (_transmitted, -71, "before the request was transmitted"),
    ],
    ids=["other-type", "draft", "closed", "withdrawn", "already-recorded", "future", "before-transmission"],
)
def test_refusals_write_nothing(registry_user, state_a, make, arrested_on, message):
    coop_request = make(registry_user, state_a)
    before = _snapshot(coop_request)
    with pytest.raises(ValidationError) as error:
        services.request_record_provisional_arrest(
            coop_request=coop_request, actor=registry_user, arrested_on=_day(arrested_on)
        )
    assert message in " ".join(error.value.messages)
    assert _snapshot(coop_request) == before


def test_stale_version_and_other_actors_are_refused(registry_user, focal_point_b, facilitator, state_a):
    coop_request = _transmitted(registry_user, state_a)
    before = _snapshot(coop_request)
    with pytest.raises(services.StaleVersionError):
        services.request_record_provisional_arrest(
            coop_request=coop_request, actor=registry_user, arrested_on=_day(-1),
            expected_version=coop_request.version - 1,
        )
    for actor in (focal_point_b, facilitator):
        with pytest.raises(PermissionDenied):
            services.request_record_provisional_arrest(coop_request=coop_request, actor=actor, arrested_on=_day(-1))
    assert _snapshot(coop_request) == before


# --- The overdue sweep follows the recorded date ---


def test_sweep_flags_the_documents_sixty_days_after_the_recorded_arrest(registry_user, focal_point_a, state_a):
    """Rule 188: recorded 61 days ago → overdue although the response date is later; 55 days ago → a reminder;
    an art. 92 request with no arrest recorded yet is not flagged."""
    late = _transmitted(registry_user, state_a, on=_day(-70))
    soon = _transmitted(registry_user, state_a, on=_day(-70))
    none_yet = _transmitted(registry_user, state_a, on=_day(-70))
    for coop_request in (late, soon, none_yet):
        CooperationRequest.objects.filter(pk=coop_request.pk).update(due_on=_day(40))
    services.request_record_provisional_arrest(coop_request=late, actor=focal_point_a, arrested_on=_day(-61))
    services.request_record_provisional_arrest(coop_request=soon, actor=focal_point_a, arrested_on=_day(-55))
    overdue.sweep(on=court_today())
    levels = [CooperationRequest.objects.get(pk=r.pk).escalation_level for r in (late, soon, none_yet)]
    assert levels == [EscalationLevel.OVERDUE_NOTICE, EscalationLevel.REMINDER_SENT, EscalationLevel.NONE]


# --- The page ---


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_page_offers_the_action_and_records_the_arrest(registry_user, focal_point_a, state_a):
    coop_request = _transmitted(registry_user, state_a)
    client = _browser(focal_point_a)
    url = reverse("requests:provisional_arrest", kwargs={"pk": coop_request.pk})
    detail = client.get(reverse("requests:detail", kwargs={"pk": coop_request.pk}))
    assert f'href="{url}"' in detail.content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": coop_request.version, "arrested_on": _day(-5).isoformat()})
    assert response.status_code == 302
    assert CooperationRequest.objects.get(pk=coop_request.pk).provisional_arrest_on == _day(-5)
    # Recorded once: the action is no longer offered.
    detail = client.get(reverse("requests:detail", kwargs={"pk": coop_request.pk}))
    assert f'href="{url}"' not in detail.content.decode()
    assert client.get(url).status_code == 403


def test_page_not_offered_on_another_type(registry_user, state_a):
    coop_request = _transmitted(registry_user, state_a, request_type=RequestType.EVIDENCE)
    client = _browser(registry_user)
    url = reverse("requests:provisional_arrest", kwargs={"pk": coop_request.pk})
    detail = client.get(reverse("requests:detail", kwargs={"pk": coop_request.pk}))
    assert detail.status_code == 200
    assert f'href="{url}"' not in detail.content.decode()
    assert client.get(url).status_code == 403
    response = client.post(url, {"version": coop_request.version, "arrested_on": _day(-5).isoformat()})
    assert response.status_code == 400
    assert "Only a provisional arrest request" in response.content.decode()
    assert CooperationRequest.objects.get(pk=coop_request.pk).provisional_arrest_on is None


def test_page_refusals_show_next_to_the_field_and_write_nothing(registry_user, focal_point_a, focal_point_b, state_a):
    coop_request = _transmitted(registry_user, state_a)
    url = reverse("requests:provisional_arrest", kwargs={"pk": coop_request.pk})
    before = _snapshot(coop_request)
    client = _browser(focal_point_a)
    future = client.post(url, {"version": coop_request.version, "arrested_on": _day(3).isoformat()})
    assert future.status_code == 400
    assert 'data-testid="error-arrested_on"' in future.content.decode()
    assert "cannot be in the future" in future.content.decode()
    stale = client.post(url, {"version": coop_request.version - 1, "arrested_on": _day(-3).isoformat()})
    assert stale.status_code == 409
    other_state = _browser(focal_point_b).post(
        url, {"version": coop_request.version, "arrested_on": _day(-3).isoformat()}
    )
    assert other_state.status_code == 404
    assert _snapshot(coop_request) == before


# --- The API ---


def test_api_records_the_arrest(registry_user, focal_point_a, state_a):
    coop_request = _transmitted(registry_user, state_a)
    client = _api(focal_point_a)
    response = client.post(
        f"{API}{coop_request.pk}/provisional-arrest/", {"arrested_on": _day(-7).isoformat()}, format="json",
        HTTP_IF_MATCH=_etag(client, coop_request),
    )
    assert response.status_code == 200, response.content
    assert response.json()["provisional_arrest_on"] == _day(-7).isoformat()
    assert response["ETag"] != ""
    assert RequestEvent.objects.filter(coop_request=coop_request, kind=EventKind.PROVISIONAL_ARREST).count() == 1


def test_api_refusals(registry_user, focal_point_a, focal_point_b, state_a):
    """Bad dates and types are 400s with the reason, a stale ETag 412, another State's request 404; none writes."""
    coop_request = _transmitted(registry_user, state_a)
    other_type = _transmitted(registry_user, state_a, request_type=RequestType.EVIDENCE)
    client = _api(focal_point_a)
    url = f"{API}{coop_request.pk}/provisional-arrest/"
    read = _etag(client, coop_request)
    before = _snapshot(coop_request)

    future = client.post(url, {"arrested_on": _day(2).isoformat()}, format="json", HTTP_IF_MATCH=read)
    assert future.status_code == 400
    assert "cannot be in the future" in future.json()["arrested_on"][0]
    early = client.post(url, {"arrested_on": _day(-80).isoformat()}, format="json", HTTP_IF_MATCH=read)
    assert early.status_code == 400
    assert "before the request was transmitted" in early.json()["arrested_on"][0]
    missing = client.post(url, {}, format="json", HTTP_IF_MATCH=read)
    assert missing.status_code == 400
    assert "arrested_on" in missing.json()
    wrong = client.post(
        f"{API}{other_type.pk}/provisional-arrest/", {"arrested_on": _day(-2).isoformat()}, format="json",
        HTTP_IF_MATCH=_etag(client, other_type),
    )
    assert wrong.status_code == 400
    assert "Only a provisional arrest request" in wrong.json()["non_field_errors"][0]
    hidden = _api(focal_point_b).post(url, {"arrested_on": _day(-2).isoformat()}, format="json", HTTP_IF_MATCH="*")
    assert hidden.status_code == 404
    assert _snapshot(coop_request) == before

    services.request_update(
        coop_request=coop_request, actor=registry_user, expected_version=coop_request.version,
        data={"subject": "Renamed"},
    )
    stale = client.post(url, {"arrested_on": _day(-2).isoformat()}, format="json", HTTP_IF_MATCH=read)
    assert stale.status_code == 412
    assert CooperationRequest.objects.get(pk=coop_request.pk).provisional_arrest_on is None
    assert CooperationRequest.objects.get(pk=other_type.pk).provisional_arrest_on is None
