import datetime
import json

import pytest
from django.db import connection
from django.db.models import F
from rest_framework.utils.encoders import JSONEncoder

from agreements_app.choices import AgreementType
from cooperation_portal.partners.models import Partner
from cooperation_portal.reports.services import (
    DaysBetween,
    annual_report,
    percentile_from_histogram,
)
from requests_app.choices import Confidentiality, EventKind, Organ, RequestType, Status
from requests_app.models import ClockPause, CooperationRequest, RequestEvent
from tests import factories
from warrants_app.models import ArrestWarrant

from .conftest import ENFORCEMENT_STATES, build_organizations, build_states

D = datetime.date


def test_period_2011_2013_gives_back_the_figures_of_the_courts_2013_report(period_2013):
    """The period October 2011 - September 2013 rebuilt row by row gives back the figures of the Court's report."""
    report = annual_report(start=period_2013.start, end=period_2013.end, generated_on=period_2013.generated_on)
    requests, agreements, warrants = report["requests"], report["agreements"], report["warrants"]

    registry = requests["by_transmitter"]["registry"]
    assert registry["transmitted"] == 533
    assert registry["organization"] == 19
    assert requests["visa_requests"] == 1320
    otp = requests["by_transmitter"]["otp"]
    assert otp["transmitted"] == 609
    assert otp["distinct_partners"] == 71
    assert requests["by_organ"] == {"registry": 209, "otp": 609, "presidency": 14, "chambers": 310}
    assert requests["transmitted"] == 533 + 609
    assert requests["logistical_requests"] == 7
    assert requests["assistance_to_states"] == 3

    assert set(agreements["states"][AgreementType.ENFORCEMENT]) == ENFORCEMENT_STATES
    assert agreements["states_at_end"][AgreementType.ENFORCEMENT] == 8
    assert agreements["in_force_at_end"][AgreementType.ENFORCEMENT] == 7
    assert agreements["concluded_in_period"][AgreementType.ENFORCEMENT] == 1  # Mali, January 2012
    assert agreements["states_at_end"][AgreementType.RELOCATION] == 13
    # Ten of the thirteen relocation agreements are confidential: counted above, not named here.
    assert len(agreements["states"][AgreementType.RELOCATION]) == 3
    assert agreements["in_force_at_end"][AgreementType.INTERIM_RELEASE] == 0

    assert warrants["outstanding_at_end"] == 12
    assert len(warrants["persons_at_large"]) == 12
    assert warrants["executed_in_period"] == 1
    assert warrants["issued_in_period"] == 1


def test_report_breakdowns_add_up_and_follow_the_dated_rules(period_2013):
    """Every breakdown sums to the total; partner kind, outcomes and response times follow their definitions."""
    report = annual_report(start=period_2013.start, end=period_2013.end, generated_on=period_2013.generated_on)
    requests = report["requests"]
    total = requests["transmitted"]
    assert sum(requests["by_organ"].values()) == total
    assert sum(requests["by_type"].values()) == total
    assert sum(requests["by_partner_kind"].values()) == total
    assert requests["by_partner_kind"]["organization"] == 19 + sum(
        1 for i in range(609) if i % 71 >= 69
    )
    assert sum(requests["by_regional_group"].values()) == total - requests["by_partner_kind"]["organization"]
    assert sum(requests["by_confidentiality"].values()) == total
    assert sum(requests["outcomes_at_end"].values()) == total
    # Requests transmitted in the period's last weeks were answered after its end: pending at the end.
    answered = CooperationRequest.objects.filter(outcome_on__lte=period_2013.end, transmitted_on__gte=period_2013.start)
    executed_by_end = answered.filter(status=Status.EXECUTED).count()
    partially_by_end = answered.filter(status=Status.PARTIALLY_EXECUTED).count()
    assert 0 < executed_by_end < 533
    assert requests["outcomes_at_end"]["executed"] == executed_by_end
    assert requests["outcomes_at_end"]["partially_executed"] == partially_by_end
    assert requests["outcomes_at_end"]["pending"] == total - executed_by_end - partially_by_end
    acknowledged = CooperationRequest.objects.filter(
        acknowledged_on__lte=period_2013.end, transmitted_on__gte=period_2013.start
    ).count()
    assert requests["response_times"]["acknowledgement"]["count"] == acknowledged
    assert requests["response_times"]["outcome"]["count"] == executed_by_end + partially_by_end
    # Registry acknowledgements take index % 10 days: a uniform 0..9 spread, median 4.5.
    assert requests["response_times"]["acknowledgement"]["median_days"] == pytest.approx(4.5, abs=0.5)
    assert requests["response_times"]["outcome"]["p90_days"] == 45.0
    assert report["states_parties_at_end"] == Partner.objects.states_parties_on(period_2013.end).count()
    assert report["apic_parties_at_end"] == Partner.objects.apic_parties_on(period_2013.end).count()
    assert report["implementing_legislation_at_end"] == (
        Partner.objects.with_implementing_legislation_on(period_2013.end).count()
    )


