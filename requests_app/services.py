"""The only code that writes cooperation requests. Every status change goes through `request_transition`."""

import datetime
import logging
import uuid
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.services import audit_record
from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification, NotificationKind
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation

# StaleVersionError is re-exported: callers of these services catch it from here.
from cooperation_portal.versioning import StaleVersionError as StaleVersionError
from cooperation_portal.versioning import lock_version, save_versioned

from .choices import (
    CLOCK_RUNNING_STATUSES,
    FINAL_STATUSES,
    OUTCOME_STATUSES,
    PROVISIONAL_ARREST_DOCUMENTS_DAYS,
    TRANSITION_ROLES,
    TRANSITIONS,
    Confidentiality,
    EventKind,
    PauseReason,
    RequestType,
    Status,
    default_response_days,
)
from .models import Attachment, ClockPause, CooperationRequest, RequestEvent
from .uploads import CheckedUpload, check_upload

# Fields a draft's author may edit; status and dates move only through transitions.
EDITABLE_FIELDS = frozenset(
    {"organ", "request_type", "partner", "situation", "case", "subject", "description", "confidentiality", "urgent"}
)
# Fields that stay editable once a request is transmitted.
EDITABLE_AFTER_TRANSMISSION = frozenset({"situation", "case", "subject", "description", "confidentiality", "urgent"})


# First key of the PostgreSQL advisory locks that serialize reference numbering (the second is the prefix's hash).
REFERENCE_LOCK_CLASS = 7301


