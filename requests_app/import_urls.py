"""Import of a request log, mounted at /requests/import/ ("requests_import" namespace), before /requests/."""

from django.urls import path

from . import import_views

app_name = "requests_import"

urlpatterns = [
    path("", import_views.ImportUploadView.as_view(), name="upload"),
    path("confirm/", import_views.ImportConfirmView.as_view(), name="confirm"),
    path("template.csv", import_views.ImportTemplateView.as_view(), name="template"),
]
