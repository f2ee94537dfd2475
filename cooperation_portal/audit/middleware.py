from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from .choices import AuditKind
from .services import audit_record, begin_request, end_request, write_deferred


class AuditMiddleware:
    """Records every 403 the portal answers, and writes the events views deferred (out-of-scope lookups).

    It runs outside the view's transaction (ATOMIC_REQUESTS wraps the view only), so what it writes survives the
    view's rollback. It must come after AuthenticationMiddleware, to know the user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = begin_request(request)
        try:
            response = self.get_response(request)
            if response.status_code == 403:
                audit_record(kind=AuditKind.ACCESS_DENIED, request=request, detail={"status": 403}, deferred=True)
        finally:
            deferred = end_request(token)
        write_deferred(deferred)
        return response
