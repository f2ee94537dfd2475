"""Partner profile pages, mounted at /partners/ ("partners" namespace)."""

from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("<str:code>/", views.PartnerProfileView.as_view(), name="profile"),
]
