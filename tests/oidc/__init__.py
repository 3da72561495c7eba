"""A real OpenID provider for the tests: the certified `oidc-provider` npm package
(tests/oidc/provider.js), configured like FranceConnect v2, run by node on a free
127.0.0.1 port. `.ci/run` installs it (`npm ci` here).

Without node or its packages the tests that need it skip with a loud reason on
a laptop, and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
import requests

from accounts.franceconnect import conf
from tests.conftest import IN_CI

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 20  # seconds for node to print READY

#: The provider's accounts: the identity-pivot claims FranceConnect returns.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "angela": {
        "password": "angela-mdp",
        "level": "eidas1",
        "claims": {
            "sub": "fc-angela-0001",
            "given_name": "Angela Claire Louise",
            "family_name": "DUBOIS",
            "birthdate": "1962-08-24",
            "gender": "female",
            "birthplace": "75107",
            "birthcountry": "99100",
            "email": "angela.dubois@example.fr",
        },
    },
    # Reaches eidas1 only: FranceConnect+ (eidas2) must refuse her.
    "basile": {
        "password": "basile-mdp",
        "level": "eidas1",
        "claims": {
            "sub": "fc-basile-0002",
            "given_name": "Basile",
            "family_name": "MARTIN",
            "birthdate": "1980-01-02",
            "gender": "male",
            "email": "basile.martin@example.fr",
        },
    },
    "chloe": {
        "password": "chloe-mdp",
        "level": "eidas3",
        "claims": {
            "sub": "fc-chloe-0003",
            "given_name": "Chloé",
            "family_name": "PETIT",
            "birthdate": "1990-05-06",
            "gender": "female",
            "email": "chloe.petit@example.fr",
        },
    },
    # Same email as the local persona `bob` (tests/conftest.py).
    "bob": {
        "password": "bob-mdp",
        "level": "eidas1",
        "claims": {
            "sub": "fc-bob-0004",
            "given_name": "Robert",
            "family_name": "DURAND",
            "birthdate": "1970-03-04",
            "gender": "male",
            "email": "bob@example.org",
        },
    },
}

#: The deployments: id -> (client metadata at the provider, our settings).
CLIENTS: dict[str, dict[str, Any]] = {
    "franceconnect": {"alg": "ES256", "name": "FranceConnect", "acr_values": "eidas1"},
    "franceconnect-plus": {"alg": "RS256", "name": "FranceConnect+", "acr_values": "eidas2"},
    # A provider that answers /userinfo in plain JSON (signed userinfo off).
    "plain": {"alg": "RS256", "name": "ProConnect", "acr_values": "eidas1", "unsigned": True},
}


def unavailable() -> str | None:
    if not shutil.which("node"):
        return "node is not installed (apt-get install nodejs npm)"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return "the OpenID provider's packages are missing (cd tests/oidc && npm ci)"
    return None


def require() -> None:
    reason = unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"FranceConnect tests cannot run under CI: {reason}")
        pytest.skip(f"FRANCECONNECT TESTS SKIPPED: {reason}")


@dataclass
class Provider:
    issuer: str
    bases: list[str]
    process: subprocess.Popen[str] = field(repr=False)

    def app(self, provider_id: str, **overrides: Any) -> dict[str, Any]:
        """Return our settings for one deployment (conf.app), as an operator would write them."""
        client = CLIENTS[provider_id]
        item = {
            "id": provider_id,
            "name": client["name"],
            "client_id": f"client-{provider_id}",
            "secret": f"secret-{provider_id}",
            "issuer": self.issuer,
            "acr_values": client["acr_values"],
            "signed_userinfo": not client.get("unsigned"),
        } | overrides
        return conf.app(item)


def _client_metadata(provider_id: str, bases: list[str]) -> dict[str, Any]:
    client = CLIENTS[provider_id]
    prefix = f"/comptes/franceconnect/{provider_id}"
    metadata = {
        "client_id": f"client-{provider_id}",
        "client_secret": f"secret-{provider_id}",
        "client_name": f"Consultation ({client['name']})",
        "redirect_uris": [f"{base}{prefix}/login/callback/" for base in bases],
        "post_logout_redirect_uris": [f"{base}{prefix}/logout/callback/" for base in bases],
        "alg": client["alg"],
    }
    if client.get("unsigned"):
        metadata["unsigned_userinfo"] = True
    return metadata


@contextmanager
def running(bases: list[str]) -> Iterator[Provider]:
    """Start the provider for a site served at these base URLs; stop it afterwards."""
    require()
    env = os.environ | {
        "OIDC_TEST_CLIENTS": json.dumps([_client_metadata(i, bases) for i in CLIENTS]),
        "OIDC_TEST_ACCOUNTS": json.dumps(ACCOUNTS),
        "DEBUG": "",
    }
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            ["node", "provider.js"],
            cwd=HERE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            issuer = _wait_ready(process, errors)
            yield Provider(issuer=issuer, bases=bases, process=process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[str], errors: Any) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if line.startswith("READY "):
                return line.split()[1]
        if process.poll() is not None:
            break
    errors.seek(0)
    raise RuntimeError(f"the OpenID provider did not start:\n{errors.read()[-3000:]}")


# The citizen's side at the provider: a browser session of its own.


class AtProvider:
    """Plays the citizen's browser at the provider (its cookies: its own SSO session)."""

    def __init__(self, site_base: str) -> None:
        self.site_base = site_base
        self.session = requests.Session()

    def go(self, url: str, method: str = "GET", data: dict[str, str] | None = None) -> Any:
        """Follow redirects at the provider; return the URL back on our site, or the page."""
        for _ in range(20):
            if url.startswith(self.site_base):
                return url
            response = self.session.request(method, url, data=data, allow_redirects=False)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                method, data = "GET", None
                continue
            return response
        raise AssertionError("too many redirects at the provider")

    @staticmethod
    def form_action(page: requests.Response, name: str) -> str:
        match = re.search(rf'action="([^"]*/{name})"', page.text)
        assert match, f"no {name} form at the provider:\n{page.text[:2000]}"
        return urljoin(page.url, match.group(1))

    def log_in(self, page: requests.Response, username: str) -> str:
        """Fill the provider's login form; return the callback URL on our site."""
        assert 'name="password"' in page.text, page.text[:2000]
        back = self.go(
            self.form_action(page, "login"),
            "POST",
            {"username": username, "password": ACCOUNTS[username]["password"]},
        )
        assert isinstance(back, str), back.text[:2000]
        return back

    def cancel(self, page: requests.Response) -> str:
        back = self.go(self.form_action(page, "cancel"), "POST", {})
        assert isinstance(back, str), back.text[:2000]
        return back

    def confirm_logout(self, page: requests.Response) -> str:
        """The provider's sign-out page: submit its form (a browser does it by script)."""
        action = re.search(r'<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"', page.text) or (
            re.search(r'<form[^>]*action="([^"]+)"[^>]*id="op.logoutForm"', page.text)
        )
        assert action, page.text[:2000]
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        back = self.go(urljoin(page.url, action.group(1)), "POST", fields | {"logout": "yes"})
        assert isinstance(back, str), getattr(back, "text", "")[:2000]
        return back


def path_of(url: str) -> str:
    parts = urlparse(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
