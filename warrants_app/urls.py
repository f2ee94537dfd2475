"""Browser pages of the register of arrest warrants, mounted at /warrants/ ("warrants" namespace)."""

from django.urls import path

from . import views

app_name = "warrants"

urlpatterns = [
    path("", views.WarrantListView.as_view(), name="list"),
    path("new/", views.WarrantCreateView.as_view(), name="create"),
    path("contact-reports/new/", views.ContactReportCreateView.as_view(), name="contact_report"),
    path("<int:pk>/", views.WarrantDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.WarrantEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.WarrantStatusView.as_view(), name="status"),
    path("<int:pk>/requests/", views.WarrantLinkRequestsView.as_view(), name="link_requests"),
]
