"""The facilitator's report page: the period form, the figures, and XLSX / PDF / CSV downloads.

A short period is generated during the request; a long one (more than PORTAL_REPORT_BACKGROUND_DAYS days) is
queued for Celery and followed on a progress page, its file kept for download by the requester and the Registry.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.services import audit_record, get_in_scope_or_404

from .choices import CONTENT_TYPES, ExportFormat, ExportStatus
from .exports import render_report, report_sections
from .forms import ReportDownloadForm, ReportPeriodForm
from .models import ReportExport
from .querysets import may_read_reports
from .services import annual_report, report_export_request

BACKGROUND_AFTER_DAYS: int = getattr(settings, "PORTAL_REPORT_BACKGROUND_DAYS", 731)
RECENT_EXPORTS = 10


def report_reader_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed in (else to the login page) and a role that reads reports (else 403, as the API answers)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_read_reports(request.user):  # type: ignore[arg-type]
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@report_reader_required
def report_page(request: HttpRequest) -> HttpResponse:
    form = ReportPeriodForm(request.GET or None)
    report = sections = None
    if form.is_bound and form.is_valid():
        report = annual_report(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
        sections = report_sections(report)
    context = {
        "form": form,
        "report": report,
        "sections": sections,
        "formats": ExportFormat.choices,
        "background_after_days": BACKGROUND_AFTER_DAYS,
        "exports": ReportExport.objects.filter(requested_by=request.user.pk)[:RECENT_EXPORTS],
    }
    return render(request, "reports/annual_report.html", context, status=400 if form.errors else 200)


@require_POST
@report_reader_required
def report_download(request: HttpRequest) -> HttpResponse:
    form = ReportDownloadForm(request.POST)
    if not form.is_valid():
        context = {"form": form, "formats": ExportFormat.choices, "background_after_days": BACKGROUND_AFTER_DAYS}
        return render(request, "reports/annual_report.html", context, status=400)
    start, end, export_format = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["format"]
    if (end - start).days + 1 > BACKGROUND_AFTER_DAYS:
        export = report_export_request(
            user=request.user, start=start, end=end, format=export_format  # type: ignore[arg-type]
        )
        audit_record(kind=AuditKind.EXPORT, request=request, obj=export, detail=_period(start, end, export_format))
        return redirect("reports:export-status", pk=export.pk)
    content = render_report(annual_report(start=start, end=end), ExportFormat(export_format))
    audit_record(
        kind=AuditKind.EXPORT, request=request, object_type="reports.annualreport",
        detail=_period(start, end, export_format),
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES[export_format])
    filename = f"annual-report-{start:%Y%m%d}-{end:%Y%m%d}.{export_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _period(start: Any, end: Any, export_format: str) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat(), "format": export_format}


def _visible_export(request: HttpRequest, pk: int) -> ReportExport:
    # Someone else's export is "not found", the same answer as a missing one.
    return get_in_scope_or_404(ReportExport.objects.visible_to(request.user), pk=pk)  # type: ignore[arg-type]


@require_GET
@report_reader_required
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "reports/export_status.html", {"export": _visible_export(request, pk)})


@require_GET
@report_reader_required
def export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment htmx polls; once the export is finished the fragment stops asking."""
    return render(request, "reports/_export_progress.html", {"export": _visible_export(request, pk)})


@require_GET
@report_reader_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = _visible_export(request, pk)
    if export.status != ExportStatus.DONE or not export.file:
        raise Http404("This export has no file yet.")
    audit_record(
        kind=AuditKind.DOWNLOAD, request=request, obj=export, detail=_period(export.start, export.end, export.format)
    )
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=export.download_name,
        content_type=CONTENT_TYPES[export.format],
    )
