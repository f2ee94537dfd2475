"""The figures the dashboards show, as a bounded number of aggregate queries whatever the number of requests.

The request figures (a few passes over up to a year of a million requests) are cached, keyed by the exact SQL of
the caller's scoped and filtered requests, so two users share an entry only when they count the very same rows, and
by a stamp of the data they are drawn from: the last change to any request, the last escalation step (the overdue
sweep writes levels without touching `updated_at`) and the last change to a partner. Any write through the services
moves the stamp, so the next call recounts; CACHE_SECONDS bounds what a write committed out of order could leave
stale. Agreements and warrants are small tables and are counted afresh on every call.
"""

import datetime
import hashlib
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, QuerySet
from django.db.models.functions import ExtractYear, TruncMonth

from agreements_app.models import VoluntaryAgreement
from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.partners.models import Partner
from cooperation_portal.reports.services import response_times
from requests_app.models import CooperationRequest, EscalationStep
from requests_app.querysets import overdue_q
from warrants_app.models import ArrestWarrant

TOP_PARTNERS = 15
CACHE_SECONDS = 60


def _counts(queryset: QuerySet[Any], field: str) -> dict[str, int]:
    rows = queryset.values(field).annotate(n=Count("id")).order_by()
    return {str(row[field] or "none"): row["n"] for row in rows}


def _add(counts: dict[str, int], key: Any, n: int) -> None:
    label = str(key or "none")
    counts[label] = counts.get(label, 0) + n


