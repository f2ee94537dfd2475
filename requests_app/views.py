"""Browser views of cooperation requests: reads through `visible_to`, every write through a service.

The order of checks is the same on every page: signed in (else the login page), a role that may use the page
(else 403, whatever the id), the request fetched through the user's scope (else 404, the same answer as a
missing id), then the service decides whether the change is allowed now.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.services import audit_record, audit_sealed_listed, get_in_scope_or_404
from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification
from cooperation_portal.notifications.services import notification_mark_read

from . import exports, services
from .choices import (
    CLOCK_RUNNING_STATUSES,
    FINAL_STATUSES,
    OUTCOME_STATUSES,
    TRANSITION_ROLES,
    TRANSITIONS,
    RequestType,
    Status,
)
from .filtersets import CooperationRequestFilterSet
from .forms import (
    BatchRequestForm,
    DeletionForm,
    MessageForm,
    OutcomeForm,
    PauseForm,
    PortalFormMixin,
    ProvisionalArrestCorrectionForm,
    ProvisionalArrestForm,
    RequestForm,
    TransitionForm,
    TransmitForm,
)
from .models import Attachment, CooperationRequest, RequestEvent
from .querysets import overdue_q

REGISTRY_ONLY = frozenset({Role.REGISTRY})
REGISTRY_AND_FOCAL_POINTS = frozenset({Role.REGISTRY, Role.FOCAL_POINT})
ANY_ROLE = frozenset(Role)
# Who may pause and resume the clock: the services (request_pause_clock, request_resume_clock) decide; these
# only choose which buttons to show.
PAUSE_ROLES = REGISTRY_AND_FOCAL_POINTS
RESUME_ROLES = REGISTRY_ONLY

# Who may soft-delete requests and documents: services.request_soft_delete and attachment_soft_delete decide.
DELETE_ROLES = REGISTRY_ONLY

PAGE_SIZES = (25, 50, 100)
# Sort keys offered in the list's column headers, and the fields they sort by.
SORTS: dict[str, tuple[str, Promise]] = {
    "reference": ("reference", gettext_lazy("Reference")),
    "partner": ("partner__name", gettext_lazy("Partner")),
    "type": ("request_type", gettext_lazy("Type")),
    "subject": ("subject", gettext_lazy("Subject")),
    "status": ("status", gettext_lazy("Status")),
    "transmitted": ("transmitted_on", gettext_lazy("Transmitted")),
    "due": ("due_on", gettext_lazy("Due")),
}
DEFAULT_ORDERING = ("-transmitted_on", "-id")


class RoleRequiredMixin(LoginRequiredMixin):
    """Signed in, active, and one of `roles`; otherwise the login page (anonymous) or 403."""

    roles: frozenset[str] = REGISTRY_AND_FOCAL_POINTS
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return self.handle_no_permission()
        if not user.is_active or getattr(user, "role", None) not in self.roles:
            raise PermissionDenied(_("Your role may not use this page."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]


def visible_requests(user: User) -> QuerySet[CooperationRequest]:
    return CooperationRequest.objects.visible_to(user).with_related()


def get_visible_request(user: User, pk: int) -> CooperationRequest:
    """The request if the user may see it; a hidden one is a 404, exactly like a missing one (and is audited)."""
    return get_in_scope_or_404(visible_requests(user), pk=pk)


# --- Which actions a user may take on a request, computed once from the transition table ---


@dataclass(frozen=True)
class Action:
    name: str  # the URL name in the "requests" namespace
    label: str
    style: str = "btn-outline-primary"


def _action_labels(user: User) -> dict[str, str]:
    focal_point = user.role == Role.FOCAL_POINT
    return {
        "edit": _("Edit"),
        "transmit": _("Transmit"),
        "acknowledge": _("Acknowledge receipt"),
        "start_execution": _("Start execution"),
        "outcome": _("Report the outcome"),
        "pause": _("Ask for consultations or postponement") if focal_point else _("Pause the deadline clock"),
        "resume": _("Resume the deadline clock"),
        "provisional_arrest": _("Record the provisional arrest"),
        "correct_provisional_arrest": _("Correct the arrest date"),
        "message": _("Reply with documents") if focal_point else _("Record a message or documents"),
        "close": _("Close"),
        "withdraw": _("Withdraw"),
    }


def allowed_actions(user: User, coop_request: CooperationRequest) -> list[Action]:
    """The actions offered to `user` on `coop_request`, from TRANSITIONS and TRANSITION_ROLES.

    The services check the same rules again on every change; this only decides what to offer.
    """
    role = getattr(user, "role", None)
    if not user.is_active or role not in REGISTRY_AND_FOCAL_POINTS:
        return []
    if role == Role.FOCAL_POINT and user.partner_id != coop_request.partner_id:
        return []
    status = coop_request.status
    reachable = TRANSITIONS.get(status, frozenset())

    def may(to_status: str) -> bool:
        return to_status in reachable and role in TRANSITION_ROLES.get(to_status, frozenset())

    names: list[str] = []
    if role == Role.REGISTRY and status not in FINAL_STATUSES:
        names.append("edit")
    if may(Status.TRANSMITTED):
        names.append("transmit")
    if may(Status.ACKNOWLEDGED):
        names.append("acknowledge")
    if may(Status.IN_EXECUTION):
        names.append("start_execution")
    if any(may(outcome) for outcome in OUTCOME_STATUSES):
        names.append("outcome")
    if status in CLOCK_RUNNING_STATUSES and coop_request.clock_paused_since is None and role in PAUSE_ROLES:
        names.append("pause")
    if coop_request.clock_paused_since is not None and role in RESUME_ROLES:
        names.append("resume")
    if coop_request.request_type == RequestType.PROVISIONAL_ARREST and status not in FINAL_STATUSES | {Status.DRAFT}:
        if coop_request.provisional_arrest_on is None:
            names.append("provisional_arrest")
        elif role == Role.REGISTRY:
            names.append("correct_provisional_arrest")
    names.append("message")
    if may(Status.CLOSED):
        names.append("close")
    if may(Status.WITHDRAWN):
        names.append("withdraw")
    labels = _action_labels(user)
    styles = {"transmit": "btn-primary", "close": "btn-success", "withdraw": "btn-outline-danger"}
    return [Action(name, labels[name], styles.get(name, "btn-outline-primary")) for name in names]


def _render_form(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    form = context.get("form")
    if isinstance(form, PortalFormMixin):
        form.style()
    return render(request, template, context, status=status)


# --- The list, its filters and exports ---


class RequestListView(RoleRequiredMixin, View):
    """Registry staff see every request they may; a focal point's inbox is the same list, scoped to their partner."""

    template_name = "requests/list.html"

    def filtered(self) -> tuple[CooperationRequestFilterSet, QuerySet[CooperationRequest], str]:
        today = court_today()
        base = visible_requests(self.user).annotate(
            is_overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField())
        )
        filterset = CooperationRequestFilterSet(self.request.GET, queryset=base, request=self.request)
        queryset = filterset.qs if filterset.is_valid() else base.none()
        sort = self.request.GET.get("sort", "")
        key = sort.removeprefix("-")
        if key in SORTS:
            field = SORTS[key][0]
            descending = sort.startswith("-")
            queryset = queryset.order_by(f"-{field}" if descending else field, "-id" if descending else "id")
        else:
            sort = ""
            queryset = queryset.order_by(*DEFAULT_ORDERING)
        return filterset, queryset, sort

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset, queryset, sort = self.filtered()
        try:
            per_page = int(request.GET.get("per_page", PAGE_SIZES[0]))
        except ValueError:
            per_page = PAGE_SIZES[0]
        per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
        # One COUNT on the filtered table, then the page's rows with their partner joined in: a fixed number
        # of queries whatever the page size.
        page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
        sealed = [row.pk for row in page if row.is_sealed]
        audit_sealed_listed(request=request, model=CooperationRequest, ids=sealed)
        columns = []
        for key, (_field, label) in SORTS.items():
            current = sort.removeprefix("-") == key
            descending = sort.startswith("-")
            columns.append({
                "key": key, "label": label,
                "next_sort": f"-{key}" if current and not descending else key,
                "aria_sort": ("descending" if descending else "ascending") if current else "none",
            })
        _style_filter_form(filterset)
        context = {
            "filterset": filterset, "page": page, "columns": columns, "sort": sort, "per_page": per_page,
            "page_sizes": PAGE_SIZES, "is_focal_point": self.user.role == Role.FOCAL_POINT,
        }
        status = 200 if filterset.is_valid() else 400
        return render(request, self.template_name, context, status=status)


