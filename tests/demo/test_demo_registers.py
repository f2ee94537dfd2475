"""Numbered demo warrants and agreements: one of each per 250 requests, deterministic, topped up, valid, scoped."""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command

from agreements_app.choices import AgreementStatus, AgreementType
from agreements_app.models import VoluntaryAgreement
from cooperation_portal.dates import court_today
from cooperation_portal.demo import services
from cooperation_portal.demo.generator import (
    AGREEMENT_SOURCE,
    REFERENCE_PREFIX,
    REQUESTS_PER_WARRANT,
    WarrantRef,
    agreement_index_of,
    index_of,
    link_bulk_warrant,
    plan_agreement,
    warrant_index_of,
)
from cooperation_portal.partners.models import Partner
from requests_app.choices import RequestType
from requests_app.models import CooperationRequest
from warrants_app.choices import WarrantStatus
from warrants_app.models import ArrestWarrant

TODAY = datetime.date(2026, 1, 15)
PASSWORD = "demo-Kq7-tulip-harbour-93"


@pytest.fixture
def partners(db):
    call_command("load_reference_data", stdout=io.StringIO())
    return Partner.objects.all()


def load_registers(requests: int, *, seed: int = 7, batch_size: int = 7) -> dict[str, int]:
    """The situations and fixture warrants, then the numbered warrants and agreements of a run of `requests`."""
    services.demo_fixtures_ensure(seed=seed, today=TODAY, reporters=[])
    ctx = services.demo_register_context_build(seed=seed, today=TODAY)
    return services.demo_registers_load(ctx=ctx, requests=requests, batch_size=batch_size).created


def numbered_warrants():
    return ArrestWarrant.objects.filter(person_name__regex=r"^Fictional Person [0-9]{5,}$")


def demo_agreements():
    return VoluntaryAgreement.objects.filter(source=AGREEMENT_SOURCE)


def warrant_rows() -> list[tuple[object, ...]]:
    return sorted(
        (
            w.person_name, w.situation.code, w.case.number if w.case else None, w.chamber, w.issued_on, w.charges,
            w.custody_on, w.withdrawn_on, w.terminated_on, w.under_seal, w.unsealed_on,
            tuple(sorted(p.code for p in w.believed_in.all())),
        )
        for w in numbered_warrants().select_related("situation", "case").prefetch_related("believed_in")
    )


def agreement_rows() -> list[tuple[object, ...]]:
    return sorted(
        demo_agreements().values_list(
            "title", "partner__code", "agreement_type", "negotiation_started_on", "signed_on", "in_force_on",
            "terminated_on", "is_public",
        )
    )


def test_one_warrant_and_one_agreement_per_250_requests(partners):
    """5,000 requests hold 20 numbered warrants and 20 agreements, numbered 0-19, beside the fixture warrants."""
    created = load_registers(5000)
    assert created["arrest warrants"] == 20 and created["voluntary agreements"] == 20
    assert sorted(warrant_index_of(name) for name in numbered_warrants().values_list("person_name", flat=True)) == [
        *range(20)
    ]
    assert sorted(agreement_index_of(title) for title in demo_agreements().values_list("title", flat=True)) == [
        *range(20)
    ]
    # The fixture warrants are still there, and still the only ones with four-digit persons.
    assert ArrestWarrant.objects.filter(person_name__regex=r"^Fictional Person [0-9]{4}$").count() >= 8
    assert ArrestWarrant.objects.count() == numbered_warrants().count() + ArrestWarrant.objects.filter(
        person_name__regex=r"^Fictional Person [0-9]{4}$"
    ).count()


def test_same_seed_same_rows_whatever_the_batch_size(partners):
    """Deleting the numbered rows and loading again (other batch size) gives the same rows; another seed differs."""
    load_registers(5000, batch_size=7)
    warrants, agreements = warrant_rows(), agreement_rows()
    assert len(warrants) == 20 and len(agreements) == 20
    numbered_warrants().delete()
    demo_agreements().delete()
    load_registers(5000, batch_size=1000)
    assert warrant_rows() == warrants
    assert agreement_rows() == agreements

    numbered_warrants().delete()
    demo_agreements().delete()
    load_registers(5000, seed=8)
    assert warrant_rows() != warrants
    assert agreement_rows() != agreements