def _next_reference(organ: str, on: datetime.date) -> str:
    """The next free number of the organ's year. On PostgreSQL a transaction-scoped advisory lock makes two
    creations at the same moment take turns instead of both reading the same last number; SQLite serializes
    writers itself."""
    prefix = f"{organ.upper()}-{on.year}-"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [REFERENCE_LOCK_CLASS, zlib.crc32(prefix.encode()) & 0x7FFFFFFF]
            )
    last = (
        CooperationRequest.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last and last.rsplit("-", 1)[1].isdigit() else 1
    return f"{prefix}{number:06d}"


def _lock_live(coop_request: CooperationRequest, expected_version: int | None) -> CooperationRequest:
    """`lock_version`, refusing a soft-deleted request: nothing changes it until it is restored."""
    locked = lock_version(coop_request, expected_version)
    if locked.deleted_at is not None:
        raise ValidationError(_("This request was deleted; restore it before changing it."))
    return locked


def _require_role(actor: User | None, roles: frozenset[str] | set[str], action: str) -> None:
    if actor is None:
        return  # the portal itself (a scheduled task) acts
    if not actor.is_active or actor.role not in roles:
        raise PermissionDenied(_("Your role may not %(action)s.") % {"action": action})


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
    locked = _lock_live(coop_request, expected_version)
    if locked.status in FINAL_STATUSES:
        raise ValidationError(
            _("A request that is %(status)s can no longer be edited.") % {"status": locked.get_status_display()}
        )
    allowed = EDITABLE_FIELDS if locked.status == Status.DRAFT else EDITABLE_AFTER_TRANSMISSION
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            {
                field: _("This field cannot be changed once the request is %(status)s.")
                % {"status": locked.get_status_display()}
                for field in sorted(unknown)
            }
        )
    old_confidentiality = locked.confidentiality
    for field, value in data.items():
        setattr(locked, field, value)
    save_versioned(locked, sorted(data), actor=actor)
    if locked.confidentiality != old_confidentiality:
        RequestEvent.objects.create(
            coop_request=locked,
            kind=EventKind.RECLASSIFIED,
            actor=actor,
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
    locked = _lock_live(coop_request, expected_version)
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
    save_versioned(locked, fields, actor=actor)
    RequestEvent.objects.create(
        coop_request=locked,
        kind=EventKind.TRANSITION,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        note=note,
    )
    return locked


def _end_pause(locked: CooperationRequest, *, on: datetime.date) -> ClockPause:
    """Close the open pause and push the due date back by the days the clock stood still."""
    pause = ClockPause.objects.select_for_update().get(coop_request=locked, ended_on__isnull=True)
    if on < pause.started_on:
        raise ValidationError(
            {
                "on": _("The clock cannot resume before it was paused (%(date)s).")
                % {"date": pause.started_on.isoformat()}
            }
        )
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
    locked = _lock_live(coop_request, expected_version)
    _require_role(actor, {Role.REGISTRY, Role.FOCAL_POINT}, _("pause the deadline clock"))
    if actor.role == Role.FOCAL_POINT and actor.partner_id != locked.partner_id:
        raise PermissionDenied(_("This request was not transmitted to your partner."))
    if locked.status not in CLOCK_RUNNING_STATUSES:
        raise ValidationError(_("Only a transmitted request awaiting its outcome has a deadline clock to pause."))
    if locked.clock_paused_since is not None:
        raise ValidationError(
            _("The deadline clock is already paused since %(date)s.") % {"date": locked.clock_paused_since.isoformat()}
        )
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
    save_versioned(locked, ["clock_paused_since"], actor=actor)
    RequestEvent.objects.create(
        coop_request=locked,
        kind=EventKind.CLOCK_PAUSED,
        actor=actor,
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
    locked = _lock_live(coop_request, expected_version)
    _require_role(actor, {Role.REGISTRY}, _("resume the deadline clock"))
    if locked.clock_paused_since is None:
        raise ValidationError(_("The deadline clock of this request is not paused."))
    if on > court_today():
        raise ValidationError({"on": _("A change cannot be dated in the future.")})
    pause = _end_pause(locked, on=on)
    save_versioned(locked, ["clock_paused_since", "due_on"], actor=actor)
    RequestEvent.objects.create(
        coop_request=locked,
        kind=EventKind.CLOCK_RESUMED,
        actor=actor,
        note=note or _("Due date now %(date)s.") % {"date": locked.due_on.isoformat() if locked.due_on else "-"},
    )
    return pause


PROVISIONAL_ARREST_ROLES = frozenset({Role.REGISTRY, Role.FOCAL_POINT})


@transaction.atomic
def request_record_provisional_arrest(
    *,
    coop_request: CooperationRequest,
    actor: User,
    arrested_on: datetime.date,
    note: str = "",
    expected_version: int | None = None,
) -> CooperationRequest:
    """Record the day the person sought was provisionally arrested (art. 92), once: it starts the rule 188 clock,
    the supporting documents being due 60 days later, which the overdue sweep follows.

    Registry staff, or a focal point of the request's own partner (the State that made the arrest reports it).
    """
    _require_role(actor, PROVISIONAL_ARREST_ROLES, _("record a provisional arrest"))
    locked = _lock_arrest_request(coop_request, actor=actor, expected_version=expected_version)
    if locked.provisional_arrest_on is not None:
        raise ValidationError(
            _("The provisional arrest is already recorded (%(date)s).")
            % {"date": locked.provisional_arrest_on.isoformat()}
        )
    _check_arrest_date(locked, arrested_on)
    locked.provisional_arrest_on = arrested_on
    save_versioned(locked, ["provisional_arrest_on"], actor=actor)
    _record_arrest_event(locked, actor=actor, lines=[_arrest_summary(arrested_on), note.strip()])
    if actor.role == Role.FOCAL_POINT:
        _notify_registry(locked, actor=actor, what=_("a provisional arrest"))
    return locked


@transaction.atomic
def request_correct_provisional_arrest(
    *,
    coop_request: CooperationRequest,
    actor: User,
    arrested_on: datetime.date,
    reason: str,
    expected_version: int | None = None,
) -> CooperationRequest:
    """Correct the recorded day of the provisional arrest: registry staff only, with the reason, kept in the history
    beside the date it replaces; the State's focal points are told, their documents' due date having moved.

    The rule 188 date moves with it. The overdue sweep follows: a flag raised on the wrong date that the right one
    does not reach is cleared at its next run, which then flags whatever the right date does reach.
    """
    _require_role(actor, frozenset({Role.REGISTRY}), _("correct a provisional arrest date"))
    locked = _lock_arrest_request(coop_request, actor=actor, expected_version=expected_version)
    previous = locked.provisional_arrest_on
    if previous is None:
        raise ValidationError(_("No provisional arrest is recorded on this request yet: record it first."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    if arrested_on == previous:
        raise ValidationError({"arrested_on": _("This is the date already recorded.")})
    _check_arrest_date(locked, arrested_on)
    locked.provisional_arrest_on = arrested_on
    save_versioned(locked, ["provisional_arrest_on"], actor=actor)
    corrected = _("Provisional arrest date corrected: %(previous)s was recorded.") % {"previous": previous.isoformat()}
    _record_arrest_event(locked, actor=actor, lines=[corrected, _arrest_summary(arrested_on), reason])
    due = _documents_due(arrested_on).isoformat()
    subject = _("Supporting documents now due on %(due)s: request %(reference)s") % {
        "due": due, "reference": locked.reference,
    }
    body = _(
        "The Registry corrected the date of the provisional arrest on %(request)s: %(date)s, not %(previous)s.\n"
        "The supporting documents (rule 188) are now due on %(due)s.\nSee it in the portal: %(link)s"
    ) % {
        "request": _describe(locked), "date": arrested_on.isoformat(), "previous": previous.isoformat(),
        "due": due, "link": _request_link(locked),
    }
    _notify(_focal_points_of(locked), locked, kind=NotificationKind.DEADLINE_CHANGED, subject=subject, body=body)
    return locked


def _lock_arrest_request(
    coop_request: CooperationRequest, *, actor: User, expected_version: int | None
) -> CooperationRequest:
    """The request, locked, for a change of its arrest date: one the actor sees, live, a provisional arrest request
    that is transmitted and not final."""
    if not CooperationRequest.objects.visible_to(actor).filter(pk=coop_request.pk).exists():
        raise PermissionDenied(_("This request is not open to you."))
    locked = _lock_live(coop_request, expected_version)
    if locked.request_type != RequestType.PROVISIONAL_ARREST:
        raise ValidationError(_("Only a provisional arrest request (art. 92) has an arrest date."))
    if locked.status == Status.DRAFT or locked.transmitted_on is None:
        raise ValidationError(_("A provisional arrest is recorded once the request is transmitted."))
    if locked.status in FINAL_STATUSES:
        raise ValidationError(
            _("A request that is %(status)s can no longer be changed.") % {"status": locked.get_status_display()}
        )
    return locked


def _check_arrest_date(locked: CooperationRequest, arrested_on: datetime.date) -> None:
    if arrested_on > court_today():
        raise ValidationError({"arrested_on": _("The arrest date cannot be in the future.")})
    assert locked.transmitted_on is not None  # _lock_arrest_request
    if arrested_on < locked.transmitted_on:
        raise ValidationError(
            {
                "arrested_on": _("The arrest date cannot be before the request was transmitted (%(date)s).")
                % {"date": locked.transmitted_on.isoformat()}
            }
        )


def _documents_due(arrested_on: datetime.date) -> datetime.date:
    return arrested_on + datetime.timedelta(days=PROVISIONAL_ARREST_DOCUMENTS_DAYS)


def _arrest_summary(arrested_on: datetime.date) -> str:
    return _("Provisionally arrested on %(date)s; supporting documents due on %(due)s (rule 188).") % {
        "date": arrested_on.isoformat(),
        "due": _documents_due(arrested_on).isoformat(),
    }


def _record_arrest_event(locked: CooperationRequest, *, actor: User, lines: list[str]) -> None:
    note = "\n".join(line for line in lines if line)
    event = RequestEvent(coop_request=locked, kind=EventKind.PROVISIONAL_ARREST, actor=actor, note=note)
    event.full_clean()
    event.save()


# --- The browser's lifecycle: messages with attachments, one request to several partners, notices by e-mail ---

logger = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 20


@transaction.atomic
def request_add_message(
    *, coop_request: CooperationRequest, actor: User, body: str, files: Sequence[UploadedFile] = ()
) -> RequestEvent:
    """Record a dated message on a request, with documents attached; a focal point writes only on their partner's.

    Every file is checked (size, type read from its content, active PDF content, zip bombs) before anything is
    written, so a refused file leaves no event, no attachment row and no stored file behind.
    """
    _require_role(actor, {Role.REGISTRY, Role.FOCAL_POINT}, _("write messages on requests"))
    if not CooperationRequest.objects.visible_to(actor).filter(pk=coop_request.pk).exists():
        raise PermissionDenied(_("This request is not open to you."))
    body = (body or "").strip()
    if not body and not files:
        raise ValidationError({"body": _("Write a message or attach a document.")})
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise ValidationError(
            {"files": _("Attach at most %(count)s documents to one message.") % {"count": MAX_FILES_PER_MESSAGE}}
        )
    checked: list[CheckedUpload] = []
    problems: list[str] = []
    for upload in files:
        try:
            checked.append(check_upload(upload))
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError({"files": problems})

    event = RequestEvent(coop_request=coop_request, kind=EventKind.MESSAGE, actor=actor, note=body)
    event.full_clean()
    event.save()
    stored: list[Attachment] = []
    try:
        for upload, info in zip(files, checked, strict=True):
            attachment = Attachment(
                coop_request=coop_request,
                event=event,
                original_name=info.original_name,
                content_type=info.content_type,
                size=info.size,
                sha256=info.sha256,
                uploaded_by=actor,
            )
            upload.seek(0)
            # The stored name is generated by Attachment.file's upload_to; only the checked type's extension is kept.
            attachment.file.save(f"document{info.extension}", File(upload), save=False)
            stored.append(attachment)
            attachment.full_clean()
            attachment.save()
    except Exception:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    if actor.role == Role.FOCAL_POINT:
        _notify_registry(coop_request, actor=actor, what=_("a message"))
    return event


@transaction.atomic
def request_create_for_partners(*, actor: User, partners: Sequence[Partner], **fields: Any) -> list[CooperationRequest]:
    """Log one request to several partners at once: one draft per partner, each tracked on its own.

    All are written in one transaction (all or none), with sequential references, and share a batch id.
    """
    _require_role(actor, {Role.REGISTRY}, _("log requests"))
    if "reference" in fields or "partner" in fields:
        raise ValidationError(_("Each request of a batch gets its own partner and reference."))
    unique = list(dict.fromkeys(partners))
    if not unique:
        raise ValidationError({"partners": _("Choose at least one partner.")})
    created: list[CooperationRequest] = []
    for partner in unique:
        try:
            created.append(request_create(actor=actor, partner=partner, **fields))
        except ValidationError as error:
            messages = [f"{partner}: {message}" for message in error.messages]
            raise ValidationError({"partners": messages}) from error
    batch = uuid.uuid4() if len(created) > 1 else None
    if batch:
        # One statement for the whole batch; the creation itself is already in each request's history.
        CooperationRequest.objects.filter(pk__in=[c.pk for c in created]).update(batch=batch)
        for coop_request in created:
            coop_request.batch = batch
    return created


def request_transition_and_notify(**kwargs: Any) -> CooperationRequest:
    """`request_transition`, then notify whoever must act next (in the portal, and by e-mail once committed).

    Transmission notifies the partner's focal points; a focal point's answer notifies the registry.
    """
    coop_request = request_transition(**kwargs)
    actor: User | None = kwargs.get("actor")
    if coop_request.status == Status.TRANSMITTED:
        _notify_focal_points(coop_request)
    elif actor is not None and actor.role == Role.FOCAL_POINT:
        _notify_registry(coop_request, actor=actor, what=coop_request.get_status_display())
    return coop_request


def request_pause_clock_and_notify(**kwargs: Any) -> ClockPause:
    """`request_pause_clock`, then notify the registry when a focal point asked for consultations or postponement."""
    pause = request_pause_clock(**kwargs)
    actor: User = kwargs["actor"]
    if actor.role == Role.FOCAL_POINT:
        _notify_registry(pause.coop_request, actor=actor, what=pause.get_reason_display())
    return pause


def _request_link(coop_request: CooperationRequest) -> str:
    path = reverse("requests:detail", kwargs={"pk": coop_request.pk})
    return f"{getattr(settings, 'PORTAL_BASE_URL', '').rstrip('/')}{path}"


def _notify(users: Iterable[User], coop_request: CooperationRequest, *, kind: str, subject: str, body: str) -> None:
    """Write one outbox row per user in the change's own transaction: the row is the in-portal notification, and
    the sender task, queued once the change commits, e-mails each row once (users without an address: portal only).
    """
    rows = [
        Notification(recipient=user, coop_request=coop_request, kind=kind, subject=subject, body=body) for user in users
    ]
    if not rows:
        return
    Notification.objects.bulk_create(rows)

    def queue_delivery() -> None:
        from .tasks import send_notifications  # tasks import this module

        send_notifications.delay()

    transaction.on_commit(queue_delivery)


def _describe(coop_request: CooperationRequest) -> str:
    # Confidential particulars stay in the portal: e-mail crosses systems the Court does not control.
    if coop_request.confidentiality == Confidentiality.PUBLIC:
        return f"{coop_request.reference}: {coop_request.subject}"
    return coop_request.reference


def _focal_points_of(coop_request: CooperationRequest) -> QuerySet[User]:
    """The active focal points of the request's partner: whom a change of what the partner owes is told."""
    return User.objects.filter(role=Role.FOCAL_POINT, partner_id=coop_request.partner_id, is_active=True)


def _notify_focal_points(coop_request: CooperationRequest) -> None:
    recipients = _focal_points_of(coop_request)
    subject = _("New cooperation request %(reference)s") % {"reference": coop_request.reference}
    body = _(
        "A cooperation request was transmitted to %(partner)s: %(what)s\nResponse due on %(due)s.\n"
        "Sign in to the portal to read and answer it: %(link)s"
    ) % {
        "partner": coop_request.partner,
        "what": _describe(coop_request),
        "due": coop_request.due_on.isoformat() if coop_request.due_on else "-",
        "link": _request_link(coop_request),
    }
    _notify(recipients, coop_request, kind=NotificationKind.TRANSMITTED, subject=subject, body=body)


def _notify_registry(coop_request: CooperationRequest, *, actor: User, what: str) -> None:
    """The registry staff following the request: its author and those who acted on it, if they may still see it."""
    followers = set(RequestEvent.objects.filter(coop_request=coop_request).values_list("actor_id", flat=True))
    if coop_request.created_by_id:
        followers.add(coop_request.created_by_id)
    staff = User.objects.filter(pk__in=followers, role=Role.REGISTRY, is_active=True)
    recipients = [
        user for user in staff if CooperationRequest.objects.visible_to(user).filter(pk=coop_request.pk).exists()
    ]
    subject = _("%(partner)s answered request %(reference)s") % {
        "partner": coop_request.partner,
        "reference": coop_request.reference,
    }
    body = _("%(who)s (%(partner)s) recorded %(what)s on %(request)s.\nSee it in the portal: %(link)s") % {
        "who": actor.get_full_name() or actor.get_username(),
        "partner": coop_request.partner,
        "what": what,
        "request": _describe(coop_request),
        "link": _request_link(coop_request),
    }
    _notify(recipients, coop_request, kind=NotificationKind.ANSWERED, subject=subject, body=body)


# --- Soft deletion: out of every page, figure and sweep, never out of the database or the history ---

MAX_REASON_LENGTH = 2000


def _deletion_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the deletion; it is kept in the history.")})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(count)s characters.") % {"count": MAX_REASON_LENGTH}}
        )
    return reason


def _require_registry_scope(actor: User, coop_request: CooperationRequest, action: str) -> None:
    """Registry staff only, and only on a request they may see (under seal: with clearance)."""
    _require_role(actor, {Role.REGISTRY}, action)
    scope = CooperationRequest.objects.visible_to(actor, include_deleted=True)
    if not scope.filter(pk=coop_request.pk).exists():
        raise PermissionDenied(_("This request is not open to you."))


@transaction.atomic
def request_soft_delete(
    *, coop_request: CooperationRequest, actor: User, reason: str, expected_version: int | None = None
) -> CooperationRequest:
    """Take a request out of every list, page, export, figure and sweep, for everyone; registry staff only.

    The row, its events, messages and documents stay; the deletion is a dated, attributed event with its reason,
    a version in the request's history and an entry in the audit trail, and `request_restore` undoes it.
    """
    _require_registry_scope(actor, coop_request, _("delete requests"))
    reason = _deletion_reason(reason)
    locked = lock_version(coop_request, expected_version)
    if locked.deleted_at is not None:
        raise ValidationError(_("This request is already deleted."))
    locked.deleted_at = timezone.now()
    locked.deleted_by = actor
    locked.deletion_reason = reason
    save_versioned(locked, ["deleted_at", "deleted_by", "deletion_reason"], actor=actor)
    RequestEvent.objects.create(coop_request=locked, kind=EventKind.DELETED, actor=actor, note=reason)
    audit_record(kind=AuditKind.SOFT_DELETE, user=actor, obj=locked)
    return locked


@transaction.atomic
def request_restore(*, coop_request: CooperationRequest, actor: User, note: str = "") -> CooperationRequest:
    """Bring a soft-deleted request back where it was; registry staff only, recorded like the deletion."""
    _require_registry_scope(actor, coop_request, _("restore requests"))
    locked = lock_version(coop_request, None)
    if locked.deleted_at is None:
        raise ValidationError(_("This request is not deleted."))
    locked.deleted_at = None
    locked.deleted_by = None
    locked.deletion_reason = ""
    save_versioned(locked, ["deleted_at", "deleted_by", "deletion_reason"], actor=actor)
    RequestEvent.objects.create(coop_request=locked, kind=EventKind.RESTORED, actor=actor, note=note.strip())
    audit_record(kind=AuditKind.RESTORE, user=actor, obj=locked)
    return locked


def _lock_attachment(attachment: Attachment, actor: User, action: str) -> Attachment:
    """The attachment's row locked, after checking that its request is a live one the actor may change."""
    _require_registry_scope(actor, attachment.coop_request, action)
    if not CooperationRequest.objects.alive().filter(pk=attachment.coop_request_id).exists():
        raise ValidationError(_("This request was deleted; restore it before changing it."))
    return Attachment.objects.select_for_update().get(pk=attachment.pk)


def _save_attachment_deletion(locked: Attachment, actor: User) -> None:
    locked._history_user = actor  # type: ignore[attr-defined]
    locked.full_clean()
    locked.save(update_fields=["deleted_at", "deleted_by", "deletion_reason"])


@transaction.atomic
def attachment_soft_delete(*, attachment: Attachment, actor: User, reason: str) -> Attachment:
    """Take a document off the request's pages and the API, for everyone; registry staff only.

    The row and the stored file stay; the request's timeline shows that the document was deleted, by whom and why.
    """
    reason = _deletion_reason(reason)
    locked = _lock_attachment(attachment, actor, _("delete documents"))
    if locked.deleted_at is not None:
        raise ValidationError(_("This document is already deleted."))
    locked.deleted_at = timezone.now()
    locked.deleted_by = actor
    locked.deletion_reason = reason
    _save_attachment_deletion(locked, actor)
    RequestEvent.objects.create(
        coop_request_id=locked.coop_request_id,
        kind=EventKind.ATTACHMENT_DELETED,
        actor=actor,
        note=f"{locked.original_name}\n{reason}",
    )
    audit_record(kind=AuditKind.SOFT_DELETE, user=actor, obj=locked, detail={"request": locked.coop_request_id})
    return locked


@transaction.atomic
def attachment_restore(*, attachment: Attachment, actor: User) -> Attachment:
    locked = _lock_attachment(attachment, actor, _("restore documents"))
    if locked.deleted_at is None:
        raise ValidationError(_("This document is not deleted."))
    locked.deleted_at = None
    locked.deleted_by = None
    locked.deletion_reason = ""
    _save_attachment_deletion(locked, actor)
    RequestEvent.objects.create(
        coop_request_id=locked.coop_request_id,
        kind=EventKind.ATTACHMENT_RESTORED,
        actor=actor,
        note=locked.original_name,
    )
    audit_record(kind=AuditKind.RESTORE, user=actor, obj=locked, detail={"request": locked.coop_request_id})
    return locked
