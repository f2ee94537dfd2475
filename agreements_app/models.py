import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperation_portal.dates import court_today

from .choices import AgreementStatus, AgreementType, PlacementDecision
from .querysets import VoluntaryAgreementQuerySet


class VoluntaryAgreement(models.Model):
    """A framework agreement between the Court and a State, beyond Part 9 obligations. Its status is dated."""

    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("State"), on_delete=models.PROTECT, related_name="agreements"
    )
    agreement_type = models.CharField(_("type"), max_length=20, choices=AgreementType.choices)
    title = models.CharField(_("title"), max_length=300, blank=True)
    negotiation_started_on = models.DateField(_("negotiation started on"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    in_force_on = models.DateField(_("in force from"), null=True, blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    is_public = models.BooleanField(_("public"), default=True)
    source = models.TextField(_("sources"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    objects = VoluntaryAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("voluntary agreement")
        verbose_name_plural = _("voluntary agreements")
        ordering = ["agreement_type", "partner__name"]
        constraints = [
            models.CheckConstraint(
                name="agreement_in_force_after_signature",
                condition=Q(in_force_on__isnull=True) | Q(signed_on__isnull=True) | Q(in_force_on__gte=F("signed_on")),
                violation_error_message=_("An agreement cannot enter into force before it is signed."),
            ),
            models.CheckConstraint(
                name="agreement_terminated_after_start",
                condition=Q(terminated_on__isnull=True)
                | Q(in_force_on__isnull=True)
                | Q(terminated_on__gte=F("in_force_on")),
                violation_error_message=_("An agreement cannot end before it enters into force."),
            ),
        ]
        indexes = [models.Index(fields=["agreement_type", "in_force_on"], name="agreement_type_force_idx")]

    def __str__(self) -> str:
        return f"{self.get_agreement_type_display()}: {self.partner}"

    def clean(self) -> None:
        super().clean()
        if self.partner_id and self.partner.kind != "state":
            raise ValidationError({"partner": _("Voluntary agreements are concluded with States.")})

    def status_on(self, on: datetime.date | None = None) -> str:
        on = on or court_today()
        if self.terminated_on and self.terminated_on <= on:
            return AgreementStatus.TERMINATED
        if self.in_force_on and self.in_force_on <= on:
            return AgreementStatus.IN_FORCE
        if self.signed_on and self.signed_on <= on:
            return AgreementStatus.SIGNED
        return AgreementStatus.UNDER_NEGOTIATION

    @property
    def status(self) -> str:
        return self.status_on()


class Placement(models.Model):
    """One case under a framework agreement: the State may accept or refuse each one."""

    agreement = models.ForeignKey(
        VoluntaryAgreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="placements"
    )
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    person_label = models.CharField(
        _("person"),
        max_length=100,
        help_text=_("A pseudonym; identities of relocated witnesses are never stored here."),
    )
    requested_on = models.DateField(_("requested on"))
    decision = models.CharField(
        _("decision"), max_length=20, choices=PlacementDecision.choices, default=PlacementDecision.PENDING
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-requested_on"]
        constraints = [
            models.CheckConstraint(
                name="placement_decided_has_date",
                condition=Q(decision=PlacementDecision.PENDING, decided_on__isnull=True)
                # decided_on must be named non-null: a CHECK passes when its comparison is NULL.
                | (
                    ~Q(decision=PlacementDecision.PENDING)
                    & Q(decided_on__isnull=False, decided_on__gte=F("requested_on"))
                ),
                violation_error_message=_("A decision has a date, on or after the request; a pending one has none."),
            ),
        ]

    def __str__(self) -> str:
        return self.reference
