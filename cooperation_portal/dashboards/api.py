"""GET /api/v1/dashboard/summary/: the dashboards' figures for the caller's role, a period and the usual filters."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cooperation_portal.accounts.choices import Role
from cooperation_portal.api.viewsets import ActionRoles, WritesInTransaction, acting_user
from cooperation_portal.dates import court_today
from cooperation_portal.reports.services import validate_period
from requests_app.filtersets import CooperationRequestFilterSet
from requests_app.models import CooperationRequest

from .services import dashboard_summary

# Filters a facilitator may apply: none that reaches a single partner or a request's content.
FACILITATOR_FILTERS = frozenset(
    {"regional_group", "request_type", "organ", "status", "urgent", "overdue", "escalation_level"}
)
PERIOD_PARAMS = frozenset({"start", "end"})


class DashboardPeriodSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(required=False, help_text="First day; default one year before `end`.")
    end = serializers.DateField(required=False, help_text="Last day; default today in the Court's calendar.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("end") or court_today()
        start = attrs.get("start") or end - datetime.timedelta(days=365)
        try:
            validate_period(start=start, end=end)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return {"start": start, "end": end}


class DashboardSummaryView(WritesInTransaction, APIView):
    """Figures by status, type, organ, regional group (and partner, except for facilitators); overdue now;
    median and 90th percentile response times; agreements in force; persons at large; monthly series."""

    permission_classes = [ActionRoles]
    action_roles = {"*": frozenset({Role.REGISTRY, Role.FOCAL_POINT, Role.FACILITATOR})}

    @extend_schema(
        parameters=[
            DashboardPeriodSerializer,
            *(
                OpenApiParameter(name, OpenApiTypes.STR, many=name not in {"q", "urgent", "overdue"})
                for name in CooperationRequestFilterSet.base_filters
                if name not in {"transmitted", "due"}
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        period = DashboardPeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        user = acting_user(request)
        if user.role == Role.FACILITATOR:
            refused = sorted(set(request.query_params) - FACILITATOR_FILTERS - PERIOD_PARAMS)
            if refused:
                raise serializers.ValidationError(
                    {name: [_("This filter is not available on aggregate dashboards.")] for name in refused}
                )
        filterset = CooperationRequestFilterSet(
            data=request.query_params, queryset=CooperationRequest.objects.countable_by(user)
        )
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        summary = dashboard_summary(user=user, requests=filterset.qs, today=court_today(), **period.validated_data)
        return Response(summary)
