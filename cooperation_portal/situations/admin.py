from django.contrib import admin

from cooperation_portal.accounts.admin import PortalHistoryAdmin

from .models import Case, Situation


@admin.register(Situation)
class SituationAdmin(PortalHistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    ordering = ("code",)


@admin.register(Case)
class CaseAdmin(PortalHistoryAdmin):
    list_display = ("number", "name", "situation")
    list_filter = ("situation",)
    list_select_related = ("situation",)
    search_fields = ("number", "name", "situation__code")
    autocomplete_fields = ("situation",)
    ordering = ("number",)