@pytest.mark.django_db
def test_partner_kind_is_read_as_of_each_requests_transmission_date():
    """A State whose withdrawal took effect mid-period is a State Party before that date and a non-party after."""
    state = factories.PartnerFactory(
        code="BDI", name="Burundi", regional_group="African", entry_into_force_date=D(2004, 12, 1),
        withdrawal_notified_date=D(2016, 10, 27), withdrawal_effective_date=D(2017, 10, 27),
    )
    for on in (D(2017, 10, 26), D(2017, 10, 27), D(2017, 11, 2)):
        factories.CooperationRequestFactory(partner=state, transmitted_on=on)
    report = annual_report(start=D(2017, 1, 1), end=D(2017, 12, 31), generated_on=D(2026, 1, 1))
    assert report["requests"]["by_partner_kind"] == {"state_party": 1, "non_party_state": 2, "organization": 0}
    assert report["requests"]["by_partner_kind_and_regional_group"]["non_party_state"]["African"] == 2


@pytest.mark.django_db
def test_overdue_and_outstanding_at_end_are_read_from_dates_not_from_todays_status():
    """A request answered after the period's end was outstanding (and overdue) at that end; a paused one not overdue."""
    state = factories.PartnerFactory(code="KEN", name="Kenya")
    end = D(2013, 9, 30)
    answered_later = factories.CooperationRequestFactory(
        partner=state, transmitted_on=D(2013, 1, 1), due_on=D(2013, 3, 1), status=Status.EXECUTED,
        outcome_on=D(2014, 1, 1),
    )
    factories.CooperationRequestFactory(  # answered in time: neither outstanding nor overdue
        partner=state, transmitted_on=D(2013, 1, 1), due_on=D(2013, 3, 1), status=Status.EXECUTED,
        outcome_on=D(2013, 2, 1),
    )
    paused = factories.CooperationRequestFactory(partner=state, transmitted_on=D(2013, 1, 1), due_on=D(2013, 3, 1))
    ClockPause.objects.create(coop_request=paused, reason="postponement_art94", started_on=D(2013, 2, 1))
    factories.CooperationRequestFactory(partner=state, transmitted_on=D(2013, 9, 1), due_on=D(2013, 10, 31))
    report = annual_report(start=D(2012, 10, 1), end=end, generated_on=D(2026, 1, 1))
    assert report["requests"]["outstanding_at_end"] == 3
    assert report["requests"]["overdue_at_end"] == 1
    assert answered_later.status == Status.EXECUTED  # today's status says answered, the dated rule says overdue


@pytest.mark.django_db
def test_outcome_of_a_request_closed_since_comes_from_its_history():
    """A request executed in the period and closed later counts as executed, from its transition event."""
    closed = factories.CooperationRequestFactory(
        transmitted_on=D(2013, 1, 1), status=Status.CLOSED, outcome_on=D(2013, 2, 1), closed_on=D(2014, 1, 1)
    )
    RequestEvent.objects.create(
        coop_request=closed, kind=EventKind.TRANSITION, from_status=Status.IN_EXECUTION, to_status=Status.EXECUTED,
        occurred_at=datetime.datetime(2013, 2, 1, 10, tzinfo=datetime.UTC),
    )
    report = annual_report(start=D(2013, 1, 1), end=D(2013, 12, 31), generated_on=D(2026, 1, 1))
    assert report["requests"]["outcomes_at_end"]["executed"] == 1
    assert report["requests"]["outcomes_at_end"]["outcome_not_recorded"] == 0


