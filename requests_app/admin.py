"""Admin for cooperation requests. Reads go through `visible_to`; every write goes through requests_app.services."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cooperation_portal.accounts.admin import (
    ReadOnlyAdminMixin,
    ServiceAdminForm,
    ServiceWriteAdmin,
    admin_user,
    is_registry,
)

from . import services
from .choices import Status
from .models import Attachment, ClockPause, CooperationRequest, EscalationStep, RequestEvent

# The particulars request_create takes; everything else (status, dates, version) follows from transitions.
CREATE_FIELDS = (
    "organ", "request_type", "partner", "situation", "case", "subject", "description", "confidentiality", "urgent",
)
LIFECYCLE_FIELDS: tuple[str, ...] = (
    "status", "transmitted_on", "due_on", "acknowledged_on", "outcome_on", "closed_on", "clock_paused_since",
    "provisional_arrest_on", "escalation_level", "escalation_changed_on", "version",
)
RECORD_FIELDS: tuple[str, ...] = (
    "created_by", "created_at", "updated_at", "deleted_at", "deleted_by", "deletion_reason",
)


class CooperationRequestAdminForm(ServiceAdminForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "reference" in self.fields:
            self.fields["reference"].required = False
            self.fields["reference"].help_text = _("Leave empty to number the request automatically.")


class _RequestRecordInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A part of the request's record: shown to whoever may see the request, written only by services."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("requests_app.view_cooperationrequest") or request.user.has_perm(
            "requests_app.change_cooperationrequest"
        )


class RequestEventInline(_RequestRecordInline):
    model = RequestEvent
    fields = ("occurred_at", "kind", "from_status", "to_status", "actor", "note")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RequestEvent]:
        return super().get_queryset(request).select_related("actor")


class ClockPauseInline(_RequestRecordInline):
    model = ClockPause
    fields = ("reason", "ground", "started_on", "ended_on")


class EscalationStepInline(_RequestRecordInline):
    model = EscalationStep
    fields = ("reached_on", "from_level", "level", "cycle", "due_on")


class AttachmentInline(_RequestRecordInline):
    model = Attachment
    # No link to the file itself: uploads are served only through a view that checks access.
    fields = (
        "original_name", "content_type", "size", "sha256", "event", "uploaded_by", "uploaded_at", "deleted_at",
        "deleted_by", "deletion_reason",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attachment]:
        return super().get_queryset(request).select_related("event", "uploaded_by", "deleted_by")


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("No")), ("yes", _("Yes"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(CooperationRequest)
class CooperationRequestAdmin(ServiceWriteAdmin):
    """Registry staff log and edit requests here; status and dates move only through the transition actions."""

    form = CooperationRequestAdminForm
    list_display = ("reference", "partner", "request_type", "status", "due_on", "confidentiality", "is_deleted")
    list_filter = (DeletedFilter, "status", "organ", "request_type", "confidentiality", "partner__regional_group")
    list_select_related = ("partner",)
    search_fields = ("reference", "subject")
    # One COUNT per page, not two: the unfiltered total is not worth a second scan of a large table.
    show_full_result_count = False
    autocomplete_fields = ("partner", "situation", "case")
    inlines = (RequestEventInline, ClockPauseInline, EscalationStepInline, AttachmentInline)
    actions = ("transmit_selected", "withdraw_selected", "close_selected", "restore_selected")
    add_fieldsets = (
        (None, {"fields": ("reference", "organ", "request_type", "partner", "subject", "description")}),
        (_("Situation and case"), {"fields": ("situation", "case")}),
        (_("Handling"), {"fields": ("confidentiality", "urgent")}),
    )
    fieldsets = (
        *add_fieldsets,
        (
            _("Lifecycle"),
            {
                "fields": LIFECYCLE_FIELDS,
                "description": _("Changed only by the actions Transmit, Withdraw and Close, and by services."),
            },
        ),
        (_("Record"), {"fields": RECORD_FIELDS, "classes": ("collapse",)}),
    )

    def is_sealed(self, obj: CooperationRequest) -> bool:
        return obj.is_sealed

    def get_queryset(self, request: HttpRequest) -> QuerySet[CooperationRequest]:
        # Soft-deleted requests stay here, marked and filterable, for registry staff to find and restore.
        queryset = CooperationRequest.objects.visible_to(admin_user(request), include_deleted=True)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_fieldsets(self, request: HttpRequest, obj: CooperationRequest | None = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: CooperationRequest | None = None) -> tuple[str, ...]:
        readonly = LIFECYCLE_FIELDS + RECORD_FIELDS
        if obj is None:
            return readonly
        readonly += ("reference",)
        if obj.status != Status.DRAFT:
            readonly += tuple(sorted(services.EDITABLE_FIELDS - services.EDITABLE_AFTER_TRANSMISSION))
        return readonly

    def get_inlines(self, request: HttpRequest, obj: CooperationRequest | None) -> Any:
        return self.inlines if obj is not None else ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and is_registry(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.deleted_at is not None:
            return False  # read-only until restored
        return super().has_change_permission(request, obj) and is_registry(request)

    @admin.display(boolean=True, description=_("deleted"), ordering="deleted_at")
    def is_deleted(self, obj: CooperationRequest) -> bool:
        return obj.deleted_at is not None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A request's history is kept: it is withdrawn or closed, never deleted.
        return False

    def create_object(self, request: HttpRequest, form: Any) -> CooperationRequest:
        return services.request_create(
            actor=admin_user(request),
            reference=form.cleaned_data.get("reference") or None,
            **{name: form.cleaned_data[name] for name in CREATE_FIELDS},
        )

    def update_object(
        self, request: HttpRequest, obj: CooperationRequest, form: Any, expected_version: int | None
    ) -> CooperationRequest | None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS}
        if not data:
            return None
        assert expected_version is not None  # a required field of the change form
        return services.request_update(
            coop_request=obj, actor=admin_user(request), expected_version=expected_version, data=data
        )

    def _each(
        self, request: HttpRequest, queryset: QuerySet[CooperationRequest], call: Callable[[CooperationRequest], Any]
    ) -> list[str]:
        """Call a service on each request; report each refusal, and return the references it was done for."""
        done: list[str] = []
        for coop_request in queryset.order_by("reference"):
            try:
                call(coop_request)
            except (ValidationError, PermissionDenied) as exc:
                # The service's own transaction rolled back: nothing was written for this request.
                reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{coop_request.reference}: {reason}", messages.ERROR)
            else:
                done.append(coop_request.reference)
        return done

    def _transition_selected(
        self, request: HttpRequest, queryset: QuerySet[CooperationRequest], to_status: str
    ) -> None:
        done = self._each(
            request,
            queryset,
            lambda c: services.request_transition(coop_request=c, actor=admin_user(request), to_status=to_status),
        )
        if done:
            message = ngettext(
                "%(count)d request is now %(status)s: %(references)s.",
                "%(count)d requests are now %(status)s: %(references)s.",
                len(done),
            ) % {"count": len(done), "status": Status(to_status).label, "references": ", ".join(done)}
            self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Transmit the selected requests"), permissions=["change"])
    def transmit_selected(self, request: HttpRequest, queryset: QuerySet[CooperationRequest]) -> None:
        self._transition_selected(request, queryset, Status.TRANSMITTED)

    @admin.action(description=_("Withdraw the selected requests"), permissions=["change"])
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet[CooperationRequest]) -> None:
        self._transition_selected(request, queryset, Status.WITHDRAWN)

    @admin.action(description=_("Restore the selected deleted requests"), permissions=["change"])
    def restore_selected(self, request: HttpRequest, queryset: QuerySet[CooperationRequest]) -> None:
        restored = self._each(
            request,
            queryset.filter(deleted_at__isnull=False),
            lambda c: services.request_restore(coop_request=c, actor=admin_user(request)),
        )
        if restored:
            self.message_user(
                request, _("Restored: %(references)s.") % {"references": ", ".join(restored)}, messages.SUCCESS
            )

    @admin.action(description=_("Close the selected requests"), permissions=["change"])
    def close_selected(self, request: HttpRequest, queryset: QuerySet[CooperationRequest]) -> None:
        self._transition_selected(request, queryset, Status.CLOSED)
