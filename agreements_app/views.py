"""Browser pages of the register of voluntary agreements, mounted at /agreements/ ("agreements" namespace).

Reads go through `VoluntaryAgreement.objects.visible_to(user)`, so an agreement out of the user's scope is a
404 exactly like a missing one; every write goes through agreements_app.services.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.audit.services import get_in_scope_or_404
from cooperation_portal.versioning import StaleVersionError
from requests_app.forms import PortalFormMixin
from requests_app.views import RoleRequiredMixin

from . import services
from .choices import AgreementStatus
from .filtersets import VoluntaryAgreementFilterSet
from .forms import STATUS_DATE_FIELDS, AgreementForm, AgreementStatusForm, PlacementForm, style_filter_form
from .models import VoluntaryAgreement

READERS = frozenset({Role.REGISTRY, Role.FOCAL_POINT})
WRITERS = frozenset({Role.REGISTRY})
PAGE_SIZE = 50


def visible_agreement(user: User, pk: int) -> VoluntaryAgreement:
    return get_in_scope_or_404(VoluntaryAgreement.objects.visible_to(user).select_related("partner"), pk=pk)


def with_status_label(agreement: VoluntaryAgreement) -> VoluntaryAgreement:
    """The status today, computed from the dates, as a label for the page."""
    agreement.status_label = AgreementStatus(agreement.status).label  # type: ignore[attr-defined]
    return agreement


def render_form(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    form = context.get("form")
    if isinstance(form, PortalFormMixin):
        # Again after validation, so that fields with errors are marked invalid.
        form.style()
    return render(request, template, context, status=status)


def add_service_error(form: Form, error: Exception) -> int:
    """Put a refusal from a service on the form; return the HTTP status that goes with it."""
    if isinstance(error, StaleVersionError):
        form.add_error(None, str(error))
        return 409
    if isinstance(error, ValidationError):
        if isinstance(form, PortalFormMixin):
            form.add_domain_error(error)
        else:
            form.add_error(None, error)
        return 400
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or _("You may not make this change."))
        return 403
    form.add_error(None, _("Someone saved a conflicting change at the same moment; save again."))
    return 409


class AgreementListView(RoleRequiredMixin, View):
    """Registry staff see the whole register; a focal point sees their own State's agreements only."""

    roles = READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        base = VoluntaryAgreement.objects.visible_to(self.user).select_related("partner")
        filterset = VoluntaryAgreementFilterSet(request.GET, queryset=base, request=request)
        queryset = filterset.qs if filterset.is_valid() else base.none()
        # One COUNT and one page of rows with their State joined in, whatever the page size.
        page = Paginator(queryset.order_by("partner__name", "agreement_type", "id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        style_filter_form(filterset.form)
        rows = [with_status_label(agreement) for agreement in page]
        context = {"filterset": filterset, "page": page, "rows": rows, "may_edit": self.user.role == Role.REGISTRY}
        return render(request, "agreements/list.html", context, status=200 if filterset.is_valid() else 400)


class AgreementDetailView(RoleRequiredMixin, View):
    roles = READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = visible_agreement(self.user, pk)
        context = {
            "agreement": with_status_label(agreement),
            "placements": agreement.placements.all(),
            "may_edit": self.user.role == Role.REGISTRY,
        }
        return render(request, "agreements/detail.html", context)


class AgreementCreateView(RoleRequiredMixin, View):
    roles = WRITERS
    template = "agreements/form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render_form(request, self.template, {"form": AgreementForm(), "title": _("New voluntary agreement")})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AgreementForm(request.POST)
        context = {"form": form, "title": _("New voluntary agreement")}
        if not form.is_valid():
            return render_form(request, self.template, context, status=400)
        try:
            agreement = services.agreement_create(actor=self.user, **form.service_data())
        except (ValidationError, PermissionDenied, IntegrityError) as error:
            return render_form(request, self.template, context, status=add_service_error(form, error))
        messages.success(request, _("Agreement saved."))
        return HttpResponseRedirect(reverse("agreements:detail", kwargs={"pk": agreement.pk}))


class AgreementEditView(RoleRequiredMixin, View):
    roles = WRITERS
    template = "agreements/form.html"

    def context(self, agreement: VoluntaryAgreement, form: AgreementForm) -> dict[str, Any]:
        return {"form": form, "agreement": agreement, "title": _("Edit %(agreement)s") % {"agreement": agreement}}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = visible_agreement(self.user, pk)
        return render_form(request, self.template, self.context(agreement, AgreementForm(agreement=agreement)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = visible_agreement(self.user, pk)
        form = AgreementForm(request.POST, agreement=agreement)
        if not form.is_valid():
            return render_form(request, self.template, self.context(agreement, form), status=400)
        try:
            services.agreement_update(
                agreement=agreement, actor=self.user, expected_version=form.cleaned_data["version"],
                data=form.service_data(),
            )
        except (StaleVersionError, ValidationError, PermissionDenied, IntegrityError) as error:
            status = add_service_error(form, error)
            return render_form(request, self.template, self.context(agreement, form), status=status)
        messages.success(request, _("Changes saved."))
        return HttpResponseRedirect(reverse("agreements:detail", kwargs={"pk": agreement.pk}))


class AgreementStatusView(RoleRequiredMixin, View):
    """A status change is the date it happened; the status itself is computed from the dates."""

    roles = WRITERS
    template = "agreements/status.html"

    def context(self, agreement: VoluntaryAgreement, form: AgreementStatusForm) -> dict[str, Any]:
        return {"form": form, "agreement": with_status_label(agreement), "title": _("Record a status change")}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = visible_agreement(self.user, pk)
        form = AgreementStatusForm(initial={"version": agreement.version})
        return render_form(request, self.template, self.context(agreement, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = visible_agreement(self.user, pk)
        form = AgreementStatusForm(request.POST)
        if not form.is_valid():
            return render_form(request, self.template, self.context(agreement, form), status=400)
        field = form.cleaned_data["change"]
        try:
            services.agreement_update(
                agreement=agreement, actor=self.user, expected_version=form.cleaned_data["version"],
                data={field: form.cleaned_data["on"]},
            )
        except (StaleVersionError, ValidationError, PermissionDenied, IntegrityError) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict") and field in error.error_dict:
                # The service names the date field; on this form the date is "on".
                error = ValidationError({"on": error.error_dict[field]})
            status = add_service_error(form, error)
            return render_form(request, self.template, self.context(agreement, form), status=status)
        messages.success(request, _("%(change)s on %(date)s recorded.") % {
            "change": STATUS_DATE_FIELDS[field], "date": form.cleaned_data["on"].isoformat()})
        return HttpResponseRedirect(reverse("agreements:detail", kwargs={"pk": agreement.pk}))


class PlacementCreateView(RoleRequiredMixin, View):
    """One case under the agreement, which the State may accept or refuse."""

    roles = WRITERS
    template = "agreements/form.html"

    def context(self, agreement: VoluntaryAgreement, form: PlacementForm) -> dict[str, Any]:
        return {"form": form, "agreement": agreement,
                "title": _("Record a placement under %(agreement)s") % {"agreement": agreement}}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = visible_agreement(self.user, pk)
        return render_form(request, self.template, self.context(agreement, PlacementForm()))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        agreement = visible_agreement(self.user, pk)
        form = PlacementForm(request.POST)
        if not form.is_valid():
            return render_form(request, self.template, self.context(agreement, form), status=400)
        try:
            services.placement_record(actor=self.user, agreement=agreement, **form.cleaned_data)
        except (ValidationError, PermissionDenied, IntegrityError) as error:
            status = add_service_error(form, error)
            return render_form(request, self.template, self.context(agreement, form), status=status)
        messages.success(request, _("Placement recorded."))
        return HttpResponseRedirect(reverse("agreements:detail", kwargs={"pk": agreement.pk}))