@pytest.mark.django_db
def test_sealed_warrant_and_its_arrest_request_change_no_figure_and_name_nothing():
    """A warrant sealed on the generation date, and the arrest request linked to it, leave the report unchanged."""
    state = factories.PartnerFactory(code="COD", name="Democratic Republic of the Congo", regional_group="African")
    factories.ArrestWarrantFactory(person_name="Public Person", issued_on=D(2012, 1, 1))
    factories.CooperationRequestFactory(partner=state, transmitted_on=D(2012, 2, 1))
    args = {"start": D(2011, 10, 1), "end": D(2013, 9, 30), "generated_on": D(2026, 1, 1)}
    before = annual_report(**args)

    sealed = factories.ArrestWarrantFactory(
        person_name="SEALED-PERSON-MARKER-4F7", issued_on=D(2012, 6, 1), under_seal=True,
        custody_on=D(2013, 1, 1),
    )
    arrest_request = factories.CooperationRequestFactory(
        partner=state, request_type=RequestType.ARREST_SURRENDER, transmitted_on=D(2012, 6, 2),
        subject="SEALED-REQUEST-MARKER-9K2", confidentiality=Confidentiality.UNDER_SEAL, due_on=D(2012, 7, 2),
    )
    sealed.linked_requests.add(arrest_request)
    after = annual_report(**args)
    assert after == before
    assert "SEALED" not in json.dumps(after, cls=JSONEncoder)

    # Once unsealed (by the generation date), it is counted like any public warrant.
    ArrestWarrant.objects.filter(pk=sealed.pk).update(unsealed_on=D(2020, 1, 1))
    unsealed = annual_report(**args)
    assert unsealed["warrants"]["issued_in_period"] == before["warrants"]["issued_in_period"] + 1
    assert unsealed["requests"]["by_type"][RequestType.ARREST_SURRENDER] == 1


@pytest.mark.django_db
def test_confidential_request_is_counted_but_never_itemized():
    """An overdue confidential request counts in every figure; only public overdue requests are listed."""
    state = factories.PartnerFactory(code="UGA", name="Uganda", regional_group="African")
    common = {"partner": state, "transmitted_on": D(2013, 1, 1), "due_on": D(2013, 2, 1)}
    factories.CooperationRequestFactory(
        reference="CONF-MARKER-REF-9Z", subject="CONFIDENTIAL-MARKER-SUBJECT-7Q",
        confidentiality=Confidentiality.CONFIDENTIAL, **common,
    )
    factories.CooperationRequestFactory(
        reference="PUBLIC-REF-1", subject="Public subject", confidentiality=Confidentiality.PUBLIC, **common
    )
    report = annual_report(start=D(2013, 1, 1), end=D(2013, 12, 31), generated_on=D(2026, 1, 1))
    assert report["requests"]["transmitted"] == 2
    assert report["requests"]["overdue_at_end"] == 2
    assert [item["reference"] for item in report["requests"]["overdue_public"]] == ["PUBLIC-REF-1"]
    text = json.dumps(report, cls=JSONEncoder)
    assert "MARKER" not in text


@pytest.mark.django_db
def test_report_service_rejects_a_reversed_or_overlong_period():
    """A period ending before it starts, or longer than ten years, is refused with the field named."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as reversed_period:
        annual_report(start=D(2013, 1, 2), end=D(2013, 1, 1))
    assert "end" in reversed_period.value.message_dict
    with pytest.raises(ValidationError):
        annual_report(start=D(2000, 1, 1), end=D(2013, 1, 1))


def test_percentile_from_histogram_interpolates_like_percentile_cont():
    """The portable percentile interpolates between ranks exactly as PostgreSQL's percentile_cont does."""
    assert percentile_from_histogram([], 0.5) is None
    assert percentile_from_histogram([(7, 1)], 0.9) == 7.0
    assert percentile_from_histogram([(1, 1), (2, 1), (3, 1), (4, 1)], 0.5) == 2.5
    # 0..9 once each: rank 0.9 * 9 = 8.1 lies between 8 and 9.
    assert percentile_from_histogram([(v, 1) for v in range(10)], 0.9) == pytest.approx(8.1)
    assert percentile_from_histogram([(10, 3), (0, 1)], 0.5) == 10.0


