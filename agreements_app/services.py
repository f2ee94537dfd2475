"""The only code that writes voluntary agreements and their placements."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.partners.models import Partner
from cooperation_portal.versioning import lock_version, save_versioned

from .models import Placement, VoluntaryAgreement

AGREEMENT_FIELDS = frozenset(
    {"partner", "agreement_type", "title", "negotiation_started_on", "signed_on", "in_force_on", "terminated_on",
     "is_public", "source", "notes"}
)


def _require_registry(actor: User) -> None:
    if not (actor.is_active and actor.role == Role.REGISTRY):
        raise PermissionDenied(_("Only registry staff manage voluntary agreements."))


@transaction.atomic
def agreement_create(
    *,
    actor: User,
    partner: Partner,
    agreement_type: str,
    title: str = "",
    negotiation_started_on: datetime.date | None = None,
    signed_on: datetime.date | None = None,
    in_force_on: datetime.date | None = None,
    terminated_on: datetime.date | None = None,
    is_public: bool = True,
    source: str = "",
    notes: str = "",
) -> VoluntaryAgreement:
    _require_registry(actor)
    agreement = VoluntaryAgreement(
        partner=partner, agreement_type=agreement_type, title=title, negotiation_started_on=negotiation_started_on,
        signed_on=signed_on, in_force_on=in_force_on, terminated_on=terminated_on, is_public=is_public,
        source=source, notes=notes,
    )
    agreement._history_user = actor  # type: ignore[attr-defined]
    agreement.full_clean()
    agreement.save()
    return agreement


@transaction.atomic
def agreement_update(
    *, agreement: VoluntaryAgreement, actor: User, expected_version: int | None, data: dict[str, Any]
) -> VoluntaryAgreement:
    """Change particulars or dates; a status change is a new date (signed, in force, terminated)."""
    _require_registry(actor)
    unknown = set(data) - AGREEMENT_FIELDS
    if unknown:
        raise ValueError(f"Not agreement fields: {sorted(unknown)}")
    locked = lock_version(agreement, expected_version)
    for field, value in data.items():
        setattr(locked, field, value)
    save_versioned(locked, sorted(data), actor=actor)
    return locked


@transaction.atomic
def placement_record(
    *,
    actor: User,
    agreement: VoluntaryAgreement,
    reference: str,
    person_label: str,
    requested_on: datetime.date,
    decision: str,
    decided_on: datetime.date | None = None,
    notes: str = "",
) -> Placement:
    """Record one case under a framework agreement, which the State may accept or refuse."""
    _require_registry(actor)
    placement = Placement(
        agreement=agreement, reference=reference, person_label=person_label, requested_on=requested_on,
        decision=decision, decided_on=decided_on, notes=notes,
    )
    placement._history_user = actor  # type: ignore[attr-defined]
    placement.full_clean()
    placement.save()
    return placement
