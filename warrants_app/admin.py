"""Admin for warrants and contact reports. Both are read through `visible_to`: sealed ones need clearance."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ManyToManyField, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cooperation_portal.accounts.admin import (
    PortalHistoryAdmin,
    ReadOnlyAdminMixin,
    ServiceAdminForm,
    ServiceWriteAdmin,
    admin_user,
    is_registry,
)
from requests_app.models import CooperationRequest

from . import services
from .choices import WarrantStatus
from .models import ArrestWarrant, ContactReport

# What warrant_create takes; the dates of a later status change are then recorded by warrant_update.
CREATE_FIELDS = ("person_name", "situation", "case", "chamber", "issued_on", "charges", "under_seal")


class ArrestWarrantAdminForm(ServiceAdminForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("linked_requests")
        if isinstance(field, forms.ModelMultipleChoiceField) and field.queryset is not None and self.instance.pk:
            # The field's queryset is the requests this user may see (set by the admin); links to others are
            # neither shown nor, on save, dropped (see ArrestWarrantAdmin.save_related).
            self.initial["linked_requests"] = list(
                field.queryset.filter(warrants=self.instance).values_list("pk", flat=True)
            )


@admin.register(ArrestWarrant)
class ArrestWarrantAdmin(ServiceWriteAdmin):
    form = ArrestWarrantAdminForm
    list_display = ("person_name", "situation", "case", "issued_on", "current_status", "sealed_today")
    list_filter = ("under_seal", "situation")
    list_select_related = ("situation", "case")
    search_fields = ("person_name", "case__number", "situation__code")
    autocomplete_fields = ("situation", "case")
    filter_horizontal = ("believed_in",)
    raw_id_fields = ("linked_requests",)
    fieldsets = (
        (None, {"fields": ("person_name", "situation", "case", "chamber", "issued_on", "charges")}),
        (_("Seal"), {"fields": ("under_seal", "unsealed_on")}),
        (_("Execution"), {"fields": ("custody_on", "withdrawn_on", "terminated_on")}),
        (_("Links"), {"fields": ("linked_requests", "believed_in")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArrestWarrant]:
        queryset = ArrestWarrant.objects.visible_to(admin_user(request))
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    @admin.display(description=_("status today"))
    def current_status(self, obj: ArrestWarrant) -> str:
        return str(WarrantStatus(obj.status).label)

    @admin.display(boolean=True, description=_("sealed today"))
    def sealed_today(self, obj: ArrestWarrant) -> bool:
        return obj.is_sealed_on()

    def is_sealed(self, obj: ArrestWarrant) -> bool:
        return obj.is_sealed_on()

    def formfield_for_manytomany(self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "linked_requests":
            kwargs["queryset"] = CooperationRequest.objects.visible_to(admin_user(request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_registry(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and is_registry(request)

    def create_object(self, request: HttpRequest, form: Any) -> ArrestWarrant:
        cleaned = form.cleaned_data
        warrant = services.warrant_create(
            actor=admin_user(request), believed_in=cleaned.get("believed_in", ()),
            **{name: cleaned[name] for name in CREATE_FIELDS},
        )
        later = {
            name: cleaned[name]
            for name in services.WARRANT_FIELDS - set(CREATE_FIELDS)
            if cleaned.get(name) is not None
        }
        if later:
            warrant = services.warrant_update(
                warrant=warrant, actor=admin_user(request), expected_version=warrant.version, data=later
            )
        return warrant

    def update_object(
        self, request: HttpRequest, obj: ArrestWarrant, form: Any, expected_version: int | None
    ) -> ArrestWarrant | None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.WARRANT_FIELDS}
        believed_in = form.cleaned_data["believed_in"] if "believed_in" in form.changed_data else None
        if not data and believed_in is None:
            return None
        return services.warrant_update(
            warrant=obj, actor=admin_user(request), expected_version=expected_version, data=data,
            believed_in=believed_in,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # believed_in was saved by the service; the links to requests have no service yet and are set here.
        # form.save_m2m() is not called: it would write both fields directly.
        if change and "linked_requests" not in form.changed_data:
            return
        warrant = form.instance
        visible = CooperationRequest.objects.visible_to(admin_user(request))
        hidden = list(warrant.linked_requests.exclude(pk__in=visible.values("pk")).values_list("pk", flat=True))
        warrant.linked_requests.set([*form.cleaned_data.get("linked_requests", []), *hidden])


@admin.register(ContactReport)
class ContactReportAdmin(ReadOnlyAdminMixin, PortalHistoryAdmin):
    """Registry staff read the contact reports that focal points file (contact_report_create); none is edited here."""

    list_display = ("contact_on", "warrant", "partner", "place", "reported_by")
    list_filter = ("partner",)
    list_select_related = ("warrant", "partner", "reported_by")
    search_fields = ("warrant__person_name", "partner__name", "place")
    fields = ("warrant", "partner", "contact_on", "place", "description", "reported_by", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContactReport]:
        queryset = ContactReport.objects.visible_to(admin_user(request))
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset
