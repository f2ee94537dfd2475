from django.db import models
from django.utils.translation import gettext_lazy as _


class WarrantStatus(models.TextChoices):
    """Computed from the warrant's dates for any given day."""

    AT_LARGE = "at_large", _("At large")
    IN_CUSTODY = "in_custody", _("In custody / surrendered")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    TERMINATED = "terminated", _("Proceedings terminated")
