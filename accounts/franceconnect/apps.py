from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FranceConnectConfig(AppConfig):
    name = "accounts.franceconnect"
    label = "franceconnect"
    verbose_name = _("FranceConnect")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.franceconnect import identity

        identity.connect_signals()
