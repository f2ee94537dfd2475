"""Browser forms for the register of arrest warrants and for contact reports: input shape only."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cooperation_portal.accounts.models import User
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation
from requests_app.forms import DateInput, PortalFormMixin

from .models import ArrestWarrant

# Dated status changes: each is a date field on the warrant; the status on any day is computed from them.
STATUS_DATE_FIELDS: dict[str, Any] = {
    "custody_on": _("Arrested or surrendered"),
    "withdrawn_on": _("Withdrawn"),
    "terminated_on": _("Proceedings terminated"),
    "unsealed_on": _("Unsealed"),
}
PARTICULARS = ("person_name", "situation", "case", "chamber", "issued_on", "charges", "under_seal")
MAX_LINKED_REQUESTS = 200


class WarrantForm(PortalFormMixin, forms.Form):
    """A warrant's particulars. Only a user with sealed-material clearance sees and sets "under seal"."""

    person_name = forms.CharField(label=_("Person"), max_length=200)
    situation = forms.ModelChoiceField(label=_("Situation"), queryset=Situation.objects.all())
    case = forms.ModelChoiceField(label=_("Case"), queryset=Case.objects.all(), required=False)
    chamber = forms.CharField(label=_("Issuing chamber"), max_length=100)
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput)
    charges = forms.CharField(label=_("Charges"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    under_seal = forms.BooleanField(label=_("Issued under seal"), required=False)
    believed_in = forms.ModelMultipleChoiceField(
        label=_("States where the person is believed to be"), queryset=Partner.objects.states(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(
        self, *args: Any, user: User, warrant: ArrestWarrant | None = None, **kwargs: Any
    ) -> None:
        if warrant is not None:
            kwargs.setdefault("initial", {
                **{name: getattr(warrant, name) for name in PARTICULARS},
                "believed_in": list(warrant.believed_in.all()),
                "version": warrant.version,
            })
        super().__init__(*args, **kwargs)
        if warrant is not None:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        if not user.has_sealed_clearance:
            del self.fields["under_seal"]
        self.style()

    def particulars(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name in PARTICULARS}


class WarrantStatusForm(PortalFormMixin, forms.Form):
    """Record a status change as the date it happened."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    change = forms.ChoiceField(label=_("Status change"), widget=forms.RadioSelect)
    on = forms.DateField(label=_("Date"), widget=DateInput)

    def __init__(self, *args: Any, warrant: ArrestWarrant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(name, label) for name, label in STATUS_DATE_FIELDS.items()
                   if name != "unsealed_on" or warrant.under_seal]
        change: Any = self.fields["change"]
        change.choices = choices
        self.style()


class LinkRequestsForm(PortalFormMixin, forms.Form):
    """The arrest and surrender requests of a warrant, by reference: a list, not a select of every request."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    references = forms.CharField(
        label=_("Request references"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One reference per line (or separated by commas or spaces). Leave empty to remove every link."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def clean_references(self) -> list[str]:
        references = [ref for ref in re.split(r"[\s,;]+", self.cleaned_data["references"]) if ref]
        if len(references) > MAX_LINKED_REQUESTS:
            raise forms.ValidationError(_("At most %(max)s requests.") % {"max": MAX_LINKED_REQUESTS})
        return list(dict.fromkeys(references))


class ContactReportForm(PortalFormMixin, forms.Form):
    """A focal point's report of a contact; the warrant is chosen among the warrants the user may see."""

    warrant = forms.ModelChoiceField(label=_("Warrant"), queryset=ArrestWarrant.objects.none())
    contact_on = forms.DateField(label=_("Date of contact"), widget=DateInput)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}),
                                  max_length=20_000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        warrant_field: Any = self.fields["warrant"]
        warrant_field.queryset = ArrestWarrant.objects.visible_to(user).order_by("person_name", "issued_on")
        self.style()
