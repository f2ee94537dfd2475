from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Situation(models.Model):
    """A situation under investigation, e.g. ICC-01/04 (Democratic Republic of the Congo)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("situation")
        verbose_name_plural = _("situations")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Case(models.Model):
    """A case within a situation, e.g. ICC-01/04-01/06."""

    situation = models.ForeignKey(
        Situation, verbose_name=_("situation"), on_delete=models.PROTECT, related_name="cases"
    )
    number = models.CharField(_("case number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
