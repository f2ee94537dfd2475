from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cooperation_portal.dates import court_today
from requests_app.models import CooperationRequest


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's landing page. The figures count what the role may count: what it sees, and for a facilitator
    every request but those under seal, counted and never listed."""
    visible = CooperationRequest.objects.countable_by(request.user)  # type: ignore[arg-type]
    today = court_today()
    context = {
        "open_count": visible.open().count(),
        "overdue_count": visible.overdue(today).count(),
        "today": today,
    }
    return render(request, "home.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