def _style_filter_form(filterset: CooperationRequestFilterSet) -> None:
    form = filterset.form
    for name, field in form.fields.items():
        widgets = getattr(field.widget, "widgets", [field.widget])
        for index, widget in enumerate(widgets):
            is_select = widget.__class__.__name__.endswith(("Select", "SelectMultiple"))
            widget.attrs["class"] = "form-select form-select-sm" if is_select else "form-control form-control-sm"
            if len(widgets) == 2:
                # A date range is two inputs under one label: each needs a name of its own.
                part = _("from") if index == 0 else _("to")
                widget.attrs["aria-label"] = f"{field.label} ({part})"
                widget.input_type = "date"
            if name in form.errors:
                widget.attrs["class"] += " is-invalid"
                widget.attrs["aria-describedby"] = f"id_{name}_error"


class RequestExportView(RequestListView):
    """The filtered, sorted list as a file; the same scope and filters as the page."""

    file_format = "csv"

    def get(self, request: HttpRequest) -> HttpResponseBase:  # type: ignore[override]
        filterset, queryset, _sort = self.filtered()
        if not filterset.is_valid():
            return HttpResponse(_("The filters are not valid."), status=400, content_type="text/plain")
        audit_record(
            kind=AuditKind.EXPORT, request=request, object_type="requests_app.cooperationrequest",
            detail=export_audit_detail(request, self.file_format),
        )
        if self.file_format == "xlsx":
            return exports.requests_xlsx_response(queryset)
        return exports.requests_csv_response(queryset)


