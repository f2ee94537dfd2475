"""The overdue sweep: reminds, flags, escalates and clears cooperation requests, set-based, in one transaction.

The sweep never loads requests into Python. For each rung of the ladder it issues a fixed handful of statements:

1. INSERT ... SELECT the step reached into EscalationStep (unique per request, cycle and level; ON CONFLICT DO
   NOTHING), tagged with this run's sweep id;
2. UPDATE the requests named by this run's new steps (their level and date, visible in lists, API, dashboards);
3. INSERT ... SELECT one dated RequestEvent per new step, so the step shows in the request's history;
4. INSERT ... SELECT the outbox rows (one per step and recipient, unique; ON CONFLICT DO NOTHING).

All of it commits together, so a flag never exists without its event and its notifications, and a run killed
midway leaves nothing behind. Only rows this run inserted are followed by steps 2-4, and the database refuses a
second copy of a step: a second run, a concurrent run or a redelivered run therefore adds nothing. On PostgreSQL
a transaction-level advisory lock also makes concurrent runs wait for each other instead of racing.
"""

import dataclasses
import datetime
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import (
    DateField,
    DateTimeField,
    F,
    PositiveSmallIntegerField,
    Q,
    QuerySet,
    UUIDField,
    Value,
)
from django.utils import timezone

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification, NotificationKind

from .choices import (
    CLOCK_RUNNING_STATUSES,
    PROVISIONAL_ARREST_DOCUMENTS_DAYS,
    Confidentiality,
    EscalationLevel,
    EventKind,
    RequestType,
)
from .models import CooperationRequest, EscalationStep, RequestEvent

# The ladder's rungs, highest first: a request is moved to the highest rung it has reached, once.
LADDER_LEVELS: tuple[EscalationLevel, ...] = (
    EscalationLevel.NON_COMPLIANCE_CANDIDATE,
    EscalationLevel.REFERRAL_ART97,
    EscalationLevel.SECOND_NOTICE,
    EscalationLevel.OVERDUE_NOTICE,
    EscalationLevel.REMINDER_SENT,
)
LEVEL_KEYS: dict[str, EscalationLevel] = {
    "reminder_sent": EscalationLevel.REMINDER_SENT,
    "overdue_notice": EscalationLevel.OVERDUE_NOTICE,
    "second_notice": EscalationLevel.SECOND_NOTICE,
    "referral_art97": EscalationLevel.REFERRAL_ART97,
    "non_compliance_candidate": EscalationLevel.NON_COMPLIANCE_CANDIDATE,
}
# What each notice asks of its readers; the request's own subject is never put in a notification, which may
# travel by e-mail.
LEVEL_MESSAGES: dict[int, str] = {
    EscalationLevel.REMINDER_SENT: "The response to this request falls due soon.",
    EscalationLevel.OVERDUE_NOTICE: "The response to this request is overdue.",
    EscalationLevel.SECOND_NOTICE: "Second notice: the response to this request is still overdue.",
    EscalationLevel.REFERRAL_ART97: (
        "The request is referred to the Registry for consultations with the requested party (art. 97)."
    ),
    EscalationLevel.NON_COMPLIANCE_CANDIDATE: (
        "The request is a candidate for a finding of non-compliance (art. 87(7))."
    ),
}
# Any constant works; it only has to be the same for every process that sweeps.
ADVISORY_LOCK_KEY = 718_870_901


@dataclasses.dataclass
class SweepResult:
    on: datetime.date
    sweep_id: uuid.UUID
    escalated: dict[int, int] = dataclasses.field(default_factory=dict)
    cleared: int = 0
    notifications: int = 0

    @property
    def total_escalated(self) -> int:
        return sum(self.escalated.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "sweep_id": str(self.sweep_id),
            "escalated": {EscalationLevel(level).name.lower(): count for level, count in self.escalated.items()},
            "cleared": self.cleared,
            "notifications": self.notifications,
        }


def ladder_thresholds(
    request_type: str, *, urgent: bool, ladder: Mapping[str, Any] | None = None
) -> dict[EscalationLevel, int]:
    """Days past the due date (negative: before it) at which a request of this type and urgency reaches each level."""
    if ladder is None:
        ladder = cast(Mapping[str, Any], settings.PORTAL_ESCALATION_LADDER)
    layers = [ladder.get("default", {})]
    if urgent:
        layers.append(ladder.get("urgent", {}))
    per_type = ladder.get("by_type", {}).get(request_type, {})
    layers.append(per_type.get("default", {}))
    if urgent:
        layers.append(per_type.get("urgent", {}))
    merged: dict[str, int] = {}
    for layer in layers:
        merged.update(layer)
    unknown = set(merged) - set(LEVEL_KEYS)
    missing = set(LEVEL_KEYS) - set(merged)
    if unknown or missing:
        raise ImproperlyConfigured(
            f"PORTAL_ESCALATION_LADDER for {request_type} (urgent={urgent}): "
            f"unknown levels {sorted(unknown)}, missing levels {sorted(missing)}."
        )
    thresholds = {LEVEL_KEYS[key]: int(days) for key, days in merged.items()}
    ordered = [thresholds[level] for level in sorted(thresholds)]
    if ordered != sorted(set(ordered)):
        raise ImproperlyConfigured(
            f"PORTAL_ESCALATION_LADDER for {request_type} (urgent={urgent}): each level must come later than the "
            f"one below it, got {ordered}."
        )
    return thresholds


