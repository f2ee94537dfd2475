import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ExportFormat, ExportStatus
from .querysets import ReportExportQuerySet


def export_path(instance: "ReportExport", filename: str) -> str:
    """A generated name outside any public folder: the file is served only through the download view."""
    return f"reports/{uuid.uuid4().hex}.{instance.format}"


class ReportExport(models.Model):
    """One annual report file generated in the background for a large period, kept for download."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))
    format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to=export_path, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ReportExportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="report_export_period_ordered",
                condition=Q(end__gte=F("start")),
                violation_error_message=_("The period ends before it starts."),
            ),
            models.CheckConstraint(
                name="report_export_progress_percent",
                condition=Q(progress__lte=100),
                violation_error_message=_("Progress is a percentage."),
            ),
        ]
        indexes = [models.Index(fields=["requested_by", "created_at"], name="report_export_user_idx")]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d} ({self.format}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def download_name(self) -> str:
        return f"annual-report-{self.start:%Y%m%d}-{self.end:%Y%m%d}.{self.format}"
