"""Personas and builders shared by the tests.

Alice and Bob are citizens, Vera has a verified account, Olga organises the
consultations. `open_consultation`, `closed_consultation` and
`upcoming_consultation` each hold one debate with one proposal by Alice.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User, VerificationMethod
from debates import actions
from debates.models import Consultation, Debate, Proposal

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


PASSWORD = "correct horse battery staple"


def make_user(
    username: str, display_name: str = "", *, confirmed: bool = True, **extra: object
) -> User:
    """Create a user whose email is confirmed unless `confirmed=False`."""
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password=PASSWORD,
        display_name=display_name or username.capitalize(),
        **extra,
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=confirmed)
    return user


def make_consultation(
    slug: str, opens_at: datetime, closes_at: datetime, title: str = ""
) -> Consultation:
    return Consultation.objects.create(
        slug=slug,
        title=title or f"Consultation {slug}",
        description="Une consultation de test.",
        opens_at=opens_at,
        closes_at=closes_at,
    )


def make_debate(consultation: Consultation, slug: str = "theme") -> Debate:
    return Debate.objects.create(
        consultation=consultation, slug=slug, title=f"Débat {slug}", introduction="Intro."
    )


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice", "Alice Martin")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob", "Bob Durand")


@pytest.fixture
def vera(db: None) -> User:
    return make_user(
        "vera",
        "Vera Vérifiée",
        verified_at=timezone.now(),
        verification_method=VerificationMethod.IDENTITY,
    )


@pytest.fixture
def olga(db: None) -> User:
    return make_user("olga", "Olga Organisatrice", is_staff=True)


def _with_proposal(consultation: Consultation, author: User) -> Consultation:
    debate = make_debate(consultation)
    actions.post_proposal(debate=debate, author=author, title="Une proposition", body="Texte.")
    return consultation


@pytest.fixture
def open_consultation(alice: User) -> Consultation:
    now = timezone.now()
    return _with_proposal(
        make_consultation("ouverte", now - timedelta(days=3), now + timedelta(days=3)), alice
    )


@pytest.fixture
def closed_consultation(alice: User) -> Consultation:
    now = timezone.now()
    return _with_proposal(
        make_consultation("fermee", now - timedelta(days=30), now - timedelta(days=1)), alice
    )


@pytest.fixture
def upcoming_consultation(alice: User) -> Consultation:
    now = timezone.now()
    return _with_proposal(
        make_consultation("a-venir", now + timedelta(days=2), now + timedelta(days=30)), alice
    )


def proposal_of(consultation: Consultation) -> Proposal:
    return Proposal.objects.select_related("debate__consultation").get(
        debate__consultation=consultation
    )


def require_shared_data(*parts: str) -> Path:
    """Return a path under ../shared; skip loudly when absent, fail under CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"shared data absent: {path} (tests on real data need the workspace's shared/)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, tmp_path: Path) -> None:
    """Frozen exports (written when a test closes a consultation) go to a fresh folder."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Start every test with an empty cache: the database is rolled back between tests,
    so cached figures keyed by primary key would describe another test's rows."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    """Hash test passwords with MD5: PBKDF2 made two thirds of the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


def on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    """Skip `postgres` tests loudly elsewhere; under CI=true a missing PostgreSQL fails.

    `make test` runs the SQLite pass with -m "not postgres" and then the whole
    suite on a throwaway PostgreSQL cluster, so CI never reaches this skip.
    """
    if request.node.get_closest_marker("postgres") is None or on_postgres():
        return
    reason = "needs PostgreSQL: run `make test` (it starts a throwaway cluster) or set DATABASE_URL"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _tasks_run_immediately(request: pytest.FixtureRequest, settings: object) -> None:
    """Tasks run inside the test that enqueues them, unless the test is marked
    `database_tasks`: those keep the database backend and run a real worker."""
    if request.node.get_closest_marker("database_tasks") is None:
        settings.TASKS = {  # type: ignore[attr-defined]
            "default": {
                "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                "QUEUES": ["default", "emails"],
            }
        }