def export_audit_detail(request: HttpRequest, file_format: str) -> dict[str, Any]:
    """The export's format and the filters it applied; a free-text search is noted, not copied."""
    detail: dict[str, Any] = {"format": file_format}
    for key in sorted(request.GET)[:20]:
        if key == "q":
            detail["search"] = bool(request.GET.get(key))
        else:
            detail[key] = request.GET.getlist(key)
    return detail


# --- One request ---


class RequestDetailView(RoleRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        events = (
            RequestEvent.objects.filter(coop_request=coop_request)
            .select_related("actor")
            .prefetch_related(
                Prefetch("attachments", queryset=Attachment.objects.alive().order_by("uploaded_at", "id"))
            )
        )
        context = {
            "coop_request": coop_request,
            "events": events,
            "loose_attachments": Attachment.objects.alive().filter(coop_request=coop_request, event__isnull=True),
            "may_delete": self.user.role in DELETE_ROLES,
            "pauses": coop_request.clock_pauses.all(),
            "actions": allowed_actions(self.user, coop_request),
            "is_overdue": CooperationRequest.objects.filter(pk=coop_request.pk).overdue(court_today()).exists(),
        }
        if coop_request.is_sealed:
            audit_record(kind=AuditKind.SEALED_VIEW, request=request, obj=coop_request)
        return render(request, "requests/detail.html", context)


class RequestCreateView(RoleRequiredMixin, View):
    roles = REGISTRY_ONLY
    template_name = "requests/form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return _render_form(request, self.template_name, {"form": RequestForm(), "title": _("New request")})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RequestForm(request.POST)
        context = {"form": form, "title": _("New request")}
        if not form.is_valid():
            return _render_form(request, self.template_name, context, status=400)
        try:
            coop_request = services.request_create(actor=self.user, **form.service_data())
        except ValidationError as error:
            form.add_domain_error(error)
            return _render_form(request, self.template_name, context, status=400)
        except IntegrityError:
            form.add_error(None, _("Someone logged a request at the same moment; save again."))
            return _render_form(request, self.template_name, context, status=409)
        messages.success(request, _("Draft %(reference)s saved.") % {"reference": coop_request.reference})
        return HttpResponseRedirect(reverse("requests:detail", kwargs={"pk": coop_request.pk}))


class RequestBatchCreateView(RoleRequiredMixin, View):
    roles = REGISTRY_ONLY
    template_name = "requests/form.html"

    def context(self, form: BatchRequestForm) -> dict[str, Any]:
        return {"form": form, "title": _("New request to several partners"),
                "intro": _("One draft is created for each partner, and each is then tracked on its own.")}

    def get(self, request: HttpRequest) -> HttpResponse:
        return _render_form(request, self.template_name, self.context(BatchRequestForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BatchRequestForm(request.POST)
        if not form.is_valid():
            return _render_form(request, self.template_name, self.context(form), status=400)
        data = form.service_data()
        partners = list(data.pop("partners"))
        try:
            created = services.request_create_for_partners(actor=self.user, partners=partners, **data)
        except ValidationError as error:
            form.add_domain_error(error)
            return _render_form(request, self.template_name, self.context(form), status=400)
        except IntegrityError:
            form.add_error(None, _("Someone logged a request at the same moment; save again."))
            return _render_form(request, self.template_name, self.context(form), status=409)
        messages.success(request, _("%(count)s drafts saved: %(references)s.") % {
            "count": len(created), "references": ", ".join(c.reference for c in created),
        })
        return HttpResponseRedirect(f"{reverse('requests:list')}?status=draft&sort=-reference")


class RequestEditView(RoleRequiredMixin, View):
    roles = REGISTRY_ONLY
    template_name = "requests/form.html"

    def context(self, coop_request: CooperationRequest, form: RequestForm) -> dict[str, Any]:
        return {"form": form, "coop_request": coop_request,
                "title": _("Edit %(reference)s") % {"reference": coop_request.reference}}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        form = RequestForm(coop_request=coop_request)
        return _render_form(request, self.template_name, self.context(coop_request, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        form = RequestForm(request.POST, coop_request=coop_request)
        if not form.is_valid():
            return _render_form(request, self.template_name, self.context(coop_request, form), status=400)
        try:
            services.request_update(
                coop_request=coop_request, actor=self.user, expected_version=form.cleaned_data["version"],
                data=form.service_data(),
            )
        except services.StaleVersionError as error:
            form.add_error(None, str(error))
            return _render_form(request, self.template_name, self.context(coop_request, form), status=409)
        except ValidationError as error:
            form.add_domain_error(error)
            return _render_form(request, self.template_name, self.context(coop_request, form), status=400)
        messages.success(request, _("Changes to %(reference)s saved.") % {"reference": coop_request.reference})
        return HttpResponseRedirect(reverse("requests:detail", kwargs={"pk": coop_request.pk}))


class RequestActionView(RoleRequiredMixin, View):
    """A page with one form that changes a request through one service: transmit, acknowledge, close, ...

    GET shows the form only if the action is offered to the user now (else 403); POST always goes to the
    service, which is the authority: ValidationError → 400 with the message next to its field, a stale version
    → 409, PermissionDenied → 403.
    """

    action: str = ""
    title: Promise | str = ""
    form_class: type[TransitionForm] = TransitionForm
    template_name = "requests/action.html"
    success_message: Promise | str = gettext_lazy("Recorded.")

    def make_form(self, coop_request: CooperationRequest, data: Any = None) -> TransitionForm:
        return self.form_class(data, initial={"version": coop_request.version})

    def perform(self, coop_request: CooperationRequest, cleaned: dict[str, Any]) -> None:
        raise NotImplementedError

    def context(self, coop_request: CooperationRequest, form: TransitionForm) -> dict[str, Any]:
        return {"coop_request": coop_request, "form": form, "title": self.title, "action": self.action,
                "submit_label": _action_labels(self.user)[self.action]}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        if self.action not in {a.name for a in allowed_actions(self.user, coop_request)}:
            raise PermissionDenied(_("This action is not open to you on this request now."))
        form = self.make_form(coop_request)
        return _render_form(request, self.template_name, self.context(coop_request, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        form = self.make_form(coop_request, request.POST)
        if not form.is_valid():
            return _render_form(request, self.template_name, self.context(coop_request, form), status=400)
        cleaned = dict(form.cleaned_data)
        try:
            self.perform(coop_request, cleaned)
        except services.StaleVersionError as error:
            form.add_error(None, str(error))
            return _render_form(request, self.template_name, self.context(coop_request, form), status=409)
        except ValidationError as error:
            form.add_domain_error(error)
            return _render_form(request, self.template_name, self.context(coop_request, form), status=400)
        messages.success(request, str(self.success_message))
        return HttpResponseRedirect(reverse("requests:detail", kwargs={"pk": coop_request.pk}))


class TransitionView(RequestActionView):
    to_status: str = ""

    def perform(self, coop_request: CooperationRequest, cleaned: dict[str, Any]) -> None:
        services.request_transition_and_notify(
            coop_request=coop_request, actor=self.user, to_status=cleaned.pop("outcome", None) or self.to_status,
            expected_version=cleaned.pop("version"), **cleaned,
        )


class TransmitView(TransitionView):
    roles = REGISTRY_ONLY
    action = "transmit"
    to_status = Status.TRANSMITTED
    form_class = TransmitForm
    title = gettext_lazy("Transmit the request")
    success_message = gettext_lazy("Transmitted; the partner's focal points are notified.")

    def make_form(self, coop_request: CooperationRequest, data: Any = None) -> TransitionForm:
        return TransmitForm(data, coop_request=coop_request, initial={"version": coop_request.version})


class AcknowledgeView(TransitionView):
    action = "acknowledge"
    to_status = Status.ACKNOWLEDGED
    title = gettext_lazy("Acknowledge receipt")
    success_message = gettext_lazy("Receipt acknowledged.")


class StartExecutionView(TransitionView):
    action = "start_execution"
    to_status = Status.IN_EXECUTION
    title = gettext_lazy("Start execution")
    success_message = gettext_lazy("Execution started.")


class OutcomeView(TransitionView):
    action = "outcome"
    form_class = OutcomeForm
    title = gettext_lazy("Report the outcome")
    success_message = gettext_lazy("Outcome recorded.")


class CloseView(TransitionView):
    roles = REGISTRY_ONLY
    action = "close"
    to_status = Status.CLOSED
    title = gettext_lazy("Close the request")
    success_message = gettext_lazy("Request closed.")


class WithdrawView(TransitionView):
    roles = REGISTRY_ONLY
    action = "withdraw"
    to_status = Status.WITHDRAWN
    title = gettext_lazy("Withdraw the request")
    success_message = gettext_lazy("Request withdrawn.")


class PauseView(RequestActionView):
    action = "pause"
    form_class = PauseForm
    title = gettext_lazy("Pause the deadline clock: consultations (art. 97) or postponement (arts. 94, 95)")
    success_message = gettext_lazy("Deadline clock paused.")

    def perform(self, coop_request: CooperationRequest, cleaned: dict[str, Any]) -> None:
        services.request_pause_clock_and_notify(
            coop_request=coop_request, actor=self.user, expected_version=cleaned.pop("version"), **cleaned
        )


class ResumeView(RequestActionView):
    roles = REGISTRY_ONLY
    action = "resume"
    title = gettext_lazy("Resume the deadline clock")
    success_message = gettext_lazy("Deadline clock resumed; the due date moved back by the length of the pause.")

    def perform(self, coop_request: CooperationRequest, cleaned: dict[str, Any]) -> None:
        services.request_resume_clock(
            coop_request=coop_request, actor=self.user, expected_version=cleaned.pop("version"), **cleaned
        )


class ProvisionalArrestView(RequestActionView):
    """Registry staff, or the focal point of the State that made the arrest, record the arrest date (art. 92)."""

    action = "provisional_arrest"
    form_class = ProvisionalArrestForm
    title = gettext_lazy("Record the provisional arrest (art. 92)")
    success_message = gettext_lazy("Provisional arrest recorded; the supporting documents are due in 60 days.")

    def perform(self, coop_request: CooperationRequest, cleaned: dict[str, Any]) -> None:
        services.request_record_provisional_arrest(
            coop_request=coop_request, actor=self.user, expected_version=cleaned.pop("version"), **cleaned
        )


class ProvisionalArrestCorrectionView(RequestActionView):
    """Registry staff correct an arrest date recorded wrongly, giving the reason."""

    roles = REGISTRY_ONLY
    action = "correct_provisional_arrest"
    form_class = ProvisionalArrestCorrectionForm
    title = gettext_lazy("Correct the provisional arrest date (art. 92)")
    success_message = gettext_lazy(
        "Arrest date corrected; the State's focal points are told when the supporting documents are now due."
    )

    def make_form(self, coop_request: CooperationRequest, data: Any = None) -> TransitionForm:
        initial = {"version": coop_request.version, "arrested_on": coop_request.provisional_arrest_on}
        return self.form_class(data, initial=initial)

    def perform(self, coop_request: CooperationRequest, cleaned: dict[str, Any]) -> None:
        services.request_correct_provisional_arrest(
            coop_request=coop_request, actor=self.user, expected_version=cleaned.pop("version"), **cleaned
        )


class MessageView(RoleRequiredMixin, View):
    """A message with documents attached, recorded as a dated event that the other side sees at once."""

    template_name = "requests/message.html"

    def context(self, coop_request: CooperationRequest, form: MessageForm) -> dict[str, Any]:
        return {"coop_request": coop_request, "form": form, "title": _action_labels(self.user)["message"]}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        return _render_form(request, self.template_name, self.context(coop_request, MessageForm()))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        form = MessageForm(request.POST, request.FILES)
        if not form.is_valid():
            return _render_form(request, self.template_name, self.context(coop_request, form), status=400)
        try:
            services.request_add_message(
                coop_request=coop_request, actor=self.user, body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
        except ValidationError as error:
            form.add_domain_error(error)
            return _render_form(request, self.template_name, self.context(coop_request, form), status=400)
        messages.success(request, _("Message recorded."))
        return HttpResponseRedirect(reverse("requests:detail", kwargs={"pk": coop_request.pk}))


class AttachmentDownloadView(RoleRequiredMixin, View):
    """Streams a document only through its request's scope: another partner's file is a 404 like a missing one."""

    def get(self, request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
        coop_request = get_visible_request(self.user, pk)
        attachment = get_in_scope_or_404(Attachment.objects.alive().filter(coop_request=coop_request), pk=attachment_pk)
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, ValueError) as error:
            raise Http404(_("The stored file is missing.")) from error
        audit_record(
            kind=AuditKind.DOWNLOAD, request=request, obj=attachment,
            detail={
                "request": coop_request.pk, "under_seal": coop_request.is_sealed,
            },
        )
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        # Opened directly by mistake, the document still cannot run script in the portal's origin.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


# --- Soft deletion, by registry staff: a confirmation page with the reason, then the service ---


class RequestDeleteView(RoleRequiredMixin, View):
    """Deletes a request for everyone (soft: kept in the database, the admin and the history)."""

    roles = DELETE_ROLES
    template_name = "requests/delete.html"

    def context(self, coop_request: CooperationRequest, form: DeletionForm) -> dict[str, Any]:
        return {"coop_request": coop_request, "form": form, "attachment": None,
                "title": _("Delete %(reference)s") % {"reference": coop_request.reference}}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        form = DeletionForm(versioned=True, initial={"version": coop_request.version})
        return _render_form(request, self.template_name, self.context(coop_request, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        coop_request = get_visible_request(self.user, pk)
        form = DeletionForm(request.POST, versioned=True)
        if not form.is_valid():
            return _render_form(request, self.template_name, self.context(coop_request, form), status=400)
        try:
            services.request_soft_delete(
                coop_request=coop_request, actor=self.user, reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleVersionError as error:
            form.add_error(None, str(error))
            return _render_form(request, self.template_name, self.context(coop_request, form), status=409)
        except ValidationError as error:
            form.add_domain_error(error)
            return _render_form(request, self.template_name, self.context(coop_request, form), status=400)
        messages.success(request, _("Request %(reference)s deleted; it stays in the history and can be restored "
                                    "from the administration.") % {"reference": coop_request.reference})
        return HttpResponseRedirect(reverse("requests:list"))


class AttachmentDeleteView(RoleRequiredMixin, View):
    """Deletes one document of a request for everyone (soft: the row and the file stay)."""

    roles = DELETE_ROLES
    template_name = "requests/delete.html"

    def objects(self, pk: int, attachment_pk: int) -> tuple[CooperationRequest, Attachment]:
        coop_request = get_visible_request(self.user, pk)
        attachment = get_in_scope_or_404(Attachment.objects.alive().filter(coop_request=coop_request), pk=attachment_pk)
        return coop_request, attachment

    def context(self, coop_request: CooperationRequest, attachment: Attachment, form: DeletionForm) -> dict[str, Any]:
        return {"coop_request": coop_request, "attachment": attachment, "form": form,
                "title": _("Delete the document %(name)s") % {"name": attachment.original_name}}

    def get(self, request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
        coop_request, attachment = self.objects(pk, attachment_pk)
        return _render_form(request, self.template_name, self.context(coop_request, attachment, DeletionForm()))

    def post(self, request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
        coop_request, attachment = self.objects(pk, attachment_pk)
        form = DeletionForm(request.POST)
        context = self.context(coop_request, attachment, form)
        if not form.is_valid():
            return _render_form(request, self.template_name, context, status=400)
        try:
            services.attachment_soft_delete(attachment=attachment, actor=self.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_domain_error(error)
            return _render_form(request, self.template_name, context, status=400)
        messages.success(request, _("Document deleted; it stays in the history."))
        return HttpResponseRedirect(reverse("requests:detail", kwargs={"pk": coop_request.pk}))


# --- In-portal notifications ---


class NotificationListView(RoleRequiredMixin, View):
    roles = ANY_ROLE

    def get(self, request: HttpRequest) -> HttpResponse:
        notifications = Notification.objects.for_user(self.user).select_related("coop_request")
        page = Paginator(notifications, 25).get_page(request.GET.get("page"))
        return render(request, "requests/notifications.html", {"page": page})


class NotificationReadView(RoleRequiredMixin, View):
    roles = ANY_ROLE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = get_object_or_404(Notification.objects.for_user(self.user), pk=pk)
        notification_mark_read(notification=notification, user=self.user)
        return HttpResponseRedirect(reverse("requests:notifications"))
