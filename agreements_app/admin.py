"""Admin for voluntary agreements and their placements; writes go through agreements_app.services."""

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cooperation_portal.accounts.admin import (
    PortalHistoryAdmin,
    ReadOnlyAdminMixin,
    ServiceWriteAdmin,
    admin_user,
    is_registry,
    service_refusals,
)
from cooperation_portal.partners.choices import PartnerKind
from cooperation_portal.partners.models import Partner

from . import services
from .choices import AgreementStatus
from .models import Placement, VoluntaryAgreement

PLACEMENT_FIELDS = ("reference", "person_label", "requested_on", "decision", "decided_on", "notes")


class PlacementInline(admin.TabularInline):
    """New placements are recorded here; a recorded one is shown as it stands (no service changes it yet)."""

    model = Placement
    extra = 0
    can_delete = False
    fields = PLACEMENT_FIELDS

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VoluntaryAgreement)
class VoluntaryAgreementAdmin(ServiceWriteAdmin):
    """Framework agreements with States; their status on any day follows from the dates entered here."""

    list_display = (
        "partner", "agreement_type", "current_status", "signed_on", "in_force_on", "terminated_on", "is_public",
    )
    list_filter = ("agreement_type", "is_public", "partner__regional_group")
    list_select_related = ("partner",)
    search_fields = ("partner__name", "partner__code", "title")
    autocomplete_fields = ("partner",)
    fieldsets = (
        (None, {"fields": ("partner", "agreement_type", "title", "is_public")}),
        (_("Dates"), {"fields": ("negotiation_started_on", "signed_on", "in_force_on", "terminated_on")}),
        (_("Sources and notes"), {"fields": ("source", "notes")}),
    )
    inlines = (PlacementInline,)

    @admin.display(description=_("status today"))
    def current_status(self, obj: VoluntaryAgreement) -> str:
        return str(AgreementStatus(obj.status).label)

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "partner":
            kwargs["queryset"] = Partner.objects.filter(kind=PartnerKind.STATE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_registry(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_registry(request)

    def create_object(self, request: HttpRequest, form: Any) -> VoluntaryAgreement:
        fields = services.AGREEMENT_FIELDS & set(form.cleaned_data)
        return services.agreement_create(
            actor=admin_user(request), **{name: form.cleaned_data[name] for name in fields}
        )

    def update_object(
        self, request: HttpRequest, obj: VoluntaryAgreement, form: Any, expected_version: int | None
    ) -> VoluntaryAgreement | None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.AGREEMENT_FIELDS}
        if not data:
            return None
        return services.agreement_update(
            agreement=obj, actor=admin_user(request), expected_version=expected_version, data=data
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Recorded placements are read-only in the inline, so only new ones come back from the formset.
        with service_refusals():
            for placement in formset.save(commit=False):
                services.placement_record(
                    actor=admin_user(request),
                    agreement=form.instance,
                    **{name: getattr(placement, name) for name in PLACEMENT_FIELDS},
                )


@admin.register(Placement)
class PlacementAdmin(ReadOnlyAdminMixin, PortalHistoryAdmin):
    """Placements for search and reading; they are recorded in their agreement's page."""

    list_display = ("reference", "agreement", "person_label", "requested_on", "decision", "decided_on")
    list_filter = ("decision", "agreement__agreement_type")
    list_select_related = ("agreement__partner",)
    search_fields = ("reference", "person_label", "agreement__partner__name")
