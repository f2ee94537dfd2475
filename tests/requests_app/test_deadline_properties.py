"""Property tests (hypothesis) of the deadline rules: pauses never shorten a deadline; a final request is never
flagged; flagged-as-overdue is exactly "past due, clock running, not final"."""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cooperation_portal.dates import court_today
from requests_app import overdue, services
from requests_app.choices import CLOCK_RUNNING_STATUSES, EscalationLevel, PauseReason, RequestType, Status
from requests_app.models import CooperationRequest
from tests import factories

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(
    response_days=st.integers(min_value=1, max_value=120),
    gaps=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8),
    last_is_open=st.booleans(),
)
def test_pausing_and_resuming_never_shortens_a_deadline(registry_user, state_a, response_days, gaps, last_is_open):
    """Through any sequence of pauses and resumptions, the due date never moves earlier, and once the clock
    runs again it is the original date plus exactly the days the clock stood still."""
    today = court_today()
    transmitted = today - datetime.timedelta(days=sum(gaps) + 1)
    original_due = transmitted + datetime.timedelta(days=response_days)
    coop_request = factories.CooperationRequestFactory(partner=state_a, transmitted_on=transmitted, due_on=original_due)
    day, paused_days, paused_since = transmitted, 0, None
    previous_due = original_due
    for i, gap in enumerate(gaps):
        day += datetime.timedelta(days=gap)
        if paused_since is None:
            if i == len(gaps) - 1 and not last_is_open:
                break
            services.request_pause_clock(
                coop_request=coop_request, actor=registry_user, reason=PauseReason.POSTPONEMENT_ART95, on=day
            )
            paused_since = day
        else:
            services.request_resume_clock(coop_request=coop_request, actor=registry_user, on=day)
            paused_days += (day - paused_since).days
            paused_since = None
        coop_request.refresh_from_db()
        assert coop_request.due_on is not None
        assert coop_request.due_on >= previous_due >= original_due
        previous_due = coop_request.due_on
    if paused_since is None:
        assert coop_request.due_on == original_due + datetime.timedelta(days=paused_days)


STATUSES = [s for s in Status if s != Status.DRAFT]


@st.composite
def request_specs(draw):
    status = draw(st.sampled_from(STATUSES))
    return {
        "status": status,
        "due_in": draw(st.integers(min_value=-400, max_value=30)),
        "paused": draw(st.booleans()) and status in CLOCK_RUNNING_STATUSES,
        "urgent": draw(st.booleans()),
        "request_type": draw(st.sampled_from(list(RequestType))),
        "arrested_days_ago": draw(st.none() | st.integers(min_value=0, max_value=200)),
    }


@PROPERTY_SETTINGS
@given(specs=st.lists(request_specs(), min_size=1, max_size=12), sweep_in=st.integers(min_value=0, max_value=3),
       finalize=st.sampled_from([Status.CLOSED, Status.WITHDRAWN, Status.EXECUTED, Status.NOT_EXECUTED]))
def test_a_final_request_is_never_flagged(state_a, specs, sweep_in, finalize):
    """Whatever the mix of requests and the day swept: no final, answered, paused or draft request is flagged;
    flagged as overdue is exactly the overdue queryset; and a flagged request made final is cleared next sweep."""
    CooperationRequest.objects.all().delete()
    today = court_today()
    day = lambda offset: today + datetime.timedelta(days=offset)  # noqa: E731
    for spec in specs:
        due = day(spec["due_in"])
        final = spec["status"] not in CLOCK_RUNNING_STATUSES
        arrested = spec["arrested_days_ago"]
        factories.CooperationRequestFactory(
            partner=state_a, status=spec["status"], urgent=spec["urgent"], request_type=spec["request_type"],
            due_on=due, transmitted_on=min(due, day(-1)) - datetime.timedelta(days=30),
            outcome_on=day(-1) if spec["status"] in (Status.EXECUTED, Status.PARTIALLY_EXECUTED,
                                                     Status.NOT_EXECUTED) else None,
            closed_on=day(-1) if final and spec["status"] in (Status.CLOSED, Status.WITHDRAWN) else None,
            clock_paused_since=day(-1) if spec["paused"] else None,
            provisional_arrest_on=day(-arrested) if arrested is not None
            and spec["request_type"] == RequestType.PROVISIONAL_ARREST else None,
        )
    on = day(sweep_in)
    overdue.sweep(on=on)
    flagged = CooperationRequest.objects.filter(escalation_level__gt=EscalationLevel.NONE)
    assert not flagged.exclude(status__in=CLOCK_RUNNING_STATUSES).exists()
    assert not flagged.filter(clock_paused_since__isnull=False).exists()
    # Rule 188 may flag an art. 92 request before its response date; every other overdue flag is the queryset's.
    overdue_flagged = set(flagged.filter(escalation_level__gte=EscalationLevel.OVERDUE_NOTICE)
                          .exclude(request_type=RequestType.PROVISIONAL_ARREST))
    assert overdue_flagged == set(CooperationRequest.objects.overdue(on)
                                  .exclude(request_type=RequestType.PROVISIONAL_ARREST))

    # Make every flagged request final behind the sweep's back, as the services would: the next sweep clears it.
    changed = flagged.update(status=finalize)
    result = overdue.sweep(on=on)
    assert result.cleared == changed
    assert not CooperationRequest.objects.exclude(status__in=CLOCK_RUNNING_STATUSES).filter(
        escalation_level__gt=EscalationLevel.NONE).exists()
