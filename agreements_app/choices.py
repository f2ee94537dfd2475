from django.db import models
from django.utils.translation import gettext_lazy as _


class AgreementType(models.TextChoices):
    RELOCATION = "relocation", _("Relocation of witnesses")
    ENFORCEMENT = "enforcement", _("Enforcement of sentences (art. 103)")
    INTERIM_RELEASE = "interim_release", _("Interim release")
    RELEASE = "release", _("Release of persons (acquittal or non-confirmation of charges)")


class AgreementStatus(models.TextChoices):
    """Computed from the agreement's dates for any given day."""

    UNDER_NEGOTIATION = "under_negotiation", _("Under negotiation")
    SIGNED = "signed", _("Signed")
    IN_FORCE = "in_force", _("In force")
    TERMINATED = "terminated", _("Terminated")


class PlacementDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
