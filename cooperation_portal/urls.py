from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .accounts import views as account_views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", account_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("cooperation_portal.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("cooperation_portal.api.urls")),
    path("requests/import/", include("requests_app.import_urls")),
    path("requests/", include("requests_app.urls")),
    path("agreements/", include("agreements_app.urls")),
    path("warrants/", include("warrants_app.urls")),
    path("partners/", include("cooperation_portal.partners.urls")),
    path("reports/", include("cooperation_portal.reports.urls")),
    path("dashboard/", include("cooperation_portal.dashboards.urls")),
    path("audit/", include("cooperation_portal.audit.urls")),
]
