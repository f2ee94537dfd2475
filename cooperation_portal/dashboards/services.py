"""The figures the dashboards show, as a bounded number of aggregate queries whatever the number of requests."""

import datetime
from typing import Any

from django.db.models import Count, Min, QuerySet
from django.db.models.functions import ExtractYear, TruncMonth

from agreements_app.models import VoluntaryAgreement
from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.reports.services import response_times
from requests_app.models import CooperationRequest
from requests_app.querysets import overdue_q
from warrants_app.models import ArrestWarrant

TOP_PARTNERS = 15


def _counts(queryset: QuerySet[Any], field: str) -> dict[str, int]:
    rows = queryset.values(field).annotate(n=Count("id")).order_by()
    return {str(row[field] or "none"): row["n"] for row in rows}


def _top_partners(queryset: QuerySet[CooperationRequest]) -> list[dict[str, Any]]:
    rows = (
        queryset.values("partner__code", "partner__name")
        .annotate(n=Count("id"))
        .order_by("-n", "partner__code")[:TOP_PARTNERS]
    )
    return [{"code": row["partner__code"], "name": row["partner__name"], "count": row["n"]} for row in rows]


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
    in_period = requests.filter(transmitted_on__gte=start, transmitted_on__lte=end).order_by()
    outcomes = requests.filter(outcome_on__gte=start, outcome_on__lte=end).order_by()
    overdue = requests.filter(overdue_q(today)).order_by()
    agreements = VoluntaryAgreement.objects.visible_to(user).in_force_on(today).order_by()
    at_large = ArrestWarrant.objects.visible_to(user).outstanding_on(today).order_by()
    summary: dict[str, Any] = {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "today": today.isoformat(),
        "requests": {
            "transmitted": in_period.count(),
            "by_status": _counts(in_period, "status"),
            "by_type": _counts(in_period, "request_type"),
            "by_organ": _counts(in_period, "organ"),
            "by_regional_group": _counts(in_period, "partner__regional_group"),
            "by_partner_kind": _counts(in_period, "partner__kind"),
            "monthly_transmitted": _monthly(in_period, "transmitted_on"),
            "monthly_outcomes": _monthly(outcomes, "outcome_on"),
        },
        "overdue": {
            "total": overdue.count(),
            "by_regional_group": _counts(overdue, "partner__regional_group"),
            "by_escalation_level": _counts(requests.filter(escalation_level__gt=0).order_by(), "escalation_level"),
        },
        "response_times": response_times(in_period, end=min(end, today)),
        "agreements_in_force": {
            "by_type": _counts(agreements, "agreement_type"),
            "by_regional_group": _counts(agreements, "partner__regional_group"),
        },
        "warrants": _warrants_at_large(at_large, today=today),
    }
    if user.role != Role.FACILITATOR:
        summary["requests"]["by_partner"] = _top_partners(in_period)
        summary["overdue"]["by_partner"] = _top_partners(overdue)
    return summary
