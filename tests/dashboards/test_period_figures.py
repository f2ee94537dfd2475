"""The dashboard's request figures from one statement over the period: the same figures as counting the rows one by
one, the same rows from PostgreSQL's GROUPING SETS as from the portable UNION ALL, and the same response times as the
annual report's."""

import datetime
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from cooperation_portal.dashboards.services import _period_figures, _period_rows, _request_figures
from cooperation_portal.partners.choices import RegionalGroup
from cooperation_portal.reports.services import percentile_from_histogram, response_times
from requests_app.choices import Confidentiality, EscalationLevel, Organ, RequestType, Status
from requests_app.filtersets import CooperationRequestFilterSet
from requests_app.models import CooperationRequest
from tests import factories

pytestmark = pytest.mark.django_db

START = datetime.date(2025, 1, 1)
END = datetime.date(2025, 12, 31)
TODAY = datetime.date(2026, 2, 1)


@pytest.fixture
def requests_of_2025(registry_user, state_a, state_b):
    """Requests of every status, type and organ over 2025, acknowledged and answered after various delays (one
    answered after the period's end), plus what the period must leave out: a request sent in 2024, a draft, a
    soft-deleted request; and an organization as a third partner."""
    organization = factories.OrganizationFactory()
    partners = [state_a, state_b, organization]
    statuses = [Status.TRANSMITTED, Status.ACKNOWLEDGED, Status.IN_EXECUTION, Status.EXECUTED, Status.CLOSED]
    types = [RequestType.EVIDENCE, RequestType.ARREST_SURRENDER, RequestType.VISA, RequestType.RECORDS]
    organs = list(Organ)
    for i in range(37):
        sent = START + datetime.timedelta(days=(i * 41) % 365)
        status = statuses[i % len(statuses)]
        answered = status in (Status.EXECUTED, Status.CLOSED)
        factories.CooperationRequestFactory(
            partner=partners[i % 3],
            organ=organs[i % len(organs)],
            request_type=types[i % len(types)],
            status=status,
            urgent=i % 4 == 0,
            confidentiality=Confidentiality.UNDER_SEAL if i % 9 == 0 else Confidentiality.CONFIDENTIAL,
            transmitted_on=sent,
            acknowledged_on=sent + datetime.timedelta(days=i % 7) if status != Status.TRANSMITTED else None,
            outcome_on=sent + datetime.timedelta(days=20 + (i * 13) % 300) if answered else None,
            escalation_level=EscalationLevel.REMINDER_SENT if i % 5 == 0 else EscalationLevel.NONE,
        )
    factories.CooperationRequestFactory(partner=state_a, transmitted_on=datetime.date(2024, 12, 31))
    factories.CooperationRequestFactory(partner=state_a, status=Status.DRAFT, transmitted_on=None, due_on=None)
    deleted = factories.CooperationRequestFactory(partner=state_b, transmitted_on=datetime.date(2025, 3, 3))
    CooperationRequest.objects.filter(pk=deleted.pk).update(
        deleted_at=timezone.now(), deleted_by=registry_user, deletion_reason="Entered twice."
    )
    return CooperationRequest.objects.countable_by(registry_user)


def _in_period(requests):
    return requests.filter(transmitted_on__gte=START, transmitted_on__lte=END).order_by()


def _expected(requests, *, end: datetime.date) -> dict[str, Any]:
    """The figures counted row by row in Python."""
    rows = list(_in_period(requests))
    by_status: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    by_organ: Counter[str] = Counter()
    for row in rows:
        by_status[row.status] += 1
        by_type[row.request_type] += 1
        by_organ[row.organ] += 1
    histograms: dict[str, Counter[int]] = {"acknowledgement": Counter(), "outcome": Counter()}
    for row in rows:
        for name, on in (("acknowledgement", row.acknowledged_on), ("outcome", row.outcome_on)):
            if on is not None and on <= end:
                histograms[name][(on - row.transmitted_on).days] += 1
    times: dict[str, Any] = {}
    for name, histogram in histograms.items():
        times[name] = {"count": sum(histogram.values())}
        for key, fraction in (("median_days", 0.5), ("p90_days", 0.9)):
            value = percentile_from_histogram(histogram.items(), fraction)
            times[name][key] = None if value is None else round(value, 1)
    return {
        "transmitted": len(rows),
        "by_status": dict(by_status),
        "by_type": dict(by_type),
        "by_organ": dict(by_organ),
        "by_partner": dict(Counter(row.partner_id for row in rows)),
        "monthly": dict(Counter(row.transmitted_on.replace(day=1) for row in rows)),
        "response_times": times,
    }


