"""Production settings, in processes of their own: HTTPS, cookies, the shared cache, throttling.

Each test starts Python with DEBUG=false as an operator would (tests/
production_worker.py plays requests through Django's test client), so the
settings read from the environment are the ones under test, not overrides.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error
from django.test import override_settings

from accounts.checks import shared_cache_in_production

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "production_worker.py"
DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"
OPERATOR_VARIABLES = (
    "DATABASE_URL",
    "CACHE_URL",
    "BEHIND_PROXY",
    "TRUSTED_PROXY_COUNT",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    # Set by the browser tests (Playwright) in this process: not an operator's choice,
    # and check --deploy rightly refuses it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OPERATOR_VARIABLES}
    env |= {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver,consultation.example.org",
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
    }
    return env | extra


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def worker(env: dict[str, str], steps: list[dict[str, object]]) -> list[dict]:
    """Run one app-server process through `steps`; return each step's result."""
    done = subprocess.run(
        [sys.executable, str(WORKER), json.dumps(steps)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def settings_of(env: dict[str, str], *names: str) -> dict[str, object]:
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}, default=str))"
    )
    done = manage(env, "shell", "-c", code)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a production deployment on a fresh, migrated SQLite file."""
    database = tmp_path_factory.mktemp("production") / "db.sqlite3"
    env = production_env(DATABASE_URL=f"sqlite:///{database}")
    [setup] = worker(env, [{"setup": True}])
    # No CACHE_URL: the database cache, its table created by migrate alone.
    assert setup == {"cache": DATABASE_CACHE}
    return env


def test_check_deploy_passes_with_the_production_defaults() -> None:
    for extra in ({}, {"CACHE_URL": "redis://127.0.0.1:6379/0"}, {"BEHIND_PROXY": "true"}):
        done = manage(production_env(**extra), "check", "--deploy", "--fail-level", "WARNING")
        assert done.returncode == 0, (extra, done.stdout + done.stderr)
        assert "System check identified no issues (0 silenced)." in done.stdout, extra


def test_production_turns_on_https_hsts_host_cookies_and_a_shared_cache() -> None:
    values = settings_of(
        production_env(),
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_DOMAIN",
        "SESSION_COOKIE_PATH",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_DOMAIN",
        "CSRF_COOKIE_PATH",
        "CACHES",
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600  # type: ignore[operator]
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    # No proxy declared: a client's X-Forwarded-Proto is not believed.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    for cookie in ("SESSION", "CSRF"):
        assert values[f"{cookie}_COOKIE_NAME"].startswith("__Host-")  # type: ignore[union-attr]
        assert values[f"{cookie}_COOKIE_SECURE"] is True
        assert values[f"{cookie}_COOKIE_DOMAIN"] is None
        assert values[f"{cookie}_COOKIE_PATH"] == "/"
    assert values["CACHES"]["default"]["BACKEND"] == DATABASE_CACHE  # type: ignore[index]
    with_redis = settings_of(production_env(CACHE_URL="redis://127.0.0.1:6379/0"), "CACHES")
    assert with_redis["CACHES"]["default"] == {  # type: ignore[index]
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        # Pages answer while Redis is down (docs/DEPLOY.md).
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }


def test_the_operator_may_switch_the_redirect_and_hsts_off_and_declare_a_proxy() -> None:
    env = production_env(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0", BEHIND_PROXY="true")
    values = settings_of(
        env,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "ALLAUTH_TRUSTED_PROXY_COUNT": 1,
    }
    # Turned off by name, so on purpose: the deploy check says so, and passes.
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(2 silenced)" in done.stdout


def test_plain_http_is_redirected_and_a_forged_forwarded_proto_is_not_believed(
    production: dict[str, str],
) -> None:
    plain, forged = worker(
        production, [{"get": "/"}, {"get": "/", "headers": {"X-Forwarded-Proto": "https"}}]
    )
    assert plain["status"] == 301
    assert plain["location"] == "https://testserver/"
    assert forged["status"] == 301
    assert forged["location"] == "https://testserver/"
    [proxied] = worker(
        production | {"BEHIND_PROXY": "true"},
        [{"get": "/", "headers": {"X-Forwarded-Proto": "https"}}],
    )
    assert proxied["status"] == 200
    assert proxied["hsts"] == "max-age=31536000; includeSubDomains; preload"


def test_failed_sign_ins_count_across_processes_and_never_lock_the_owner_out(
    production: dict[str, str],
) -> None:
    """The attack: wrong passwords for someone else's account, spread over two workers."""
    attacker = "203.0.113.5"
    wrong = {"login": "owner@example.org", "password": "pas le bon mot de passe", "ip": attacker}
    first_worker = worker(production, [wrong] * 3)
    assert [(r["status"], r["signed_in"], r["throttled"]) for r in first_worker] == [
        (200, False, False)
    ] * 3
    second_worker = worker(
        production,
        [
            wrong,
            wrong,
            wrong,  # the sixth: over the limit of five, counted with the first worker's three
            wrong | {"password": "une phrase de passe assez longue"},
            {
                "login": "owner@example.org",
                "password": "une phrase de passe assez longue",
                "ip": "198.51.100.7",
            },
        ],
    )
    fourth, fifth, sixth, attacker_right, owner = second_worker
    assert (fourth["throttled"], fifth["throttled"]) == (False, False)
    assert sixth["throttled"] and not sixth["signed_in"]
    # Even the right password is refused to the throttled client: no signed-in session.
    assert attacker_right["throttled"]
    assert not attacker_right["signed_in"]
    assert attacker_right["new_sessions"] == 0
    # The owner, from another client, signs in: the attacker could not lock them out.
    assert owner["status"] == 302
    assert owner["signed_in"]
    assert owner["new_sessions"] == 1
    assert owner["cookies"]["__Host-sessionid"] == {"secure": True, "path": "/", "domain": ""}


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    ],
)
def test_the_system_check_refuses_a_per_process_cache_when_debug_is_off(backend: str) -> None:
    with override_settings(DEBUG=False, CACHES={"default": {"BACKEND": backend}}):
        [error] = shared_cache_in_production()
    assert isinstance(error, Error)
    assert error.id == "accounts.E001"
    with override_settings(DEBUG=True, CACHES={"default": {"BACKEND": backend}}):
        assert shared_cache_in_production() == []
    for shared in (
        DATABASE_CACHE,
        "django.core.cache.backends.redis.RedisCache",
        "django_redis.cache.RedisCache",
    ):
        with override_settings(DEBUG=False, CACHES={"default": {"BACKEND": shared}}):
            assert shared_cache_in_production() == []
