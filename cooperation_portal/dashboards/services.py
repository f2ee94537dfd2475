"""The figures the dashboards show, as a bounded number of aggregate queries whatever the number of requests.

The requests transmitted in the period are read once: on PostgreSQL one GROUPING SETS statement returns the counts
by status, type and organ, by partner, by day and the histograms of response days, from an index that holds every
column it reads; elsewhere the same sets come from one UNION ALL statement. What is overdue today and the outcomes of
the period are one query each, and the escalation levels one more, each read from a partial index alone. On
PostgreSQL these three run on a second connection while the first counts the period (see _side_figures).

The summary is cached, keyed by the exact SQL of the caller's scoped and filtered requests, agreements and
warrants, so two users share an entry only when they count the very same rows, and by a stamp of the data it is
drawn from: the last change to any request, the last escalation step (the overdue sweep writes levels without
touching `updated_at`), and the last historical record of a partner, an agreement or a warrant (every change made
through the models writes one). Any write through the services moves the stamp, so the next call recounts. A
repeated call on unchanged data is one query, the stamp.

A write committed out of order (an older `updated_at` committed after a newer one) does not move the stamp, so an
entry is recounted anyway once it is DASHBOARD_CACHE_SECONDS old, by one caller only (see cached_summary): the
others keep getting the entry's figures while it recounts, instead of all recounting the same figures at once.
"""

import datetime
import functools
import hashlib
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.exceptions import EmptyResultSet
from django.db import close_old_connections, connection
from django.db.models import Count, Min, QuerySet
from django.db.models.functions import ExtractYear

from agreements_app.models import VoluntaryAgreement
from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.cache import delete_if_held
from cooperation_portal.partners.models import Partner
from cooperation_portal.reports.services import response_days, response_times_from_histograms
from requests_app.models import CooperationRequest, EscalationStep
from requests_app.querysets import overdue_q
from warrants_app.models import ArrestWarrant

TOP_PARTNERS = 15
# How long an entry past DASHBOARD_CACHE_SECONDS may still be served while one caller recounts it; also how long that
# caller holds the right to recount, should it die before it is done.
RECOUNT_SECONDS = 30
# The columns of the period's single pass, and the sets of them it groups by (see _period_rows).
PERIOD_COLUMNS = (
    "status",
    "request_type",
    "organ",
    "partner_id",
    "transmitted_on",
    "acknowledgement_days",
    "outcome_days",
)
PERIOD_SETS = (
    ("status", "request_type", "organ"),
    ("partner_id",),
    ("transmitted_on",),
    ("acknowledgement_days",),
    ("outcome_days",),
)


def _counts(queryset: QuerySet[Any], field: str) -> dict[str, int]:
    rows = queryset.values(field).annotate(n=Count("*")).order_by()
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


def _grouping_id(columns: tuple[str, ...]) -> int:
    """What SQL's GROUPING() of all PERIOD_COLUMNS gives for a row of the set `columns`: one bit per column, the
    first column the highest, set when the column is not grouped in that set."""
    return sum(1 << (len(PERIOD_COLUMNS) - 1 - i) for i, name in enumerate(PERIOD_COLUMNS) if name not in columns)


def _period_rows(in_period: QuerySet[CooperationRequest], *, end: datetime.date, grouping_sets: bool) -> list[Any]:
    """One statement over the period's requests: a row (grouping id, the PERIOD_COLUMNS, count) per group of each of
    the PERIOD_SETS, the columns outside the row's set being NULL.

    With `grouping_sets` (PostgreSQL) the requests are read once. The scoped, filtered requests are a subquery that
    OFFSET 0 keeps apart: the planner then counts on a few hundred groups per set, as there are, and hashes every
    set in that one pass, where its estimates for the columns of the table would have it sort the rows by each set.
    Without it (SQLite has no GROUPING SETS) each set is its own SELECT of a UNION ALL, which gives the same rows.
    """
    days = {f"{name}_days": expression for name, expression in response_days(end=end).items()}
    inner = in_period.annotate(**days).values(*PERIOD_COLUMNS).order_by()
    sql, params = _sql_of(inner)
    if not sql:
        return []
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in PERIOD_COLUMNS)
    # Column names are the constants above and the subquery is the ORM's; every value is a parameter.
    if grouping_sets:
        sets = ", ".join("(" + ", ".join(quote(name) for name in group) + ")" for group in PERIOD_SETS)
        statement = (
            f"SELECT GROUPING({columns}), {columns}, COUNT(*) FROM ({sql} OFFSET 0) AS period "  # noqa: S608
            f"GROUP BY GROUPING SETS ({sets})"
        )
        statement_params = list(params)
    else:
        # Typed NULLs: PostgreSQL (where a test runs this form too) types a UNION's columns branch by branch.
        types = {
            name: expression.output_field.db_type(connection) for name, expression in inner.query.annotations.items()
        }
        types.update({field.attname: field.db_type(connection) for field in CooperationRequest._meta.concrete_fields})
        branches = []
        for group in PERIOD_SETS:
            selected = ", ".join(
                quote(name) if name in group else f"CAST(NULL AS {types[name]})" for name in PERIOD_COLUMNS
            )
            grouped = ", ".join(quote(name) for name in group)
            branches.append(
                f"SELECT {_grouping_id(group)}, {selected}, COUNT(*) FROM ({sql}) AS period "  # noqa: S608
                f"GROUP BY {grouped}"
            )
        statement = " UNION ALL ".join(branches)
        statement_params = list(params) * len(PERIOD_SETS)
    with connection.cursor() as cursor:
        cursor.execute(statement, statement_params)
        return list(cursor.fetchall())


