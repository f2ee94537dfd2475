"""Choices of the requests app and the one transition table of a cooperation request's lifecycle."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cooperation_portal.accounts.choices import Role


class Organ(models.TextChoices):
    """The organ of the Court on whose behalf a request is made."""

    REGISTRY = "registry", _("Registry")
    OTP = "otp", _("Office of the Prosecutor")
    PRESIDENCY = "presidency", _("Presidency")
    CHAMBERS = "chambers", _("Chambers")


class RequestType(models.TextChoices):
    """Legal basis of a request (Part 9 of the Rome Statute), plus the logistical requests counted apart."""

    ARREST_SURRENDER = "art89", _("Arrest and surrender (art. 89)")
    PROVISIONAL_ARREST = "art92", _("Provisional arrest (art. 92)")
    IDENTIFICATION = "art93_1_a", _("Identification and whereabouts of persons, location of items (art. 93(1)(a))")
    EVIDENCE = "art93_1_b", _("Taking and production of evidence (art. 93(1)(b))")
    QUESTIONING = "art93_1_c", _("Questioning of persons investigated or prosecuted (art. 93(1)(c))")
    SERVICE_OF_DOCUMENTS = "art93_1_d", _("Service of documents (art. 93(1)(d))")
    VOLUNTARY_APPEARANCE = "art93_1_e", _("Voluntary appearance of witnesses and experts (art. 93(1)(e))")
    TEMPORARY_TRANSFER = "art93_1_f", _("Temporary transfer (art. 93(1)(f))")
    EXAMINATION_OF_SITES = "art93_1_g", _("Examination of places and sites, exhumation (art. 93(1)(g))")
    SEARCH_AND_SEIZURE = "art93_1_h", _("Searches and seizures (art. 93(1)(h))")
    RECORDS = "art93_1_i", _("Records and documents (art. 93(1)(i))")
    PROTECTION = "art93_1_j", _("Protection of victims and witnesses, preservation of evidence (art. 93(1)(j))")
    ASSETS = "art93_1_k", _("Proceeds, property, assets and instrumentalities (art. 93(1)(k))")
    OTHER_ASSISTANCE = "art93_1_l", _("Other assistance not prohibited by national law (art. 93(1)(l))")
    VISA = "visa", _("Visa")
    LOGISTICAL = "logistical", _("Other logistical request")
    ASSISTANCE_TO_STATE = "art93_10", _("Assistance from the Court to a State (art. 93(10))")


# Counted apart from cooperation requests in the Court's reports.
LOGISTICAL_TYPES = frozenset({RequestType.VISA, RequestType.LOGISTICAL})
COOPERATION_TYPES = frozenset(RequestType) - LOGISTICAL_TYPES - {RequestType.ASSISTANCE_TO_STATE}

# Days a partner has to answer, counted from transmission; overridable per request.
DEFAULT_RESPONSE_DAYS: dict[str, int] = {
    RequestType.ARREST_SURRENDER: 30,
    RequestType.PROVISIONAL_ARREST: 60,  # rule 188: supporting documents within 60 days of the provisional arrest
    RequestType.VISA: 14,
    RequestType.LOGISTICAL: 30,
}
STANDARD_RESPONSE_DAYS = 60
URGENT_RESPONSE_DAYS = 10


def default_response_days(request_type: str, *, urgent: bool) -> int:
    days = DEFAULT_RESPONSE_DAYS.get(request_type, STANDARD_RESPONSE_DAYS)
    return min(days, URGENT_RESPONSE_DAYS) if urgent else days


class Confidentiality(models.TextChoices):
    PUBLIC = "public", _("Public")
    CONFIDENTIAL = "confidential", _("Confidential")
    UNDER_SEAL = "under_seal", _("Under seal / ex parte")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    TRANSMITTED = "transmitted", _("Transmitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_EXECUTION = "in_execution", _("In execution")
    EXECUTED = "executed", _("Executed")
    PARTIALLY_EXECUTED = "partially_executed", _("Partially executed")
    NOT_EXECUTED = "not_executed", _("Not executed")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OUTCOME_STATUSES = frozenset({Status.EXECUTED, Status.PARTIALLY_EXECUTED, Status.NOT_EXECUTED})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.WITHDRAWN})
# Statuses in which the deadline clock runs: transmitted and not yet answered with an outcome.
CLOCK_RUNNING_STATUSES = frozenset({Status.TRANSMITTED, Status.ACKNOWLEDGED, Status.IN_EXECUTION})

# The lifecycle: from each status, the statuses it may move to. Withdrawal is possible at any time before closing.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.TRANSMITTED, Status.WITHDRAWN}),
    Status.TRANSMITTED: frozenset({Status.ACKNOWLEDGED, Status.IN_EXECUTION, *OUTCOME_STATUSES, Status.WITHDRAWN}),
    Status.ACKNOWLEDGED: frozenset({Status.IN_EXECUTION, *OUTCOME_STATUSES, Status.WITHDRAWN}),
    Status.IN_EXECUTION: frozenset({*OUTCOME_STATUSES, Status.WITHDRAWN}),
    Status.EXECUTED: frozenset({Status.CLOSED, Status.WITHDRAWN}),
    Status.PARTIALLY_EXECUTED: frozenset({Status.CLOSED, Status.WITHDRAWN}),
    Status.NOT_EXECUTED: frozenset({Status.CLOSED, Status.WITHDRAWN}),
    Status.CLOSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
}

# Who may move a request into each status. Registry staff may record a partner's answer on its behalf
# (answers still arrive by note verbale); only the Registry transmits, closes and withdraws.
TRANSITION_ROLES: dict[str, frozenset[str]] = {
    Status.TRANSMITTED: frozenset({Role.REGISTRY}),
    Status.ACKNOWLEDGED: frozenset({Role.REGISTRY, Role.FOCAL_POINT}),
    Status.IN_EXECUTION: frozenset({Role.REGISTRY, Role.FOCAL_POINT}),
    Status.EXECUTED: frozenset({Role.REGISTRY, Role.FOCAL_POINT}),
    Status.PARTIALLY_EXECUTED: frozenset({Role.REGISTRY, Role.FOCAL_POINT}),
    Status.NOT_EXECUTED: frozenset({Role.REGISTRY, Role.FOCAL_POINT}),
    Status.CLOSED: frozenset({Role.REGISTRY}),
    Status.WITHDRAWN: frozenset({Role.REGISTRY}),
}


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status change")
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Note")
    CLOCK_PAUSED = "clock_paused", _("Deadline clock paused")
    CLOCK_RESUMED = "clock_resumed", _("Deadline clock resumed")
    DUE_DATE_CHANGED = "due_date_changed", _("Due date changed")
    RECLASSIFIED = "reclassified", _("Confidentiality changed")
    ESCALATION = "escalation", _("Escalation")
    DELETED = "deleted", _("Deleted")
    RESTORED = "restored", _("Restored")
    ATTACHMENT_DELETED = "attachment_deleted", _("Document deleted")
    ATTACHMENT_RESTORED = "attachment_restored", _("Document restored")
    PROVISIONAL_ARREST = "provisional_arrest", _("Provisional arrest recorded")


class PauseReason(models.TextChoices):
    CONSULTATION = "consultation_art97", _("Consultations (art. 97)")
    POSTPONEMENT_ART94 = "postponement_art94", _("Postponement: ongoing investigation or prosecution (art. 94)")
    POSTPONEMENT_ART95 = "postponement_art95", _("Postponement: admissibility challenge (art. 95)")


class ConsultationGround(models.TextChoices):
    """Art. 97 grounds for consultations."""

    INSUFFICIENT_INFORMATION = "insufficient_information", _("Insufficient information to execute the request")
    PERSON_NOT_FOUND = "person_not_found", _("Person sought cannot be located or is not the person named")
    PRIOR_TREATY = "prior_treaty", _("Execution would breach a pre-existing treaty obligation")
    OTHER = "other", _("Other problem impeding execution")


class EscalationLevel(models.IntegerChoices):
    """How far the overdue sweep has escalated a request; ordered, so "below a step" is a comparison."""

    NONE = 0, _("None")
    REMINDER_SENT = 1, _("Reminder sent")
    OVERDUE_NOTICE = 2, _("Overdue notice")
    SECOND_NOTICE = 3, _("Second notice")
    REFERRAL_ART97 = 4, _("Referred to the registry for consultations (art. 97)")
    NON_COMPLIANCE_CANDIDATE = 5, _("Candidate for a non-compliance finding (art. 87(7))")


# Rule 188: the documents supporting surrender are due within 60 days of a provisional arrest.
PROVISIONAL_ARREST_DOCUMENTS_DAYS = 60
