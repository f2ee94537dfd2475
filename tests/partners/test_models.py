"""A State's code is an ISO 3166-1 alpha-3 code; the partner's other single-row rules hold in the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cooperation_portal.partners.choices import PartnerKind, RegionalGroup
from cooperation_portal.partners.models import Partner

pytestmark = pytest.mark.django_db

UNKNOWN_CODE_MESSAGE = "“XXX” is not an ISO 3166-1 alpha-3 country code."


def test_full_clean_refuses_an_unknown_iso_code_for_a_state():
    """XXX is no country: the code field carries the message and nothing is written."""
    partner = Partner(kind=PartnerKind.STATE, code="XXX", name="Nowhere", regional_group=RegionalGroup.WEOG)
    with pytest.raises(ValidationError) as excinfo:
        partner.full_clean()
    assert excinfo.value.message_dict == {"code": [UNKNOWN_CODE_MESSAGE]}
    assert not Partner.objects.exists()


def test_full_clean_accepts_an_assigned_iso_code():
    """The same partner with Kenya's code passes, so the refusal above is about the code alone."""
    Partner(kind=PartnerKind.STATE, code="KEN", name="Kenya", regional_group=RegionalGroup.AFRICAN).full_clean()


def test_full_clean_refuses_a_lower_case_or_alpha_2_code():
    """Only the upper-case three-letter form is accepted."""
    for code in ("ken", "KE"):
        with pytest.raises(ValidationError, match="is not an ISO 3166-1 alpha-3 country code"):
            Partner(kind=PartnerKind.STATE, code=code, name="Kenya", regional_group=RegionalGroup.AFRICAN).full_clean()


def test_database_refuses_a_state_without_regional_group():
    """Every State belongs to a regional group, even when clean() is skipped."""
    with pytest.raises(IntegrityError, match="partner_state_has_regional_group"), transaction.atomic():
        Partner.objects.create(kind=PartnerKind.STATE, code="KEN", name="Kenya", regional_group="")
    assert not Partner.objects.exists()


def test_database_refuses_entry_into_force_before_ratification():
    """The Statute cannot enter into force for a State before it ratified."""
    with pytest.raises(IntegrityError, match="partner_entry_into_force_after_ratification"), transaction.atomic():
        Partner.objects.create(
            kind=PartnerKind.STATE, code="KEN", name="Kenya", regional_group=RegionalGroup.AFRICAN,
            ratification_date=datetime.date(2005, 3, 15), entry_into_force_date=datetime.date(2005, 1, 1),
        )
    assert not Partner.objects.exists()
