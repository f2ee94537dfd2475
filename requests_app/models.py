import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    CLOCK_RUNNING_STATUSES,
    Confidentiality,
    ConsultationGround,
    EscalationLevel,
    EventKind,
    Organ,
    PauseReason,
    RequestType,
    Status,
)
from .querysets import AttachmentQuerySet, CooperationRequestQuerySet


class SoftDeletable(models.Model):
    """Soft deletion (requests_app.services): the row, its history and its file stay; reads leave it out for everyone
    through `alive()` (and `visible_to`)."""

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    # Indexed only where set (where_set_index): a full index would list every row under NULL and be written on
    # every new row version, for the rare deletion of a user that it serves.
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
    )
    deletion_reason = models.TextField(_("reason for deletion"), blank=True, editable=False)

    class Meta:
        abstract = True


def where_set_index(field: str, name: str) -> models.Index:
    """An index of the rows where `field` is set, the others (most) left out: for a column that is usually empty
    and looked up by value (a user's deletions or events, as deleting a user checks them; a batch)."""
    return models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=name)


def deletion_recorded(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        name=name,
        condition=Q(deleted_at__isnull=True, deleted_by__isnull=True, deletion_reason="")
        | (Q(deleted_at__isnull=False, deleted_by__isnull=False) & ~Q(deletion_reason="")),
        violation_error_message=_("A deletion records when, by whom and why."),
    )


# What the dashboards count of the requests transmitted in a period, carried by the indexes on the transmission
# date (see CooperationRequest.Meta.indexes).
PERIOD_COUNTED = [
    "status", "request_type", "organ", "confidentiality", "urgent", "deleted_at", "acknowledged_on", "outcome_on",
]