def _as_date(value: datetime.date | str) -> datetime.date:
    """A date column read by a bare cursor: a date from PostgreSQL, ISO text from SQLite."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _period_figures(in_period: QuerySet[CooperationRequest], *, end: datetime.date) -> dict[str, Any]:
    """Counts by status, type and organ, by partner and by month of transmission, and the response times, from one
    statement bounded by the number of groups (a few hundred), not of requests."""
    by_status: dict[str, int] = {}
    by_type: dict[str, int] = {}
    by_organ: dict[str, int] = {}
    by_partner: dict[int, int] = {}
    monthly: dict[datetime.date, int] = {}
    histograms: dict[str, list[tuple[int | None, int]]] = {"acknowledgement": [], "outcome": []}
    combination, partner, day, acknowledgement, outcome = (_grouping_id(group) for group in PERIOD_SETS)
    rows = _period_rows(in_period, end=end, grouping_sets=connection.vendor == "postgresql")
    for grouping, status, request_type, organ, partner_id, transmitted_on, ack_days, outcome_days, n in rows:
        if grouping == combination:
            _add(by_status, status, n)
            _add(by_type, request_type, n)
            _add(by_organ, organ, n)
        elif grouping == partner:
            by_partner[partner_id] = n
        elif grouping == day:
            month = _as_date(transmitted_on).replace(day=1)
            monthly[month] = monthly.get(month, 0) + n
        elif grouping == acknowledgement:
            histograms["acknowledgement"].append((ack_days, n))
        elif grouping == outcome:
            histograms["outcome"].append((outcome_days, n))
    return {
        "transmitted": sum(by_status.values()),
        "by_status": by_status,
        "by_type": by_type,
        "by_organ": by_organ,
        "by_partner": by_partner,
        "monthly": monthly,
        "response_times": response_times_from_histograms(histograms),
    }


@functools.cache
def _side_executor() -> ThreadPoolExecutor:
    """One thread per process, with its own database connection, for the statements that run beside the period's
    pass; made on first use, and made anew in a process forked afterwards (a gunicorn or Celery worker)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-side")


os.register_at_fork(after_in_child=_side_executor.cache_clear)


