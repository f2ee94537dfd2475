"""Browser pages of the register of voluntary agreements, mounted at /agreements/ ("agreements" namespace)."""

from django.urls import path

from . import views

app_name = "agreements"

urlpatterns = [
    path("", views.AgreementListView.as_view(), name="list"),
    path("new/", views.AgreementCreateView.as_view(), name="create"),
    path("<int:pk>/", views.AgreementDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.AgreementEditView.as_view(), name="edit"),
    path("<int:pk>/status/", views.AgreementStatusView.as_view(), name="status"),
    path("<int:pk>/placements/new/", views.PlacementCreateView.as_view(), name="placement_create"),
]
