from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cooperation_portal.accounts.admin import PortalHistoryAdmin

from .models import Partner


@admin.register(Partner)
class PartnerAdmin(PortalHistoryAdmin):
    """States and organizations; treaty status is edited as dates, so "State Party on D" stays computable."""

    list_display = (
        "code", "name", "kind", "regional_group", "ratification_date", "entry_into_force_date",
        "withdrawal_effective_date", "apic_date",
    )
    list_filter = ("kind", "regional_group", "channel")
    search_fields = ("code", "name", "name_fr")
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("kind", "code", "name", "name_fr", "regional_group")}),
        (
            _("Rome Statute"),
            {
                "fields": (
                    "signature_date", "ratification_date", "entry_into_force_date",
                    "withdrawal_notified_date", "withdrawal_effective_date",
                ),
            },
        ),
        (_("Privileges and immunities, implementation"), {"fields": ("apic_date", "implementing_legislation_date")}),
        (_("Requests (art. 87(1)-(2))"), {"fields": ("channel", "request_language")}),
        (_("Sources"), {"fields": ("source",)}),
    )
