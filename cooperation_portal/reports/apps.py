from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The annual report on cooperation: one service, its exports and their background generation."""

    name = "cooperation_portal.reports"
    label = "reports"
    verbose_name = "Reports"
