from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Synthetic demo and benchmark data; owns no models."""

    name = "cooperation_portal.demo"
    label = "demo"
    verbose_name = "Demo data"
