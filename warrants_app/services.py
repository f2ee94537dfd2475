"""The only code that writes arrest warrants and contact reports."""

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.dates import court_today
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation
from cooperation_portal.versioning import lock_version, save_versioned
from requests_app.models import CooperationRequest

from .models import ArrestWarrant, ContactReport

WARRANT_FIELDS = frozenset(
    {"person_name", "situation", "case", "chamber", "issued_on", "charges", "custody_on", "withdrawn_on",
     "terminated_on", "under_seal", "unsealed_on"}
)


def _require_registry(actor: User, *, sealed: bool) -> None:
    if not (actor.is_active and actor.role == Role.REGISTRY):
        raise PermissionDenied(_("Only registry staff manage arrest warrants."))
    if sealed and not actor.has_sealed_clearance:
        raise PermissionDenied(_("A warrant under seal needs sealed-material clearance."))


@transaction.atomic
def warrant_create(
    *,
    actor: User,
    person_name: str,
    situation: Situation,
    chamber: str,
    issued_on: datetime.date,
    charges: str = "",
    case: Case | None = None,
    under_seal: bool = False,
    believed_in: Iterable[Partner] = (),
) -> ArrestWarrant:
    _require_registry(actor, sealed=under_seal)
    warrant = ArrestWarrant(
        person_name=person_name, situation=situation, case=case, chamber=chamber, issued_on=issued_on,
        charges=charges, under_seal=under_seal,
    )
    warrant._history_user = actor  # type: ignore[attr-defined]
    warrant.full_clean()
    warrant.save()
    warrant.believed_in.set(list(believed_in))
    return warrant


@transaction.atomic
def warrant_update(
    *,
    warrant: ArrestWarrant,
    actor: User,
    expected_version: int | None,
    data: dict[str, Any],
    believed_in: Iterable[Partner] | None = None,
) -> ArrestWarrant:
    """Change particulars or record a dated status change (custody, withdrawal, termination, unsealing)."""
    unknown = set(data) - WARRANT_FIELDS
    if unknown:
        raise ValueError(f"Not warrant fields: {sorted(unknown)}")
    locked = lock_version(warrant, expected_version)
    _require_registry(actor, sealed=locked.is_sealed_on() or bool(data.get("under_seal")))
    for field, value in data.items():
        setattr(locked, field, value)
    save_versioned(locked, sorted(data), actor=actor)
    if believed_in is not None:
        locked.believed_in.set(list(believed_in))
    return locked


@transaction.atomic
def contact_report_create(
    *, actor: User, warrant: ArrestWarrant, contact_on: datetime.date, description: str, place: str = ""
) -> ContactReport:
    """A focal point reports a contact with a person subject to a warrant (ICC-ASP/16/Res.2 para 5)."""
    if not (actor.is_active and actor.role == Role.FOCAL_POINT and actor.partner_id is not None):
        raise PermissionDenied(_("Contact reports are filed by a State's focal point."))
    if not ArrestWarrant.objects.visible_to(actor).filter(pk=warrant.pk).exists():
        # The same answer as for a warrant that does not exist: a sealed one is not confirmed.
        raise ValidationError({"warrant": _("No such public warrant.")})
    if contact_on > court_today():
        raise ValidationError({"contact_on": _("The date of contact cannot be in the future.")})
    report = ContactReport(
        warrant=warrant, partner_id=actor.partner_id, reported_by=actor, contact_on=contact_on,
        place=place, description=description,
    )
    report._history_user = actor  # type: ignore[attr-defined]
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def warrant_link_requests(
    *, warrant: ArrestWarrant, actor: User, requests: Iterable[CooperationRequest]
) -> ArrestWarrant:
    """Set the arrest and surrender requests linked to a warrant, among the requests the actor may see.

    Links to requests the actor cannot see (under seal, without clearance) are kept as they are: the actor
    neither learns of them nor removes them by saving the set they see.
    """
    locked = ArrestWarrant.objects.select_for_update().get(pk=warrant.pk)
    _require_registry(actor, sealed=locked.is_sealed_on())
    wanted = {coop_request.pk for coop_request in requests}
    visible = CooperationRequest.objects.visible_to(actor)
    if len(visible.filter(pk__in=wanted)) != len(wanted):
        # The same answer for a hidden request as for a missing one.
        raise ValidationError({"linked_requests": _("No such request.")})
    kept = set(locked.linked_requests.exclude(pk__in=visible.values("pk")).values_list("pk", flat=True))
    locked.linked_requests.set(wanted | kept)
    return locked
