"""The reporting period of the Court's 2013 report on cooperation, rebuilt from synthetic rows.

Figures to get back (report of the Court on cooperation, 1 October 2011 - 30 September 2013): 533 cooperation
requests transmitted by the Registry, 19 of them to organizations; 1,320 visa requests counted apart; 609 requests
from the OTP to 71 distinct partners; 8 States with enforcement agreements (7 in force, Colombia not yet); 13 States
with relocation agreements; 12 persons at large. Partners, requests and warrants are invented around those figures;
the noise rows (outside the period, other request kinds, sealed or later warrants) must change none of them.
"""

import datetime
import itertools
from dataclasses import dataclass, field

import pytest
from django_countries import countries

from agreements_app.choices import AgreementType
from agreements_app.models import VoluntaryAgreement
from cooperation_portal.partners.choices import PartnerKind, RegionalGroup
from cooperation_portal.partners.models import Partner
from requests_app.choices import COOPERATION_TYPES, Confidentiality, Organ, RequestType, Status
from requests_app.models import CooperationRequest
from tests import factories
from warrants_app.models import ArrestWarrant

START = datetime.date(2011, 10, 1)
END = datetime.date(2013, 9, 30)
# After the period, so that the period's figures must be read from dates, not from "now".
GENERATED_ON = datetime.date(2026, 11, 23)
ENFORCEMENT_STATES = {"AUT", "GBR", "BEL", "DNK", "FIN", "SRB", "MLI", "COL"}
GROUPS = list(RegionalGroup.values)
COOPERATION_TYPE_CYCLE = sorted(COOPERATION_TYPES)


@dataclass
class Period2013:
    start: datetime.date = START
    end: datetime.date = END
    generated_on: datetime.date = GENERATED_ON
    states: list[Partner] = field(default_factory=list)
    organizations: list[Partner] = field(default_factory=list)


def _state_codes() -> list[str]:
    """Real ISO 3166-1 alpha-3 codes, the enforcement States first so that their names are set below."""
    others = sorted({countries.alpha3(code) for code, _name in countries} - ENFORCEMENT_STATES - {""})
    return sorted(ENFORCEMENT_STATES) + others


def build_states(count: int = 160) -> list[Partner]:
    partners = []
    for index, code in enumerate(_state_codes()[:count]):
        # One State in five is not a party; one withdraws in the middle of the period, so that its requests change
        # kind on the date of the withdrawal.
        party = index % 5 != 4
        partners.append(
            Partner(
                kind=PartnerKind.STATE,
                code=code,
                name=countries.name(countries.alpha2(code)) or f"State {code}",
                regional_group=GROUPS[index % len(GROUPS)],
                ratification_date=datetime.date(2002, 4, 11) if party else None,
                entry_into_force_date=datetime.date(2002, 7, 1) if party else None,
                apic_date=datetime.date(2005, 1, 1) if index % 3 == 0 and party else None,
                implementing_legislation_date=datetime.date(2008, 1, 1) if index % 4 == 0 and party else None,
                withdrawal_notified_date=datetime.date(2011, 6, 1) if index == 20 else None,
                withdrawal_effective_date=datetime.date(2012, 6, 1) if index == 20 else None,
            )
        )
    Partner.objects.bulk_create(partners)
    return list(Partner.objects.filter(kind=PartnerKind.STATE).order_by("code"))


def build_organizations() -> list[Partner]:
    codes = ["UN", "AU", "EU", "INTERPOL", "OAS"]
    Partner.objects.bulk_create(
        [Partner(kind=PartnerKind.ORGANIZATION, code=code, name=f"Organization {code}") for code in codes]
    )
    return list(Partner.objects.filter(kind=PartnerKind.ORGANIZATION).order_by("code"))


def _day(index: int, *, start: datetime.date = START, end: datetime.date = END) -> datetime.date:
    span = (end - start).days + 1
    return start + datetime.timedelta(days=(index * 37) % span)


