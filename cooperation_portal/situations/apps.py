from django.apps import AppConfig


class SituationsConfig(AppConfig):
    name = "cooperation_portal.situations"
    label = "situations"
    verbose_name = "Situations and cases"
