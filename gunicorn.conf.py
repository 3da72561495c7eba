"""gunicorn settings, read from the environment (docs/DEPLOY.md).

Start an app server with:

    gunicorn --config gunicorn.conf.py

GUNICORN_BIND          where to listen, default 127.0.0.1:8000 (comma-separated for several)
GUNICORN_WORKERS       worker processes, default 2 × CPUs + 1 (capped at 8)
GUNICORN_THREADS       threads per worker, default 1 (sync workers)
GUNICORN_TIMEOUT       seconds a request may take before its worker is replaced, default 30
GUNICORN_GRACEFUL_TIMEOUT  seconds a worker has to finish its requests on restart, default 30
GUNICORN_MAX_REQUESTS  requests after which a worker is replaced (bounds memory), default 2000
GUNICORN_MAX_REQUESTS_JITTER  random extra requests (workers not all replaced at once), default 200

A graceful restart (new code, same socket, no dropped request) is
`kill -HUP <master pid>` (systemd: `systemctl reload consultation-web@…`).
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "consultation.wsgi:application"

bind = [item.strip() for item in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Requests are logged by the application (one JSON line with the request id,
# consultation/logging.py); gunicorn's own messages go to stderr as JSON too.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "root": {"level": "INFO", "handlers": ["error_console"]},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        },
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
        },
    },
}

# The proxy (nginx, deploy/nginx.conf) is the only client; it sets
# X-Forwarded-Proto, which Django trusts (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each worker loads the application itself: a worker recycled after
# max_requests starts with fresh database connections.
preload_app = False
