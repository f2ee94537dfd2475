"""Browser pages of cooperation requests, mounted at /requests/ in the "requests" namespace."""

from django.urls import path

from . import views

app_name = "requests"

urlpatterns = [
    path("", views.RequestListView.as_view(), name="list"),
    path("export.csv", views.RequestExportView.as_view(file_format="csv"), name="export_csv"),
    path("export.xlsx", views.RequestExportView.as_view(file_format="xlsx"), name="export_xlsx"),
    path("new/", views.RequestCreateView.as_view(), name="create"),
    path("new/several/", views.RequestBatchCreateView.as_view(), name="create_batch"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="notification_read"),
    path("<int:pk>/", views.RequestDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.RequestEditView.as_view(), name="edit"),
    path("<int:pk>/transmit/", views.TransmitView.as_view(), name="transmit"),
    path("<int:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="acknowledge"),
    path("<int:pk>/start-execution/", views.StartExecutionView.as_view(), name="start_execution"),
    path("<int:pk>/outcome/", views.OutcomeView.as_view(), name="outcome"),
    path("<int:pk>/pause/", views.PauseView.as_view(), name="pause"),
    path("<int:pk>/resume/", views.ResumeView.as_view(), name="resume"),
    path("<int:pk>/provisional-arrest/", views.ProvisionalArrestView.as_view(), name="provisional_arrest"),
    path(
        "<int:pk>/provisional-arrest/correction/", views.ProvisionalArrestCorrectionView.as_view(),
        name="correct_provisional_arrest",
    ),
    path("<int:pk>/message/", views.MessageView.as_view(), name="message"),
    path("<int:pk>/close/", views.CloseView.as_view(), name="close"),
    path("<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.AttachmentDownloadView.as_view(), name="attachment"),
    path("<int:pk>/delete/", views.RequestDeleteView.as_view(), name="delete"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.AttachmentDeleteView.as_view(),
        name="attachment_delete",
    ),
]
