from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cooperation_portal.accounts.choices import Role
from cooperation_portal.partners.choices import RegionalGroup
from requests_app.choices import EscalationLevel, Organ, RequestType, Status

from .api import FACILITATOR_FILTERS

DASHBOARD_ROLES = frozenset({Role.REGISTRY, Role.FOCAL_POINT, Role.FACILITATOR})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The role's dashboard; its charts and tables are drawn from /api/v1/dashboard/summary/ in the browser."""
    user = request.user
    if getattr(user, "role", None) not in DASHBOARD_ROLES:
        raise PermissionDenied
    context = {
        "regional_groups": RegionalGroup.choices,
        "request_types": RequestType.choices,
        "organs": Organ.choices,
        "statuses": Status.choices,
        "facilitator_filters": sorted(FACILITATOR_FILTERS),
        "labels": {
            "status": dict(Status.choices),
            "request_type": dict(RequestType.choices),
            "organ": dict(Organ.choices),
            "regional_group": dict(RegionalGroup.choices),
            "escalation_level": dict(EscalationLevel.choices),
        },
    }
    return render(request, "dashboards/dashboard.html", context)
