"""The account pages: login and password reset (Django's views, answering a form with errors 400 as the portal's own
forms do), and the second-factor steps: first-time enrolment of an authenticator app, and the code after each login.
"""

import io
from base64 import b32encode
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic.base import TemplateResponseMixin
from django.views.generic.edit import FormMixin
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from . import services
from .forms import OneTimeCodeForm
from .models import User
from .two_factor import SESSION_REQUIRED_KEY, confirmed_device, is_verified


class InvalidFormIs400(TemplateResponseMixin, FormMixin):
    """A form sent with errors is answered 400 with the form and its errors, as every form of the portal answers
    bad input; Django's own account views answer it 200."""

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class LoginView(InvalidFormIs400, auth_views.LoginView):
    pass


class PasswordResetView(InvalidFormIs400, auth_views.PasswordResetView):
    pass


class PasswordResetConfirmView(InvalidFormIs400, auth_views.PasswordResetConfirmView):
    pass


def _form_status(request: HttpRequest) -> int:
    """400 for a code form sent and refused (a form shown for the first time is 200)."""
    return 400 if request.method == "POST" else 200


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = {request.get_host()}
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts=allowed, require_https=request.is_secure()):
        return candidate
    return reverse("home")


def _verified(request: HttpRequest, device: TOTPDevice) -> HttpResponseRedirect:
    otp_login(request, device)
    # A new session key for the now stronger session, as at login.
    request.session.cycle_key()
    return HttpResponseRedirect(_next_url(request))


def _portal_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = _portal_user(request)
    device = confirmed_device(user)
    if device is None:
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _next_url(request)})}")
    if is_verified(request):
        return HttpResponseRedirect(_next_url(request))
    form = OneTimeCodeForm(request.POST or None, devices=[device])
    if request.method == "POST" and form.is_valid() and form.device is not None:
        return _verified(request, form.device)
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)},
        status=_form_status(request),
    )


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the secret), then prove it with its first code.

    A user who already has a confirmed device goes to the code step: replacing a device is done by an
    administrator, who deletes the old one in the admin.
    """
    user = _portal_user(request)
    if confirmed_device(user) is not None:
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': _next_url(request)})}")
    device = services.totp_device_start(user=user)
    form = OneTimeCodeForm(request.POST or None, devices=[device])
    if request.method == "POST" and form.is_valid():
        services.totp_device_confirm(device=device)
        request.session[SESSION_REQUIRED_KEY] = True
        messages.success(request, _("Two-factor authentication is on. Each login will now ask for a code."))
        return _verified(request, device)
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": _next_url(request),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "otpauth_url": device.config_url,
    }
    return render(request, "registration/two_factor_setup.html", context, status=_form_status(request))


@never_cache
@login_required
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the device being enrolled, as SVG; never of a confirmed device."""
    device = TOTPDevice.objects.filter(user=_portal_user(request), confirmed=False).order_by("pk").first()
    if device is None:
        raise Http404
    image = io.BytesIO()
    write_qrcode_image(device.config_url, image)
    return HttpResponse(image.getvalue(), content_type="image/svg+xml")