def test_a_second_run_adds_nothing_and_a_larger_one_only_the_new_numbers(partners):
    """Same N: nothing added. Larger N: only the numbers 20-29, the first 20 rows untouched. Lost rows come back."""
    load_registers(5000)
    warrants, agreements = warrant_rows(), agreement_rows()
    assert load_registers(5000) == {}
    assert warrant_rows() == warrants and agreement_rows() == agreements

    created = load_registers(7500)
    assert created["arrest warrants"] == 10 and created["voluntary agreements"] == 10
    assert set(warrants) < set(warrant_rows()) and len(warrant_rows()) == 30
    assert set(agreements) < set(agreement_rows()) and len(agreement_rows()) == 30

    bigger = warrant_rows(), agreement_rows()
    numbered_warrants().filter(person_name__in=[f"Fictional Person {10000 + n}" for n in (3, 4, 25)]).delete()
    demo_agreements().filter(title__endswith="(demo 000011)").delete()
    created = load_registers(7500)
    assert created["arrest warrants"] == 3 and created["voluntary agreements"] == 1
    assert (warrant_rows(), agreement_rows()) == bigger


def test_every_row_is_valid_and_tells_a_dated_story(partners):
    """full_clean() passes on every row; agreements go to States (States Parties mostly), four types, four statuses;
    warrants cover every status and seal, arrest unseals, and only persons at large are believed to be somewhere."""
    load_registers(5000)
    parties = set(Partner.objects.states_parties_on(TODAY).values_list("id", flat=True))
    agreements = list(demo_agreements().select_related("partner"))
    for agreement in agreements:
        agreement.full_clean()
        assert agreement.partner.kind == "state"
        dates = [agreement.negotiation_started_on, agreement.signed_on, agreement.in_force_on, agreement.terminated_on]
        known = [d for d in dates if d is not None]
        assert known == sorted(known) and known[-1] <= TODAY
        assert agreement.title.startswith("Fictional agreement on ")
    assert {a.agreement_type for a in agreements} == set(AgreementType.values)
    assert {a.status_on(TODAY) for a in agreements} == set(AgreementStatus.values)
    assert sum(a.partner_id in parties for a in agreements) >= 0.7 * len(agreements)
    # The reference loader finds its agreements by (State, type): no demo agreement takes such a pair.
    reference_pairs = set(
        VoluntaryAgreement.objects.exclude(source=AGREEMENT_SOURCE).values_list("partner_id", "agreement_type")
    )
    assert reference_pairs
    assert not reference_pairs & {(a.partner_id, a.agreement_type) for a in agreements}

    warrants = list(numbered_warrants().select_related("situation", "case").prefetch_related("believed_in"))
    for warrant in warrants:
        warrant.full_clean()
        assert warrant.situation.code.startswith("DEMO-")
        assert warrant.case is None or warrant.case.situation_id == warrant.situation_id
        assert warrant.issued_on <= TODAY - datetime.timedelta(days=60)
        if warrant.custody_on:
            assert not warrant.believed_in.all()
            assert not warrant.under_seal or warrant.issued_on <= warrant.unsealed_on <= warrant.custody_on
        else:
            assert 1 <= len(warrant.believed_in.all()) <= 3
            assert all(p.kind == "state" for p in warrant.believed_in.all())
    assert {w.status_on(TODAY) for w in warrants} == set(WarrantStatus.values)
    assert any(w.under_seal and w.unsealed_on is None for w in warrants)
    assert any(w.under_seal and w.unsealed_on and w.unsealed_on > TODAY for w in warrants)
    assert any(w.under_seal and w.unsealed_on and w.unsealed_on <= TODAY for w in warrants)
    assert any(not w.under_seal for w in warrants)


