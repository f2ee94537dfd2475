"""Treaty status computed for any date from hand-made partners."""

import datetime

import pytest

from cooperation_portal.partners.models import Partner
from tests.factories import OrganizationFactory, PartnerFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def partners():
    return {
        "founding": PartnerFactory(code="NLD", entry_into_force_date=D(2002, 7, 1), apic_date=D(2008, 7, 24)),
        "late": PartnerFactory(
            code="UKR", ratification_date=D(2024, 10, 25), entry_into_force_date=D(2025, 1, 1), apic_date=D(2007, 1, 29)
        ),
        "withdrawn": PartnerFactory(
            code="BDI",
            ratification_date=D(2004, 9, 21),
            entry_into_force_date=D(2004, 12, 1),
            withdrawal_notified_date=D(2016, 10, 27),
            withdrawal_effective_date=D(2017, 10, 27),
        ),
        "never": PartnerFactory(code="USA", ratification_date=None, entry_into_force_date=None, apic_date=None),
        "organization": OrganizationFactory(code="UN", name="United Nations"),
    }


def _codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_states_parties_on_counts_from_entry_into_force(partners):
    """A State is a party from its entry-into-force date, not the day before."""
    assert "UKR" not in _codes(Partner.objects.states_parties_on(D(2024, 12, 31)))
    assert "UKR" in _codes(Partner.objects.states_parties_on(D(2025, 1, 1)))


def test_states_parties_on_stops_on_the_day_withdrawal_takes_effect(partners):
    """A withdrawing State is a party until the day before its withdrawal takes effect, and not from that day."""
    assert "BDI" in _codes(Partner.objects.states_parties_on(D(2017, 10, 26)))
    assert "BDI" not in _codes(Partner.objects.states_parties_on(D(2017, 10, 27)))


def test_states_parties_on_a_given_date(partners):
    """Only States in force and not withdrawn count; organizations and non-parties never do."""
    assert _codes(Partner.objects.states_parties_on(D(2010, 1, 1))) == {"NLD", "BDI"}
    assert _codes(Partner.objects.states_parties_on(D(2025, 6, 1))) == {"NLD", "UKR"}


def test_non_party_states_on_is_the_complement_among_states(partners):
    """Non-parties are the other States: not yet in force, withdrawn, or never party; never organizations."""
    assert _codes(Partner.objects.non_party_states_on(D(2010, 1, 1))) == {"UKR", "USA"}
    assert _codes(Partner.objects.non_party_states_on(D(2025, 6, 1))) == {"BDI", "USA"}
    on = D(2025, 6, 1)
    states = Partner.objects.states()
    assert _codes(Partner.objects.non_party_states_on(on)) | _codes(Partner.objects.states_parties_on(on)) == _codes(
        states
    )


def test_apic_parties_on_is_independent_of_statute_status(partners):
    """APIC status counts from its own date, even for a State not yet party to the Statute (Ukraine in 2013)."""
    assert _codes(Partner.objects.apic_parties_on(D(2007, 1, 28))) == set()
    assert _codes(Partner.objects.apic_parties_on(D(2007, 1, 29))) == {"UKR"}
    assert _codes(Partner.objects.apic_parties_on(D(2013, 4, 22))) == {"UKR", "NLD"}


def test_is_state_party_on_agrees_with_the_queryset(partners):
    """The per-row rule and the queryset give the same answer on every boundary date."""
    for on in [D(2002, 6, 30), D(2002, 7, 1), D(2017, 10, 26), D(2017, 10, 27), D(2024, 12, 31), D(2025, 1, 1)]:
        expected = _codes(Partner.objects.states_parties_on(on))
        assert {p.code for p in partners.values() if p.is_state_party_on(on)} == expected
