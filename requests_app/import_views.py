"""Pages of the request-log import, mounted at /requests/import/ ("requests_import" namespace); registry only.

Between the preview and the confirmation the file waits in a private temporary directory (mode 0700, outside
MEDIA_ROOT, never served), named by a random token kept in the user's session: the browser only ever holds the
token, and a token from another session finds nothing. The file is read again and checked again on
confirmation, then deleted.
"""

import csv
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from cooperation_portal.accounts.choices import Role

from . import importing
from .import_forms import ImportConfirmForm, ImportUploadForm
from .views import RoleRequiredMixin

SESSION_KEY = "requests_import"
STALE_AFTER_SECONDS = 24 * 3600


def import_dir() -> Path:
    directory = Path(tempfile.gettempdir()) / "cooperation-portal-imports"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def _purge_stale(directory: Path) -> None:
    """Files of previews never confirmed; removed so the directory does not grow."""
    limit = time.time() - STALE_AFTER_SECONDS
    for path in directory.glob("*.upload"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def _pending_path(token: str) -> Path:
    # The token is generated here and only ever compared, never trusted to build a path unchecked.
    return import_dir() / f"{token}.upload"


def _store_pending(request: HttpRequest, data: bytes, file_format: str, name: str) -> str:
    directory = import_dir()
    _purge_stale(directory)
    _discard_pending(request)
    token = secrets.token_urlsafe(24)
    descriptor = os.open(_pending_path(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    request.session[SESSION_KEY] = {"token": token, "format": file_format, "name": name}
    return token


def _pending(request: HttpRequest, token: str) -> dict[str, Any] | None:
    pending = request.session.get(SESSION_KEY)
    if not pending or not secrets.compare_digest(str(pending.get("token", "")), token):
        return None
    return pending


def _discard_pending(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        _pending_path(pending["token"]).unlink(missing_ok=True)


class ImportUploadView(RoleRequiredMixin, View):
    """Upload → preview: every row with its errors; nothing written."""

    roles = frozenset({Role.REGISTRY})
    template = "requests_import/upload.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template, self.context(ImportUploadForm()))

    def context(self, form: ImportUploadForm, **extra: Any) -> dict[str, Any]:
        return {"form": form, "columns": importing.TEMPLATE_COLUMNS, "required": importing.REQUIRED_COLUMNS,
                **extra}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            form.style()
            return render(request, self.template, self.context(form), status=400)
        upload = form.cleaned_data["file"]
        data = upload.read(importing.MAX_FILE_BYTES + 1)
        try:
            file_format = importing.detect_format(upload.name, data[:8])
            preview = importing.import_preview(data, file_format)
        except importing.ImportFileError as error:
            form.add_error("file", str(error))
            form.style()
            return render(request, self.template, self.context(form), status=400)
        token = _store_pending(request, data, file_format, upload.name) if preview.is_valid else ""
        context = self.context(form, preview=preview, file_name=upload.name,
                               confirm_form=ImportConfirmForm(initial={"token": token}))
        return render(request, "requests_import/preview.html", context, status=200 if preview.is_valid else 400)


class ImportConfirmView(RoleRequiredMixin, View):
    """Write every row of the previewed file in one transaction, or none."""

    roles = frozenset({Role.REGISTRY})
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportConfirmForm(request.POST)
        pending = _pending(request, form.data.get("token", "")) if form.is_valid() else None
        if pending is None:
            messages.error(request, _("This import has expired or was already done; upload the file again."))
            return HttpResponseRedirect(reverse("requests_import:upload"))
        path = _pending_path(pending["token"])
        try:
            data = path.read_bytes()
        except OSError:
            request.session.pop(SESSION_KEY, None)
            messages.error(request, _("This import has expired or was already done; upload the file again."))
            return HttpResponseRedirect(reverse("requests_import:upload"))
        try:
            created = importing.import_requests(actor=self.user, data=data, file_format=pending["format"])
        except importing.ImportRejected as rejected:
            # Something changed since the preview (a reference taken, a partner removed): nothing was written.
            _discard_pending(request)
            context = {"form": ImportUploadForm(), "preview": rejected.preview, "file_name": pending["name"],
                       "columns": importing.TEMPLATE_COLUMNS, "required": importing.REQUIRED_COLUMNS,
                       "rechecked": True}
            return render(request, "requests_import/preview.html", context, status=409)
        except importing.ImportFileError as error:
            _discard_pending(request)
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("requests_import:upload"))
        _discard_pending(request)
        messages.success(request, _("%(count)s requests imported from %(name)s.") % {
            "count": len(created), "name": pending["name"]})
        return HttpResponseRedirect(reverse("requests:list"))


class ImportTemplateView(RoleRequiredMixin, View):
    """An empty CSV with the columns the import reads, as a starting point."""

    roles = frozenset({Role.REGISTRY})

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="request-log-template.csv"'
        csv.writer(response).writerow(importing.TEMPLATE_COLUMNS)
        return response
