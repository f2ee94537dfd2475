from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "cooperation_portal.partners"
    label = "partners"
    verbose_name = "Partners"
