from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import ExportFormat
from .services import validate_period


class ReportPeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), input_formats=["%Y-%m-%d"], widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("start") and cleaned.get("end"):
            try:
                validate_period(start=cleaned["start"], end=cleaned["end"])
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        self.add_error(field, message)
        return cleaned


class ReportDownloadForm(ReportPeriodForm):
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices)
