"""Forms of the request-log import: the upload, and the confirmation that carries the preview's token."""

from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .forms import PortalFormMixin
from .importing import MAX_FILE_BYTES, MAX_ROWS
from .uploads import check_file_name


class ImportUploadForm(PortalFormMixin, forms.Form):
    file = forms.FileField(label=_("Request log (CSV or XLSX)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "UTF-8 CSV (comma, semicolon or tab) or an Excel workbook (first sheet); the first row names the "
            "columns. %(size)s and %(rows)s rows at most."
        ) % {"size": filesizeformat(MAX_FILE_BYTES), "rows": MAX_ROWS}
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx,text/csv"
        self.style()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        check_file_name(upload)
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s.") % {"size": filesizeformat(MAX_FILE_BYTES)}
            )
        return upload


class ImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
