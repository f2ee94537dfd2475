"""The annual report on cooperation (DOMAIN.md, "The annual report on cooperation").

`annual_report` reads only and issues a fixed number of aggregate queries whatever the number of requests:
every figure is a GROUP BY or a conditional aggregate, never a loop over rows. The few lists it returns (States
named in public agreements, persons at large, public overdue requests) are bounded by the number of States, of
warrants and by OVERDUE_LISTED_LIMIT.

Rules that decide what may be counted, all evaluated on the generation date:
- a warrant under seal on the generation date affects no figure and no list, and neither do the requests linked to
  it (an arrest request for a sealed warrant would otherwise reveal it through the per-type counts);
- a warrant unsealed since the period ended is counted as any public warrant: its existence is public now;
- confidential and under-seal requests are counted like public ones (as the Court's reports do), but only public
  requests are ever itemized;
- an agreement that is not public is counted; only public agreements name their State.

The only writes here are the background exports (`report_export_request`, `report_export_run`).
"""

import datetime
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements_app.choices import AgreementType
from agreements_app.models import VoluntaryAgreement
from cooperation_portal.accounts.models import User
from cooperation_portal.dates import court_today
from cooperation_portal.partners.choices import PartnerKind, RegionalGroup
from cooperation_portal.partners.models import Partner
from requests_app.choices import (
    COOPERATION_TYPES,
    OUTCOME_STATUSES,
    Confidentiality,
    EventKind,
    Organ,
    RequestType,
    Status,
)
from requests_app.models import ClockPause, CooperationRequest, RequestEvent
from warrants_app.models import ArrestWarrant
from warrants_app.querysets import sealed_on

from .choices import ExportFormat, ExportStatus
from .models import ReportExport

logger = logging.getLogger(__name__)

# Ten years and the leap days they may hold: longer periods are refused rather than left to run for minutes.
MAX_PERIOD_DAYS: int = getattr(settings, "PORTAL_REPORT_MAX_DAYS", 3653)
# Public overdue requests listed by name; the overdue count itself is never capped.
OVERDUE_LISTED_LIMIT = 200

PARTNER_KINDS = ("state_party", "non_party_state", "organization")
# The Registry transmits the requests of the Chambers and the Presidency (rule 176(2)); the OTP its own.
REGISTRY_SIDE = frozenset({Organ.REGISTRY, Organ.PRESIDENCY, Organ.CHAMBERS})
TRANSMITTERS = {"registry": REGISTRY_SIDE, "otp": frozenset({Organ.OTP})}
# Choices order, so that every output lists types the same way.
COOPERATION_TYPE_ORDER = [value for value in RequestType.values if value in COOPERATION_TYPES]
OUTCOMES_AT_END = (
    Status.EXECUTED,
    Status.PARTIALLY_EXECUTED,
    Status.NOT_EXECUTED,
    "outcome_not_recorded",
    "pending",
    Status.WITHDRAWN,
)
PERCENTILES = {"median_days": 0.5, "p90_days": 0.9}


