"""Who must confirm a login with a one-time code (django-otp, TOTP), and the devices that give one."""

from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from .choices import Role
from .models import User

# Roles that reach every request and the administration: a stolen password alone must not be enough.
TWO_FACTOR_ROLES = frozenset({Role.REGISTRY, Role.ADMINISTRATOR})


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def requires_two_factor(user: User) -> bool:
    """Registry staff, administrators and superusers always; anyone else once they enrolled a device."""
    if user.role in TWO_FACTOR_ROLES or user.is_superuser:
        return True
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(request: HttpRequest) -> bool:
    """Whether this session confirmed its login with a code (set by django_otp.login, read by OTPMiddleware)."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


# Whether a user of another role enrolled a device is looked up once per login and kept in the session, so that
# their pages cost no query for it (accounts.signals sets it at login, the enrolment step when they opt in).
SESSION_REQUIRED_KEY = "portal_two_factor_required"


def session_requires_two_factor(request: HttpRequest) -> bool:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return False
    if user.role in TWO_FACTOR_ROLES or user.is_superuser:
        return True
    required = request.session.get(SESSION_REQUIRED_KEY)
    if required is None:
        required = request.session[SESSION_REQUIRED_KEY] = requires_two_factor(user)
    return bool(required)


def session_lacks_second_factor(request: HttpRequest) -> bool:
    return session_requires_two_factor(request) and not is_verified(request)
