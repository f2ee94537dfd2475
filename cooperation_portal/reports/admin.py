from django.contrib import admin

from .models import ReportExport


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    """Exports are written by the task only: the admin shows them for support, read-only."""

    list_display = ["id", "requested_by", "start", "end", "format", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status", "format"]
    readonly_fields = [field.name for field in ReportExport._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
