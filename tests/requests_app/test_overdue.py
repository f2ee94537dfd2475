"""The overdue sweep: who is flagged at which level, who is told, what clears a flag, and at what cost in queries."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification
from requests_app import overdue, services
from requests_app.choices import EscalationLevel, EventKind, PauseReason, RequestType, Status
from requests_app.models import CooperationRequest, EscalationStep, RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db

L = EscalationLevel
# The sweep's statement count, whatever the number of requests (PostgreSQL adds its advisory lock).
MAX_SWEEP_QUERIES = 30


def _day(offset: int) -> datetime.date:
    return court_today() + datetime.timedelta(days=offset)


def _request(due_in: int, **kwargs):
    """A transmitted request due `due_in` days from today (negative: in the past)."""
    due = _day(due_in)
    kwargs.setdefault("transmitted_on", min(due, _day(0)) - datetime.timedelta(days=60))
    return factories.CooperationRequestFactory(due_on=due, **kwargs)


def _levels(*requests) -> list[int]:
    return [CooperationRequest.objects.get(pk=r.pk).escalation_level for r in requests]


@pytest.fixture
def partner_with_focal_points(state_a):
    factories.FocalPointFactory(username="fp-active", partner=state_a)
    factories.FocalPointFactory(username="fp-inactive", partner=state_a, is_active=False)
    return state_a


def test_sweep_flags_exactly_the_requests_past_each_threshold(state_a):
    """Each request lands on the highest rung it reached; due today is only reminded; final, answered, paused and
    draft requests are never flagged."""
    expected = {
        _request(-1): L.OVERDUE_NOTICE,  # due yesterday
        _request(0): L.REMINDER_SENT,  # due today: not overdue until the day is over
        _request(5): L.REMINDER_SENT,
        _request(7): L.REMINDER_SENT,
        _request(8): L.NONE,
        _request(-29): L.OVERDUE_NOTICE,
        _request(-30): L.SECOND_NOTICE,
        _request(-59): L.SECOND_NOTICE,
        _request(-60): L.REFERRAL_ART97,
        _request(-89): L.REFERRAL_ART97,
        _request(-90): L.NON_COMPLIANCE_CANDIDATE,
        _request(-400): L.NON_COMPLIANCE_CANDIDATE,
        _request(-14, urgent=True): L.OVERDUE_NOTICE,
        _request(-15, urgent=True): L.SECOND_NOTICE,
        _request(-2, urgent=True): L.OVERDUE_NOTICE,
        _request(3, urgent=True): L.REMINDER_SENT,
        _request(4, urgent=True): L.NONE,
        _request(-7, request_type=RequestType.VISA): L.SECOND_NOTICE,
        _request(-10, clock_paused_since=_day(-20)): L.NONE,
        _request(-10, status=Status.EXECUTED, outcome_on=_day(-1)): L.NONE,
        _request(-10, status=Status.NOT_EXECUTED, outcome_on=_day(-1)): L.NONE,
        _request(-100, status=Status.CLOSED, closed_on=_day(-1)): L.NONE,
        _request(-100, status=Status.WITHDRAWN, closed_on=_day(-1)): L.NONE,
        factories.CooperationRequestFactory(status=Status.DRAFT, transmitted_on=None, due_on=None): L.NONE,
    }
    result = overdue.sweep(on=court_today())
    assert {r.reference: level for r, level in zip(expected, _levels(*expected), strict=True)} == {
        r.reference: level for r, level in expected.items()
    }
    flagged = sum(1 for level in expected.values() if level)
    assert result.total_escalated == flagged
    assert EscalationStep.objects.count() == flagged
    assert RequestEvent.objects.filter(kind=EventKind.ESCALATION).count() == flagged
    changed_on = CooperationRequest.objects.filter(escalation_level__gt=0).values_list("escalation_changed_on")
    assert set(changed_on) == {(court_today(),)}


def test_overdue_notice_matches_the_overdue_queryset(state_a):
    """Flagged as overdue (or higher) is exactly CooperationRequest.objects.overdue(today)."""
    for due_in in (-40, -3, -1, 0, 1, 9):
        _request(due_in)
    _request(-5, clock_paused_since=_day(-6))
    overdue.sweep(on=court_today())
    flagged = set(CooperationRequest.objects.filter(escalation_level__gte=L.OVERDUE_NOTICE))
    assert flagged == set(CooperationRequest.objects.overdue(court_today()))


def test_provisional_arrest_documents_fall_due_sixty_days_after_the_arrest(partner_with_focal_points):
    """Rule 188: an art. 92 request is flagged once 60 days have passed since the arrest, even if its response
    date is later; a reminder comes a week before."""
    kwargs = {"partner": partner_with_focal_points, "request_type": RequestType.PROVISIONAL_ARREST}
    late = _request(40, **kwargs, provisional_arrest_on=_day(-61))
    soon = _request(40, **kwargs, provisional_arrest_on=_day(-55))
    in_time = _request(40, **kwargs, provisional_arrest_on=_day(-40))
    no_arrest_yet = _request(40, **kwargs)
    overdue.sweep(on=court_today())
    assert _levels(late, soon, in_time, no_arrest_yet) == [L.OVERDUE_NOTICE, L.REMINDER_SENT, L.NONE, L.NONE]
    notice = Notification.objects.get(coop_request=late)
    assert f"Provisional arrest on {_day(-61).isoformat()}" in notice.body
    assert "rule 188" in notice.body


def test_notifications_go_to_active_focal_points_and_the_responsible_registry_staff(partner_with_focal_points):
    """One outbox row per step and recipient: the partner's active focal points, the author if registry staff,
    otherwise every active registry user; nobody of another partner."""
    author = factories.RegistryFactory(username="author")
    factories.RegistryFactory(username="colleague")
    factories.RegistryFactory(username="retired", is_active=False)
    factories.FocalPointFactory(username="fp-other", partner=factories.PartnerFactory(code="FRA"))
    authored = _request(-3, partner=partner_with_focal_points, created_by=author)
    unattributed = _request(-3, partner=partner_with_focal_points)
    result = overdue.sweep(on=court_today())
    recipients = {
        (n.coop_request_id, n.recipient.username) for n in Notification.objects.select_related("recipient")
    }
    assert recipients == {
        (authored.pk, "fp-active"), (authored.pk, "author"),
        (unattributed.pk, "fp-active"), (unattributed.pk, "author"), (unattributed.pk, "colleague"),
    }
    assert result.notifications == 5
    notice = Notification.objects.filter(coop_request=authored, recipient__username="author").get()
    assert notice.subject == f"[ICC cooperation] Overdue notice: {authored.reference}"
    assert authored.subject not in notice.body  # the request's subject never travels by e-mail
    assert notice.sent_at is None


def test_sealed_request_is_notified_only_to_cleared_registry_staff(partner_with_focal_points):
    """Registry staff without sealed clearance are not told about a request under seal."""
    factories.RegistryFactory(username="uncleared")
    factories.RegistryFactory(username="cleared", sealed_clearance=True)
    _request(-3, partner=partner_with_focal_points, confidentiality="under_seal")
    overdue.sweep(on=court_today())
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"fp-active", "cleared"}


def test_second_run_adds_nothing(partner_with_focal_points):
    """Run twice on the same day: no new step, event, notification or change."""
    factories.RegistryFactory(username="registry")
    for due_in in (-100, -61, -31, -2, 3):
        _request(due_in, partner=partner_with_focal_points)
    first = overdue.sweep(on=court_today())
    counts = (EscalationStep.objects.count(), RequestEvent.objects.count(), Notification.objects.count())
    second = overdue.sweep(on=court_today())
    assert first.total_escalated == 5
    assert (second.total_escalated, second.cleared, second.notifications) == (0, 0, 0)
    assert (EscalationStep.objects.count(), RequestEvent.objects.count(), Notification.objects.count()) == counts


def test_escalation_climbs_one_rung_per_threshold_over_days(partner_with_focal_points):
    """Swept day after day, a request climbs the ladder, each rung dated on its history once."""
    coop_request = _request(7, partner=partner_with_focal_points)
    for offset in range(100):
        overdue.sweep(on=_day(offset))
    steps = list(EscalationStep.objects.filter(coop_request=coop_request).values_list("level", "reached_on"))
    assert steps == [
        (L.REMINDER_SENT, _day(0)), (L.OVERDUE_NOTICE, _day(8)), (L.SECOND_NOTICE, _day(37)),
        (L.REFERRAL_ART97, _day(67)), (L.NON_COMPLIANCE_CANDIDATE, _day(97)),
    ]
    notes = list(RequestEvent.objects.filter(coop_request=coop_request, kind=EventKind.ESCALATION)
                 .values_list("note", flat=True))
    assert notes == [f"Escalation: {level.label}." for level in sorted(L) if level]
    assert Notification.objects.filter(coop_request=coop_request).count() == 5


@pytest.mark.parametrize("change", ["outcome", "pause", "withdraw"])
def test_answer_pause_or_close_clears_the_flag_and_keeps_the_history(change, registry_user, state_a):
    """A flagged request that is answered, paused or withdrawn is cleared (level none, a dated event), and its
    earlier steps stay; clearing happens once."""
    coop_request = _request(-40, partner=state_a, transmitted_on=_day(-100))
    overdue.sweep(on=court_today())
    assert _levels(coop_request) == [L.SECOND_NOTICE]
    if change == "outcome":
        services.request_transition(coop_request=coop_request, actor=registry_user, to_status=Status.EXECUTED)
    elif change == "pause":
        services.request_pause_clock(
            coop_request=coop_request, actor=registry_user, reason=PauseReason.POSTPONEMENT_ART94
        )
    else:
        services.request_transition(coop_request=coop_request, actor=registry_user, to_status=Status.WITHDRAWN)
    result = overdue.sweep(on=court_today())
    assert result.cleared == 1
    coop_request.refresh_from_db()
    assert (coop_request.escalation_level, coop_request.escalation_changed_on) == (L.NONE, court_today())
    assert list(EscalationStep.objects.filter(coop_request=coop_request).values_list("level", flat=True)) == [
        L.SECOND_NOTICE, L.NONE,
    ]
    events = RequestEvent.objects.filter(coop_request=coop_request, kind=EventKind.ESCALATION)
    assert [e.note.split(":")[0] for e in events] == ["Escalation", "Escalation cleared"]
    assert overdue.sweep(on=court_today()).cleared == 0


def test_a_resumed_request_escalates_again_from_the_start(registry_user, state_a):
    """After a pause clears the flag, the ladder starts afresh (a new cycle) once the clock runs again."""
    coop_request = _request(-5, partner=state_a, transmitted_on=_day(-100))
    overdue.sweep(on=court_today())
    services.request_pause_clock(coop_request=coop_request, actor=registry_user, reason=PauseReason.POSTPONEMENT_ART94)
    overdue.sweep(on=court_today())
    services.request_resume_clock(coop_request=coop_request, actor=registry_user)
    overdue.sweep(on=court_today())
    coop_request.refresh_from_db()
    assert coop_request.escalation_level == L.OVERDUE_NOTICE
    assert list(EscalationStep.objects.filter(coop_request=coop_request).values_list("cycle", "level")) == [
        (0, L.OVERDUE_NOTICE), (0, L.NONE), (1, L.OVERDUE_NOTICE),
    ]


def test_a_flag_the_deadline_no_longer_reaches_is_cleared_then_the_ladder_restarts(registry_user, state_a):
    """An urgent request 20 days overdue is at the urgent ladder's second notice (15 days); no longer urgent, its
    ladder puts the second notice at 30 days: the next sweep clears the flag (a new cycle) and flags what the
    ordinary ladder reaches, the overdue notice. A flag still reached is left alone."""
    moved = _request(-20, partner=state_a, urgent=True, transmitted_on=_day(-100))
    kept = _request(-20, partner=state_a, urgent=True, transmitted_on=_day(-100))
    overdue.sweep(on=court_today())
    assert _levels(moved, kept) == [L.SECOND_NOTICE, L.SECOND_NOTICE]
    services.request_update(
        coop_request=moved, actor=registry_user, expected_version=moved.version, data={"urgent": False}
    )
    result = overdue.sweep(on=court_today())
    assert (result.cleared, result.total_escalated) == (1, 1)
    assert _levels(moved, kept) == [L.OVERDUE_NOTICE, L.SECOND_NOTICE]
    assert list(EscalationStep.objects.filter(coop_request=moved).values_list("cycle", "level")) == [
        (0, L.SECOND_NOTICE), (0, L.NONE), (1, L.OVERDUE_NOTICE),
    ]
    notes = RequestEvent.objects.filter(coop_request=moved, kind=EventKind.ESCALATION).values_list("note", flat=True)
    assert list(notes) == [
        f"Escalation: {L.SECOND_NOTICE.label}.",
        "Escalation cleared: the request was answered, paused or closed, or its deadline moved.",
        f"Escalation: {L.OVERDUE_NOTICE.label}.",
    ]
    assert overdue.sweep(on=court_today()).cleared == 0


@pytest.mark.parametrize("size", [10, 200])
def test_query_count_does_not_grow_with_the_number_of_requests(size, partner_with_focal_points,
                                                                django_assert_max_num_queries):
    """The sweep issues the same bounded number of statements for 10 and for 200 requests."""
    factories.RegistryFactory(username="registry")
    for i in range(size):
        _request(-(i % 120) + 7, partner=partner_with_focal_points, urgent=i % 7 == 0)
    with CaptureQueriesContext(connection) as queries:
        result = overdue.sweep(on=court_today())
    assert result.total_escalated > size // 2
    with django_assert_max_num_queries(MAX_SWEEP_QUERIES):
        overdue.sweep(on=_day(45))
    assert len(queries) <= MAX_SWEEP_QUERIES


def test_ladder_must_climb():
    """A ladder whose levels do not come one after another is refused with a clear message."""
    ladder = {"default": {"reminder_sent": -7, "overdue_notice": 1, "second_notice": 30, "referral_art97": 20,
                          "non_compliance_candidate": 90}}
    with pytest.raises(ImproperlyConfigured, match="later than the one below"):
        overdue.ladder_thresholds(RequestType.EVIDENCE, urgent=False, ladder=ladder)


def test_flag_overdue_command_prints_what_it_did(state_a, capsys):
    """`manage.py flag_overdue` runs the sweep at once and reports per level."""
    _request(-2, partner=state_a)
    call_command("flag_overdue")
    out = capsys.readouterr().out
    assert "Overdue notice: 1" in out
    assert "Cleared: 0" in out
