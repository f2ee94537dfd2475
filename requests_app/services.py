"""The only code that writes cooperation requests. Every status change goes through `request_transition`."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.dates import court_today
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation

from .choices import (
    CLOCK_RUNNING_STATUSES,
    OUTCOME_STATUSES,
    TRANSITION_ROLES,
    TRANSITIONS,
    Confidentiality,
    EventKind,
    PauseReason,
    Status,
    default_response_days,
)
from .models import ClockPause, CooperationRequest, RequestEvent


class StaleVersionError(Exception):
    """The request changed since the caller read it; the caller's edit would overwrite someone else's."""

    def __init__(self, *, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(
            _("This request was changed by someone else since you opened it (now version %(version)s). "
              "Reload it and apply your change again.") % {"version": current_version}
        )


# Fields a draft's author may edit; status and dates move only through transitions.
EDITABLE_FIELDS = frozenset(
    {"organ", "request_type", "partner", "situation", "case", "subject", "description", "confidentiality", "urgent"}
)
# Fields that stay editable once a request is transmitted.
EDITABLE_AFTER_TRANSMISSION = frozenset({"situation", "case", "subject", "description", "confidentiality", "urgent"})


def _next_reference(organ: str, on: datetime.date) -> str:
    prefix = f"{organ.upper()}-{on.year}-"
    last = (
        CooperationRequest.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last and last.rsplit("-", 1)[1].isdigit() else 1
    return f"{prefix}{number:06d}"


def _require_role(actor: User | None, roles: frozenset[str] | set[str], action: str) -> None:
    if actor is None:
        return  # the portal itself (a scheduled task) acts
    if not actor.is_active or actor.role not in roles:
        raise PermissionDenied(_("Your role may not %(action)s.") % {"action": action})


def _lock(coop_request: CooperationRequest) -> CooperationRequest:
    """Re-read the row under a lock so that concurrent changes queue up instead of overwriting each other."""
    return CooperationRequest.objects.select_for_update().get(pk=coop_request.pk)


def _check_version(locked: CooperationRequest, expected_version: int | None) -> None:
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersionError(current_version=locked.version)


def _save(locked: CooperationRequest, fields: list[str], *, actor: User | None) -> None:
    """Validate and save a row read by `_lock`; the lock makes the version increment race-free."""
    # simple-history takes the user from the web request; a task or a command has none, so name it here.
    locked._history_user = actor  # type: ignore[attr-defined]
    locked.full_clean()
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def request_create(
    *,
    actor: User,
    partner: Partner,
    organ: str,
    request_type: str,
    subject: str,
    description: str = "",
    confidentiality: str = Confidentiality.CONFIDENTIAL,
    urgent: bool = False,
    situation: Situation | None = None,
    case: Case | None = None,
    reference: str | None = None,
) -> CooperationRequest:
    """Log a new request as a draft."""
    _require_role(actor, {Role.REGISTRY}, _("log requests"))
    coop_request = CooperationRequest(
        reference=reference or _next_reference(organ, court_today()),
        organ=organ,
        request_type=request_type,
        partner=partner,
        situation=situation,
        case=case,
        subject=subject,
        description=description,
        confidentiality=confidentiality,
        urgent=urgent,
        created_by=actor,
    )
    coop_request._history_user = actor  # type: ignore[attr-defined]
    coop_request.full_clean()
    coop_request.save()
    RequestEvent.objects.create(coop_request=coop_request, kind=EventKind.CREATED, actor=actor)
    return coop_request


@transaction.atomic
def request_update(
    *, coop_request: CooperationRequest, actor: User, expected_version: int, data: dict[str, Any]
) -> CooperationRequest:
    """Edit a request's particulars; refuses if someone else saved it since `expected_version` was read."""
    _require_role(actor, {Role.REGISTRY}, _("edit requests"))
    locked = _lock(coop_request)
    _check_version(locked, expected_version)
    allowed = EDITABLE_FIELDS if locked.status == Status.DRAFT else EDITABLE_AFTER_TRANSMISSION
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            {field: _("This field cannot be changed once the request is %(status)s.")
             % {"status": locked.get_status_display()} for field in sorted(unknown)}
        )
    old_confidentiality = locked.confidentiality
    for field, value in data.items():
        setattr(locked, field, value)
    _save(locked, sorted(data), actor=actor)
    if locked.confidentiality != old_confidentiality:
        RequestEvent.objects.create(
            coop_request=locked, kind=EventKind.RECLASSIFIED, actor=actor,
            note=f"{old_confidentiality} → {locked.confidentiality}",
        )
    return locked


