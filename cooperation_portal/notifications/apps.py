from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "cooperation_portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"