class CooperationRequest(SoftDeletable):
    """A request for cooperation under Part 9 (or a logistical request), transmitted to one partner."""

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    organ = models.CharField(_("requesting organ"), max_length=20, choices=Organ.choices)
    request_type = models.CharField(_("type / legal basis"), max_length=20, choices=RequestType.choices)
    # No index of its own: the composite indexes below that lead with the partner serve every lookup by partner.
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="cooperation_requests",
        db_index=False,
    )
    situation = models.ForeignKey(
        "situations.Situation",
        verbose_name=_("situation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cooperation_requests",
    )
    case = models.ForeignKey(
        "situations.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cooperation_requests",
    )
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=20, choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    transmitted_on = models.DateField(_("transmitted on"), null=True, blank=True)
    due_on = models.DateField(
        _("response due on"),
        null=True,
        blank=True,
        help_text=_("Extended by the days the deadline clock was paused."),
    )
    acknowledged_on = models.DateField(_("acknowledged on"), null=True, blank=True)
    outcome_on = models.DateField(_("outcome reported on"), null=True, blank=True)
    closed_on = models.DateField(_("closed or withdrawn on"), null=True, blank=True)
    clock_paused_since = models.DateField(_("deadline clock paused since"), null=True, blank=True)
    provisional_arrest_on = models.DateField(
        _("provisionally arrested on"),
        null=True,
        blank=True,
        help_text=_("Provisional arrest (art. 92): the supporting documents are due 60 days later (rule 188)."),
    )
    # Written only by the overdue sweep (requests_app.overdue), set-based; each step is also an EscalationStep.
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation"), choices=EscalationLevel.choices, default=EscalationLevel.NONE, editable=False
    )
    escalation_changed_on = models.DateField(_("escalation changed on"), null=True, blank=True, editable=False)
    escalation_cycle = models.PositiveIntegerField(
        _("escalation cycle"),
        default=0,
        editable=False,
        help_text=_("Incremented when an escalation is cleared, so that a later one starts its ladder afresh."),
    )
    # Requests sent together to several partners share a batch; each is still tracked on its own.
    batch = models.UUIDField(_("sent together as batch"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = CooperationRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("cooperation request")
        verbose_name_plural = _("cooperation requests")
        ordering = ["-transmitted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="request_draft_has_no_transmission",
                condition=~Q(status=Status.DRAFT) | Q(transmitted_on__isnull=True),
                violation_error_message=_("A draft has not been transmitted."),
            ),
            models.CheckConstraint(
                name="request_transmitted_has_dates",
                condition=Q(status__in=[Status.DRAFT, Status.WITHDRAWN])
                | Q(transmitted_on__isnull=False, due_on__isnull=False),
                violation_error_message=_("A transmitted request has a transmission date and a due date."),
            ),
            models.CheckConstraint(
                name="request_due_not_before_transmitted",
                condition=Q(due_on__isnull=True) | Q(transmitted_on__isnull=True) | Q(due_on__gte=F("transmitted_on")),
                violation_error_message=_("The due date cannot be before the transmission date."),
            ),
            models.CheckConstraint(
                name="request_acknowledged_not_before_transmitted",
                condition=Q(acknowledged_on__isnull=True) | Q(acknowledged_on__gte=F("transmitted_on")),
                violation_error_message=_("A request cannot be acknowledged before it is transmitted."),
            ),
            models.CheckConstraint(
                name="request_outcome_not_before_transmitted",
                condition=Q(outcome_on__isnull=True) | Q(outcome_on__gte=F("transmitted_on")),
                violation_error_message=_("An outcome cannot be reported before the request is transmitted."),
            ),
            deletion_recorded("request_deletion_has_author_and_reason"),
            models.CheckConstraint(
                name="request_closed_not_before_transmitted",
                condition=Q(closed_on__isnull=True)
                | Q(transmitted_on__isnull=True)
                | Q(closed_on__gte=F("transmitted_on")),
                violation_error_message=_("A request cannot be closed before it is transmitted."),
            ),
        ]
        # Each index is written on every new row version that changes it, and the overdue sweep writes one such version
        # per request it flags (about 80 % of its first run's UPDATE time at a million requests is index upkeep), so
        # no index is kept that no query reads: the partner's own FK index (the composites lead with the partner),
        # and (organ, request_type), which no query of the benchmark ever scanned, are gone.
        # Matched to the shared FilterSet and the default ordering (newest first), composite where filters combine:
        # a list page then reads its 50 rows from an index in order instead of sorting every match.
        indexes = [
            models.Index(fields=["status", "due_on"], name="request_status_due_idx"),
            # Live requests only, as every list and dashboard asks: a focal point's count of its open requests is then
            # read from this index alone (partner, then each status asked for) instead of filtering the partner's
            # whole history in request_partner_sent_idx. With the due date and the pause, a focal point's dashboard
            # counts what is overdue from it alone too (request_running_due_idx leads with the date: 60 ms of
            # other partners' overdue requests read to count one partner's).
            models.Index(
                fields=["partner", "status", "transmitted_on"],
                include=["due_on", "clock_paused_since"],
                condition=Q(deleted_at__isnull=True),
                name="request_partner_status_on_idx",
            ),
            # Both also carry what the dashboards count of the requests transmitted in a period (INCLUDE, PostgreSQL),
            # so a year of them is counted from the index alone instead of from rows spread over the whole table.
            models.Index(
                fields=["partner", "transmitted_on", "id"], include=PERIOD_COUNTED, name="request_partner_sent_idx"
            ),
            models.Index(
                fields=["transmitted_on", "id"], include=["partner", *PERIOD_COUNTED], name="request_sent_id_idx"
            ),
            # The open and overdue lists: live requests awaiting an answer, newest first, without visiting the answered
            # ones (nor the drafts, which sort first). The due date and the pause are key columns too, so that the
            # overdue list tests both in the index: the newest open requests are not yet due, and without it each was
            # read from the table only to be skipped (about 18,000 rows before the first overdue one at a million
            # requests, 17-20 ms, against 1 ms with it). The open list (paused or not) reads the same index; without
            # it, it skipped the drafts and the answered requests one by one in the table (24,000 rows, 20 ms). With the
            # confidentiality, registry staff's count of the open requests is read from the index alone.
            models.Index(
                fields=["transmitted_on", "id", "due_on", "clock_paused_since"],
                include=["confidentiality"],
                condition=Q(status__in=sorted(CLOCK_RUNNING_STATUSES), deleted_at__isnull=True),
                name="request_running_sent_idx",
            ),
            # The dashboards' counts of what is overdue today and of the outcomes reported in a period, from the index
            # alone.
            models.Index(
                fields=["due_on"],
                include=["partner", "status", "confidentiality", "request_type", "organ", "urgent"],
                condition=Q(
                    status__in=sorted(CLOCK_RUNNING_STATUSES), clock_paused_since__isnull=True, deleted_at__isnull=True
                ),
                name="request_running_due_idx",
            ),
            models.Index(
                fields=["outcome_on"],
                include=["partner", "status", "confidentiality", "request_type", "organ", "urgent"],
                condition=Q(outcome_on__isnull=False, deleted_at__isnull=True),
                name="request_outcome_on_idx",
            ),
            # Ordering by last change, and the dashboards' cache stamp (the latest change, read from the index).
            models.Index(fields=["updated_at"], name="request_updated_idx"),
            # The escalated requests only (a few in a hundred): the dashboards count them by level from the index
            # alone, and the sweep finds the flags to clear in it. The sweep's level changes are not HOT updates
            # anyway (a full page has no room for the new row version), so an index on the level costs it nothing
            # more; the old (status, escalation_level) index listed every request. It leads with the partner, so
            # that a focal point's dashboard reads its own partner's flags only (with the level first, PostgreSQL
            # preferred reading the partner's 113,000 live requests from the table: 130 ms).
            models.Index(
                fields=["partner", "escalation_level"],
                include=["status", "confidentiality", "request_type", "organ", "urgent", "deleted_at"],
                condition=Q(escalation_level__gt=0),
                name="request_escalated_idx",
            ),
            # Indexed where set only: a request sent alone (most) has no batch.
            where_set_index("batch", "request_batch_idx"),
            where_set_index("deleted_by", "request_deleted_by_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_sealed(self) -> bool:
        """Under seal: each showing of it, on any page, list or admin page, is recorded in the audit trail."""
        return self.confidentiality == Confidentiality.UNDER_SEAL

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str | Promise] = {}
        if self.transmitted_on and self.due_on and self.due_on < self.transmitted_on:
            errors["due_on"] = _("The due date (%(due)s) cannot be before the transmission date (%(sent)s).") % {
                "due": self.due_on.isoformat(),
                "sent": self.transmitted_on.isoformat(),
            }
        if self.case_id and self.situation_id and self.case.situation_id != self.situation_id:  # type: ignore[union-attr]
            errors["case"] = _("This case belongs to another situation.")
        if self.request_type == RequestType.ASSISTANCE_TO_STATE and self.partner_id and self.partner.kind != "state":
            errors["request_type"] = _("Assistance under art. 93(10) is given to a State.")
        if self.provisional_arrest_on and self.request_type != RequestType.PROVISIONAL_ARREST:
            errors["provisional_arrest_on"] = _("Only a provisional arrest request (art. 92) has an arrest date.")
        if errors:
            raise ValidationError(errors)


class RequestEvent(models.Model):
    """One dated, attributed entry in a request's history: a status change, a message, a pause, an escalation."""

    # Neither foreign key has an index of its own: event_request_time_idx leads with the request, and the actor is
    # indexed only where set (the sweep writes its events with none, and each index is written on every insert).
    coop_request = models.ForeignKey(
        CooperationRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(_("from status"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the portal itself acted (a scheduled task)."),
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["coop_request", "occurred_at"], name="event_request_time_idx"),
            where_set_index("actor", "event_actor_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="event_transition_has_statuses",
                condition=~Q(kind=EventKind.TRANSITION) | (~Q(from_status="") & ~Q(to_status="")),
                violation_error_message=_("A status change names the status it left and the one it entered."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coop_request_id}: {self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Stored under a generated name; the uploader's file name is kept only as data."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{instance.coop_request_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(SoftDeletable):
    """A document attached to a request, usually to a message event."""

    coop_request = models.ForeignKey(
        CooperationRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        RequestEvent,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    history = HistoricalRecords()

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        constraints = [deletion_recorded("attachment_deletion_has_author_and_reason")]
        indexes = [where_set_index("deleted_by", "attachment_deleted_by_idx")]

    def __str__(self) -> str:
        return self.original_name


class ClockPause(models.Model):
    """A period in which a request's deadline clock stood still: consultations (art. 97) or postponement."""

    coop_request = models.ForeignKey(
        CooperationRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="clock_pauses"
    )
    reason = models.CharField(_("reason"), max_length=30, choices=PauseReason.choices)
    ground = models.CharField(_("art. 97 ground"), max_length=30, choices=ConsultationGround.choices, blank=True)
    started_on = models.DateField(_("paused on"))
    ended_on = models.DateField(_("resumed on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deadline clock pause")
        verbose_name_plural = _("deadline clock pauses")
        ordering = ["started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["coop_request"],
                condition=Q(ended_on__isnull=True),
                name="pause_one_open_per_request",
                violation_error_message=_("The deadline clock of this request is already paused."),
            ),
            models.CheckConstraint(
                name="pause_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                violation_error_message=_("A pause cannot end before it starts."),
            ),
            models.CheckConstraint(
                name="pause_consultation_has_ground",
                condition=~Q(reason=PauseReason.CONSULTATION) | ~Q(ground=""),
                violation_error_message=_("Consultations under art. 97 name their ground."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} from {self.started_on}"


class EscalationStep(models.Model):
    """One step of a request's escalation ladder, reached on a date; level NONE records that a flag was cleared.

    Unique per (request, cycle, level): the database itself refuses a second copy of a step, which is what makes
    two sweeps running at once, or a sweep redelivered after a crash, add nothing.
    """

    # No index of its own: the unique constraint leads with the request.
    coop_request = models.ForeignKey(
        CooperationRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="escalation_steps",
        db_index=False,
    )
    cycle = models.PositiveIntegerField(_("cycle"))
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices)
    from_level = models.PositiveSmallIntegerField(_("from level"), choices=EscalationLevel.choices)
    reached_on = models.DateField(_("reached on"))
    due_on = models.DateField(_("due date then"), null=True, blank=True)
    sweep_id = models.UUIDField(_("sweep"), db_index=True, help_text=_("The sweep run that recorded this step."))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["coop_request", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["coop_request", "cycle", "level"], name="escalation_step_once_per_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.coop_request_id}: {self.get_level_display()} on {self.reached_on}"
