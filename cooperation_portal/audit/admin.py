"""The audit trail in the admin: read by administrators, never added, changed or deleted by anyone."""

import datetime
import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cooperation_portal.accounts.choices import Role

from .models import AuditEvent


def is_administrator(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", None) == Role.ADMINISTRATOR))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("when_utc", "kind", "username", "ip_address", "method", "path", "object_type", "object_id")
    list_filter = ("kind", ("occurred_at", admin.DateFieldListFilter))
    search_fields = ("username", "ip_address")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-id")
    show_full_result_count = False
    fields = (
        "when_utc", "kind", "user", "username", "ip_address", "method", "path", "object_type", "object_id",
        "detail_json",
    )
    readonly_fields = fields
    actions = None

    @admin.display(description=_("when (UTC)"), ordering="occurred_at")
    def when_utc(self, obj: AuditEvent) -> str:
        return f"{obj.occurred_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M:%S} UTC"

    @admin.display(description=_("detail"))
    def detail_json(self, obj: AuditEvent) -> str:
        return json.dumps(obj.detail, sort_keys=True, ensure_ascii=False)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