def test_period_figures_are_the_rows_counted_one_by_one(requests_of_2025):
    """Counts by status, type, organ, partner and month, and the response times, equal a count of the rows themselves,
    on whichever database runs the tests (GROUPING SETS on PostgreSQL, UNION ALL elsewhere)."""
    end = datetime.date(2025, 6, 30)  # some acknowledgements and outcomes come later and are left out
    figures = _period_figures(_in_period(requests_of_2025), end=end)
    method = figures["response_times"].pop("method")
    assert method == "histogram"
    assert figures == _expected(requests_of_2025, end=end)
    assert figures["transmitted"] == 37 - 5  # five of the 37 are under seal; 2024, draft and deleted are not counted
    assert figures["response_times"]["outcome"]["count"] > 0


def test_filters_crossing_a_relation_and_a_subquery_give_the_same_figures(requests_of_2025):
    """The FilterSet's joins (regional group) and subqueries (search in messages) carry their parameters into the
    single statement."""
    requests = CooperationRequestFilterSet(
        data={"regional_group": [RegionalGroup.WEOG], "q": "records", "urgent": "false"}, queryset=requests_of_2025
    ).qs
    figures = _period_figures(_in_period(requests), end=END)
    figures["response_times"].pop("method")
    assert figures == _expected(requests, end=END)
    assert figures["transmitted"] > 0


def test_dashboard_response_times_equal_the_annual_reports(requests_of_2025):
    """The dashboard's percentiles, interpolated from histograms, are the report's: percentile_cont on PostgreSQL."""
    in_period = _in_period(requests_of_2025)
    dashboard = _period_figures(in_period, end=END)["response_times"]
    report = response_times(in_period, end=END)
    assert report["method"] == ("percentile_cont" if connection.vendor == "postgresql" else "histogram")
    assert {k: v for k, v in dashboard.items() if k != "method"} == {k: v for k, v in report.items() if k != "method"}


def test_no_request_and_a_filter_that_matches_nothing_give_empty_figures(requests_of_2025):
    """An empty period, and a queryset that compiles to no SQL at all, count zero."""
    empty = _period_figures(_in_period(requests_of_2025).filter(transmitted_on__year=1999), end=END)
    assert _period_rows(CooperationRequest.objects.none(), end=END, grouping_sets=True) == []
    assert _period_figures(CooperationRequest.objects.none(), end=END) == empty
    assert empty["transmitted"] == 0
    assert empty["response_times"]["acknowledgement"] == {"count": 0, "median_days": None, "p90_days": None}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GROUPING SETS are read on PostgreSQL only")
def test_postgresql_grouping_sets_give_the_rows_of_the_portable_union(requests_of_2025):
    """On PostgreSQL the one-pass GROUPING SETS statement and the UNION ALL that SQLite runs return the same rows."""
    for requests in (
        requests_of_2025,
        CooperationRequestFilterSet(
            data={"regional_group": [RegionalGroup.WEOG], "q": "records"}, queryset=requests_of_2025
        ).qs,
    ):
        in_period = _in_period(requests)
        grouping_sets = _period_rows(in_period, end=END, grouping_sets=True)
        union = _period_rows(in_period, end=END, grouping_sets=False)
        assert grouping_sets
        assert sorted(grouping_sets, key=repr) == sorted(union, key=repr)


def test_request_figures_are_five_queries(requests_of_2025, django_assert_num_queries):
    """The period in one statement; overdue today, the partners named, the outcomes and the escalation levels in one
    each, whatever the number of requests."""
    with django_assert_num_queries(5):
        figures = _request_figures(requests=requests_of_2025, start=START, end=END, today=TODAY, by_partner=True)
    assert figures["requests"]["transmitted"] == 32
    assert figures["overdue"]["by_escalation_level"] == {"1": 7}
