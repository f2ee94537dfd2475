"""Included by the API's URLconf under /api/v1/."""

from django.urls import path

from .api import AnnualReportView

urlpatterns = [
    path("reports/annual/", AnnualReportView.as_view(), name="api-annual-report"),
]
