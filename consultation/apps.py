from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    """The project package as an app: delivered-email ledger, worker commands."""

    name = "consultation"
    verbose_name = _("Infrastructure")
    default_auto_field = "django.db.models.BigAutoField"
