"""Browser forms for the register of voluntary agreements: input shape only; the services decide the rest."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cooperation_portal.partners.models import Partner
from requests_app.forms import DateInput, PortalFormMixin

from .choices import AgreementType, PlacementDecision
from .models import VoluntaryAgreement

# Dated status changes: each one is a date field on the agreement (the status is computed from them).
STATUS_DATE_FIELDS: dict[str, Any] = {
    "signed_on": _("Signed"),
    "in_force_on": _("Entered into force"),
    "terminated_on": _("Terminated"),
}


class AgreementForm(PortalFormMixin, forms.Form):
    """An agreement's particulars and dates. On edit, the hidden version is the one the user read."""

    partner = forms.ModelChoiceField(label=_("State"), queryset=Partner.objects.states())
    agreement_type = forms.ChoiceField(label=_("Type"), choices=AgreementType.choices)
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    negotiation_started_on = forms.DateField(label=_("Negotiation started on"), widget=DateInput, required=False)
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput, required=False)
    in_force_on = forms.DateField(label=_("In force from"), widget=DateInput, required=False)
    terminated_on = forms.DateField(label=_("Terminated on"), widget=DateInput, required=False)
    is_public = forms.BooleanField(
        label=_("Public"), required=False, initial=True,
        help_text=_("The Court's reports name the States of public agreements."),
    )
    source = forms.CharField(label=_("Sources"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, agreement: VoluntaryAgreement | None = None, **kwargs: Any) -> None:
        if agreement is not None:
            kwargs.setdefault("initial", {
                **{name: getattr(agreement, name) for name in self.base_fields},
                "version": agreement.version,
            })
        super().__init__(*args, **kwargs)
        if agreement is not None:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        self.style()

    def service_data(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class AgreementStatusForm(PortalFormMixin, forms.Form):
    """Record a status change as the date it happened: signature, entry into force or termination."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    change = forms.ChoiceField(label=_("Status change"), choices=list(STATUS_DATE_FIELDS.items()),
                               widget=forms.RadioSelect)
    on = forms.DateField(label=_("Date"), widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class PlacementForm(PortalFormMixin, forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=40)
    person_label = forms.CharField(
        label=_("Person"), max_length=100,
        help_text=_("A pseudonym; identities of relocated witnesses are never stored here."),
    )
    requested_on = forms.DateField(label=_("Requested on"), widget=DateInput)
    decision = forms.ChoiceField(label=_("Decision"), choices=PlacementDecision.choices)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


def style_filter_form(form: forms.Form) -> None:
    """Bootstrap classes on a FilterSet's form; a date range is two inputs, each named for screen readers."""
    for name, field in form.fields.items():
        widgets = getattr(field.widget, "widgets", [field.widget])
        for index, widget in enumerate(widgets):
            is_select = isinstance(widget, forms.Select | forms.SelectMultiple)
            widget.attrs["class"] = "form-select form-select-sm" if is_select else "form-control form-control-sm"
            if isinstance(widget, forms.DateInput) or len(widgets) == 2:
                widget.input_type = "date"
            if len(widgets) == 2:
                part = _("from") if index == 0 else _("to")
                widget.attrs["aria-label"] = f"{field.label} ({part})"
            if name in form.errors:
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-describedby"] = f"id_{name}_error"
