"""The API's authentication: tokens, read with the user's sealed clearance; sessions, refused to a registry or
administrator session without its second factor."""

from typing import Any

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from .models import sealed_clearance_sql
from .two_factor import session_lacks_second_factor


class ClearanceTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, whose one query also reads whether the user holds sealed clearance.

    Every registry call asks for the clearance (the scope of what it may see); asked alone it was a second round
    trip of each API call. The answer is kept on the user object, where User.has_sealed_clearance looks first; the
    condition is the same statement (accounts/models.py), and the role, active and superuser tests stay there.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token_table = connection.ops.quote_name(Token._meta.db_table)
        condition, params = sealed_clearance_sql(f"{token_table}.{connection.ops.quote_name('user_id')}")
        # Table and column names from the models; every value is a parameter.
        clearance = RawSQL(condition, params, output_field=BooleanField())  # noqa: S611
        try:
            token = Token.objects.select_related("user").annotate(_sealed_clearance=clearance).get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token.user.__dict__["_sealed_clearance"] = bool(token._sealed_clearance)
        return token.user, token


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
