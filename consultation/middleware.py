"""A clear 503 page, never a traceback, while the database is unreachable.

When PostgreSQL restarts (a failover, an upgrade), requests that reach it
fail with `OperationalError` or `InterfaceError`. They get a short page in
the visitor's language with `Retry-After`, and nothing half-written: each
write is one transaction, rolled back with the failed connection. Django's
connection health checks (`CONN_HEALTH_CHECKS`, on in settings) replace the
broken connection at the next request, so the app recovers by itself once
the database is back.

`DatabaseUnavailableMiddleware.process_exception` catches the errors raised
by views; `server_error` (the project's handler500) catches those raised by
middleware (a session saved after the view), where no middleware can.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils import translation
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """Return the 503 page, rendered without the database (no user, no session)."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        html = loader.get_template("503.html").render({"LANGUAGE_CODE": language})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn a view's database connection error into the 503 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.warning(
            "Database unreachable: %s %s answered 503 (%s)", request.method, request.path, exception
        )
        return database_unavailable(request)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Answer 503 for a database connection error raised outside a view, else 500."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable(request)
    try:
        html = loader.get_template("500.html").render()
    except Exception:
        html = "<h1>Server Error (500)</h1>"
    return HttpResponseServerError(html)
