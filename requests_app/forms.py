"""Browser forms: input shape only. Every rule that spans rows or depends on the actor lives in the services."""

import datetime
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from cooperation_portal.dates import court_today
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation

from .choices import (
    OUTCOME_STATUSES,
    Confidentiality,
    ConsultationGround,
    Organ,
    PauseReason,
    RequestType,
    Status,
    default_response_days,
)
from .models import CooperationRequest
from .services import EDITABLE_AFTER_TRANSMISSION, EDITABLE_FIELDS
from .uploads import max_upload_bytes


class PortalFormMixin:
    """Bootstrap classes on every widget, and each field's errors tied to it for screen readers."""

    fields: dict[str, forms.Field]

    def style(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            # Only errors already found: reading self.errors here would validate before the form is complete.
            if name in (getattr(self, "_errors", None) or {}):
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-describedby"] = f"id_{name}_error"

    def add_domain_error(self, error: ValidationError) -> None:
        """Put a service's ValidationError next to the field it names, or above the form when it has no such field."""
        form: Any = self
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                target = field if field in form.fields else None
                for message in messages:
                    form.add_error(target if field != NON_FIELD_ERRORS else None, message)
        else:
            for message in error.messages:
                form.add_error(None, message)
        self.style()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class VersionedForm(PortalFormMixin, forms.Form):
    """Carries the version the user read; the service refuses the change if the request moved on since."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class DeletionForm(PortalFormMixin, forms.Form):
    """Why a request or a document is deleted; the reason is kept in the history and shown in the timeline."""

    reason = forms.CharField(
        label=_("Reason for the deletion"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "Kept in the request's history. The deletion of a document, with this reason, also appears in the "
            "request's timeline, which the partner's focal points read."
        ),
    )

    def __init__(self, *args: Any, versioned: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if versioned:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        self.style()


class RequestForm(PortalFormMixin, forms.Form):
    """A request's particulars. Once transmitted, partner, organ and type are fixed (the service says so too)."""

    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.all())
    organ = forms.ChoiceField(label=_("Requesting organ"), choices=Organ.choices)
    request_type = forms.ChoiceField(label=_("Type / legal basis"), choices=RequestType.choices)
    situation = forms.ModelChoiceField(label=_("Situation"), queryset=Situation.objects.all(), required=False)
    case = forms.ModelChoiceField(label=_("Case"), queryset=Case.objects.all(), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"), choices=Confidentiality.choices, initial=Confidentiality.CONFIDENTIAL
    )
    urgent = forms.BooleanField(
        label=_("Urgent"), required=False, help_text=_("An urgent request gets a shorter response period.")
    )

    def __init__(self, *args: Any, coop_request: CooperationRequest | None = None, **kwargs: Any) -> None:
        if coop_request is not None:
            kwargs.setdefault("initial", {
                **{name: getattr(coop_request, name) for name in EDITABLE_FIELDS},
                "version": coop_request.version,
            })
        super().__init__(*args, **kwargs)
        if coop_request is not None:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
            editable = EDITABLE_FIELDS if coop_request.status == Status.DRAFT else EDITABLE_AFTER_TRANSMISSION
            for name in list(self.fields):
                if name != "version" and name not in editable:
                    del self.fields[name]
        self.style()

    def service_data(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class BatchRequestForm(RequestForm):
    """The same request to several partners at once; each becomes a draft of its own."""

    partners = forms.ModelMultipleChoiceField(
        label=_("Partners"), queryset=Partner.objects.all(),
        help_text=_("Select every partner the request goes to (Ctrl or Cmd and click, or Shift and arrows)."),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    field_order = ["partners"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["partner"]


class TransitionForm(VersionedForm):
    on = forms.DateField(label=_("Date"), widget=DateInput, initial=court_today,
                         help_text=_("The day it happened; not in the future."))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=10_000)


class TransmitForm(TransitionForm):
    due_on = forms.DateField(
        label=_("Response due on"), widget=DateInput,
        help_text=_("Proposed from the type's response period (shorter when urgent); you may change it."),
    )
    field_order = ["on", "due_on", "note"]

    def __init__(self, *args: Any, coop_request: CooperationRequest, **kwargs: Any) -> None:
        today = court_today()
        days = default_response_days(coop_request.request_type, urgent=coop_request.urgent)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("due_on", today + datetime.timedelta(days=days))
        super().__init__(*args, **kwargs)
        self.default_days = days


class OutcomeForm(TransitionForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), widget=forms.RadioSelect,
        choices=[(s.value, s.label) for s in Status if s in OUTCOME_STATUSES],
    )
    field_order = ["outcome", "on", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("Reasons or details")
        self.fields["note"].help_text = _("Required when the request was not fully executed.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("outcome") and cleaned["outcome"] != Status.EXECUTED and not cleaned.get("note", "").strip():
            self.add_error("note", _("Give the reasons when a request is not fully executed."))
        return cleaned


class PauseForm(TransitionForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=PauseReason.choices, widget=forms.RadioSelect)
    ground = forms.ChoiceField(
        label=_("Art. 97 ground"), required=False,
        choices=[("", _("— not consultations —")), *ConsultationGround.choices],
        help_text=_("Required for consultations under art. 97."),
    )
    field_order = ["reason", "ground", "on", "note"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("reason") == PauseReason.CONSULTATION and not cleaned.get("ground"):
            self.add_error("ground", _("Consultations under art. 97 must give their ground."))
        if cleaned.get("reason") and cleaned["reason"] != PauseReason.CONSULTATION and cleaned.get("ground"):
            self.add_error("ground", _("Only consultations under art. 97 have a ground."))
        return cleaned


class ProvisionalArrestForm(TransitionForm):
    """The arrest date in place of the change's date; the note is kept with the event."""

    arrested_on = forms.DateField(
        label=_("Provisionally arrested on"), widget=DateInput,
        help_text=_("Between the transmission and today; the supporting documents are due 60 days later (rule 188)."),
    )
    field_order = ["arrested_on", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["on"]


class ProvisionalArrestCorrectionForm(ProvisionalArrestForm):
    """The right arrest date, and why the one recorded was wrong (kept in the history beside it)."""

    reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000,
        help_text=_("Kept in the request's history with the date it replaces."),
    )
    field_order = ["arrested_on", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["note"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by the service, by content, before anything is stored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class MessageForm(PortalFormMixin, forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), required=False,
                           max_length=20_000)
    # Named like the service argument; the form metaclass moves it off the class, so BaseForm.files is untouched.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Attachments"), required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "PDF, PNG, JPEG, Word (DOCX), Excel (XLSX), OpenDocument text (ODT) or plain text (UTF-8); "
            "%(limit)s at most each."
        ) % {"limit": filesizeformat(max_upload_bytes())}
        self.style()
