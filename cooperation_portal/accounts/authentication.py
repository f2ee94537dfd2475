"""Session authentication for the API that refuses a registry or administrator session without its second factor."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from .two_factor import session_lacks_second_factor


class TwoFactorRequired(exceptions.PermissionDenied):
    default_detail = _(
        "Two-factor verification required: confirm your login with the code from your authenticator app at "
        "/accounts/two-factor/verify/ before using the API from this session."
    )
    default_code = "two_factor_required"


class OTPSessionAuthentication(SessionAuthentication):
    """Token authentication is unaffected: tokens are issued by administrators, one per integration."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is not None and session_lacks_second_factor(request._request):
            raise TwoFactorRequired()
        return result


class OTPSessionScheme(SessionScheme):
    """The same cookie scheme as DRF's session authentication in the OpenAPI schema."""

    target_class = "cooperation_portal.accounts.authentication.OTPSessionAuthentication"
