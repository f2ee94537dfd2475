from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerKind(models.TextChoices):
    STATE = "state", _("State")
    ORGANIZATION = "organization", _("Organization")


class RegionalGroup(models.TextChoices):
    AFRICAN = "African", _("African States")
    ASIA_PACIFIC = "Asia-Pacific", _("Asia-Pacific States")
    EASTERN_EUROPEAN = "Eastern European", _("Eastern European States")
    GRULAC = "GRULAC", _("Latin American and Caribbean States")
    WEOG = "WEOG", _("Western European and other States")


class RequestChannel(models.TextChoices):
    """Channel a State designated for receiving requests (art. 87(1)(a))."""

    DIPLOMATIC = "diplomatic", _("Diplomatic channel")
    CENTRAL_AUTHORITY = "central_authority", _("Central authority")
    INTERPOL = "interpol", _("INTERPOL")
    REGIONAL_ORGANIZATION = "regional_organization", _("Regional organization")
    NOT_DESIGNATED = "", _("Not designated")
