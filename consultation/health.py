"""Probes for the proxy and the process manager.

`/healthz` says the process is up and answering (no database, no cache: a
database outage must not get every app server restarted). `/readyz` says it
can serve: the database (and the replica, when configured) and the cache
answer; otherwise 503, so a balancer sends traffic elsewhere.

Both are answered by a middleware placed first, before host validation,
sessions and authentication, so a probe touches nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


def healthz(request: HttpRequest) -> HttpResponse:
    """Return 200: the process is up."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


def _database(alias: str) -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means « not ready », said in the body
        connections[alias].close_if_unusable_or_obsolete()
        return f"error: {type(error).__name__}"
    return "ok"


def _cache() -> str:
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        if cache.get(key) != "1":
            return "error: value not kept"
        cache.delete(key)
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


def readyz(request: HttpRequest) -> HttpResponse:
    """Return 200 when every database and the cache answer, 503 otherwise."""
    checks = {f"database:{alias}": _database(alias) for alias in connections}
    checks["cache"] = _cache()
    ready = all(value == "ok" for value in checks.values())
    response = JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answer the probes before any other middleware runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH:
            return healthz(request)
        if request.path == READY_PATH:
            return readyz(request)
        return self.get_response(request)
