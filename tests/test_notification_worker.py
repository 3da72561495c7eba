"""A real `db_worker` killed in the middle of a notification resumes without duplicates.

PostgreSQL only: the worker is another process on the same test database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from answers import actions as answer_actions
from followups import actions as follow_actions
from followups.models import Batch, Event
from followups.tasks import resume_stalled
from tests.conftest import make_user, proposal_of

ROOT = Path(__file__).resolve().parent.parent
FOLLOWERS = 60


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def worker(outbox: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "TASKS_BACKEND": settings.TASKS_BACKEND,
        "EMAIL_BACKEND": "tests.worker_mail.FilePerMessage",
        "WORKER_OUTBOX": str(outbox),
        "NOTIFICATION_BATCH_SIZE": "10",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "*",
            "--interval",
            "0.1",
            "--no-reload",  # one process: the autoreloader's child would outlive a kill
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def sent(outbox: Path) -> Counter[str]:
    """Return how many emails each address received (files are <address>.<uuid>.eml)."""
    return Counter(path.name.rsplit(".", 2)[0] for path in outbox.glob("*.eml"))


@pytest.mark.postgres
@pytest.mark.database_tasks
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_notification_resumes_without_sending_twice(
    open_consultation: object, olga: object, tmp_path: Path, settings: object
) -> None:
    settings.NOTIFICATION_BATCH_SIZE = 10  # type: ignore[attr-defined]
    thread = proposal_of(open_consultation)  # type: ignore[arg-type]
    followers = [make_user(f"suiveur{i:02d}") for i in range(FOLLOWERS)]
    for user in followers:
        follow_actions.follow(user=user, target=thread)
    # Committed at once (transaction=True): the event, then its fan-out task, queued.
    answer_actions.answer_proposal(proposal=thread, author=olga, state="adopted", text="Oui.")  # type: ignore[arg-type]
    expected = {"alice@example.org", *(user.email for user in followers)}

    first = worker(tmp_path)
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("*.eml"))) < 25:
        assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
        assert time.monotonic() < deadline, "the worker sent too little in two minutes"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # no clean shutdown: the worker dies mid-batch
    first.wait(timeout=30)
    cut_off = sent(tmp_path)
    time.sleep(1)
    assert sent(tmp_path) == cut_off, "something still sends: the worker is not dead"
    assert 25 <= sum(cut_off.values()) < len(expected)
    event = Event.objects.get(kind="answer")
    assert Batch.objects.filter(event=event, done_at__isnull=True).exists()

    # What send_notifications does for a stalled batch, then a fresh worker.
    resume_stalled(stale=timedelta(0), since=timedelta(hours=1))
    second = worker(tmp_path, "--batch")
    assert second.wait(timeout=180) == 0, second.stderr.read().decode() if second.stderr else ""

    counts = sent(tmp_path)
    assert set(counts) == expected
    assert set(counts.values()) == {1}, [who for who, n in counts.items() if n > 1]
    assert not Batch.objects.filter(event=event, done_at__isnull=True).exists()