class DaysBetween(Func):
    """Whole days from `earlier` to `later` (two DateFields), as an integer on every backend."""

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        # PostgreSQL (and the SQL standard) subtract dates into a whole number of days.
        later, earlier = (compiler.compile(expression) for expression in self.get_source_expressions())
        return f"({later[0]} - {earlier[0]})", [*later[1], *earlier[1]]

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        later, earlier = (compiler.compile(expression) for expression in self.get_source_expressions())
        return f"CAST(ROUND(JULIANDAY({later[0]}) - JULIANDAY({earlier[0]})) AS INTEGER)", [*later[1], *earlier[1]]


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the continuous percentile, interpolated as `percentile_from_histogram`."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        # The fraction is a float from code, never user input: inlined because PostgreSQL wants a constant here.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile_from_histogram(histogram: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """The continuous percentile (linear interpolation, as PostgreSQL's percentile_cont) of (value, count) pairs."""
    pairs = sorted((value, count) for value, count in histogram if count > 0)
    total = sum(count for _value, count in pairs)
    if not total:
        return None
    position = fraction * (total - 1)
    low_rank, high_rank = math.floor(position), math.ceil(position)

    def value_at(rank: int) -> int:
        seen = 0
        for value, count in pairs:
            seen += count
            if rank < seen:
                return value
        return pairs[-1][0]

    low = value_at(low_rank)
    return float(low + (value_at(high_rank) - low) * (position - low_rank))


def validate_period(*, start: datetime.date, end: datetime.date) -> None:
    if start > end:
        raise ValidationError({"end": _("The period ends before it starts.")})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError(
            {"end": _("A report covers at most %(days)s days; choose a shorter period.") % {"days": MAX_PERIOD_DAYS}}
        )


def _partner_kind_on_transmission() -> Case:
    """State Party / non-party State / organization as of the request's own transmission date."""
    on = F("transmitted_on")
    party = Q(partner__entry_into_force_date__lte=on) & (
        Q(partner__withdrawal_effective_date__isnull=True) | Q(partner__withdrawal_effective_date__gt=on)
    )
    return Case(
        When(partner__kind=PartnerKind.ORGANIZATION, then=Value("organization")),
        When(party, then=Value("state_party")),
        default=Value("non_party_state"),
        output_field=CharField(),
    )


def _reportable_requests(*, generated_on: datetime.date) -> QuerySet[CooperationRequest]:
    """Every transmitted request except those linked to a warrant still under seal on the generation date, and
    those soft-deleted."""
    sealed_warrants = ArrestWarrant.objects.filter(sealed_on(generated_on)).values("pk")
    return CooperationRequest.objects.alive().filter(transmitted_on__isnull=False).exclude(
        warrants__in=Subquery(sealed_warrants)
    ).order_by()


def _request_counts(requests: QuerySet[CooperationRequest]) -> dict[str, Any]:
    """Counts by organ, type, partner kind and regional group: one GROUP BY, bounded by the number of combinations."""
    rows = (
        requests.annotate(partner_kind=_partner_kind_on_transmission())
        .values("organ", "request_type", "partner_kind", "partner__regional_group")
        .annotate(n=Count("id"), public=Count("id", filter=Q(confidentiality=Confidentiality.PUBLIC)))
        .order_by()
    )
    by_organ = dict.fromkeys(Organ.values, 0)
    by_type = dict.fromkeys(COOPERATION_TYPE_ORDER, 0)
    by_kind = dict.fromkeys(PARTNER_KINDS, 0)
    by_group = dict.fromkeys(RegionalGroup.values, 0)
    by_kind_group = {kind: dict.fromkeys(RegionalGroup.values, 0) for kind in ("state_party", "non_party_state")}
    by_transmitter = {name: {"transmitted": 0, **dict.fromkeys(PARTNER_KINDS, 0)} for name in TRANSMITTERS}
    by_confidentiality = {"public": 0, "not_public": 0}
    apart = {"visa": 0, "logistical": 0, "assistance_to_states": 0}
    for row in rows:
        n, request_type = row["n"], row["request_type"]
        if request_type == RequestType.VISA:
            apart["visa"] += n
            continue
        if request_type == RequestType.LOGISTICAL:
            apart["logistical"] += n
            continue
        if request_type == RequestType.ASSISTANCE_TO_STATE:
            apart["assistance_to_states"] += n
            continue
        by_organ[row["organ"]] += n
        by_confidentiality["public"] += row["public"]
        by_confidentiality["not_public"] += n - row["public"]
        by_type[request_type] += n
        by_kind[row["partner_kind"]] += n
        group = row["partner__regional_group"]
        if group:
            by_group[group] += n
            if row["partner_kind"] in by_kind_group:
                by_kind_group[row["partner_kind"]][group] += n
        for name, organs in TRANSMITTERS.items():
            if row["organ"] in organs:
                by_transmitter[name]["transmitted"] += n
                by_transmitter[name][row["partner_kind"]] += n
    return {
        "transmitted": sum(by_type.values()),
        "visa_requests": apart["visa"],
        "logistical_requests": apart["logistical"],
        "assistance_to_states": apart["assistance_to_states"],
        "by_organ": by_organ,
        "by_transmitter": by_transmitter,
        "by_partner_kind": by_kind,
        "by_regional_group": by_group,
        "by_partner_kind_and_regional_group": by_kind_group,
        "by_type": by_type,
        "by_confidentiality": by_confidentiality,
    }


def _distinct_partners(cooperation: QuerySet[CooperationRequest]) -> dict[str, int]:
    aggregates = {"all": Count("partner", distinct=True)}
    for name, organs in TRANSMITTERS.items():
        aggregates[name] = Count("partner", distinct=True, filter=Q(organ__in=organs))
    return cooperation.aggregate(**aggregates)


def _outcomes_at_end(cooperation: QuerySet[CooperationRequest], *, end: datetime.date) -> dict[str, int]:
    """Where each request of the period stood at the end: outcome reported, still pending, or withdrawn.

    A request closed since keeps its outcome in its history, so the outcome is read from the last status change
    into an outcome before the end; a request without such an event (imported, say) falls back to its status.
    """
    end_of_day = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()))
    last_outcome = (
        RequestEvent.objects.filter(
            coop_request=OuterRef("pk"),
            kind=EventKind.TRANSITION,
            to_status__in=OUTCOME_STATUSES,
            occurred_at__lt=end_of_day,
        )
        .order_by("-occurred_at", "-id")
        .values("to_status")[:1]
    )
    state = Case(
        When(Q(status=Status.WITHDRAWN, closed_on__lte=end), then=Value(Status.WITHDRAWN.value)),
        When(
            outcome_on__lte=end,
            then=Coalesce(
                Subquery(last_outcome, output_field=CharField()),
                Case(When(status__in=OUTCOME_STATUSES, then=F("status")), output_field=CharField()),
                Value("outcome_not_recorded"),
            ),
        ),
        default=Value("pending"),
        output_field=CharField(),
    )
    counts = dict.fromkeys(OUTCOMES_AT_END, 0)
    for row in cooperation.annotate(state_at_end=state).values("state_at_end").annotate(n=Count("id")).order_by():
        counts[row["state_at_end"]] = counts.get(row["state_at_end"], 0) + row["n"]
    return {str(key): value for key, value in counts.items()}


