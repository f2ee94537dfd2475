"""Bad input on a cooperation request is refused at every layer (model, database, service) and nothing is written."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cooperation_portal.dates import court_today
from requests_app import services
from requests_app.choices import Organ, RequestType, Status
from requests_app.models import CooperationRequest, RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db

SENT = datetime.date(2026, 1, 5)
DUE_BEFORE_SENT = datetime.date(2026, 1, 4)
DUE_MESSAGE = "The due date (2026-01-04) cannot be before the transmission date (2026-01-05)."


def _draft(actor, partner) -> CooperationRequest:
    return services.request_create(
        actor=actor, partner=partner, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject="Bank records of a fictional company",
    )


def test_full_clean_refuses_a_due_date_before_transmission(state_a):
    """Model validation names the due date field and both dates; the unsaved request is not written."""
    coop_request = factories.CooperationRequestFactory.build(
        partner=state_a, transmitted_on=SENT, due_on=DUE_BEFORE_SENT
    )
    with pytest.raises(ValidationError) as excinfo:
        coop_request.full_clean()
    assert excinfo.value.message_dict == {"due_on": [DUE_MESSAGE]}
    assert not CooperationRequest.objects.exists()


def test_full_clean_refuses_moving_a_saved_due_date_before_transmission(state_a):
    """On a saved request the refused due date never reaches the database."""
    coop_request = factories.CooperationRequestFactory(partner=state_a, transmitted_on=SENT)
    due_on = coop_request.due_on
    coop_request.due_on = DUE_BEFORE_SENT
    with pytest.raises(ValidationError, match="cannot be before the transmission date"):
        coop_request.full_clean()
    assert CooperationRequest.objects.get(pk=coop_request.pk).due_on == due_on


def test_database_refuses_a_due_date_before_transmission_when_clean_is_bypassed(state_a):
    """The check constraint holds even for code that skips full_clean(); no row is written."""
    with pytest.raises(IntegrityError, match="request_due_not_before_transmitted"), transaction.atomic():
        factories.CooperationRequestFactory(partner=state_a, transmitted_on=SENT, due_on=DUE_BEFORE_SENT)
    assert not CooperationRequest.objects.exists()


def test_database_refuses_an_update_of_the_due_date_before_transmission(state_a):
    """A bulk update that bypasses the model is refused too and the stored due date stays."""
    coop_request = factories.CooperationRequestFactory(partner=state_a, transmitted_on=SENT)
    with pytest.raises(IntegrityError, match="request_due_not_before_transmitted"), transaction.atomic():
        CooperationRequest.objects.filter(pk=coop_request.pk).update(due_on=DUE_BEFORE_SENT)
    assert CooperationRequest.objects.get(pk=coop_request.pk).due_on == coop_request.due_on


def test_transition_refuses_a_due_date_before_transmission(registry_user, state_a):
    """Transmitting with a due date before the transmission date is refused; the draft stays as it was."""
    draft = _draft(registry_user, state_a)
    sent = court_today() - datetime.timedelta(days=2)
    due = sent - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        services.request_transition(
            coop_request=draft, actor=registry_user, to_status=Status.TRANSMITTED, on=sent, due_on=due
        )
    assert excinfo.value.message_dict == {
        "due_on": [f"The due date ({due.isoformat()}) cannot be before the transmission date ({sent.isoformat()})."]
    }
    saved = CooperationRequest.objects.get(pk=draft.pk)
    assert (saved.status, saved.version, saved.transmitted_on, saved.due_on) == (Status.DRAFT, 1, None, None)
    assert list(RequestEvent.objects.filter(coop_request=draft).values_list("kind", flat=True)) == ["created"]


@pytest.mark.parametrize(
    ("from_status", "to_status", "message"),
    [
        (Status.CLOSED, Status.TRANSMITTED, "A request that is Closed cannot become Transmitted."),
        (Status.DRAFT, Status.EXECUTED, "A request that is Draft cannot become Executed."),
        (Status.WITHDRAWN, Status.IN_EXECUTION, "A request that is Withdrawn cannot become In execution."),
        (Status.EXECUTED, Status.ACKNOWLEDGED, "A request that is Executed cannot become Acknowledged."),
    ],
)
def test_transition_outside_the_table_is_refused_and_nothing_changes(
    registry_user, state_a, from_status, to_status, message
):
    """A move the transition table forbids is refused with both statuses named; status, version and events stay."""
    dates = {"transmitted_on": None, "due_on": None} if from_status == Status.DRAFT else {}
    if from_status in (Status.CLOSED, Status.WITHDRAWN):
        dates["closed_on"] = datetime.date(2026, 2, 1)
    if from_status == Status.EXECUTED:
        dates["outcome_on"] = datetime.date(2026, 2, 1)
    coop_request = factories.CooperationRequestFactory(partner=state_a, status=from_status, **dates)
    with pytest.raises(ValidationError) as excinfo:
        services.request_transition(coop_request=coop_request, actor=registry_user, to_status=to_status)
    assert excinfo.value.messages == [message]
    saved = CooperationRequest.objects.get(pk=coop_request.pk)
    assert (saved.status, saved.version) == (from_status, coop_request.version)
    assert not RequestEvent.objects.filter(coop_request=coop_request).exists()


def test_draft_with_a_transmission_date_is_refused_by_the_database(state_a):
    """A draft has not been transmitted: the database refuses a draft that carries a transmission date."""
    with pytest.raises(IntegrityError, match="request_draft_has_no_transmission"), transaction.atomic():
        factories.CooperationRequestFactory(partner=state_a, status=Status.DRAFT, due_on=None)
    assert not CooperationRequest.objects.exists()
