"""The audit trail for administrators: /audit/, read-only, newest first, filterable; every other role gets 403."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from agreements_app.forms import style_filter_form
from cooperation_portal.accounts.choices import Role
from requests_app.views import RoleRequiredMixin

from .filtersets import AuditEventFilterSet
from .models import AuditEvent

PAGE_SIZE = 50


class AuditEventListView(RoleRequiredMixin, View):
    roles = frozenset({Role.ADMINISTRATOR})

    def get(self, request: HttpRequest) -> HttpResponse:
        base = AuditEvent.objects.select_related("user").order_by("-occurred_at", "-id")
        filterset = AuditEventFilterSet(request.GET, queryset=base, request=request)
        queryset = filterset.qs if filterset.is_valid() else base.none()
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        style_filter_form(filterset.form)
        context = {"filterset": filterset, "page": page}
        return render(request, "audit/list.html", context, status=200 if filterset.is_valid() else 400)
