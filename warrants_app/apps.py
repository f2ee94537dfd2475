from django.apps import AppConfig


class WarrantsAppConfig(AppConfig):
    name = "warrants_app"
    verbose_name = "Arrest warrants"
