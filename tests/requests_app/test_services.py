"""The request lifecycle through its services: the transition table, roles, dates, events and versions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cooperation_portal.dates import court_today
from requests_app import services
from requests_app.choices import (
    TRANSITIONS,
    EventKind,
    Organ,
    PauseReason,
    RequestType,
    Status,
    default_response_days,
)
from requests_app.models import ClockPause, CooperationRequest, RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _draft(actor, partner, **kwargs):
    return services.request_create(
        actor=actor, partner=partner, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject="Bank records of a fictional company", **kwargs,
    )


def _days_ago(days: int) -> datetime.date:
    return court_today() - datetime.timedelta(days=days)


def test_create_logs_a_draft_with_a_reference_and_a_created_event(registry_user, state_a):
    """A new request is a draft with a generated reference, and its creation is an attributed event."""
    coop_request = _draft(registry_user, state_a)
    assert coop_request.status == Status.DRAFT
    assert coop_request.reference == f"REGISTRY-{court_today().year}-000001"
    assert _draft(registry_user, state_a).reference.endswith("-000002")
    event = RequestEvent.objects.get(coop_request=coop_request)
    assert (event.kind, event.actor) == (EventKind.CREATED, registry_user)


def test_focal_point_cannot_log_requests(focal_point_a, state_a):
    """Only registry staff log requests."""
    with pytest.raises(PermissionDenied):
        _draft(focal_point_a, state_a)
    assert not CooperationRequest.objects.exists()


def test_transmit_sets_dates_from_the_type_default(registry_user, state_a):
    """Transmission dates the request and sets the due date from the type's default."""
    coop_request = _draft(registry_user, state_a)
    sent = _days_ago(3)
    coop_request = services.request_transition(
        coop_request=coop_request, actor=registry_user, to_status=Status.TRANSMITTED, on=sent
    )
    assert coop_request.transmitted_on == sent
    days = default_response_days(RequestType.EVIDENCE, urgent=False)
    assert coop_request.due_on == sent + datetime.timedelta(days=days)
    assert coop_request.version == 2


def test_urgent_request_gets_a_shorter_deadline(registry_user, state_a):
    """An urgent request is due sooner than the same request without urgency."""
    normal = services.request_transition(
        coop_request=_draft(registry_user, state_a), actor=registry_user, to_status=Status.TRANSMITTED
    )
    urgent = services.request_transition(
        coop_request=_draft(registry_user, state_a, urgent=True), actor=registry_user, to_status=Status.TRANSMITTED
    )
    assert urgent.due_on < normal.due_on


def test_due_date_before_transmission_is_refused_and_nothing_changes(registry_user, state_a):
    """An explicit due date before the transmission date is refused; the draft stays a draft."""
    coop_request = _draft(registry_user, state_a)
    with pytest.raises(ValidationError) as excinfo:
        services.request_transition(
            coop_request=coop_request, actor=registry_user, to_status=Status.TRANSMITTED,
            on=_days_ago(1), due_on=_days_ago(10),
        )
    assert "due date" in str(excinfo.value).lower()
    coop_request.refresh_from_db()
    assert (coop_request.status, coop_request.transmitted_on, coop_request.version) == (Status.DRAFT, None, 1)
    assert not RequestEvent.objects.filter(kind=EventKind.TRANSITION).exists()


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(from_status, to_status) for from_status in Status for to_status in Status
     if to_status not in TRANSITIONS[from_status] and to_status != Status.DRAFT],
)
def test_every_transition_the_table_forbids_is_refused(registry_user, state_a, from_status, to_status):
    """Each pair absent from the transition table is refused with a message, leaving status and version."""
    dates = {"transmitted_on": None, "due_on": None} if from_status == Status.DRAFT else {}
    coop_request = factories.CooperationRequestFactory(partner=state_a, status=from_status, **dates)
    with pytest.raises(ValidationError) as excinfo:
        services.request_transition(coop_request=coop_request, actor=registry_user, to_status=to_status)
    assert "cannot become" in str(excinfo.value)
    coop_request.refresh_from_db()
    assert (coop_request.status, coop_request.version) == (from_status, 1)
    assert not RequestEvent.objects.exists()


