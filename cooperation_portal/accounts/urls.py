"""Account pages under /accounts/: the second-factor steps and the password reset (Django's views, forms with errors
answered 400)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import PasswordResetRequestForm

urlpatterns = [
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/setup/qr.svg", views.two_factor_qr, name="two_factor_qr"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(form_class=PasswordResetRequestForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