def _days_until(field: str, *, end: datetime.date) -> Case:
    """Days from transmission to `field`, for requests where `field` came by the period's end; NULL otherwise."""
    return Case(
        When(**{f"{field}__lte": end}, then=DaysBetween(F(field), F("transmitted_on"))),
        default=None,
        output_field=IntegerField(),
    )


RESPONSE_MEASURES = {"acknowledgement": "acknowledged_on", "outcome": "outcome_on"}


def response_days(*, end: datetime.date) -> dict[str, Case]:
    """For each response measure, the days from transmission to it where it came by `end` (NULL otherwise)."""
    return {name: _days_until(field, end=end) for name, field in RESPONSE_MEASURES.items()}


def response_times_from_histograms(histograms: Mapping[str, Iterable[tuple[int | None, int]]]) -> dict[str, Any]:
    """`response_times` from a histogram of each measure's days, (days, count) pairs; a None day is a request without
    the measure by the end, left out as percentile_cont leaves out NULLs."""
    result: dict[str, Any] = {}
    for name in RESPONSE_MEASURES:
        histogram = [(days, n) for days, n in histograms.get(name, ()) if days is not None]
        result[name] = {"count": sum(n for _days, n in histogram)}
        for key, fraction in PERCENTILES.items():
            value = percentile_from_histogram(histogram, fraction)
            result[name][key] = None if value is None else round(value, 1)
    result["method"] = "histogram"
    return result


