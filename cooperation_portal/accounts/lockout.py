"""The page django-axes shows once a username and address pair has failed too often (AXES_LOCKOUT_CALLABLE)."""

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """429 with the time to wait. Said the same way whether the username exists or not: axes counts failures per
    username typed, and every failure during the lock-out starts the wait again."""
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "minutes": max(1, math.ceil(cooloff.total_seconds() / 60)),
        "retry_at": timezone.localtime(timezone.now() + cooloff),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response
