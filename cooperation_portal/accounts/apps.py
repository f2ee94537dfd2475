from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cooperation_portal.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
