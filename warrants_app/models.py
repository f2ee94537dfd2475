import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperation_portal.dates import court_today

from .choices import WarrantStatus
from .querysets import ArrestWarrantQuerySet, ContactReportQuerySet


class ArrestWarrant(models.Model):
    """A warrant of arrest (art. 58). Its status and seal are dated, so both can be read for any day."""

    person_name = models.CharField(_("person"), max_length=200)
    situation = models.ForeignKey(
        "situations.Situation", verbose_name=_("situation"), on_delete=models.PROTECT, related_name="warrants"
    )
    case = models.ForeignKey(
        "situations.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="warrants",
    )
    chamber = models.CharField(_("issuing chamber"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    charges = models.TextField(_("charges"), blank=True)
    custody_on = models.DateField(_("arrested or surrendered on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    terminated_on = models.DateField(
        _("proceedings terminated on"), null=True, blank=True, help_text=_("For example on the person's death.")
    )
    under_seal = models.BooleanField(_("issued under seal"), default=False)
    unsealed_on = models.DateField(_("unsealed on"), null=True, blank=True)
    linked_requests = models.ManyToManyField(
        "requests_app.CooperationRequest",
        verbose_name=_("arrest and surrender requests"),
        blank=True,
        related_name="warrants",
    )
    believed_in = models.ManyToManyField(
        "partners.Partner",
        verbose_name=_("States where the person is believed to be"),
        blank=True,
        related_name="warrants_believed_in",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(m2m_fields=[believed_in])

    objects = ArrestWarrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("arrest warrant")
        verbose_name_plural = _("arrest warrants")
        ordering = ["-issued_on", "person_name"]
        constraints = [
            models.CheckConstraint(
                name="warrant_custody_after_issue",
                condition=Q(custody_on__isnull=True) | Q(custody_on__gte=F("issued_on")),
                violation_error_message=_("A person cannot be taken into custody on a warrant before it is issued."),
            ),
            models.CheckConstraint(
                name="warrant_withdrawn_after_issue",
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("issued_on")),
                violation_error_message=_("A warrant cannot be withdrawn before it is issued."),
            ),
            models.CheckConstraint(
                name="warrant_terminated_after_issue",
                condition=Q(terminated_on__isnull=True) | Q(terminated_on__gte=F("issued_on")),
                violation_error_message=_("Proceedings cannot end before the warrant is issued."),
            ),
            models.CheckConstraint(
                name="warrant_unsealed_only_if_sealed",
                condition=Q(unsealed_on__isnull=True) | (Q(under_seal=True) & Q(unsealed_on__gte=F("issued_on"))),
                violation_error_message=_("Only a warrant issued under seal is unsealed, on or after its issue."),
            ),
        ]
        indexes = [models.Index(fields=["issued_on"], name="warrant_issued_idx")]

    def __str__(self) -> str:
        return f"{self.person_name} ({self.issued_on:%Y-%m-%d})"

    def clean(self) -> None:
        super().clean()
        if self.case_id and self.situation_id and self.case.situation_id != self.situation_id:  # type: ignore[union-attr]
            raise ValidationError({"case": _("This case belongs to another situation.")})

    def status_on(self, on: datetime.date | None = None) -> str:
        on = on or court_today()
        for value, when in (
            (WarrantStatus.TERMINATED, self.terminated_on),
            (WarrantStatus.WITHDRAWN, self.withdrawn_on),
            (WarrantStatus.IN_CUSTODY, self.custody_on),
        ):
            if when and when <= on:
                return value
        return WarrantStatus.AT_LARGE

    @property
    def status(self) -> str:
        return self.status_on()

    def is_sealed_on(self, on: datetime.date | None = None) -> bool:
        on = on or court_today()
        return self.under_seal and (self.unsealed_on is None or self.unsealed_on > on)


class ContactReport(models.Model):
    """A State's voluntary report of a contact with a person subject to a warrant (ICC-ASP/16/Res.2 para 5)."""

    warrant = models.ForeignKey(
        ArrestWarrant, verbose_name=_("warrant"), on_delete=models.PROTECT, related_name="contact_reports"
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("reporting State"), on_delete=models.PROTECT, related_name="contact_reports"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    contact_on = models.DateField(_("date of contact"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    created_at = models.DateTimeField(_("reported at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    objects = ContactReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact report")
        verbose_name_plural = _("contact reports")
        ordering = ["-contact_on"]

    def __str__(self) -> str:
        return f"{self.partner} - {self.warrant.person_name} ({self.contact_on})"

    def clean(self) -> None:
        super().clean()
        if self.warrant_id and self.contact_on and self.contact_on < self.warrant.issued_on:
            raise ValidationError({"contact_on": _("The contact is dated before the warrant was issued.")})
        if self.contact_on and self.contact_on > court_today():
            raise ValidationError({"contact_on": _("The date of contact cannot be in the future.")})