def response_times(cooperation: QuerySet[CooperationRequest], *, end: datetime.date) -> dict[str, Any]:
    """Median and 90th percentile of days to acknowledgement and to outcome.

    PostgreSQL computes both percentiles in the database (percentile_cont). Elsewhere (SQLite) the day counts come
    back as a histogram, one row per distinct number of days, so the rows fetched are bounded by the length of the
    period, not by the number of requests; the percentiles are then interpolated exactly as percentile_cont does.
    """
    days_by_measure = response_days(end=end)
    if connection.vendor == "postgresql":
        aggregates: dict[str, Any] = {}
        for name, days in days_by_measure.items():
            aggregates[f"{name}__count"] = Count(days)
            for key, fraction in PERCENTILES.items():
                aggregates[f"{name}__{key}"] = PercentileCont(days, fraction=fraction)
        values = cooperation.aggregate(**aggregates)
        result: dict[str, Any] = {}
        for name in days_by_measure:
            result[name] = {"count": values[f"{name}__count"]}
            for key in PERCENTILES:
                value = values[f"{name}__{key}"]
                result[name][key] = None if value is None else round(float(value), 1)
        result["method"] = "percentile_cont"
        return result
    histograms = {
        name: [
            (row["days"], row["n"])
            for row in cooperation.annotate(days=days)
            .filter(days__isnull=False)
            .values("days")
            .annotate(n=Count("id"))
            .order_by()
        ]
        for name, days in days_by_measure.items()
    }
    return response_times_from_histograms(histograms)


def _open_at_end_q(end: datetime.date) -> Q:
    """Transmitted by the end, with neither an outcome nor a closing (or withdrawal) by then."""
    return (
        Q(transmitted_on__lte=end)
        & (Q(outcome_on__isnull=True) | Q(outcome_on__gt=end))
        & (Q(closed_on__isnull=True) | Q(closed_on__gt=end))
    )


def _paused_at_end(end: datetime.date) -> Exists:
    return Exists(
        ClockPause.objects.filter(coop_request=OuterRef("pk"), started_on__lte=end).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=end)
        )
    )


def _overdue_at_end_q(end: datetime.date) -> Q:
    """The rule of `overdue_q`, read from dates so that it holds for any past day, not only today."""
    return _open_at_end_q(end) & Q(due_on__lt=end, paused_at_end=False)


def _at_end(all_cooperation: QuerySet[CooperationRequest], *, end: datetime.date) -> dict[str, Any]:
    annotated = all_cooperation.annotate(paused_at_end=_paused_at_end(end))
    counts = annotated.aggregate(
        outstanding=Count("id", filter=_open_at_end_q(end)),
        overdue=Count("id", filter=_overdue_at_end_q(end)),
    )
    listed = (
        annotated.filter(_overdue_at_end_q(end), confidentiality=Confidentiality.PUBLIC)
        .order_by("due_on", "reference")
        .values(
            "reference", "subject", "organ", "request_type", "partner__code", "partner__name", "transmitted_on",
            "due_on",
        )[:OVERDUE_LISTED_LIMIT]
    )
    items = [
        {
            "reference": row["reference"],
            "subject": row["subject"],
            "organ": row["organ"],
            "request_type": row["request_type"],
            "partner_code": row["partner__code"],
            "partner": row["partner__name"],
            "transmitted_on": row["transmitted_on"],
            "due_on": row["due_on"],
            "days_overdue": (end - row["due_on"]).days if row["due_on"] else None,
        }
        for row in listed
    ]
    return {"outstanding_at_end": counts["outstanding"], "overdue_at_end": counts["overdue"], "overdue_public": items}


