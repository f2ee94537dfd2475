"""Admin for users and roles, and the history-aware base every portal ModelAdmin derives from."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.services import audit_record, audit_sealed_listed
from cooperation_portal.versioning import StaleVersionError

from .choices import Role
from .models import User

SEALED_CLEARANCE_CODENAME = "sealed_clearance"


class PortalHistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin that shows history only for objects the user may see, and never replays it; and records
    in the audit trail each object under seal that its pages show, as the portal's own pages do.

    simple_history falls back to the newest historical row when an object is outside `get_queryset`, which
    would show a sealed warrant's history to a user without clearance, and its "revert" form saves the old row
    directly (even for a view-only user), bypassing services and version checks. Both are closed here.
    """

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def is_sealed(self, obj: Any) -> bool:
        """Whether `obj` is under seal today; models that have a seal say so in their admin."""
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")  # none on a redirect
        if changelist is not None:
            sealed = [obj.pk for obj in changelist.result_list if self.is_sealed(obj)]
            audit_sealed_listed(request=request, model=self.model, ids=sealed, shown_in="admin list")
        return response

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """Every showing of an object's page (the form, again after a refused change) passes here."""
        obj = context.get("original")
        if obj is not None and self.is_sealed(obj):
            audit_record(kind=AuditKind.SEALED_VIEW, request=request, obj=obj, detail={"shown_in": "admin"})
        return super().render_change_form(request, context, *args, **kwargs)

    def _history_shown(self, request: HttpRequest, object_id: str) -> bool:
        """Whether the object's history may be shown (it is in the user's scope); if it is under seal, the showing is
        recorded."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return False
        if self.is_sealed(obj):
            audit_record(kind=AuditKind.SEALED_VIEW, request=request, obj=obj, detail={"shown_in": "admin history"})
        return True

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        if not self._history_shown(request, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        if not self._history_shown(request, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


def admin_user(request: HttpRequest) -> User:
    """The portal user behind an admin request; AdminSite only lets active staff in, so never anonymous."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def is_registry(request: HttpRequest) -> bool:
    return isinstance(request.user, User) and request.user.role == Role.REGISTRY


class RefusedByService(Exception):
    """A service refused the admin's save; carries the refusal back to `changeform_view` to show on the form."""

    def __init__(self, error: ValidationError) -> None:
        self.error = error
        super().__init__(str(error))


@contextmanager
def service_refusals() -> Iterator[None]:
    """Turn a service's refusal (stale version, invalid data, role) into RefusedByService."""
    try:
        yield
    except StaleVersionError as exc:
        raise RefusedByService(ValidationError(str(exc), code="stale_version")) from exc
    except PermissionDenied as exc:
        raise RefusedByService(ValidationError(str(exc) or _("You may not make this change."))) from exc
    except ValidationError as exc:
        raise RefusedByService(exc) from exc


class ServiceAdminForm(forms.ModelForm):
    """Admin form of a model written by services: carries the version the editor loaded, shows services' refusals."""

    # Sent back on save: the service refuses it if someone else saved the object meanwhile.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    service_refusal: ValidationError | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "expected_version" in self.fields and self.instance.pk:
            self.fields["expected_version"].required = True
            self.fields["expected_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        if self.service_refusal is not None:
            self._add_refusal(self.service_refusal)
        return cleaned_data

    def _add_refusal(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, field_errors in error.error_dict.items():
            if field in self.fields:
                self.add_error(field, field_errors)
                continue
            label = self._label(field)
            for message in ValidationError(field_errors).messages:
                self.add_error(None, f"{label}: {message}" if label else message)

    def _label(self, field: str) -> str:
        if field == NON_FIELD_ERRORS:
            return ""
        try:
            return str(self._meta.model._meta.get_field(field).verbose_name).capitalize()
        except FieldDoesNotExist:
            return field


class ServiceWriteAdmin(PortalHistoryAdmin):
    """Base admin for models that only services write: subclasses implement `create_object` and `update_object`.

    A refusal from a service (stale version, invalid data, a role that may not act) is shown on the form. The admin
    saves inside `changeform_view`'s transaction; on a refusal that attempt is rolled back whole, and the same
    submission is rendered again with the refusal as a form error, instead of a server error.
    """

    form = ServiceAdminForm
    versioned = True

    def create_object(self, request: HttpRequest, form: Any) -> Model:
        raise NotImplementedError

    def update_object(self, request: HttpRequest, obj: Any, form: Any, expected_version: int | None) -> Model | None:
        """Save the changes of `form` through a service; None when nothing was changed."""
        raise NotImplementedError

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and self.versioned and not any("expected_version" in o["fields"] for _, o in fieldsets):
            name, options = fieldsets[0]
            fieldsets[0] = (name, {**options, "fields": (*options["fields"], "expected_version")})
        return fieldsets

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class
        return type(form_class.__name__, (form_class,), {"service_refusal": refusal})

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RefusedByService as refused:
            request._service_refusal = refused.error  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with service_refusals():
            if change:
                expected = form.cleaned_data.get("expected_version") if self.versioned else None
                saved = self.update_object(request, obj, form, expected)
            else:
                saved = self.create_object(request, form)
        if saved is None:
            return
        # The admin logs and redirects with `obj`: give it the saved row's state.
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False


class ReadOnlyAdminMixin:
    """For models written only by services that the admin does not call: shown, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(PortalHistoryAdmin, DjangoUserAdmin):
    """Users with their role and, for a focal point, the one partner they answer for.

    Sealed clearance is the permission "May see sealed material", granted in the permissions below (directly or
    through a group); it counts only for registry staff.
    """

    role_fieldset: tuple[Any, dict[str, Any]] = (
        _("Role"),
        {
            "fields": ("role", "partner"),
            "description": _("A focal point answers for exactly one partner; every other role for none."),
        },
    )
    fieldsets = (  # type: ignore[assignment]
        (None, {"fields": ("username", "password")}),
        role_fieldset,
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Permissions"),
            {"fields": ("sealed_clearance", "is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        role_fieldset,
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
    )
    readonly_fields = ("sealed_clearance",)
    list_display = ("username", "email", "role", "partner", "sealed_clearance", "is_staff", "is_active")
    list_filter = ("role", "is_staff", "is_active", "is_superuser", "groups")
    list_select_related = ("partner",)
    search_fields = ("username", "first_name", "last_name", "email", "partner__code", "partner__name")
    autocomplete_fields = ("partner",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # One query for the clearance column instead of one has_perm() per row.
        through_user = User.user_permissions.through.objects.filter(
            user_id=OuterRef("pk"),
            permission__codename=SEALED_CLEARANCE_CODENAME,
            permission__content_type__app_label="accounts",
        )
        through_group = User.groups.through.objects.filter(
            user_id=OuterRef("pk"),
            group__permissions__codename=SEALED_CLEARANCE_CODENAME,
            group__permissions__content_type__app_label="accounts",
        )
        return (
            super()
            .get_queryset(request)
            .annotate(_direct_clearance=Exists(through_user), _group_clearance=Exists(through_group))
        )

    @admin.display(boolean=True, description=_("sealed clearance"))
    def sealed_clearance(self, obj: User) -> bool:
        if not hasattr(obj, "_direct_clearance"):
            return obj.has_sealed_clearance
        granted = obj.is_superuser or obj._direct_clearance or obj._group_clearance  # type: ignore[attr-defined]
        return bool(obj.is_active and obj.role == Role.REGISTRY and granted)
