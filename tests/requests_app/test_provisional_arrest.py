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
from tests import factories
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


# --- Correcting the date ---


def _recorded(registry_user, focal_point, partner, *, arrested=-20) -> CooperationRequest:
    return services.request_record_provisional_arrest(
        coop_request=_transmitted(registry_user, partner), actor=focal_point, arrested_on=_day(arrested)
    )


def test_registry_corrects_the_date_with_its_reason(registry_user, focal_point_a, state_a):
    """The new date is stored (a new version, a history row); the timeline keeps the date it replaces, the new
    documents' due date and the reason; the State's active focal points are told of the new due date."""
    coop_request = _recorded(registry_user, focal_point_a, state_a)
    factories.FocalPointFactory(username="fp-inactive", partner=state_a, is_active=False)
    history_before = CooperationRequest.objects.get(pk=coop_request.pk).history.count()
    corrected = services.request_correct_provisional_arrest(
        coop_request=coop_request, actor=registry_user, arrested_on=_day(-25),
        reason="The State's report gave the day of the extradition hearing", expected_version=coop_request.version,
    )
    stored = CooperationRequest.objects.get(pk=coop_request.pk)
    assert corrected.provisional_arrest_on == stored.provisional_arrest_on == _day(-25)
    assert stored.version == coop_request.version + 1
    assert stored.history.count() == history_before + 1
    assert stored.history.first().history_user == registry_user
    event = RequestEvent.objects.filter(coop_request=coop_request, kind=EventKind.PROVISIONAL_ARREST).last()
    assert event.actor == registry_user
    assert event.note.splitlines() == [
        f"Provisional arrest date corrected: {_day(-20).isoformat()} was recorded.",
        f"Provisionally arrested on {_day(-25).isoformat()}; supporting documents due on {_day(35).isoformat()} "
        "(rule 188).",
        "The State's report gave the day of the extradition hearing",
    ]
    told = Notification.objects.filter(coop_request=coop_request, kind="deadline_changed")
    assert [(n.recipient, n.subject) for n in told] == [
        (focal_point_a, f"Supporting documents now due on {_day(35).isoformat()}: request {stored.reference}")
    ]


@pytest.mark.parametrize(
    ("make", "arrested_on", "reason", "message"),
    [
        (_transmitted, -25, "why", "record it first"),
        (_already_recorded, -20, "why", "the date already recorded"),
        (_already_recorded, -25, "  ", "reason for the correction"),
        (_already_recorded, 1, "why", "cannot be in the future"),
        (_already_recorded, -71, "why", "before the request was transmitted"),
        (lambda u, p: services.request_transition(
            coop_request=_already_recorded(u, p), actor=u, to_status=Status.WITHDRAWN), -25, "why",
         "can no longer be changed"),
    ],
    ids=["not-recorded", "same-date", "no-reason", "future", "before-transmission", "withdrawn"],
)
def test_correction_refusals_write_nothing(registry_user, state_a, make, arrested_on, reason, message):
    coop_request = make(registry_user, state_a)
    before = _snapshot(coop_request)
    with pytest.raises(ValidationError) as error:
        services.request_correct_provisional_arrest(
            coop_request=coop_request, actor=registry_user, arrested_on=_day(arrested_on), reason=reason
        )
    assert message in " ".join(error.value.messages)
    assert _snapshot(coop_request) == before


def test_only_registry_staff_correct_and_a_stale_version_is_refused(registry_user, focal_point_a, focal_point_b,
                                                                  facilitator, state_a):
    coop_request = _recorded(registry_user, focal_point_a, state_a)
    before = _snapshot(coop_request)
    for actor in (focal_point_a, focal_point_b, facilitator):
        with pytest.raises(PermissionDenied):
            services.request_correct_provisional_arrest(
                coop_request=coop_request, actor=actor, arrested_on=_day(-25), reason="why"
            )
    with pytest.raises(services.StaleVersionError):
        services.request_correct_provisional_arrest(
            coop_request=coop_request, actor=registry_user, arrested_on=_day(-25), reason="why",
            expected_version=coop_request.version - 1,
        )
    assert _snapshot(coop_request) == before


def test_the_sweep_follows_a_corrected_date(registry_user, focal_point_a, state_a):
    """Recorded 61 days ago: the documents are overdue and the request flagged. Corrected to 40 days ago (due in
    20 days), the next sweep clears the flag; corrected to 55 days ago (due in 5), it is a reminder again."""
    coop_request = _transmitted(registry_user, state_a, on=_day(-70))
    CooperationRequest.objects.filter(pk=coop_request.pk).update(due_on=_day(40))
    coop_request = services.request_record_provisional_arrest(
        coop_request=coop_request, actor=focal_point_a, arrested_on=_day(-61)
    )
    overdue.sweep(on=court_today())
    assert CooperationRequest.objects.get(pk=coop_request.pk).escalation_level == EscalationLevel.OVERDUE_NOTICE
    coop_request = services.request_correct_provisional_arrest(
        coop_request=coop_request, actor=registry_user, arrested_on=_day(-40), reason="Wrong month typed"
    )
    result = overdue.sweep(on=court_today())
    assert (result.cleared, result.total_escalated) == (1, 0)
    assert CooperationRequest.objects.get(pk=coop_request.pk).escalation_level == EscalationLevel.NONE
    services.request_correct_provisional_arrest(
        coop_request=coop_request, actor=registry_user, arrested_on=_day(-55), reason="Confirmed by the State"
    )
    result = overdue.sweep(on=court_today())
    assert (result.cleared, result.escalated[EscalationLevel.REMINDER_SENT]) == (0, 1)
    assert CooperationRequest.objects.get(pk=coop_request.pk).escalation_level == EscalationLevel.REMINDER_SENT


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


