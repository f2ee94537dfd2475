"""The REST API, version 1, and its OpenAPI schema and documentation (assets served locally, no CDN)."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from agreements_app.api.views import VoluntaryAgreementViewSet
from cooperation_portal.partners.api import PartnerViewSet
from requests_app.api.views import CooperationRequestViewSet
from warrants_app.api.views import ArrestWarrantViewSet, ContactReportViewSet

router = DefaultRouter()
router.register("partners", PartnerViewSet, basename="partner")
router.register("requests", CooperationRequestViewSet, basename="request")
router.register("agreements", VoluntaryAgreementViewSet, basename="agreement")
router.register("warrants", ArrestWarrantViewSet, basename="warrant")
router.register("contact-reports", ContactReportViewSet, basename="contact-report")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/", include("cooperation_portal.dashboards.api_urls")),
    path("v1/", include("cooperation_portal.reports.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up code as a script of its own (`?script`), not inline.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc adds its own <style> elements at run time (styled-components) and runs its search index in a worker
    # it makes from its own bundle (a blob: URL). Nothing else is widened: no inline script, no other origin.
    path(
        "redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
]
