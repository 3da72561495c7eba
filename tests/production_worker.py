"""One app-server process with production settings, driven by tests/test_production_settings.py.

Run as `python tests/production_worker.py STEPS_JSON` with DEBUG=false and a
DATABASE_URL in the environment: it plays each step through Django's test
client, as a worker process of gunicorn would answer it, and prints one JSON
line per step. Steps:
  {"setup": true}                           migrate and create the owner's account
  {"login": EMAIL, "password": P, "ip": IP} sign in from the client at IP
  {"get": PATH, "headers": {...}}           a plain-HTTP GET (no TLS)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

# collectstatic has not run here: name static files without the manifest's hashes.
settings.STORAGES = settings.STORAGES | {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
}

OWNER = "owner@example.org"
OWNER_PASSWORD = "une phrase de passe assez longue"  # noqa: S105


def setup() -> dict[str, object]:
    from allauth.account.models import EmailAddress

    from accounts.models import User

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("owner", OWNER, OWNER_PASSWORD, display_name="Owner")
    EmailAddress.objects.create(user=user, email=OWNER, primary=True, verified=True)
    return {"cache": settings.CACHES["default"]["BACKEND"]}


def signed_in_sessions() -> int:
    """Count the stored sessions that hold a signed-in user."""
    return sum("_auth_user_id" in session.get_decoded() for session in Session.objects.all())


def login(step: dict[str, str]) -> dict[str, object]:
    client = Client(REMOTE_ADDR=step["ip"])
    sessions_before = signed_in_sessions()
    response = client.post(
        "/comptes/login/", {"login": step["login"], "password": step["password"]}, secure=True
    )
    page = response.content.decode()
    cookies = {
        name: {"secure": bool(c["secure"]), "path": c["path"], "domain": c["domain"]}
        for name, c in response.cookies.items()
    }
    return {
        "status": response.status_code,
        "signed_in": "_auth_user_id" in client.session,
        "throttled": "Trop de tentatives" in page or "Too many failed" in page,
        "new_sessions": signed_in_sessions() - sessions_before,
        "cookies": cookies,
    }


def get(step: dict[str, object]) -> dict[str, object]:
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in step.get("headers", {}).items()}
    response = Client().get(str(step["get"]), **headers)
    return {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "hsts": response.get("Strict-Transport-Security", ""),
    }


def main() -> None:
    for step in json.loads(sys.argv[1]):
        if step.get("setup"):
            result = setup()
        elif "login" in step:
            result = login(step)
        else:
            result = get(step)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