def test_page_corrects_the_date_for_registry_staff_only(registry_user, focal_point_a, focal_point_b, state_a):
    coop_request = _recorded(registry_user, focal_point_a, state_a)
    url = reverse("requests:correct_provisional_arrest", kwargs={"pk": coop_request.pk})
    detail_url = reverse("requests:detail", kwargs={"pk": coop_request.pk})
    assert f'href="{url}"' not in _browser(focal_point_a).get(detail_url).content.decode()
    assert _browser(focal_point_a).get(url).status_code == 403
    assert _browser(focal_point_a).post(
        url, {"version": coop_request.version, "arrested_on": _day(-25).isoformat(), "reason": "why"}
    ).status_code == 403
    # A role that may never correct is refused before any request is looked up: the same 403 for another State's
    # request as for one that does not exist, so nothing is told of it.
    missing_url = reverse("requests:correct_provisional_arrest", kwargs={"pk": coop_request.pk + 1000})
    assert _browser(focal_point_b).get(url).status_code == _browser(focal_point_b).get(missing_url).status_code == 403
    client = _browser(registry_user)
    assert f'href="{url}"' in client.get(detail_url).content.decode()
    form = client.get(url)
    assert form.status_code == 200
    assert f'value="{_day(-20).isoformat()}"' in form.content.decode()  # the date recorded, to be corrected
    before = _snapshot(coop_request)
    no_reason = client.post(url, {"version": coop_request.version, "arrested_on": _day(-25).isoformat()})
    assert no_reason.status_code == 400
    assert 'data-testid="error-reason"' in no_reason.content.decode()
    assert _snapshot(coop_request) == before
    done = client.post(
        url, {"version": coop_request.version, "arrested_on": _day(-25).isoformat(), "reason": "Typing error"}
    )
    assert done.status_code == 302
    assert CooperationRequest.objects.get(pk=coop_request.pk).provisional_arrest_on == _day(-25)
    stale = client.post(url, {"version": coop_request.version, "arrested_on": _day(-26).isoformat(), "reason": "x"})
    assert stale.status_code == 409


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


def test_api_corrects_the_date_for_registry_staff_only(registry_user, focal_point_a, focal_point_b, state_a):
    """Registry staff correct with a reason (200, the new date); a missing reason or a bad date is a 400 that says
    so, a focal point is refused (403, before any lookup: the same for another State's request as for a missing
    one), a stale ETag is a 412; none of the refusals writes."""
    coop_request = _recorded(registry_user, focal_point_a, state_a)
    url = f"{API}{coop_request.pk}/provisional-arrest/correction/"
    client = _api(registry_user)
    read = _etag(client, coop_request)
    before = _snapshot(coop_request)
    missing = client.post(url, {"arrested_on": _day(-25).isoformat()}, format="json", HTTP_IF_MATCH=read)
    assert missing.status_code == 400
    assert "reason" in missing.json()
    future = client.post(url, {"arrested_on": _day(3).isoformat(), "reason": "x"}, format="json", HTTP_IF_MATCH=read)
    assert future.status_code == 400
    assert "cannot be in the future" in future.json()["arrested_on"][0]
    focal = _api(focal_point_a).post(
        url, {"arrested_on": _day(-25).isoformat(), "reason": "x"}, format="json", HTTP_IF_MATCH="*"
    )
    assert focal.status_code == 403
    for other_url in (url, f"{API}{coop_request.pk + 1000}/provisional-arrest/correction/"):
        hidden = _api(focal_point_b).post(
            other_url, {"arrested_on": _day(-25).isoformat(), "reason": "x"}, format="json", HTTP_IF_MATCH="*"
        )
        assert hidden.status_code == 403
    assert _snapshot(coop_request) == before
    done = client.post(
        url, {"arrested_on": _day(-25).isoformat(), "reason": "Typing error"}, format="json", HTTP_IF_MATCH=read
    )
    assert done.status_code == 200, done.content
    assert done.json()["provisional_arrest_on"] == _day(-25).isoformat()
    stale = client.post(url, {"arrested_on": _day(-26).isoformat(), "reason": "x"}, format="json", HTTP_IF_MATCH=read)
    assert stale.status_code == 412
    assert CooperationRequest.objects.get(pk=coop_request.pk).provisional_arrest_on == _day(-25)