def test_reference_data_reloaded_leaves_demo_agreements_alone(partners):
    """load_reference_data runs before every demo load: it must neither change nor adopt a demo agreement."""
    load_registers(5000)
    agreements = agreement_rows()
    reference = sorted(VoluntaryAgreement.objects.exclude(source=AGREEMENT_SOURCE).values_list("id", "title"))
    call_command("load_reference_data", stdout=io.StringIO())
    assert agreement_rows() == agreements
    assert sorted(VoluntaryAgreement.objects.exclude(source=AGREEMENT_SOURCE).values_list("id", "title")) == reference
    # Over thousands of numbers (a run of about a million requests), no plan takes a reference (State, type) pair.
    ctx = services.demo_register_context_build(seed=7, today=TODAY)
    reference_pairs = set(
        VoluntaryAgreement.objects.exclude(source=AGREEMENT_SOURCE).values_list("partner_id", "agreement_type")
    )
    plans = [plan_agreement(ctx, index) for index in range(4000)]
    assert not reference_pairs & {(row[0], row[1]) for row in plans if row is not None}
    assert all(row is not None for row in plans)


def test_sealed_numbered_warrants_stay_hidden(partners, focal_point_a, facilitator, cleared_registry_user):
    """A focal point and a facilitator see the numbered warrants not under seal today, never a sealed one."""
    load_registers(5000)
    sealed = {w.pk for w in numbered_warrants() if w.is_sealed_on(court_today())}
    open_ones = {w.pk for w in numbered_warrants() if not w.is_sealed_on(court_today())}
    assert sealed and open_ones
    for user in (focal_point_a, facilitator):
        visible = set(ArrestWarrant.objects.visible_to(user).values_list("pk", flat=True))
        assert not visible & sealed, user.username
        assert open_ones <= visible, user.username
    assert sealed <= set(ArrestWarrant.objects.visible_to(cleared_registry_user).values_list("pk", flat=True))


def test_links_only_to_warrants_a_smaller_run_already_holds():
    """Request i links only to a numbered warrant j < (i + 1) // 250 issued by its day; about half of them link."""
    warrants = {j: WarrantRef(id=100 + j, situation_id=1, case_id=None, issued=0) for j in range(400)}
    linked = 0
    for index in range(100_000):
        warrant = link_bulk_warrant(warrants, index, request_day=1)
        if warrant is not None:
            linked += 1
            assert warrant.id - 100 < (index + 1) // REQUESTS_PER_WARRANT
    assert 0.4 * 100_000 < linked < 0.6 * 100_000
    late = {j: WarrantRef(id=j, situation_id=1, case_id=None, issued=10) for j in range(400)}
    assert all(link_bulk_warrant(late, index, request_day=9) is None for index in range(10_000))


def test_load_demo_data_links_arrest_requests_to_numbered_warrants(partners):
    """The command loads the numbered rows before the requests; a share of arrest requests executes one of them,
    filed under its situation and case, made after it was issued; a second run adds nothing."""
    output = io.StringIO()
    call_command(
        "load_demo_data", "--requests=5000", "--seed=7", f"--today={TODAY}", f"--password={PASSWORD}", stdout=output
    )
    assert "voluntary agreements: +20" in output.getvalue()
    assert numbered_warrants().count() == 20 and demo_agreements().count() == 20
    links = ArrestWarrant.linked_requests.through.objects.filter(
        arrestwarrant__in=numbered_warrants()
    ).select_related("arrestwarrant", "cooperationrequest")
    assert links.count() >= 10
    for link in links:
        warrant, coop_request = link.arrestwarrant, link.cooperationrequest
        assert coop_request.request_type in (RequestType.ARREST_SURRENDER, RequestType.PROVISIONAL_ARREST)
        assert (coop_request.situation_id, coop_request.case_id) == (warrant.situation_id, warrant.case_id)
        assert warrant_index_of(warrant.person_name) < (index_of(coop_request.reference) + 1) // 250
        assert warrant.issued_on <= (coop_request.transmitted_on or coop_request.created_at.date())
        coop_request.full_clean()
    counted = Counter(links.values_list("cooperationrequest_id", flat=True))
    assert max(counted.values()) == 1

    again = io.StringIO()
    call_command(
        "load_demo_data", "--requests=5000", "--seed=7", f"--today={TODAY}", f"--password={PASSWORD}", stdout=again
    )
    assert "none: the demo data was already complete" in again.getvalue()
    assert numbered_warrants().count() == 20 and demo_agreements().count() == 20
    assert CooperationRequest.objects.filter(reference__startswith=REFERENCE_PREFIX).count() == 5000
