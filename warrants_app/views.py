"""Browser pages of the register of arrest warrants and of contact reports, mounted at /warrants/ ("warrants").

Reads go through `ArrestWarrant.objects.visible_to(user)`: a warrant under seal is a 404 to anyone without
clearance, exactly like a missing id, and never appears in a list. Every write goes through warrants_app.services.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from agreements_app.forms import style_filter_form
from agreements_app.views import add_service_error, render_form
from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.services import audit_record, audit_sealed_listed, get_in_scope_or_404, object_label
from cooperation_portal.dates import court_today
from cooperation_portal.versioning import StaleVersionError
from requests_app.models import CooperationRequest
from requests_app.views import RoleRequiredMixin

from . import services
from .choices import WarrantStatus
from .filtersets import ArrestWarrantFilterSet
from .forms import STATUS_DATE_FIELDS, ContactReportForm, LinkRequestsForm, WarrantForm, WarrantStatusForm
from .models import ArrestWarrant, ContactReport

READERS = frozenset({Role.REGISTRY, Role.FOCAL_POINT})
WRITERS = frozenset({Role.REGISTRY})
REPORTERS = frozenset({Role.FOCAL_POINT})
PAGE_SIZE = 50


def visible_warrant(user: User, pk: int) -> ArrestWarrant:
    """The warrant if the user may see it; a sealed one without clearance is a 404, like a missing id (audited)."""
    warrant = get_in_scope_or_404(ArrestWarrant.objects.visible_to(user).select_related("situation", "case"), pk=pk)
    return with_labels(warrant)


def with_labels(warrant: ArrestWarrant) -> ArrestWarrant:
    today = court_today()
    warrant.status_label = WarrantStatus(warrant.status_on(today)).label  # type: ignore[attr-defined]
    warrant.sealed_today = warrant.is_sealed_on(today)  # type: ignore[attr-defined]
    return warrant


class WarrantListView(RoleRequiredMixin, View):
    """Registry staff see every warrant their clearance allows; focal points see the public ones."""

    roles = READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        base = (
            ArrestWarrant.objects.visible_to(self.user)
            .select_related("situation", "case")
            .prefetch_related("believed_in")
        )
        filterset = ArrestWarrantFilterSet(request.GET, queryset=base, request=request)
        queryset = filterset.qs if filterset.is_valid() else base.none()
        # One COUNT, one page of rows with situation and case joined, one query for the page's States.
        page = Paginator(queryset.order_by("-issued_on", "person_name", "id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        style_filter_form(filterset.form)
        rows = [with_labels(warrant) for warrant in page]
        sealed = [warrant.pk for warrant in rows if warrant.sealed_today]  # type: ignore[attr-defined]
        audit_sealed_listed(request=request, model=ArrestWarrant, ids=sealed)
        context = {
            "filterset": filterset, "page": page, "rows": rows,
            "may_edit": self.user.role == Role.REGISTRY, "may_report": self.user.role == Role.FOCAL_POINT,
        }
        return render(request, "warrants/list.html", context, status=200 if filterset.is_valid() else 400)


class WarrantDetailView(RoleRequiredMixin, View):
    roles = READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        warrant = visible_warrant(self.user, pk)
        if warrant.sealed_today:  # type: ignore[attr-defined]
            audit_record(kind=AuditKind.SEALED_VIEW, request=request, obj=warrant)
        may_edit = self.user.role == Role.REGISTRY
        # Registry staff see the linked requests, of those only the ones they may see: a request under seal is not
        # even hinted at to anyone else, and to those who see it, its listing here is audited as a list's would be.
        linked_requests = []
        if may_edit:
            linked_requests = list(
                CooperationRequest.objects.visible_to(self.user).filter(warrants=warrant).select_related("partner")
            )
            audit_sealed_listed(
                request=request, model=CooperationRequest, shown_in=f"{object_label(ArrestWarrant)} {warrant.pk}",
                ids=[linked.pk for linked in linked_requests if linked.is_sealed],
            )
        context = {
            "warrant": warrant,
            "believed_in": warrant.believed_in.all(),
            "linked_requests": linked_requests,
            "contact_reports": ContactReport.objects.visible_to(self.user)
            .filter(warrant=warrant)
            .select_related("partner"),
            "may_edit": may_edit,
            "may_report": self.user.role == Role.FOCAL_POINT,
        }
        return render(request, "warrants/detail.html", context)


class WarrantCreateView(RoleRequiredMixin, View):
    roles = WRITERS
    template = "warrants/form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = WarrantForm(user=self.user)
        return render_form(request, self.template, {"form": form, "title": _("New arrest warrant")})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WarrantForm(request.POST, user=self.user)
        context = {"form": form, "title": _("New arrest warrant")}
        if not form.is_valid():
            return render_form(request, self.template, context, status=400)
        try:
            warrant = services.warrant_create(
                actor=self.user, believed_in=form.cleaned_data["believed_in"], **form.particulars()
            )
        except (ValidationError, PermissionDenied, IntegrityError) as error:
            return render_form(request, self.template, context, status=add_service_error(form, error))
        messages.success(request, _("Warrant saved."))
        return HttpResponseRedirect(reverse("warrants:detail", kwargs={"pk": warrant.pk}))


class WarrantEditView(RoleRequiredMixin, View):
    roles = WRITERS
    template = "warrants/form.html"

    def context(self, warrant: ArrestWarrant, form: WarrantForm) -> dict[str, Any]:
        return {"form": form, "warrant": warrant, "title": _("Edit %(warrant)s") % {"warrant": warrant}}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        warrant = visible_warrant(self.user, pk)
        form = WarrantForm(user=self.user, warrant=warrant)
        return render_form(request, self.template, self.context(warrant, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        warrant = visible_warrant(self.user, pk)
        form = WarrantForm(request.POST, user=self.user, warrant=warrant)
        if not form.is_valid():
            return render_form(request, self.template, self.context(warrant, form), status=400)
        try:
            services.warrant_update(
                warrant=warrant, actor=self.user, expected_version=form.cleaned_data["version"],
                data=form.particulars(), believed_in=form.cleaned_data["believed_in"],
            )
        except (StaleVersionError, ValidationError, PermissionDenied, IntegrityError) as error:
            status = add_service_error(form, error)
            return render_form(request, self.template, self.context(warrant, form), status=status)
        messages.success(request, _("Changes saved."))
        return HttpResponseRedirect(reverse("warrants:detail", kwargs={"pk": warrant.pk}))


class WarrantStatusView(RoleRequiredMixin, View):
    """Custody, withdrawal, termination or unsealing, recorded as the date it happened."""

    roles = WRITERS
    template = "warrants/status.html"

    def context(self, warrant: ArrestWarrant, form: WarrantStatusForm) -> dict[str, Any]:
        return {"form": form, "warrant": warrant, "title": _("Record a status change")}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        warrant = visible_warrant(self.user, pk)
        form = WarrantStatusForm(warrant=warrant, initial={"version": warrant.version})
        return render_form(request, self.template, self.context(warrant, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        warrant = visible_warrant(self.user, pk)
        form = WarrantStatusForm(request.POST, warrant=warrant)
        if not form.is_valid():
            return render_form(request, self.template, self.context(warrant, form), status=400)
        field = form.cleaned_data["change"]
        try:
            services.warrant_update(
                warrant=warrant, actor=self.user, expected_version=form.cleaned_data["version"],
                data={field: form.cleaned_data["on"]},
            )
        except (StaleVersionError, ValidationError, PermissionDenied, IntegrityError) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict") and field in error.error_dict:
                error = ValidationError({"on": error.error_dict[field]})
            status = add_service_error(form, error)
            return render_form(request, self.template, self.context(warrant, form), status=status)
        messages.success(request, _("%(change)s on %(date)s recorded.") % {
            "change": STATUS_DATE_FIELDS[field], "date": form.cleaned_data["on"].isoformat()})
        return HttpResponseRedirect(reverse("warrants:detail", kwargs={"pk": warrant.pk}))


class WarrantLinkRequestsView(RoleRequiredMixin, View):
    """The arrest and surrender requests a warrant is linked to, chosen among the requests the user sees."""

    roles = WRITERS
    template = "warrants/link_requests.html"

    def context(self, warrant: ArrestWarrant, form: LinkRequestsForm) -> dict[str, Any]:
        return {"form": form, "warrant": warrant, "title": _("Linked requests")}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        warrant = visible_warrant(self.user, pk)
        references = CooperationRequest.objects.visible_to(self.user).filter(warrants=warrant).order_by(
            "reference").values_list("reference", flat=True)
        form = LinkRequestsForm(initial={"references": "\n".join(references)})
        return render_form(request, self.template, self.context(warrant, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        warrant = visible_warrant(self.user, pk)
        form = LinkRequestsForm(request.POST)
        if not form.is_valid():
            return render_form(request, self.template, self.context(warrant, form), status=400)
        references = form.cleaned_data["references"]
        found = list(CooperationRequest.objects.visible_to(self.user).filter(reference__in=references))
        missing = sorted(set(references) - {coop_request.reference for coop_request in found})
        if missing:
            form.add_error("references", _("No such request: %(references)s.") % {"references": ", ".join(missing)})
            return render_form(request, self.template, self.context(warrant, form), status=400)
        try:
            services.warrant_link_requests(warrant=warrant, actor=self.user, requests=found)
        except (ValidationError, PermissionDenied) as error:
            status = add_service_error(form, error)
            return render_form(request, self.template, self.context(warrant, form), status=status)
        messages.success(request, _("Linked requests saved."))
        return HttpResponseRedirect(reverse("warrants:detail", kwargs={"pk": warrant.pk}))


class ContactReportCreateView(RoleRequiredMixin, View):
    """A focal point reports a contact with a person subject to a public warrant (ICC-ASP/16/Res.2 para 5)."""

    roles = REPORTERS
    template = "warrants/contact_report.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {}
        warrant_id = request.GET.get("warrant", "")
        if warrant_id.isdigit() and ArrestWarrant.objects.visible_to(self.user).filter(pk=int(warrant_id)).exists():
            initial["warrant"] = int(warrant_id)
        form = ContactReportForm(user=self.user, initial=initial)
        return render_form(request, self.template, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ContactReportForm(request.POST, user=self.user)
        if not form.is_valid():
            return render_form(request, self.template, {"form": form}, status=400)
        try:
            report = services.contact_report_create(actor=self.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            return render_form(request, self.template, {"form": form}, status=add_service_error(form, error))
        messages.success(request, _("Your contact report was sent to the Registry."))
        return HttpResponseRedirect(reverse("warrants:detail", kwargs={"pk": report.warrant_id}))
