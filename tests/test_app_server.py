"""App servers: probes, request ids in structured logs, the 503 page, gunicorn itself."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import OperationalError, connection
from django.test import Client

from consultation.logging import RequestIdFilter
from consultation.middleware import server_error
from debates.models import Consultation

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Probes


def test_healthz_answers_without_the_database_whatever_the_host(client: Client) -> None:
    # No `db` fixture: pytest-django makes any database access raise here.
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8001")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_readyz_checks_the_database_and_the_cache(client: Client, db: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "checks": {"database:default": "ok", "cache": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_503_when_the_cache_is_unreachable(
    client: Client, db: None, settings: Any
) -> None:
    # A Redis cache on a port where nothing listens: the connection is refused.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["checks"]["database:default"] == "ok"
    assert body["checks"]["cache"].startswith("error: ")


# Request ids


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Collect the log lines of the request and django.request loggers as configured."""
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s"))
    loggers = [logging.getLogger(name) for name in ("consultation.request", "django.request")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_proxys_request_id_is_returned_and_on_every_log_line(
    client: Client, db: None, captured_logs: io.StringIO
) -> None:
    response = client.get("/nulle-part/", HTTP_X_REQUEST_ID="req-4242")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-4242"
    lines = log_lines(captured_logs)
    assert {line["name"] for line in lines} == {"django.request", "consultation.request"}
    assert {line["request_id"] for line in lines} == {"req-4242"}
    access = next(line for line in lines if line["name"] == "consultation.request")
    assert (access["method"], access["path"], access["status"]) == ("GET", "/nulle-part/", 404)
    assert access["duration_ms"] >= 0


def test_a_malformed_request_id_is_replaced(client: Client, db: None) -> None:
    forged = 'x\n{"level": "CRITICAL"}'
    response = client.get("/healthz", HTTP_X_REQUEST_ID=forged)
    assert response["X-Request-ID"] != forged
    assert len(response["X-Request-ID"]) == 32
    other = client.get("/healthz")
    assert other["X-Request-ID"] not in {"", response["X-Request-ID"]}


# The 503 page


@pytest.fixture
def unreachable_database() -> Iterator[str]:
    """Point the default connection at a port where no PostgreSQL listens; yield the real one."""
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    yield saved
    connection.close()
    connection.settings_dict["PORT"] = saved


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_outage_answers_a_french_503_page_then_recovers(
    open_consultation: Consultation, unreachable_database: str
) -> None:
    client = Client()
    response = client.get(open_consultation.get_absolute_url())
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert "Service momentanément indisponible" in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert client.get("/readyz").status_code == 503
    english = client.get(open_consultation.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 503
    assert "Service temporarily unavailable" in english.content.decode()

    # PostgreSQL is back: the next request reconnects, no restart.
    connection.settings_dict["PORT"] = unreachable_database
    assert client.get(open_consultation.get_absolute_url()).status_code == 200


def test_a_database_error_outside_a_view_answers_503(rf: Any) -> None:
    request = rf.get("/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


# gunicorn


@pytest.fixture
def gunicorn_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "false",
        "SECRET_KEY": "gunicorn-test-key",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "LOG_FORMAT": "json",
    }
    # With DEBUG off and no CACHE_URL the cache is a database table (/readyz checks it).
    subprocess.run(
        [sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True,
        capture_output=True, timeout=120,
    )  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=10).ok
        except requests.RequestException:
            return False

    deadline = time.monotonic() + 90
    while not up():
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            server.wait(timeout=30)
            pytest.fail(f"gunicorn did not start: {log.read_text()}")
        time.sleep(0.3)
    try:
        yield base, server, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_gunicorn_serves_the_probes_and_logs_json_with_the_request_id(
    gunicorn_server: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    base, server, log = gunicorn_server
    response = requests.get(f"{base}/healthz", headers={"X-Request-ID": "probe-1"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "probe-1"
    assert requests.get(f"{base}/readyz", timeout=10).json()["ready"] is True

    # A graceful restart (SIGHUP) replaces the workers and drops no request:
    # the socket stays open, requests wait while the new workers load Django.
    server.send_signal(signal.SIGHUP)
    for _ in range(10):
        assert requests.get(f"{base}/healthz", timeout=90).status_code == 200
        time.sleep(0.1)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "probe-1" not in log.read_text():
        time.sleep(0.2)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "consultation.request"]
    assert {"request_id": "probe-1", "path": "/healthz", "status": 200}.items() <= next(
        line for line in access if line["request_id"] == "probe-1"
    ).items()
    assert any(line.get("logger") == "gunicorn.error" for line in lines)
