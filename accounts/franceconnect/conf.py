"""FranceConnect providers read from the environment, with no code change.

Kept free of Django imports: consultation/settings.py calls it while settings load.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

#: allauth's provider id for this family (each deployment is one app of it, by its own id).
PROVIDER = "franceconnect_oidc"
DEFAULT_SCOPE = "openid given_name family_name email"
DEFAULT_ACR_VALUES = "eidas1"
REMOVED_SCOPES = {"address", "phone", "preferred_username"}
FIELDS = {
    "id", "name", "client_id", "secret", "issuer", "server_url", "scope", "acr_values",
    "signed_userinfo", "post_logout_redirect_uri", "verifies_identity", "prompt",
    "algorithms", "openid_configuration_overrides",
}  # fmt: skip


class ConfigurationError(ValueError):
    """A FranceConnect setting that cannot work; raised while settings load."""


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _words(value: object, default: str) -> list[str]:
    if value is None or value == "":
        value = default
    if isinstance(value, str):
        return value.replace(",", " ").split()
    return [str(word) for word in value]  # type: ignore[union-attr]


def app(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return the allauth app of one configured deployment."""
    unknown = set(item) - FIELDS
    if unknown:
        raise ConfigurationError(f"FranceConnect: unknown settings {sorted(unknown)}")
    missing = [key for key in ("id", "client_id") if not item.get(key)]
    if not (item.get("issuer") or item.get("server_url")):
        missing.append("issuer")
    if missing:
        raise ConfigurationError(f"FranceConnect: missing {missing} in {dict(item)}")
    if item["id"] == PROVIDER:
        raise ConfigurationError(f"FranceConnect: the id {PROVIDER!r} is reserved")
    scope = _words(item.get("scope"), DEFAULT_SCOPE)
    # FranceConnect v2 removed them; asking would fail every sign-in.
    removed = sorted(set(scope) & REMOVED_SCOPES)
    if removed:
        raise ConfigurationError(f"FranceConnect: the scopes {removed} are not served")
    if "openid" not in scope:
        scope.insert(0, "openid")
    return {
        "provider_id": str(item["id"]),
        "name": str(item.get("name") or "FranceConnect"),
        "client_id": str(item["client_id"]),
        "secret": str(item.get("secret", "")),
        "settings": {
            "server_url": str(item.get("issuer") or item.get("server_url")).rstrip("/"),
            "token_auth_method": "client_secret_post",
            "scope": scope,
            "acr_values": _words(item.get("acr_values"), DEFAULT_ACR_VALUES),
            "signed_userinfo": _bool(item.get("signed_userinfo", True)),
            "post_logout_redirect_uri": str(item.get("post_logout_redirect_uri") or ""),
            "verifies_identity": _bool(item.get("verifies_identity", True)),
            "prompt": str(item.get("prompt") or ""),
            "algorithms": _words(item.get("algorithms"), "ES256 RS256"),
            "openid_configuration_overrides": dict(
                item.get("openid_configuration_overrides") or {}
            ),
            "verified_email": True,
        },
    }


def from_environment(environ: Mapping[str, str] = os.environ) -> list[dict[str, Any]]:
    """Return the configured deployments: FRANCECONNECT_PROVIDERS (a JSON list), or
    the single one of the FRANCECONNECT_* variables."""
    items: list[dict[str, Any]] = json.loads(environ.get("FRANCECONNECT_PROVIDERS") or "[]")
    if environ.get("FRANCECONNECT_CLIENT_ID"):
        items.insert(
            0,
            {
                "id": environ.get("FRANCECONNECT_ID", "franceconnect"),
                "name": environ.get("FRANCECONNECT_NAME", "FranceConnect"),
                "client_id": environ["FRANCECONNECT_CLIENT_ID"],
                "secret": environ.get("FRANCECONNECT_SECRET", ""),
                "issuer": environ.get("FRANCECONNECT_ISSUER", ""),
                "scope": environ.get("FRANCECONNECT_SCOPE", ""),
                "acr_values": environ.get("FRANCECONNECT_ACR_VALUES", ""),
                "signed_userinfo": environ.get("FRANCECONNECT_SIGNED_USERINFO", "true"),
                "post_logout_redirect_uri": environ.get("FRANCECONNECT_POST_LOGOUT_REDIRECT_URI"),
                "verifies_identity": environ.get("FRANCECONNECT_VERIFIES_IDENTITY", "true"),
            },
        )
    apps = [app(item) for item in items]
    ids = [a["provider_id"] for a in apps]
    if len(ids) != len(set(ids)):
        raise ConfigurationError(f"FranceConnect: the same id twice in {ids}")
    return apps


def providers_setting(apps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return the SOCIALACCOUNT_PROVIDERS entry for these deployments (none: no entry)."""
    return {PROVIDER: {"APPS": apps, "VERIFIED_EMAIL": True}} if apps else {}