def deadline_reached(level: EscalationLevel, *, on: datetime.date) -> Q:
    """Requests whose deadline is at least `level`'s threshold behind `on`.

    The deadline is the response due date; for a provisional arrest it is also the rule 188 date for the
    supporting documents (60 days after the arrest), whichever comes first. Request types that share a threshold
    are grouped, so the condition has a few terms whatever the number of requests.
    """
    groups: dict[tuple[bool, int], list[str]] = defaultdict(list)
    for request_type in RequestType.values:
        for urgent in (False, True):
            groups[(urgent, ladder_thresholds(request_type, urgent=urgent)[level])].append(request_type)
    reached = Q(pk__in=[])
    for (urgent, days), request_types in groups.items():
        limit = on - datetime.timedelta(days=days)
        deadline_passed = Q(due_on__lte=limit)
        if RequestType.PROVISIONAL_ARREST in request_types:
            deadline_passed |= Q(
                request_type=RequestType.PROVISIONAL_ARREST,
                provisional_arrest_on__lte=limit - datetime.timedelta(days=PROVISIONAL_ARREST_DOCUMENTS_DAYS),
            )
        reached |= Q(urgent=urgent, request_type__in=request_types) & deadline_passed
    return reached


def escalation_candidates(level: EscalationLevel, *, on: datetime.date) -> QuerySet[CooperationRequest]:
    """Open requests, clock running, below `level`, whose deadline has reached `level` on `on`."""
    return CooperationRequest.objects.alive().open().filter(
        deadline_reached(level, on=on), clock_paused_since__isnull=True, escalation_level__lt=level
    )


def clearing_candidates(*, on: datetime.date) -> QuerySet[CooperationRequest]:
    """Flagged requests that were answered (an outcome), closed, withdrawn or whose clock is paused, and those whose
    deadline no longer reaches their level on `on` (a corrected arrest date, a request no longer urgent)."""
    moved = Q(pk__in=[])
    for level in LADDER_LEVELS:
        moved |= Q(escalation_level=level) & ~deadline_reached(level, on=on)
    # A soft-deleted request is left as it stood: out of the sweep altogether, flags included.
    return CooperationRequest.objects.alive().filter(escalation_level__gt=EscalationLevel.NONE).filter(
        ~Q(status__in=CLOCK_RUNNING_STATUSES) | Q(clock_paused_since__isnull=False) | moved
    )


def sweep(*, on: datetime.date | None = None, queue_delivery: bool = False) -> SweepResult:
    """Run the whole ladder for day `on` (the Court's today by default) in one transaction.

    `queue_delivery` queues the e-mail task after the commit, so the task never sees rows that are not there yet.
    """
    on = on or court_today()
    result = SweepResult(on=on, sweep_id=uuid.uuid4())
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        result.cleared = _record_steps(clearing_candidates(on=on), level=EscalationLevel.NONE, result=result)
        if result.cleared:
            CooperationRequest.objects.filter(pk__in=_new_steps(result, EscalationLevel.NONE)).update(
                escalation_level=EscalationLevel.NONE, escalation_changed_on=on,
                escalation_cycle=F("escalation_cycle") + 1,
            )
            _record_events(
                result, EscalationLevel.NONE,
                "Escalation cleared: the request was answered, paused or closed, or its deadline moved.",
            )
        _test_delay()
        for level in LADDER_LEVELS:
            count = _record_steps(escalation_candidates(level, on=on), level=level, result=result)
            result.escalated[level] = count
            if count:
                CooperationRequest.objects.filter(pk__in=_new_steps(result, level)).update(
                    escalation_level=level, escalation_changed_on=on
                )
                _record_events(result, level, f"Escalation: {EscalationLevel(level).label}.")
                result.notifications += _queue_notifications(result, level)
            _test_delay()
        if queue_delivery and result.notifications:
            from .tasks import send_notifications

            transaction.on_commit(send_notifications.delay)
    return result


def _sql(queryset: QuerySet[Any]) -> tuple[str, Sequence[Any]]:
    sql, params = queryset.order_by().query.sql_with_params()
    return sql, list(params)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _new_steps(result: SweepResult, level: int) -> QuerySet[EscalationStep, Any]:
    return EscalationStep.objects.filter(sweep_id=result.sweep_id, level=level).values("coop_request_id")


