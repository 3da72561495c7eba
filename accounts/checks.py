"""System checks for the settings that security depends on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

# Backends whose entries every worker and app server sees. The others (local
# memory, files, dummy) count per process or per machine, or not at all.
SHARED_CACHE_BACKENDS = frozenset(
    {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
        # What CACHE_URL selects: Redis through django-redis (settings.py).
        "django_redis.cache.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
    }
)


@register(Tags.security, Tags.caches)
def shared_cache_in_production(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse a per-process cache when DEBUG is off.

    The cache holds allauth's sign-in throttling and the TOTP codes already
    used: with one cache per gunicorn worker, each worker counts on its own
    and a used code works again on the next worker.
    """
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in SHARED_CACHE_BACKENDS:
        return []
    return [
        Error(
            f"The default cache ({backend}) is not shared between processes.",
            hint=(
                "In production use the database cache (the default when CACHE_URL is "
                "unset) or Redis (CACHE_URL=redis://…): sign-in throttling and used "
                "TOTP codes must hold across workers and app servers."
            ),
            id="accounts.E001",
        )
    ]
