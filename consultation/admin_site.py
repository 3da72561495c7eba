"""The admin site, branded with the platform's name and speaking French throughout.

Third-party apps name themselves in English (« MFA », « Authenticators ») or
share our « Comptes »: the index and the side menu use the names below instead.
Their models keep their own Meta (changing it would be a migration in their
app), so only the labels shown to staff change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from consultation.site import site_name

APP_NAMES = {
    "account": _("Adresses électroniques"),
    "socialaccount": _("Comptes liés (fournisseurs d'identité)"),
    "mfa": _("Double authentification"),
}
MODEL_NAMES = {
    ("mfa", "authenticator"): _("Moyens de double authentification"),
}


class SiteAdmin(admin.AdminSite):
    site_header = lazy(site_name, str)()
    site_title = lazy(site_name, str)()
    index_title = _("Administration")

    def _build_app_dict(self, request: HttpRequest, label: str | None = None) -> dict[str, Any]:
        # The one method that both the index and an app's page build their
        # names from (get_app_list and app_index call it).
        built = super()._build_app_dict(request, label)
        for app in [built] if label else built.values():
            if not app:
                continue
            app["name"] = APP_NAMES.get(app["app_label"], app["name"])
            for model in app["models"]:
                key = (app["app_label"], model["object_name"].lower())
                model["name"] = MODEL_NAMES.get(key, model["name"])
        return built


class SiteAdminConfig(AdminConfig):
    """django.contrib.admin with our site; also the project's own start-up hooks."""

    default_site = "consultation.admin_site.SiteAdmin"

    def ready(self) -> None:
        super().ready()
        # Registers the check of the operator's brand colours and logo.
        import consultation.brand  # noqa: F401