@pytest.mark.django_db
def test_days_between_counts_whole_days_on_this_database():
    """The day difference expression gives whole days on the backend in use (leap day included)."""
    factories.CooperationRequestFactory(transmitted_on=D(2012, 2, 1), acknowledged_on=D(2012, 3, 1))
    days = CooperationRequest.objects.annotate(days=DaysBetween(F("acknowledged_on"), F("transmitted_on")))
    assert list(days.values_list("days", flat=True)) == [29]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="percentile_cont exists on PostgreSQL only")
def test_postgresql_percentiles_equal_the_portable_histogram_method():
    """On PostgreSQL, the database's percentile_cont and the portable histogram agree on the same rows."""
    state = factories.PartnerFactory(code="SEN", name="Senegal", regional_group="African")
    for index, days in enumerate([0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55]):
        factories.CooperationRequestFactory(
            partner=state, transmitted_on=D(2013, 1, 1) + datetime.timedelta(days=index),
            acknowledged_on=D(2013, 1, 1) + datetime.timedelta(days=index + days),
        )
    report = annual_report(start=D(2013, 1, 1), end=D(2013, 12, 31), generated_on=D(2026, 1, 1))
    times = report["requests"]["response_times"]
    assert times["method"] == "percentile_cont"
    histogram = [(d, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55].count(d)) for d in {0, 1, 2, 3, 5, 8, 13, 21, 34, 55}]
    assert times["acknowledgement"]["median_days"] == round(percentile_from_histogram(histogram, 0.5), 1)
    assert times["acknowledgement"]["p90_days"] == round(percentile_from_histogram(histogram, 0.9), 1)


def _requests_for_query_count(count: int) -> None:
    states = list(Partner.objects.filter(kind="state").order_by("code")[:40])
    organizations = list(Partner.objects.filter(kind="organization"))
    rows = [
        CooperationRequest(
            reference=f"QC-{count}-{i}", organ=[Organ.OTP, Organ.CHAMBERS][i % 2],
            request_type=RequestType.EVIDENCE if i % 3 else RequestType.VISA,
            partner=(states + organizations)[i % (len(states) + len(organizations))], subject="Query count",
            status=Status.TRANSMITTED, transmitted_on=D(2012, 1, 1) + datetime.timedelta(days=i % 300),
            acknowledged_on=D(2012, 1, 1) + datetime.timedelta(days=i % 300 + i % 9),
            due_on=D(2012, 3, 1) + datetime.timedelta(days=i % 300), confidentiality=Confidentiality.PUBLIC,
        )
        for i in range(count)
    ]
    CooperationRequest.objects.bulk_create(rows)


@pytest.mark.django_db
def test_report_query_count_is_pinned_and_does_not_grow_with_the_requests(django_assert_max_num_queries):
    """The report costs at most 12 queries for 30 requests and for 3,000 alike: aggregates, never a loop over rows."""
    build_states(60)
    build_organizations()
    factories.VoluntaryAgreementFactory(partner=Partner.objects.get(code="AUT"))
    factories.ArrestWarrantFactory(issued_on=D(2011, 1, 1))
    _requests_for_query_count(30)
    with django_assert_max_num_queries(12) as small:
        annual_report(start=D(2011, 10, 1), end=D(2013, 9, 30), generated_on=D(2026, 1, 1))
    _requests_for_query_count(3000)
    with django_assert_max_num_queries(12) as large:
        report = annual_report(start=D(2011, 10, 1), end=D(2013, 9, 30), generated_on=D(2026, 1, 1))
    assert len(large.captured_queries) == len(small.captured_queries)
    assert report["requests"]["transmitted"] + report["requests"]["visa_requests"] == 3030