def _request(reference: str, organ: str, request_type: str, partner: Partner, on: datetime.date, **extra: object):
    defaults = {
        "status": Status.TRANSMITTED,
        "confidentiality": Confidentiality.CONFIDENTIAL,
        "due_on": on + datetime.timedelta(days=60),
        "subject": f"Synthetic request {reference}",
    }
    defaults.update(extra)
    return CooperationRequest(
        reference=reference, organ=organ, request_type=request_type, partner=partner, transmitted_on=on, **defaults
    )


def build_requests(states: list[Partner], organizations: list[Partner]) -> None:
    rows = []
    counter = itertools.count()
    # The Registry transmits for the Chambers, the Presidency and itself: 533 cooperation requests, 19 to
    # organizations. Closed within 30 days so that none is outstanding and the overdue figure stays small.
    registry_organs = [Organ.CHAMBERS] * 310 + [Organ.PRESIDENCY] * 14 + [Organ.REGISTRY] * 209
    for index, organ in enumerate(registry_organs):
        partner = organizations[index % len(organizations)] if index < 19 else states[index % 120]
        on = _day(index)
        rows.append(
            _request(
                f"REG-{next(counter):06d}", organ, COOPERATION_TYPE_CYCLE[index % len(COOPERATION_TYPE_CYCLE)],
                partner, on, status=Status.EXECUTED, acknowledged_on=on + datetime.timedelta(days=index % 10),
                outcome_on=on + datetime.timedelta(days=20 + index % 11),
            )
        )
    # 1,320 visa requests and a few other logistical ones, all from the Registry, counted apart.
    rows += [
        _request(f"VISA-{next(counter):06d}", Organ.REGISTRY, RequestType.VISA, states[i % 50], _day(i))
        for i in range(1320)
    ]
    rows += [
        _request(f"LOG-{next(counter):06d}", Organ.REGISTRY, RequestType.LOGISTICAL, states[i], _day(i))
        for i in range(7)
    ]
    # A State asking the Court for assistance (art. 93(10)) is the reverse flow: counted apart too.
    rows += [
        _request(f"A9310-{next(counter):06d}", Organ.REGISTRY, RequestType.ASSISTANCE_TO_STATE, states[i], _day(i))
        for i in range(3)
    ]
    # The OTP: 609 requests to 71 distinct partners (69 States and 2 organizations).
    otp_partners = states[40:109] + organizations[:2]
    assert len(otp_partners) == 71
    for index in range(609):
        rows.append(
            _request(
                f"OTP-{next(counter):06d}", Organ.OTP, COOPERATION_TYPE_CYCLE[index % len(COOPERATION_TYPE_CYCLE)],
                otp_partners[index % 71], _day(index), status=Status.PARTIALLY_EXECUTED,
                outcome_on=_day(index) + datetime.timedelta(days=45),
            )
        )
    # Outside the period by one day on either side: they change no figure of the period.
    for on in (START - datetime.timedelta(days=1), END + datetime.timedelta(days=1)):
        rows += [
            _request(f"OUT-{next(counter):06d}", organ, RequestType.EVIDENCE, states[130 + i], on)
            for i, organ in enumerate([Organ.REGISTRY, Organ.OTP, Organ.CHAMBERS])
        ]
        rows.append(_request(f"OUT-{next(counter):06d}", Organ.REGISTRY, RequestType.VISA, states[140], on))
    # Drafts were never transmitted.
    rows += [
        CooperationRequest(
            reference=f"DRAFT-{i}", organ=Organ.OTP, request_type=RequestType.EVIDENCE, partner=states[150],
            subject="Draft", status=Status.DRAFT,
        )
        for i in range(4)
    ]
    CooperationRequest.objects.bulk_create(rows)


def _agreement(partner: Partner, agreement_type: str, **dates: object) -> VoluntaryAgreement:
    return VoluntaryAgreement(partner=partner, agreement_type=agreement_type, **dates)