def _top(partners: dict[int, dict[str, Any]], counts: dict[int, int]) -> list[dict[str, Any]]:
    """The TOP_PARTNERS partners with most requests, ties by code, as the former ORDER BY -n, code LIMIT 15."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], partners[item[0]]["code"]))[:TOP_PARTNERS]
    return [{"code": partners[pk]["code"], "name": partners[pk]["name"], "count": n} for pk, n in ranked]


def _partners(ids: set[int]) -> dict[int, dict[str, Any]]:
    rows = Partner.objects.filter(pk__in=ids).values("pk", "code", "name", "regional_group", "kind")
    return {row["pk"]: dict(row) for row in rows}


def _period_figures(in_period: QuerySet[CooperationRequest]) -> dict[str, Any]:
    """Counts by status, type and organ from one GROUP BY of their combinations, and by region, partner kind,
    partner and month from one GROUP BY (partner, month): two passes over the period instead of eight, each
    bounded by the number of combinations, not of requests."""
    by_status: dict[str, int] = {}
    by_type: dict[str, int] = {}
    by_organ: dict[str, int] = {}
    combinations = in_period.values("status", "request_type", "organ").annotate(n=Count("id")).order_by()
    for row in combinations:
        _add(by_status, row["status"], row["n"])
        _add(by_type, row["request_type"], row["n"])
        _add(by_organ, row["organ"], row["n"])
    per_partner_month = list(
        in_period.annotate(month=TruncMonth("transmitted_on")).values("partner_id", "month").annotate(n=Count("id"))
        .order_by()
    )
    return {
        "transmitted": sum(by_status.values()),
        "by_status": by_status,
        "by_type": by_type,
        "by_organ": by_organ,
        "rows": per_partner_month,
    }


def _request_figures(
    *, requests: QuerySet[CooperationRequest], start: datetime.date, end: datetime.date, today: datetime.date,
    by_partner: bool,
) -> dict[str, Any]:
    in_period = requests.filter(transmitted_on__gte=start, transmitted_on__lte=end).order_by()
    outcomes = requests.filter(outcome_on__gte=start, outcome_on__lte=end).order_by()
    overdue = requests.filter(overdue_q(today)).order_by()
    period = _period_figures(in_period)
    overdue_rows = list(overdue.values("partner_id").annotate(n=Count("id")).order_by())
    partners = _partners({row["partner_id"] for row in [*period["rows"], *overdue_rows]})

    by_region: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    in_period_by_partner: dict[int, int] = {}
    monthly: dict[datetime.date, int] = {}
    for row in period["rows"]:
        partner, n = partners[row["partner_id"]], row["n"]
        _add(by_region, partner["regional_group"], n)
        _add(by_kind, partner["kind"], n)
        in_period_by_partner[row["partner_id"]] = in_period_by_partner.get(row["partner_id"], 0) + n
        monthly[row["month"]] = monthly.get(row["month"], 0) + n
    overdue_by_region: dict[str, int] = {}
    overdue_by_partner: dict[int, int] = {}
    for row in overdue_rows:
        _add(overdue_by_region, partners[row["partner_id"]]["regional_group"], row["n"])
        overdue_by_partner[row["partner_id"]] = row["n"]

    figures: dict[str, Any] = {
        "requests": {
            "transmitted": period["transmitted"],
            "by_status": period["by_status"],
            "by_type": period["by_type"],
            "by_organ": period["by_organ"],
            "by_regional_group": by_region,
            "by_partner_kind": by_kind,
            "monthly_transmitted": {month.strftime("%Y-%m"): n for month, n in sorted(monthly.items())},
            "monthly_outcomes": _monthly(outcomes, "outcome_on"),
        },
        "overdue": {
            "total": sum(overdue_by_partner.values()),
            "by_regional_group": overdue_by_region,
            "by_escalation_level": _counts(requests.filter(escalation_level__gt=0).order_by(), "escalation_level"),
        },
        "response_times": response_times(in_period, end=min(end, today)),
    }
    if by_partner:
        figures["requests"]["by_partner"] = _top(partners, in_period_by_partner)
        figures["overdue"]["by_partner"] = _top(partners, overdue_by_partner)
    return figures


def _data_stamp() -> tuple[Any, ...]:
    """One cheap query (three index lookups): moves whenever a figure drawn from requests or partners may change."""
    tables = [
        (CooperationRequest._meta.db_table, "updated_at"),
        (EscalationStep._meta.db_table, "id"),
        (Partner.history.model._meta.db_table, "history_id"),
    ]
    quote = connection.ops.quote_name
    # Table and column names come from the models, never from input.
    parts = ", ".join(f"(SELECT MAX({quote(column)}) FROM {quote(table)})" for table, column in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        return tuple(cursor.fetchone())


def _cached_request_figures(
    *, requests: QuerySet[CooperationRequest], start: datetime.date, end: datetime.date, today: datetime.date,
    by_partner: bool,
) -> dict[str, Any]:
    sql, params = requests.query.sql_with_params()
    key_parts = (sql, params, start, end, today, by_partner, _data_stamp())
    key = "dashboard-requests:" + hashlib.sha256(repr(key_parts).encode()).hexdigest()
    figures = cache.get(key)
    if figures is None:
        figures = _request_figures(requests=requests, start=start, end=end, today=today, by_partner=by_partner)
        cache.set(key, figures, CACHE_SECONDS)
    return figures


def _monthly(queryset: QuerySet[CooperationRequest], date_field: str) -> dict[str, int]:
    rows = queryset.annotate(month=TruncMonth(date_field)).values("month").annotate(n=Count("id")).order_by("month")
    return {row["month"].strftime("%Y-%m"): row["n"] for row in rows}


def _warrants_at_large(at_large: QuerySet[ArrestWarrant], *, today: datetime.date) -> dict[str, Any]:
    """Persons at large today, and how long: days since the oldest outstanding warrant, and issues by year."""
    oldest = at_large.aggregate(oldest=Min("issued_on"))["oldest"]
    by_year = at_large.annotate(year=ExtractYear("issued_on")).values("year").annotate(n=Count("id")).order_by("year")
    years = {str(row["year"]): row["n"] for row in by_year}
    return {
        "at_large": sum(years.values()),
        "longest_at_large_days": (today - oldest).days if oldest else None,
        "at_large_by_year_issued": years,
    }


def dashboard_summary(
    *,
    user: User,
    requests: QuerySet[CooperationRequest],
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
) -> dict[str, Any]:
    """Figures for the requests transmitted in [start, end] among `requests` (already scoped to what the user may
    count, and filtered), what of them is overdue today, response times, agreements and warrants the user may see.

    A facilitator gets no breakdown by single partner: crossed with a type or a month, a count per State could
    single out one confidential request, and facilitators get aggregates only (DOMAIN.md).
    """
    figures = _cached_request_figures(
        requests=requests, start=start, end=end, today=today, by_partner=user.role != Role.FACILITATOR
    )
    agreements = VoluntaryAgreement.objects.visible_to(user).in_force_on(today).order_by()
    at_large = ArrestWarrant.objects.visible_to(user).outstanding_on(today).order_by()
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "today": today.isoformat(),
        **figures,
        "agreements_in_force": {
            "by_type": _counts(agreements, "agreement_type"),
            "by_regional_group": _counts(agreements, "partner__regional_group"),
        },
        "warrants": _warrants_at_large(at_large, today=today),
    }
