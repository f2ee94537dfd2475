"""Single-row rules of warrants and contact reports: refused by validation and by the database, nothing written."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests import factories
from warrants_app.models import ArrestWarrant, ContactReport

pytestmark = pytest.mark.django_db


def test_database_refuses_custody_before_issue():
    """A person cannot be taken into custody on a warrant before it is issued, even when clean() is skipped."""
    with pytest.raises(IntegrityError, match="warrant_custody_after_issue"), transaction.atomic():
        factories.ArrestWarrantFactory(issued_on=datetime.date(2020, 3, 1), custody_on=datetime.date(2020, 2, 1))
    assert not ArrestWarrant.objects.exists()


def test_database_refuses_unsealing_a_warrant_never_sealed():
    """Only a warrant issued under seal has an unsealing date."""
    with pytest.raises(IntegrityError, match="warrant_unsealed_only_if_sealed"), transaction.atomic():
        factories.ArrestWarrantFactory(under_seal=False, unsealed_on=datetime.date(2021, 1, 1))
    assert not ArrestWarrant.objects.exists()


def test_full_clean_refuses_a_case_of_another_situation():
    """The case must belong to the warrant's situation."""
    warrant = factories.ArrestWarrantFactory.build(
        situation=factories.SituationFactory(), case=factories.CaseFactory()
    )
    with pytest.raises(ValidationError) as excinfo:
        warrant.full_clean()
    assert excinfo.value.message_dict == {"case": ["This case belongs to another situation."]}


def test_full_clean_refuses_a_contact_before_the_warrant(focal_point_a, state_a):
    """A contact cannot be dated before the warrant was issued; the report is not written."""
    warrant = factories.ArrestWarrantFactory(issued_on=datetime.date(2020, 3, 1))
    report = ContactReport(
        warrant=warrant, partner=state_a, reported_by=focal_point_a, contact_on=datetime.date(2020, 2, 1),
        description="Seen before the warrant existed.",
    )
    with pytest.raises(ValidationError) as excinfo:
        report.full_clean()
    assert excinfo.value.message_dict == {"contact_on": ["The contact is dated before the warrant was issued."]}
    assert not ContactReport.objects.exists()