def build_agreements(states: list[Partner]) -> None:
    by_code = {state.code: state for state in states}
    d = datetime.date
    enforcement = [
        ("AUT", d(2005, 10, 27), d(2005, 11, 26)),
        ("GBR", d(2007, 11, 8), d(2007, 12, 1)),
        ("BEL", d(2010, 6, 1), d(2010, 6, 1)),
        ("DNK", d(2010, 6, 1), d(2010, 8, 1)),
        ("FIN", d(2010, 6, 1), d(2011, 4, 24)),
        ("SRB", None, d(2011, 5, 28)),
        ("MLI", d(2012, 1, 13), d(2012, 5, 1)),
        ("COL", d(2011, 5, 17), None),  # signed, not yet in force in September 2013
    ]
    rows = [
        _agreement(by_code[code], AgreementType.ENFORCEMENT, signed_on=signed, in_force_on=in_force)
        for code, signed, in_force in enforcement
    ]
    # Concluded after the period: not among the eight.
    others = [state for state in states if state.code not in ENFORCEMENT_STATES]
    rows.append(_agreement(others[0], AgreementType.ENFORCEMENT, signed_on=d(2017, 4, 18)))
    # Thirteen relocation agreements, most of them confidential (counted, not named), three public.
    for index, state in enumerate(others[1:14]):
        signed = d(2009, 3, 1) if index < 9 else d(2012, 2, 1) + datetime.timedelta(days=30 * index)
        rows.append(
            _agreement(
                state, AgreementType.RELOCATION, signed_on=signed, in_force_on=signed, is_public=index in (0, 1, 2)
            )
        )
    # One relocation agreement terminated before the end, one concluded after it: neither counts.
    rows.append(
        _agreement(others[20], AgreementType.RELOCATION, signed_on=d(2008, 1, 1), in_force_on=d(2008, 1, 1),
                   terminated_on=d(2012, 1, 1))
    )
    rows.append(_agreement(others[21], AgreementType.RELOCATION, signed_on=d(2014, 1, 1), in_force_on=d(2014, 1, 1)))
    rows.append(_agreement(by_code["BEL"], AgreementType.INTERIM_RELEASE, in_force_on=d(2014, 4, 10)))
    VoluntaryAgreement.objects.bulk_create(rows)


def build_warrants() -> None:
    situation = factories.SituationFactory(code="ICC-SYN/01", name="Synthetic situation")
    d = datetime.date
    rows = [
        ArrestWarrant(person_name=f"At large {i:02d}", situation=situation, chamber="Pre-Trial Chamber I",
                      issued_on=d(2005 + i % 7, 7, 8))
        for i in range(11)
    ]
    rows += [
        # Sealed during the period and unsealed since: public now, so counted as the twelfth person at large.
        ArrestWarrant(person_name="Unsealed since", situation=situation, chamber="Pre-Trial Chamber II",
                      issued_on=d(2012, 3, 1), under_seal=True, unsealed_on=d(2014, 6, 1)),
        # Arrested in the period: executed in it, not at large at its end.
        ArrestWarrant(person_name="Surrendered in period", situation=situation, chamber="Pre-Trial Chamber I",
                      issued_on=d(2010, 1, 1), custody_on=d(2012, 11, 1)),
        ArrestWarrant(person_name="Withdrawn before", situation=situation, chamber="Pre-Trial Chamber I",
                      issued_on=d(2008, 1, 1), withdrawn_on=d(2011, 2, 1)),
        ArrestWarrant(person_name="Issued after the period", situation=situation, chamber="Pre-Trial Chamber I",
                      issued_on=d(2014, 1, 1)),
    ]
    ArrestWarrant.objects.bulk_create(rows)


@pytest.fixture
def period_2013(db) -> Period2013:
    states = build_states()
    organizations = build_organizations()
    build_requests(states, organizations)
    build_agreements(states)
    build_warrants()
    return Period2013(states=states, organizations=organizations)
