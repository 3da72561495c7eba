"""Frozen exports follow a hiding made after the close, and say so.

After the close, each export file is frozen at its first download. Reports
are still allowed then, and a contribution may be hidden later (personal
data, for instance): before, the frozen files kept serving its text. Now a
hide or unhide of a contribution of a closed consultation redoes every file
in a new generation, the downloads carry the new SHA-256, and the open-data
part of the consultation page says when and why the files were redone
(numbers and public reasons, never the text), still listing the checksums
they replaced.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from debates import actions, moderation
from debates.models import Consultation, HideReason, Proposal
from debates.opendata import exports
from tests.conftest import make_consultation, make_debate
from tests.test_moderation_admin import hide_through_admin, make_moderator, make_superuser

SECRET = "Mon numéro est le 06 12 34 56 78"
NAMES = [*exports.NAMES]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STAFF_REQUIRE_2FA = False


@pytest.fixture
def closed(alice: User, bob: User) -> Proposal:
    """A closed consultation whose one proposal carries personal data in its text."""
    now = timezone.now()
    consultation = make_consultation("close", now - timedelta(days=30), now + timedelta(days=1))
    debate = make_debate(consultation)
    proposal = actions.post_proposal(debate=debate, author=alice, title="Idée", body=SECRET)
    actions.post_argument(proposal=proposal, author=bob, stance="for", body="Oui.")
    consultation.closes_at = now - timedelta(minutes=1)
    consultation.save()
    return proposal


def url(consultation: Consultation, name: str, utf8: bool = False) -> str:
    return f"/consultations/{consultation.slug}/{name}" + ("?format=utf8" if utf8 else "")


def download_all(client: Client, consultation: Consultation) -> dict[str, tuple[bytes, str]]:
    """Download the nine files; return their bytes and announced SHA-256 by stored name."""
    files = {}
    for export in exports.export_files():
        response = client.get(url(consultation, export.name, export.utf8))
        assert response.status_code == 200
        data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert response["X-Export-SHA256"] == hashlib.sha256(data).hexdigest()
        files[export.stored_name] = (data, response["X-Export-SHA256"])
    return files


def page(client: Client, consultation: Consultation) -> str:
    response = client.get(consultation.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def hide_in_admin(client: Client, item: Any, capture: Any, reason: str) -> None:
    mona = make_moderator()
    client.force_login(mona)
    with capture(execute=True):
        hide_through_admin(client, [item], reason=reason)
    client.logout()


def test_hiding_after_the_close_redoes_the_frozen_files_and_says_so(
    closed: Proposal, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    consultation = closed.debate.consultation
    first = download_all(client, consultation)
    assert SECRET.encode() in first["propositions.csv"][0]

    hide_in_admin(client, closed, django_capture_on_commit_callbacks, HideReason.PERSONAL_DATA)

    second = download_all(client, consultation)
    for name, (data, _) in second.items():
        assert SECRET.encode() not in data, name
    changed = {name for name, (_, sha256) in second.items() if sha256 != first[name][1]}
    # The files holding the proposal's text; the others are redone with the same bytes.
    assert changed == {"propositions.csv", "propositions.utf8.csv", "consultation.json"}
    html = page(client, consultation)
    assert SECRET not in html
    assert "Fichiers refaits après la clôture" in html
    assert f"la contribution #{closed.number} masquée (motif : Données personnelles)" in html
    for name, (_, sha256) in second.items():
        assert f'<code class="checksum">{sha256}</code>' in html, name
    for name in changed:  # the previous checksums, still listed
        assert f'<code class="checksum">{first[name][1]}</code>' in html, name
    # Nothing is lost: the first files stay on disk beside the new generation.
    base = Path(exports.storage().path(exports.frozen_folder(consultation)))
    assert (base / "propositions.csv").read_bytes() == first["propositions.csv"][0]
    assert (base / "refait-1" / "propositions.csv").read_bytes() == second["propositions.csv"][0]


def test_unhiding_redoes_them_again_and_keeps_every_earlier_checksum(
    closed: Proposal, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    consultation = closed.debate.consultation
    first = download_all(client, consultation)
    hide_in_admin(client, closed, django_capture_on_commit_callbacks, HideReason.PERSONAL_DATA)
    second = download_all(client, consultation)
    closed.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.unhide(contribution=closed, actor=make_moderator("marc", "Marc"))
    third = download_all(client, consultation)
    assert third["propositions.csv"][0] == first["propositions.csv"][0]  # text back
    done = exports.refreezes(consultation)
    assert [(r.generation, [(c.action, c.number) for c in r.changes]) for r in done] == [
        (1, [("hide", closed.number)]),
        (2, [("unhide", closed.number)]),
    ]
    assert done[1].previous["propositions.csv"] == second["propositions.csv"][1]
    html = page(client, consultation)
    assert f"la contribution #{closed.number} rétablie" in html
    for files in (first, second, third):
        assert f'<code class="checksum">{files["consultation.json"][1]}</code>' in html


def test_a_bulk_hiding_redoes_the_files_once(
    closed: Proposal, client: Client, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    consultation = closed.debate.consultation
    # A second contribution of Alice (written directly: the gate is the views' job).
    other = actions.post_argument(proposal=closed, author=alice, stance="against", body="Non.")
    download_all(client, consultation)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        count = moderation.hide_all_by(author=alice, actor=make_moderator(), reason="spam")
    assert count == 2 and len(callbacks) >= 2
    done = exports.refreezes(consultation)
    assert len(done) == 1
    assert sorted(c.number for c in done[0].changes) == sorted([closed.number, other.number])


def test_nothing_is_redone_before_the_first_download(
    closed: Proposal, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    consultation = closed.debate.consultation
    hide_in_admin(client, closed, django_capture_on_commit_callbacks, HideReason.PERSONAL_DATA)
    assert exports.refreezes(consultation) == []
    files = download_all(client, consultation)
    assert all(SECRET.encode() not in data for data, _ in files.values())
    assert "Fichiers refaits" not in page(client, consultation)


def test_a_hiding_while_open_leaves_no_file(
    open_consultation: Consultation, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    proposal = Proposal.objects.get(debate__consultation=open_consultation)
    hide_in_admin(client, proposal, django_capture_on_commit_callbacks, HideReason.SPAM)
    assert not Path(exports.storage().location).exists() or not any(
        Path(exports.storage().location).rglob("*.csv")
    )


def test_a_second_redoing_is_not_triggered_by_an_already_covered_hiding(
    closed: Proposal, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    consultation = closed.debate.consultation
    download_all(client, consultation)
    hide_in_admin(client, closed, django_capture_on_commit_callbacks, HideReason.PERSONAL_DATA)
    assert exports.refreeze(consultation) is None
    assert len(exports.refreezes(consultation)) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.database_tasks
def test_the_redoing_runs_in_the_database_worker_after_the_commit(
    closed: Proposal, client: Client
) -> None:
    from django.core.management import call_command

    consultation = closed.debate.consultation
    first = download_all(client, consultation)
    # A real commit (transactional test): the hiding enqueues the task, nothing is redone yet.
    # A superuser acts: a transactional test flushes the groups the migrations made.
    moderation.hide(contribution=closed, actor=make_superuser(), reason="personal_data")
    assert exports.refreezes(consultation) == []
    assert download_all(client, consultation) == first
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert [r.generation for r in exports.refreezes(consultation)] == [1]
    assert SECRET.encode() not in download_all(client, consultation)["propositions.csv"][0]