def test_full_lifecycle_records_every_step(registry_user, focal_point_a, state_a):
    """draft → transmitted → acknowledged → in execution → executed → closed, each step an attributed event."""
    coop_request = _draft(registry_user, state_a)
    steps = [
        (registry_user, Status.TRANSMITTED),
        (focal_point_a, Status.ACKNOWLEDGED),
        (focal_point_a, Status.IN_EXECUTION),
        (focal_point_a, Status.EXECUTED),
        (registry_user, Status.CLOSED),
    ]
    for actor, to_status in steps:
        coop_request = services.request_transition(coop_request=coop_request, actor=actor, to_status=to_status)
    today = court_today()
    assert (coop_request.acknowledged_on, coop_request.outcome_on, coop_request.closed_on) == (today, today, today)
    transitions = list(
        RequestEvent.objects.filter(coop_request=coop_request, kind=EventKind.TRANSITION)
        .values_list("from_status", "to_status", "actor")
    )
    assert transitions == [
        (Status.DRAFT, Status.TRANSMITTED, registry_user.pk),
        (Status.TRANSMITTED, Status.ACKNOWLEDGED, focal_point_a.pk),
        (Status.ACKNOWLEDGED, Status.IN_EXECUTION, focal_point_a.pk),
        (Status.IN_EXECUTION, Status.EXECUTED, focal_point_a.pk),
        (Status.EXECUTED, Status.CLOSED, registry_user.pk),
    ]


def test_focal_point_may_not_close_or_touch_another_partners_request(focal_point_a, focal_point_b, state_a):
    """Closing is the Registry's; a focal point cannot act on a request sent to another partner."""
    coop_request = factories.CooperationRequestFactory(partner=state_a, status=Status.EXECUTED)
    with pytest.raises(PermissionDenied):
        services.request_transition(coop_request=coop_request, actor=focal_point_a, to_status=Status.CLOSED)
    other = factories.CooperationRequestFactory(partner=state_a)
    with pytest.raises(PermissionDenied):
        services.request_transition(coop_request=other, actor=focal_point_b, to_status=Status.ACKNOWLEDGED)
    other.refresh_from_db()
    assert other.status == Status.TRANSMITTED


def test_stale_version_is_refused_and_nothing_is_overwritten(registry_user, state_a):
    """Two people edit the same draft: the second save, made from the old version, is refused."""
    coop_request = _draft(registry_user, state_a)
    services.request_update(
        coop_request=coop_request, actor=registry_user, expected_version=1, data={"subject": "First edit"}
    )
    with pytest.raises(services.StaleVersionError) as excinfo:
        services.request_update(
            coop_request=coop_request, actor=registry_user, expected_version=1, data={"subject": "Second edit"}
        )
    assert excinfo.value.current_version == 2
    coop_request.refresh_from_db()
    assert (coop_request.subject, coop_request.version) == ("First edit", 2)


def test_transmitted_request_keeps_its_partner(registry_user, state_a, state_b):
    """Once transmitted, the addressee cannot be changed by an edit."""
    coop_request = factories.CooperationRequestFactory(partner=state_a)
    with pytest.raises(ValidationError) as excinfo:
        services.request_update(
            coop_request=coop_request, actor=registry_user, expected_version=1, data={"partner": state_b}
        )
    assert "partner" in excinfo.value.message_dict
    coop_request.refresh_from_db()
    assert coop_request.partner == state_a


def test_reclassification_is_logged(registry_user, state_a):
    """Changing the confidentiality leaves an event saying from what to what."""
    coop_request = _draft(registry_user, state_a)
    services.request_update(
        coop_request=coop_request, actor=registry_user, expected_version=1, data={"confidentiality": "public"}
    )
    event = RequestEvent.objects.get(coop_request=coop_request, kind=EventKind.RECLASSIFIED)
    assert event.note == "confidential → public"