def _record_steps(candidates: QuerySet[CooperationRequest], *, level: int, result: SweepResult) -> int:
    """INSERT ... SELECT one step per candidate; a step the request already has in this cycle is skipped.

    The SELECT is the candidates' own query, so the database reads the requests once (no self-join)."""
    columns = {
        "coop_request_id": F("pk"),
        "cycle": F("escalation_cycle"),
        "level": Value(level, output_field=PositiveSmallIntegerField()),
        "from_level": F("escalation_level"),
        "reached_on": Value(result.on, output_field=DateField()),
        "due_on": F("due_on"),
        "sweep_id": Value(result.sweep_id, output_field=UUIDField()),
        "created_at": Value(timezone.now(), output_field=DateTimeField()),
    }
    select_sql, params = _sql(
        candidates.annotate(**{f"step_{name}": value for name, value in columns.items()})
        .values_list(*(f"step_{name}" for name in columns))
    )
    # Only backend-quoted names and ORM-compiled SQL are interpolated; every value is a parameter.
    statement = (
        f"INSERT INTO {_table(EscalationStep)} ({', '.join(columns)}) {select_sql} "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _record_events(result: SweepResult, level: int, note: str) -> None:
    """One dated history entry per step this run recorded; actor empty because the portal itself acted."""
    steps_sql, params = _sql(EscalationStep.objects.filter(sweep_id=result.sweep_id, level=level).values("pk"))
    statement = (
        f"INSERT INTO {_table(RequestEvent)} "  # noqa: S608 - as in _record_steps
        "(coop_request_id, kind, from_status, to_status, actor_id, occurred_at, note) "
        f"SELECT s.coop_request_id, %s, '', '', NULL, %s, %s FROM {_table(EscalationStep)} s "
        f"WHERE s.id IN ({steps_sql})"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [
            EventKind.ESCALATION, connection.ops.adapt_datetimefield_value(timezone.now()), note, *params,
        ])


def _queue_notifications(result: SweepResult, level: int) -> int:
    """INSERT ... SELECT the outbox rows for this run's steps at `level`: the partner's active focal points, and
    the responsible registry staff (the request's author if active registry staff, else every active registry
    user). A request under seal goes only to registry staff with sealed clearance."""
    user_table = _table(User)
    cleared_sql, cleared_params = _sql(
        User.objects.filter(
            Q(is_superuser=True)
            | Q(user_permissions__codename="sealed_clearance", user_permissions__content_type__app_label="accounts")
            | Q(groups__permissions__codename="sealed_clearance",
                groups__permissions__content_type__app_label="accounts")
        ).values("pk")
    )
    steps_sql, steps_params = _sql(EscalationStep.objects.filter(sweep_id=result.sweep_id, level=level).values("pk"))
    label = str(EscalationLevel(level).label)
    statement = f"""
        INSERT INTO {_table(Notification)}
            (recipient_id, coop_request_id, escalation_step_id, kind, level, subject, body,
             created_at, attempts, last_error)
        SELECT u.id, s.coop_request_id, s.id, %s, s.level,
               %s || r.reference,
               %s || r.reference || %s || COALESCE(r.due_on || '', '-') || '.'
                  || COALESCE(%s || r.provisional_arrest_on || %s, '') || %s,
               %s, 0, ''
        FROM {_table(EscalationStep)} s
        JOIN {_table(CooperationRequest)} r ON r.id = s.coop_request_id
        JOIN {user_table} u ON u.is_active AND (
            (u.role = %s AND u.partner_id = r.partner_id)
            OR (u.role = %s
                AND (r.confidentiality <> %s OR u.id IN ({cleared_sql}))
                AND (u.id = r.created_by_id OR NOT EXISTS (
                    SELECT 1 FROM {user_table} c
                    WHERE c.id = r.created_by_id AND c.role = %s AND c.is_active
                      AND (r.confidentiality <> %s OR c.id IN ({cleared_sql})))))
        )
        WHERE s.id IN ({steps_sql})
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - as in _record_steps
    params = [
        NotificationKind.ESCALATION,
        f"[ICC cooperation] {label}: ",
        f"{label}\n\n{LEVEL_MESSAGES[level]}\n\nRequest ",
        ": response due on ",
        "\nProvisional arrest on ",
        ": the supporting documents are due within 60 days (rule 188).",
        "\n\nSign in to the Cooperation Portal to see the request and answer it.\n",
        connection.ops.adapt_datetimefield_value(timezone.now()),
        Role.FOCAL_POINT,
        Role.REGISTRY,
        Confidentiality.UNDER_SEAL,
        *cleared_params,
        Role.REGISTRY,
        Confidentiality.UNDER_SEAL,
        *cleared_params,
        *steps_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _test_delay() -> None:
    """Only the worker tests set PORTAL_SWEEP_TEST_DELAY, to kill a worker in the middle of a sweep."""
    delay = float(getattr(settings, "PORTAL_SWEEP_TEST_DELAY", 0) or 0)
    if delay:
        time.sleep(delay)