def _on_own_connection(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`work` in the side thread: its connection is checked and closed when obsolete, before and after, as Django
    does around a request (CONN_MAX_AGE, CONN_HEALTH_CHECKS).

    Its statements run without parallel workers: the period's pass, beside them, keeps one core busy, and workers
    would compete with it for that core (at a million requests on two cores, medians of 8 runs: 133-138 ms in all
    without them, 134-160 ms with them, 187-212 ms on one connection)."""
    close_old_connections()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        return work()
    finally:
        close_old_connections()


def _side_figures(work: Callable[[], dict[str, Any]]) -> Future[dict[str, Any]]:
    """`work` started on a second connection when the database can run it beside the period's pass (PostgreSQL and
    DASHBOARD_CONCURRENT_QUERIES), else run here and now.

    The second connection sees what is committed, as every statement under read committed does; the caller (a
    GET, in no transaction of its own in the API) has written nothing the figures count. Tests run each in a
    transaction that no other connection sees, so their settings turn this off, and one transactional test runs
    both ways.
    """
    if connection.vendor == "postgresql" and settings.DASHBOARD_CONCURRENT_QUERIES:
        return _side_executor().submit(_on_own_connection, work)
    done: Future[dict[str, Any]] = Future()
    done.set_result(work())
    return done


def _request_figures(
    *,
    requests: QuerySet[CooperationRequest],
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
    by_partner: bool,
) -> dict[str, Any]:
    # COUNT(*) rather than COUNT(id) throughout: the indexes these queries read hold every column they need, not id.
    in_period = requests.filter(transmitted_on__gte=start, transmitted_on__lte=end).order_by()
    outcomes = requests.filter(outcome_on__gte=start, outcome_on__lte=end).order_by()
    overdue = requests.filter(overdue_q(today)).order_by()
    escalated = requests.filter(escalation_level__gt=0).order_by()
    side = _side_figures(
        lambda: {
            "overdue_rows": list(overdue.values("partner_id").annotate(n=Count("*")).order_by()),
            "monthly_outcomes": _monthly(outcomes, "outcome_on"),
            "by_escalation_level": _counts(escalated, "escalation_level"),
        }
    )
    period = _period_figures(in_period, end=min(end, today))
    side_figures = side.result()
    overdue_rows = side_figures["overdue_rows"]
    partners = _partners({*period["by_partner"], *(row["partner_id"] for row in overdue_rows)})

    by_region: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for partner_id, n in period["by_partner"].items():
        _add(by_region, partners[partner_id]["regional_group"], n)
        _add(by_kind, partners[partner_id]["kind"], n)
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
            "monthly_transmitted": {month.strftime("%Y-%m"): n for month, n in sorted(period["monthly"].items())},
            "monthly_outcomes": side_figures["monthly_outcomes"],
        },
        "overdue": {
            "total": sum(overdue_by_partner.values()),
            "by_regional_group": overdue_by_region,
            "by_escalation_level": side_figures["by_escalation_level"],
        },
        "response_times": period["response_times"],
    }
    if by_partner:
        figures["requests"]["by_partner"] = _top(partners, period["by_partner"])
        figures["overdue"]["by_partner"] = _top(partners, overdue_by_partner)
    return figures


@functools.cache
def _data_stamp_sql() -> str:
    """The stamp's statement, made once per process: reaching a history model through `model.history` builds a new
    manager class each time (about 1.5 ms and 8,000 Python calls for the three, more than the rest of a cached
    summary call)."""
    tables = [
        (CooperationRequest._meta.db_table, "updated_at"),
        (EscalationStep._meta.db_table, "id"),
        *((model.history.model._meta.db_table, "history_id") for model in (Partner, VoluntaryAgreement, ArrestWarrant)),
    ]
    quote = connection.ops.quote_name
    # Table and column names come from the models, never from input.
    parts = ", ".join(f"(SELECT MAX({quote(column)}) FROM {quote(table)})" for table, column in tables)  # noqa: S608
    return f"SELECT {parts}"


def _data_stamp() -> tuple[Any, ...]:
    """One cheap query (an index lookup per table): moves whenever a figure of the summary may change."""
    with connection.cursor() as cursor:
        cursor.execute(_data_stamp_sql())
        return tuple(cursor.fetchone())


def _sql_of(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """The queryset's SQL and parameters; ("", ()) for one that can match nothing (none(), an empty IN), which
    compiles to no SQL at all."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return "", ()


def _monthly(queryset: QuerySet[CooperationRequest], date_field: str) -> dict[str, int]:
    """Counts by month of `date_field`, summed from counts by day: a date groups cheaper than its truncation."""
    monthly: dict[datetime.date, int] = {}
    for row in queryset.values(date_field).annotate(n=Count("*")).order_by():
        month = row[date_field].replace(day=1)
        monthly[month] = monthly.get(month, 0) + row["n"]
    return {month.strftime("%Y-%m"): n for month, n in sorted(monthly.items())}


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
    agreements = VoluntaryAgreement.objects.visible_to(user).in_force_on(today).order_by()
    at_large = ArrestWarrant.objects.visible_to(user).outstanding_on(today).order_by()
    by_partner = user.role != Role.FACILITATOR
    key_parts = (*map(_sql_of, (requests, agreements, at_large)), start, end, today, by_partner, _data_stamp())
    key = "dashboard-summary:" + hashlib.sha256(repr(key_parts).encode()).hexdigest()

    def count() -> dict[str, Any]:
        figures = _request_figures(requests=requests, start=start, end=end, today=today, by_partner=by_partner)
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

    return cached_summary(key, count)


def recount_lock_key(key: str) -> str:
    """The cache key that the caller recounting the entry `key` holds meanwhile."""
    return f"{key}:recount"


def cached_summary(key: str, count: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The summary under `key`, counted when there is none. An entry older than DASHBOARD_CACHE_SECONDS is recounted
    by the one caller that takes its lock (an atomic add); the others get the entry's figures meanwhile, for
    RECOUNT_SECONDS at most, rather than each recounting them at once (in the benchmark's load test, every worker
    recounting the same scopes at the same second, 150 to 360 ms each on two cores, made the largest part of the
    tail that remained)."""
    entry: dict[str, Any] | None = cache.get(key)
    # The lock holds a value of this caller's own, so that it releases its own lock only: a recount that outlived
    # RECOUNT_SECONDS must not free the lock that another caller took once this one's expired.
    holder = secrets.randbits(62)
    if entry is not None and (
        time.time() < entry["counted_at"] + settings.DASHBOARD_CACHE_SECONDS
        or not cache.add(recount_lock_key(key), holder, RECOUNT_SECONDS)
    ):
        summary: dict[str, Any] = entry["summary"]
        return summary
    try:
        counted_at = time.time()
        summary = count()
        timeout = settings.DASHBOARD_CACHE_SECONDS + RECOUNT_SECONDS
        cache.set(key, {"summary": summary, "counted_at": counted_at}, timeout)
    finally:
        if entry is not None:  # this caller took the lock
            delete_if_held(caches[DEFAULT_CACHE_ALIAS], recount_lock_key(key), holder)
    return summary
