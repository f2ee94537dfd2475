import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from simple_history.models import HistoricalRecords

from .choices import PartnerKind, RegionalGroup, RequestChannel
from .querysets import PartnerQuerySet


def is_iso3166_alpha3(code: str) -> bool:
    """True when `code` is an assigned ISO 3166-1 alpha-3 code."""
    return len(code) == 3 and code.isalpha() and code.isupper() and bool(countries.alpha2(code))


class Partner(models.Model):
    """The requested side: a State (ISO 3166 alpha-3 code) or an intergovernmental organization."""

    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        help_text=_("ISO 3166-1 alpha-3 code for a State (e.g. NLD); a short upper-case code for an organization."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_fr = models.CharField(_("name in French"), max_length=200, blank=True)
    regional_group = models.CharField(_("regional group"), max_length=20, choices=RegionalGroup.choices, blank=True)
    signature_date = models.DateField(_("signature"), null=True, blank=True)
    ratification_date = models.DateField(
        _("ratification, accession or succession"),
        null=True,
        blank=True,
        help_text=_("Date the instrument (or the notification of succession) was deposited."),
    )
    by_succession = models.BooleanField(
        _("party by succession"),
        default=False,
        help_text=_("A successor State is bound from its independence, which can precede the deposit."),
    )
    entry_into_force_date = models.DateField(_("entry into force"), null=True, blank=True)
    withdrawal_notified_date = models.DateField(_("withdrawal notified"), null=True, blank=True)
    withdrawal_effective_date = models.DateField(_("withdrawal effective"), null=True, blank=True)
    apic_date = models.DateField(
        _("party to the APIC since"),
        null=True,
        blank=True,
        help_text=_("Agreement on the Privileges and Immunities of the Court."),
    )
    implementing_legislation_date = models.DateField(_("implementing legislation adopted"), null=True, blank=True)
    channel = models.CharField(_("designated channel"), max_length=30, choices=RequestChannel.choices, blank=True)
    request_language = models.CharField(
        _("designated language"), max_length=50, blank=True, help_text=_("Art. 87(2), rule 176(3).")
    )
    source = models.TextField(_("sources"), blank=True, help_text=_("Public sources of the dates above."))
    history = HistoricalRecords()

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="partner_state_has_regional_group",
                condition=Q(kind="organization") | ~Q(regional_group=""),
                violation_error_message=_("A State must belong to a regional group."),
            ),
            models.CheckConstraint(
                name="partner_organization_has_no_treaty_dates",
                condition=Q(kind="state") | Q(entry_into_force_date__isnull=True, regional_group=""),
                violation_error_message=_("An organization has no regional group and no Rome Statute dates."),
            ),
            models.CheckConstraint(
                name="partner_entry_into_force_after_ratification",
                condition=Q(entry_into_force_date__isnull=True)
                | Q(ratification_date__isnull=True)
                | Q(by_succession=True)
                | Q(entry_into_force_date__gte=F("ratification_date")),
                violation_error_message=_("Entry into force cannot precede ratification or accession."),
            ),
            models.CheckConstraint(
                name="partner_withdrawal_effective_after_notified",
                condition=Q(withdrawal_effective_date__isnull=True)
                | Q(withdrawal_notified_date__isnull=True)
                | Q(withdrawal_effective_date__gt=F("withdrawal_notified_date")),
                violation_error_message=_("A withdrawal takes effect after it is notified."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "regional_group"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.kind == PartnerKind.STATE and not is_iso3166_alpha3(self.code):
            raise ValidationError(
                {"code": _("“%(code)s” is not an ISO 3166-1 alpha-3 country code.") % {"code": self.code}}
            )
        if self.kind == PartnerKind.ORGANIZATION and not (self.code.isupper() and self.code.replace("-", "").isalnum()):
            raise ValidationError(
                {"code": _("An organization's code is upper-case letters and digits, e.g. INTERPOL.")}
            )
        if self.withdrawal_effective_date and not self.entry_into_force_date:
            raise ValidationError(
                {"withdrawal_effective_date": _("Only a State for which the Statute entered into force can withdraw.")}
            )

    def is_state_party_on(self, on: datetime.date) -> bool:
        """The same rule as PartnerQuerySet.states_parties_on, for one loaded row."""
        if self.kind != PartnerKind.STATE or not self.entry_into_force_date or self.entry_into_force_date > on:
            return False
        return not (self.withdrawal_effective_date and self.withdrawal_effective_date <= on)
