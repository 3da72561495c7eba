"""Structured logs: one JSON object per line, each carrying the request's id.

The id comes from the proxy's `X-Request-ID` header when it is well formed
(nginx sets it from `$request_id`, so its access log and ours share it), or
is made here. `RequestIdMiddleware` keeps it in a context variable for the
time of the request, returns it in the response's `X-Request-ID` header and
logs one line per request; `RequestIdFilter` stamps it on every log record.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# What we accept from the proxy: short, and nothing that could forge a log line.
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

request_id: ContextVar[str] = ContextVar("request_id", default="-")
access_log = logging.getLogger("consultation.request")


def incoming_id(request: HttpRequest) -> str:
    """Return the proxy's request id when well formed, else a new one."""
    given = request.headers.get(HEADER, "")
    if VALID_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Stamp the current request's id (or « - » outside a request) on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestIdMiddleware:
    """Give each request an id, return it in a header, and log the request once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Not reset on the way out: Django logs 4xx and 5xx responses after
        # the last middleware; `request_finished` clears the id instead.
        request_id.set(incoming_id(request))
        started = time.monotonic()
        response = self.get_response(request)
        response[HEADER] = request_id.get()
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


@receiver(request_finished)
def _forget_request_id(**kwargs: object) -> None:
    request_id.set("-")
