"""Which requests each role sees, and what counts as open and overdue."""

import datetime

import pytest

from requests_app.choices import Confidentiality, Status
from requests_app.models import CooperationRequest
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def test_registry_sees_all_but_sealed_without_clearance(registry_user, cleared_registry_user, state_a):
    """Requests under seal are visible to registry staff only with clearance."""
    public = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.PUBLIC)
    sealed = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    assert set(CooperationRequest.objects.visible_to(registry_user)) == {public}
    assert set(CooperationRequest.objects.visible_to(cleared_registry_user)) == {public, sealed}


def test_focal_point_sees_only_what_was_transmitted_to_their_partner(focal_point_a, state_a, state_b):
    """A focal point sees their partner's transmitted requests (any confidentiality), no drafts, nothing of B."""
    mine = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    factories.CooperationRequestFactory(partner=state_a, status=Status.DRAFT, transmitted_on=None, due_on=None)
    factories.CooperationRequestFactory(partner=state_b)
    assert list(CooperationRequest.objects.visible_to(focal_point_a)) == [mine]


def test_facilitator_and_anonymous_see_no_request(facilitator, state_a):
    """Facilitators work with aggregates; no request is itemized for them."""
    from django.contrib.auth.models import AnonymousUser

    factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.PUBLIC)
    assert not CooperationRequest.objects.visible_to(facilitator).exists()
    assert not CooperationRequest.objects.visible_to(AnonymousUser()).exists()  # type: ignore[arg-type]


def test_deactivated_user_sees_nothing(registry_user, state_a):
    """A deactivated account loses access at once."""
    factories.CooperationRequestFactory(partner=state_a)
    registry_user.is_active = False
    assert not CooperationRequest.objects.visible_to(registry_user).exists()


def test_overdue_means_past_due_running_clock_not_answered(state_a):
    """Overdue: due before today, clock running, not answered nor closed. Due today is not yet overdue."""
    def make(**kwargs):
        return factories.CooperationRequestFactory(partner=state_a, transmitted_on=datetime.date(2026, 1, 1), **kwargs)

    overdue = make(due_on=TODAY - datetime.timedelta(days=1), status=Status.ACKNOWLEDGED)
    make(due_on=TODAY)
    make(due_on=TODAY - datetime.timedelta(days=1), clock_paused_since=datetime.date(2026, 5, 1))
    make(due_on=TODAY - datetime.timedelta(days=1), status=Status.EXECUTED, outcome_on=datetime.date(2026, 6, 1))
    make(due_on=TODAY - datetime.timedelta(days=1), status=Status.CLOSED, closed_on=datetime.date(2026, 6, 1))
    assert list(CooperationRequest.objects.overdue(TODAY)) == [overdue]