@transaction.atomic
def request_transition(
    *,
    coop_request: CooperationRequest,
    actor: User | None,
    to_status: str,
    on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> CooperationRequest:
    """Move a request to `to_status`: the one place where a status changes.

    The row is locked, the transition table and the actor's role are checked, the dates that go with the
    new status are set, and the change is recorded as a dated, attributed event.
    """
    on = on or court_today()
    locked = _lock(coop_request)
    _check_version(locked, expected_version)
    if to_status not in TRANSITIONS.get(locked.status, frozenset()):
        raise ValidationError(
            _("A request that is %(from)s cannot become %(to)s.")
            % {"from": Status(locked.status).label, "to": Status(to_status).label if to_status in Status else to_status}
        )
    _require_role(actor, TRANSITION_ROLES[to_status], _("make this change"))
    if actor is not None and actor.role == Role.FOCAL_POINT and actor.partner_id != locked.partner_id:
        raise PermissionDenied(_("This request was not transmitted to your partner."))
    if on > court_today():
        raise ValidationError({"on": _("A change cannot be dated in the future.")})

    from_status = locked.status
    fields = ["status"]
    locked.status = to_status
    if to_status == Status.TRANSMITTED:
        locked.transmitted_on = on
        locked.due_on = due_on or on + datetime.timedelta(
            days=default_response_days(locked.request_type, urgent=locked.urgent)
        )
        fields += ["transmitted_on", "due_on"]
    elif due_on is not None:
        raise ValidationError({"due_on": _("A due date is set when the request is transmitted.")})
    if to_status == Status.ACKNOWLEDGED:
        locked.acknowledged_on = on
        fields.append("acknowledged_on")
    if to_status in OUTCOME_STATUSES:
        locked.outcome_on = on
        fields.append("outcome_on")
    if to_status in (Status.CLOSED, Status.WITHDRAWN):
        locked.closed_on = on
        fields.append("closed_on")
    if from_status in CLOCK_RUNNING_STATUSES and to_status not in CLOCK_RUNNING_STATUSES and locked.clock_paused_since:
        # An answered or closed request has no clock left to pause; the open pause ends with it.
        _end_pause(locked, on=on)
        fields.append("clock_paused_since")
    _save(locked, fields, actor=actor)
    RequestEvent.objects.create(
        coop_request=locked, kind=EventKind.TRANSITION, from_status=from_status, to_status=to_status,
        actor=actor, note=note,
    )
    return locked


def _end_pause(locked: CooperationRequest, *, on: datetime.date) -> ClockPause:
    """Close the open pause and push the due date back by the days the clock stood still."""
    pause = ClockPause.objects.select_for_update().get(coop_request=locked, ended_on__isnull=True)
    if on < pause.started_on:
        raise ValidationError({"on": _("The clock cannot resume before it was paused (%(date)s).")
                               % {"date": pause.started_on.isoformat()}})
    pause.ended_on = on
    pause.full_clean()
    pause.save(update_fields=["ended_on"])
    assert locked.due_on is not None  # a running clock belongs to a transmitted request, which has a due date
    locked.due_on = locked.due_on + (on - pause.started_on)
    locked.clock_paused_since = None
    return pause


@transaction.atomic
def request_pause_clock(
    *,
    coop_request: CooperationRequest,
    actor: User,
    reason: str,
    ground: str = "",
    on: datetime.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> ClockPause:
    """Stop the deadline clock for consultations (art. 97, with its ground) or postponement (arts. 94, 95)."""
    on = on or court_today()
    locked = _lock(coop_request)
    _check_version(locked, expected_version)
    _require_role(actor, {Role.REGISTRY, Role.FOCAL_POINT}, _("pause the deadline clock"))
    if actor.role == Role.FOCAL_POINT and actor.partner_id != locked.partner_id:
        raise PermissionDenied(_("This request was not transmitted to your partner."))
    if locked.status not in CLOCK_RUNNING_STATUSES:
        raise ValidationError(_("Only a transmitted request awaiting its outcome has a deadline clock to pause."))
    if locked.clock_paused_since is not None:
        raise ValidationError(_("The deadline clock is already paused since %(date)s.")
                              % {"date": locked.clock_paused_since.isoformat()})
    if reason == PauseReason.CONSULTATION and not ground:
        raise ValidationError({"ground": _("Consultations under art. 97 must give their ground.")})
    if reason != PauseReason.CONSULTATION and ground:
        raise ValidationError({"ground": _("Only consultations under art. 97 have a ground.")})
    if on > court_today() or (locked.transmitted_on and on < locked.transmitted_on):
        raise ValidationError({"on": _("The pause must be dated between the transmission and today.")})
    pause = ClockPause(coop_request=locked, reason=reason, ground=ground, started_on=on)
    pause.full_clean()
    pause.save()
    locked.clock_paused_since = on
    _save(locked, ["clock_paused_since"], actor=actor)
    RequestEvent.objects.create(
        coop_request=locked, kind=EventKind.CLOCK_PAUSED, actor=actor,
        note="\n".join(str(part) for part in (PauseReason(reason).label, ground, note) if part),
    )
    return pause


@transaction.atomic
def request_resume_clock(
    *,
    coop_request: CooperationRequest,
    actor: User,
    on: datetime.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> ClockPause:
    """Restart the deadline clock; the due date moves back by the length of the pause, so it never shortens."""
    on = on or court_today()
    locked = _lock(coop_request)
    _check_version(locked, expected_version)
    _require_role(actor, {Role.REGISTRY}, _("resume the deadline clock"))
    if locked.clock_paused_since is None:
        raise ValidationError(_("The deadline clock of this request is not paused."))
    if on > court_today():
        raise ValidationError({"on": _("A change cannot be dated in the future.")})
    pause = _end_pause(locked, on=on)
    _save(locked, ["clock_paused_since", "due_on"], actor=actor)
    RequestEvent.objects.create(
        coop_request=locked, kind=EventKind.CLOCK_RESUMED, actor=actor,
        note=note or _("Due date now %(date)s.") % {"date": locked.due_on.isoformat() if locked.due_on else "-"},
    )
    return pause
