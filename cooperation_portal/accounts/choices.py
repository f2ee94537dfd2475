from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REGISTRY = "registry", _("Registry staff")
    FOCAL_POINT = "focal_point", _("Focal point")
    FACILITATOR = "facilitator", _("Facilitator")
    ADMINISTRATOR = "administrator", _("Administrator")
