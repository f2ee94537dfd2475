from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("annual/", views.report_page, name="annual"),
    path("annual/download/", views.report_download, name="annual-download"),
    path("exports/<int:pk>/", views.export_status, name="export-status"),
    path("exports/<int:pk>/progress/", views.export_progress, name="export-progress"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
]
