"""Single-row rules of agreements and placements: refused by validation and by the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agreements_app.choices import PlacementDecision
from agreements_app.models import Placement, VoluntaryAgreement
from tests import factories

pytestmark = pytest.mark.django_db

# placement_decided_has_date compares decided_on >= requested_on, which is NULL (not false) when decided_on is NULL;
# a CHECK passes on NULL, and Django's constraint validation follows the same rule, so an accepted placement without
# a decision date is stored. The condition needs decided_on__isnull=False. Strict: these fail loudly once fixed.


def test_agreement_with_an_organization_is_refused_by_validation():
    """Voluntary agreements are concluded with States."""
    agreement = factories.VoluntaryAgreementFactory.build(partner=factories.OrganizationFactory(code="AU"))
    with pytest.raises(ValidationError) as excinfo:
        agreement.full_clean()
    assert excinfo.value.message_dict == {"partner": ["Voluntary agreements are concluded with States."]}


def test_agreement_in_force_before_signature_is_refused_by_the_database(state_a):
    """The check constraint refuses an agreement in force before it was signed; no row is written."""
    with pytest.raises(IntegrityError, match="agreement_in_force_after_signature"), transaction.atomic():
        factories.VoluntaryAgreementFactory(
            partner=state_a, signed_on=datetime.date(2010, 6, 1), in_force_on=datetime.date(2010, 5, 1)
        )
    assert not VoluntaryAgreement.objects.exists()


def test_decided_placement_without_date_is_refused_by_validation(state_a):
    """A decision has a date: model validation refuses an accepted placement without one."""
    agreement = factories.VoluntaryAgreementFactory(partner=state_a)
    placement = Placement(
        agreement=agreement, reference="PL-1", person_label="Witness A", requested_on=datetime.date(2020, 1, 1),
        decision=PlacementDecision.ACCEPTED,
    )
    with pytest.raises(ValidationError) as excinfo:
        placement.full_clean()
    assert excinfo.value.messages == ["A decision has a date, on or after the request; a pending one has none."]


def test_decided_placement_without_date_is_refused_by_the_database(state_a):
    """A decision has a date; a pending placement has none."""
    agreement = factories.VoluntaryAgreementFactory(partner=state_a)
    with pytest.raises(IntegrityError, match="placement_decided_has_date"), transaction.atomic():
        Placement.objects.create(
            agreement=agreement, reference="PL-1", person_label="Witness A", requested_on=datetime.date(2020, 1, 1),
            decision=PlacementDecision.ACCEPTED,
        )
    assert not Placement.objects.exists()
