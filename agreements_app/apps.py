from django.apps import AppConfig


class AgreementsAppConfig(AppConfig):
    name = "agreements_app"
    verbose_name = "Voluntary agreements"
