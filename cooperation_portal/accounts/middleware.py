"""Session time-outs and the second-factor gate, applied to every page."""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from rest_framework.views import APIView

from .two_factor import confirmed_device, session_lacks_second_factor

SESSION_STARTED_KEY = "portal_session_started"
SESSION_SEEN_KEY = "portal_session_seen"
# The last-seen time is rewritten at most this often, so that not every request writes the session row.
SEEN_RESOLUTION_SECONDS = 60

# Pages an unverified registry or administrator session may still use: the code steps themselves, and leaving.
TWO_FACTOR_OPEN_URL_NAMES = frozenset(
    {"two_factor_verify", "two_factor_setup", "two_factor_qr", "logout", "set_language", "healthz"}
)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect a browser follows, also from an htmx request (which would otherwise swap the target page in)."""
    # Read the header itself: django-htmx's middleware comes later in the chain.
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    """Ends a session idle for PORTAL_SESSION_IDLE_TIMEOUT, or older than PORTAL_SESSION_ABSOLUTE_TIMEOUT.

    Both times are kept in the session itself (seconds since the epoch): the start is written at login
    (accounts.signals), the last request here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.get(SESSION_STARTED_KEY)
            seen = session.get(SESSION_SEEN_KEY)
            idle = settings.PORTAL_SESSION_IDLE_TIMEOUT.total_seconds()
            absolute = settings.PORTAL_SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if started is None:
                # A session from before the time-outs existed: count from now.
                session[SESSION_STARTED_KEY] = now
            elif now - started > absolute or (seen is not None and now - seen > idle):
                return self._expired(request)
            if seen is None or now - seen >= SEEN_RESOLUTION_SECONDS:
                session[SESSION_SEEN_KEY] = now
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        if request.path_info.startswith("/api/"):
            # The API answers an anonymous caller itself (401 or 403), as for any missing credential.
            return self.get_response(request)
        messages.info(request, _("Your session has expired. Please log in again."))
        return _redirect(request, redirect_to_login(request.get_full_path())["Location"])


class RequireTwoFactorMiddleware:
    """Sends a registry or administrator session that has not confirmed a code to the code step, on every page.

    API views are left to their authentication class (cooperation_portal.accounts.authentication), which refuses
    such a session with a 403 instead of a redirect.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not session_lacks_second_factor(request):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in TWO_FACTOR_OPEN_URL_NAMES:
            return None
        view_class = getattr(view_func, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return None
        step = "two_factor_verify" if confirmed_device(request.user) else "two_factor_setup"  # type: ignore[arg-type]
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else "/"
        return _redirect(request, f"{reverse(step)}?{urlencode({'next': next_url})}")