def test_pause_and_resume_push_the_due_date_back_by_the_pause(registry_user, focal_point_a, state_a):
    """Consultations stop the clock; on resumption the due date moves back by exactly the paused days."""
    coop_request = factories.CooperationRequestFactory(
        partner=state_a, transmitted_on=_days_ago(40), due_on=_days_ago(-20)
    )
    services.request_pause_clock(
        coop_request=coop_request, actor=focal_point_a, reason=PauseReason.CONSULTATION,
        ground="person_not_found", on=_days_ago(30),
    )
    coop_request.refresh_from_db()
    assert coop_request.clock_paused_since == _days_ago(30)
    services.request_resume_clock(coop_request=coop_request, actor=registry_user, on=_days_ago(5))
    coop_request.refresh_from_db()
    assert coop_request.due_on == _days_ago(-20) + datetime.timedelta(days=25)
    assert coop_request.clock_paused_since is None
    pause = ClockPause.objects.get(coop_request=coop_request)
    assert (pause.started_on, pause.ended_on) == (_days_ago(30), _days_ago(5))


def test_consultation_needs_its_art97_ground(registry_user, state_a):
    """A consultation without a ground is refused and the clock keeps running."""
    coop_request = factories.CooperationRequestFactory(partner=state_a)
    with pytest.raises(ValidationError) as excinfo:
        services.request_pause_clock(coop_request=coop_request, actor=registry_user, reason=PauseReason.CONSULTATION)
    assert "ground" in excinfo.value.message_dict
    coop_request.refresh_from_db()
    assert coop_request.clock_paused_since is None
    assert not ClockPause.objects.exists()


def test_outcome_ends_an_open_pause(registry_user, state_a):
    """Reporting an outcome while paused ends the pause, so no clock is left paused on an answered request."""
    coop_request = factories.CooperationRequestFactory(partner=state_a, transmitted_on=_days_ago(10))
    services.request_pause_clock(
        coop_request=coop_request, actor=registry_user, reason=PauseReason.POSTPONEMENT_ART94, on=_days_ago(4)
    )
    coop_request = services.request_transition(
        coop_request=coop_request, actor=registry_user, to_status=Status.NOT_EXECUTED, note="Person left the country"
    )
    assert coop_request.clock_paused_since is None
    assert ClockPause.objects.get(coop_request=coop_request).ended_on == court_today()


def test_future_dated_change_is_refused(registry_user, state_a):
    """A transition cannot be dated after today in the Court's calendar."""
    coop_request = _draft(registry_user, state_a)
    with pytest.raises(ValidationError):
        services.request_transition(
            coop_request=coop_request, actor=registry_user, to_status=Status.TRANSMITTED, on=_days_ago(-1)
        )


def test_history_keeps_who_changed_what_and_when(registry_user, focal_point_a, state_a):
    """Every saved change leaves a history row naming the user, even outside a web request."""
    coop_request = _draft(registry_user, state_a)
    services.request_transition(coop_request=coop_request, actor=registry_user, to_status=Status.TRANSMITTED)
    services.request_transition(coop_request=coop_request, actor=focal_point_a, to_status=Status.ACKNOWLEDGED)
    rows = list(coop_request.history.order_by("history_date").values_list("status", "history_user", "version"))
    assert rows == [
        (Status.DRAFT, registry_user.pk, 1),
        (Status.TRANSMITTED, registry_user.pk, 2),
        (Status.ACKNOWLEDGED, focal_point_a.pk, 3),
    ]


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN])
def test_closed_or_withdrawn_request_can_no_longer_be_edited(registry_user, state_a, status):
    """Once closed or withdrawn, a request's particulars are frozen: the edit is refused and nothing changes."""
    coop_request = factories.CooperationRequestFactory(partner=state_a, status=status, closed_on=court_today())
    with pytest.raises(ValidationError) as excinfo:
        services.request_update(
            coop_request=coop_request, actor=registry_user, expected_version=1, data={"subject": "Changed"}
        )
    assert "can no longer be edited" in str(excinfo.value)
    coop_request.refresh_from_db()
    assert (coop_request.subject != "Changed", coop_request.version) == (True, 1)


@pytest.mark.django_db(transaction=True)
def test_two_creations_at_once_get_distinct_references(state_a):
    """Two registry users logging a request at the same moment get consecutive references, not a clash."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL; SQLite serializes writers itself.")
    users = [factories.RegistryFactory(username=f"clerk{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    created, errors = [], []

    def create(user):
        try:
            barrier.wait(timeout=10)
            created.append(_draft(user, state_a).reference)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(created) == [f"REGISTRY-{court_today().year}-000001", f"REGISTRY-{court_today().year}-000002"]
