"""GET /api/v1/reports/annual/?start=YYYY-MM-DD&end=YYYY-MM-DD: the annual report on cooperation as JSON."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cooperation_portal.api.viewsets import WritesInTransaction
from cooperation_portal.audit.choices import AuditKind
from cooperation_portal.audit.services import audit_record

from .querysets import may_read_reports
from .serializers import ReportPeriodSerializer
from .services import annual_report


class ReportReaders(permissions.BasePermission):
    """Facilitators, registry staff and administrators. A focal point gets 403: the report's existence is no secret,
    only its figures across partners are not theirs to read, so "forbidden" is the honest answer, not "not found".
    """

    message = "The annual report is for facilitators, registry staff and administrators."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return may_read_reports(request.user)  # type: ignore[arg-type]


class AnnualReportView(WritesInTransaction, APIView):
    permission_classes = [permissions.IsAuthenticated, ReportReaders]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="First day of the period."),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True, description="Last day of the period."),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Annual report on cooperation for a period",
    )
    def get(self, request: Request) -> Response:
        period = ReportPeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        start, end = period.validated_data["start"], period.validated_data["end"]
        report = annual_report(start=start, end=end)
        audit_record(
            kind=AuditKind.EXPORT, request=request, object_type="reports.annualreport",
            detail={"start": start.isoformat(), "end": end.isoformat(), "format": "json"},
        )
        return Response(report)