def _agreements(*, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """Counted by type and regional group; only public agreements name their State.

    The period rules are the agreement queryset's own (`concluded_between`, `in_force_on`), used as subqueries so
    that there is one definition of each.
    """
    agreements = VoluntaryAgreement.objects.order_by()
    concluded_in_period = Q(pk__in=agreements.concluded_between(start, end).values("pk"))
    in_force_at_end = Q(pk__in=agreements.in_force_on(end).values("pk"))
    # Concluded by the end and not terminated by then: the States "with an agreement", whether in force or not yet.
    held_at_end = Q(pk__in=agreements.concluded_between(datetime.date.min, end).values("pk")) & (
        Q(terminated_on__isnull=True) | Q(terminated_on__gt=end)
    )
    rows = (
        agreements.values("agreement_type", "partner__regional_group")
        .annotate(
            concluded_in_period=Count("id", filter=concluded_in_period),
            in_force_at_end=Count("id", filter=in_force_at_end),
            states_at_end=Count("partner", distinct=True, filter=held_at_end),
        )
        .order_by()
    )
    types = AgreementType.values
    result: dict[str, Any] = {
        "concluded_in_period": dict.fromkeys(types, 0),
        "in_force_at_end": dict.fromkeys(types, 0),
        "states_at_end": dict.fromkeys(types, 0),
        "by_regional_group": {
            agreement_type: {
                group: {"concluded_in_period": 0, "in_force_at_end": 0} for group in RegionalGroup.values
            }
            for agreement_type in types
        },
    }
    for grouped in rows:
        row: dict[str, Any] = dict(grouped)
        agreement_type, group = row["agreement_type"], row["partner__regional_group"]
        for measure in ("concluded_in_period", "in_force_at_end", "states_at_end"):
            result[measure][agreement_type] += row[measure]
        if group in result["by_regional_group"][agreement_type]:
            for measure in ("concluded_in_period", "in_force_at_end"):
                result["by_regional_group"][agreement_type][group][measure] += row[measure]
    named = (
        agreements.filter(held_at_end, is_public=True)
        .annotate(in_force=Count("id", filter=in_force_at_end), concluded_now=Count("id", filter=concluded_in_period))
        .values(
            "agreement_type", "partner__code", "partner__name", "partner__regional_group", "signed_on", "in_force_on",
            "in_force", "concluded_now",
        )
        .order_by("agreement_type", "partner__name", "partner__code")
    )
    result["states"] = {agreement_type: [] for agreement_type in types}
    result["named"] = []
    for item in named:
        if item["partner__code"] not in result["states"][item["agreement_type"]]:
            result["states"][item["agreement_type"]].append(item["partner__code"])
        result["named"].append(
            {
                "agreement_type": item["agreement_type"],
                "state_code": item["partner__code"],
                "state": item["partner__name"],
                "regional_group": item["partner__regional_group"],
                "signed_on": item["signed_on"],
                "in_force_on": item["in_force_on"] if item["in_force"] else None,
                "concluded_in_period": bool(item["concluded_now"]),
                "in_force_at_end": bool(item["in_force"]),
            }
        )
    for codes in result["states"].values():
        codes.sort()
    return result


def _warrants(*, start: datetime.date, end: datetime.date, generated_on: datetime.date) -> dict[str, Any]:
    """Only warrants public on the generation date exist for the report, in counts and in lists alike."""
    public = ArrestWarrant.objects.public_on(generated_on).order_by()
    outstanding = public.outstanding_on(end)
    counts = public.aggregate(
        issued_in_period=Count("id", filter=Q(issued_on__gte=start, issued_on__lte=end)),
        executed_in_period=Count("id", filter=Q(custody_on__gte=start, custody_on__lte=end)),
        outstanding_at_end=Count("id", filter=Q(pk__in=outstanding.values("pk"))),
    )
    at_large = outstanding.values("person_name", "situation__name", "issued_on").order_by("issued_on", "person_name")
    return {
        **counts,
        "persons_at_large": [
            {"person": row["person_name"], "situation": row["situation__name"], "issued_on": row["issued_on"]}
            for row in at_large
        ],
    }


def _treaty_counts(*, end: datetime.date) -> dict[str, int]:
    """The PartnerQuerySet rules for `end`, counted in one query through subqueries."""
    partners = Partner.objects.order_by()
    return partners.aggregate(
        states_parties_at_end=Count("id", filter=Q(pk__in=partners.states_parties_on(end).values("pk"))),
        apic_parties_at_end=Count("id", filter=Q(pk__in=partners.apic_parties_on(end).values("pk"))),
        implementing_legislation_at_end=Count(
            "id", filter=Q(pk__in=partners.with_implementing_legislation_on(end).values("pk"))
        ),
    )


def annual_report(
    *, start: datetime.date, end: datetime.date, generated_on: datetime.date | None = None
) -> dict[str, Any]:
    """Every figure of the annual report on cooperation for the period [start, end], both days included.

    `generated_on` (the Court's today by default) decides which warrants are still sealed.
    """
    validate_period(start=start, end=end)
    generated_on = generated_on or court_today()
    reportable = _reportable_requests(generated_on=generated_on)
    in_period = reportable.filter(transmitted_on__gte=start, transmitted_on__lte=end)
    cooperation_in_period = in_period.filter(request_type__in=COOPERATION_TYPES)

    requests = _request_counts(in_period)
    partners = _distinct_partners(cooperation_in_period)
    requests["distinct_partners"] = partners["all"]
    for name in TRANSMITTERS:
        requests["by_transmitter"][name]["distinct_partners"] = partners[name]
    requests["outcomes_at_end"] = _outcomes_at_end(cooperation_in_period, end=end)
    requests["response_times"] = response_times(cooperation_in_period, end=end)
    requests.update(_at_end(reportable.filter(request_type__in=COOPERATION_TYPES), end=end))

    return {
        "period": {"start": start, "end": end, "generated_on": generated_on},
        "requests": requests,
        "agreements": _agreements(start=start, end=end),
        "warrants": _warrants(start=start, end=end, generated_on=generated_on),
        **_treaty_counts(end=end),
        "notes": [
            _("Confidential requests are counted in every figure and never itemized; only public requests are listed."),
            _("Warrants under seal on the generation date, and the requests linked to them, are left out entirely."),
            _("Agreements that are not public are counted; only public agreements name their State."),
        ],
    }


def report_export_request(*, user: User, start: datetime.date, end: datetime.date, format: str) -> ReportExport:
    """Record a background export and queue its generation once the row is committed."""
    from .tasks import generate_report_export

    validate_period(start=start, end=end)
    export = ReportExport(requested_by=user, start=start, end=end, format=format)
    export.full_clean()
    export.save()
    transaction.on_commit(lambda: generate_report_export.delay(export.pk))
    return export


def _set_progress(export_id: int, progress: int, **fields: Any) -> None:
    # Outside any transaction, so that the browser polling the row sees each step as it happens.
    ReportExport.objects.filter(pk=export_id).update(progress=progress, **fields)


def report_export_run(*, export_id: int) -> ReportExport:
    """Generate the file of a queued export. Running it again for a finished export changes nothing."""
    from .exports import render_report

    with transaction.atomic():
        export = ReportExport.objects.select_for_update().get(pk=export_id)
        if export.status == ExportStatus.DONE:
            return export
        export.status, export.progress, export.error = ExportStatus.RUNNING, 5, ""
        export.save(update_fields=["status", "progress", "error"])
    try:
        report = annual_report(start=export.start, end=export.end)
        _set_progress(export_id, 50)
        content = render_report(report, ExportFormat(export.format))
        _set_progress(export_id, 90)
        export.file.save(export.download_name, ContentFile(content), save=False)
    except Exception as error:
        logger.exception("Report export %s failed", export_id)
        ReportExport.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished_at=timezone.now()
        )
        raise
    ReportExport.objects.filter(pk=export_id).update(
        status=ExportStatus.DONE, progress=100, file=export.file.name, finished_at=timezone.now()
    )
    export.refresh_from_db()
    return export
