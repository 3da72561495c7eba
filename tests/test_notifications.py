"""Email notifications: each kind once, to the right people, in their language, unsubscribable."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import actions as account_actions
from accounts.models import User
from answers import actions as answer_actions
from debates import actions, moderation
from debates.models import Consultation, HideReason, Proposal
from followups import actions as follow_actions
from followups.events import record_due
from followups.links import unsubscribe_token
from followups.models import Delivery, Event, NotificationSettings
from tests.conftest import make_consultation, make_debate, make_user, proposal_of


def to(messages: list[Any]) -> list[str]:
    return sorted(address for message in messages for address in message.to)


@pytest.fixture
def thread(open_consultation: Consultation, alice: User) -> Proposal:
    return proposal_of(open_consultation)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_new_argument_or_source_reaches_the_followers_but_not_its_author(
    thread: Proposal, bob: User, on_commit: Any
) -> None:
    carla = make_user("carla")
    follow_actions.follow(user=bob, target=thread)
    follow_actions.follow(user=carla, target=thread)
    with on_commit():
        argument = actions.post_argument(proposal=thread, author=carla, stance="for", body="Oui !")
    assert to(mail.outbox) == ["alice@example.org", "bob@example.org"]  # the author follows
    message = mail.outbox[0]
    assert message.subject == f"Nouvel argument sur la proposition #{thread.number}"
    assert "Carla a publié un argument pour la proposition" in message.body
    assert f"/contributions/{argument.number}/" in message.body
    mail.outbox.clear()
    with on_commit():
        actions.post_source(proposal=thread, author=bob, title="Rapport", url="https://a.fr/r")
    assert to(mail.outbox) == ["alice@example.org", "carla@example.org"]
    assert mail.outbox[0].subject == f"Nouvelle source sur la proposition #{thread.number}"


def test_every_email_is_in_the_recipients_language(
    thread: Proposal, bob: User, on_commit: Any
) -> None:
    eve = make_user("eve", "Eve", language="en")
    follow_actions.follow(user=eve, target=thread)
    with on_commit():
        actions.post_argument(proposal=thread, author=bob, stance="against", body="Non.")
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address["eve@example.org"].subject == f"New argument on proposal #{thread.number}"
    assert "Bob Durand posted an argument against proposal" in by_address["eve@example.org"].body
    assert by_address["alice@example.org"].subject.startswith("Nouvel argument")


@pytest.mark.parametrize("account", ["unconfirmed", "blocked", "deleted", "inactive"])
def test_nothing_goes_to_unconfirmed_blocked_or_deleted_accounts(
    thread: Proposal, bob: User, on_commit: Any, account: str
) -> None:
    dora = make_user("dora", confirmed=account != "unconfirmed")
    follow_actions.follow(user=dora, target=thread)
    if account == "blocked":
        moderation.block(user=dora, reason="spam")
    elif account == "deleted":
        account_actions.delete_account(user=dora)
    elif account == "inactive":
        dora.is_active = False
        dora.save()
    with on_commit():
        actions.post_argument(proposal=thread, author=bob, stance="for", body="Oui.")
    assert to(mail.outbox) == ["alice@example.org"]


def test_hiding_and_restoring_tell_the_author_unless_switched_off(
    thread: Proposal, bob: User, olga: User, on_commit: Any
) -> None:
    thread.debate.consultation.organisers.add(olga)
    argument = actions.post_argument(proposal=thread, author=bob, stance="for", body="Pub")
    with on_commit():
        moderation.hide(contribution=argument, actor=olga, reason=HideReason.SPAM)
    with on_commit():
        moderation.unhide(contribution=argument, actor=olga)
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        f"Votre contribution #{argument.number} a été masquée",
        f"Votre contribution #{argument.number} a été rétablie",
    ]
    assert "Motif : Publicité ou spam" in mail.outbox[0].body
    mail.outbox.clear()
    NotificationSettings.objects.create(user=bob, moderation=False)
    with on_commit():
        moderation.hide(contribution=argument, actor=olga, reason=HideReason.SPAM)
    assert mail.outbox == []


def test_an_official_answer_reaches_followers_of_the_proposal_and_debate_and_its_author(
    thread: Proposal, bob: User, olga: User, on_commit: Any
) -> None:
    carla, dan, eli = make_user("carla"), make_user("dan"), make_user("eli")
    follow_actions.follow(user=bob, target=thread)
    follow_actions.follow(user=carla, target=thread.debate)
    follow_actions.follow(user=dan, target=thread.debate.consultation)  # not for answers
    follow_actions.follow(user=eli, target=thread)
    NotificationSettings.objects.create(user=eli, answers=False)
    thread.debate.consultation.organisers.add(olga)
    with on_commit():
        answer_actions.answer_proposal(proposal=thread, author=olga, state="adopted", text="Oui.")
    assert to(mail.outbox) == ["alice@example.org", "bob@example.org", "carla@example.org"]
    message = mail.outbox[0]
    assert message.subject == f"Réponse officielle sur la proposition #{thread.number} : Retenue"
    assert f"{thread.get_page_url()}#reponse" in message.body
    # A corrected text says nothing again; a changed state does, once.
    mail.outbox.clear()
    with on_commit():
        answer_actions.answer_proposal(proposal=thread, author=olga, state="adopted", text="Oui !")
    assert mail.outbox == []
    with on_commit():
        answer_actions.answer_proposal(proposal=thread, author=olga, state="rejected", text="Non.")
        answer_actions.answer_proposal(proposal=thread, author=olga, state="rejected", text="N.")
    assert len(mail.outbox) == 3


def test_an_author_who_stopped_following_hears_nothing_of_the_answer(
    thread: Proposal, alice: User, olga: User, on_commit: Any
) -> None:
    follow_actions.stop_following(user=alice, target=thread)
    with on_commit():
        answer_actions.answer_proposal(proposal=thread, author=olga, state="adopted", text="Oui.")
    assert mail.outbox == []


def test_the_calendar_and_the_results_are_announced_once_by_the_periodic_command(
    bob: User, olga: User, alice: User, on_commit: Any
) -> None:
    def run() -> None:
        with on_commit():
            call_command("send_notifications", verbosity=0)

    now = timezone.now()
    consultation = make_consultation("bientot", now - timedelta(days=10), now + timedelta(days=5))
    proposal = actions.post_proposal(
        debate=make_debate(consultation), author=alice, title="P", body="b"
    )
    follow_actions.follow(user=bob, target=consultation)
    consultation.organisers.add(olga)
    answer_actions.answer_proposal(
        proposal=proposal,
        author=olga,
        state="under_study",
        text="À l'étude.",
        publish_at=now + timedelta(days=6),
    )
    answer_actions.write_results(
        consultation=consultation, author=olga, text="Merci.", publish_at=now + timedelta(days=7)
    )
    run()
    assert mail.outbox == []  # more than three days before the close
    with time_machine.travel(now + timedelta(days=2, hours=1)):
        run()
        run()
    assert [m.subject for m in mail.outbox] == [
        "La consultation « Consultation bientot » ferme dans trois jours"
    ]
    with time_machine.travel(now + timedelta(days=5, minutes=10)):
        run()
    assert mail.outbox[-1].subject == "La consultation « Consultation bientot » est fermée"
    with time_machine.travel(now + timedelta(days=6, minutes=10)):
        run()
    # The scheduled answer, to its author (who follows their proposal).
    assert mail.outbox[-1].to == ["alice@example.org"]
    assert mail.outbox[-1].subject.endswith(": À l'étude")
    with time_machine.travel(now + timedelta(days=7, minutes=10)):
        run()
        run()
    assert mail.outbox[-1].subject == (
        "La synthèse de la consultation « Consultation bientot » est publiée"
    )
    assert "/consultations/bientot/synthese/" in mail.outbox[-1].body
    assert Counter((m.to[0], m.subject) for m in mail.outbox).most_common(1)[0][1] == 1
    assert len(mail.outbox) == 4


def test_a_first_run_on_an_old_archive_announces_nothing(db: None) -> None:
    old = make_consultation(
        "archive", timezone.now() - timedelta(days=400), timezone.now() - timedelta(days=300)
    )
    follow_actions.follow(user=make_user("zoe"), target=old)
    assert record_due() == {"closing_soon": 0, "closed": 0, "answers": 0, "results": 0}


def test_a_daily_digest_gathers_the_day_in_one_email_sent_once(
    thread: Proposal, bob: User, on_commit: Any
) -> None:
    follow_actions.follow(user=bob, target=thread)
    NotificationSettings.objects.create(user=bob, frequency="daily")
    carla = make_user("carla")
    with on_commit():
        actions.post_argument(proposal=thread, author=carla, stance="for", body="Un.")
        actions.post_source(proposal=thread, author=carla, title="Deux", url="https://a.fr/2")
    assert "bob@example.org" not in to(mail.outbox)
    mail.outbox.clear()
    for _run in range(2):
        with on_commit():
            call_command("send_notifications", "--digests", verbosity=0)
    assert to(mail.outbox) == ["bob@example.org"]
    digest = mail.outbox[0]
    assert digest.subject == "Votre résumé du jour : 2 nouvelle(s)"
    assert f"Nouvel argument sur la proposition #{thread.number}" in digest.body
    assert f"Nouvelle source sur la proposition #{thread.number}" in digest.body
    assert not Delivery.objects.filter(user=bob, sent_at__isnull=True).exists()


# Unsubscribing.


def test_each_email_carries_one_click_unsubscribe_headers_that_work_signed_out(
    thread: Proposal, bob: User, client: Client, on_commit: Any
) -> None:
    follow_actions.follow(user=bob, target=thread)
    with on_commit():
        actions.post_argument(proposal=thread, author=alice_of(thread), stance="for", body="x")
    message = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://") and header.endswith(">")
    path = "/" + header[1:-1].split("/", 3)[3]
    assert path in message.body
    # A mail client's one-click POST: no session, no CSRF token.
    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get(path)
    assert page.status_code == 200 and "Me désabonner" in page.content.decode()
    assert NotificationSettings.objects.filter(user=bob).count() == 0  # a GET changes nothing
    response = csrf_client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "vous ne recevrez plus" in response.content.decode()
    chosen = NotificationSettings.objects.get(user=bob)
    assert (chosen.replies, chosen.answers, chosen.moderation) == (False, True, True)
    mail.outbox.clear()
    with on_commit():
        actions.post_argument(proposal=thread, author=alice_of(thread), stance="for", body="y")
    assert "bob@example.org" not in to(mail.outbox)


def alice_of(thread: Proposal) -> User:
    return (
        make_user("carla")
        if not User.objects.filter(username="carla").exists()
        else (User.objects.get(username="carla"))
    )


@pytest.mark.parametrize(
    "forge",
    ["tampered", "other_salt", "garbage", "unknown_channel", "unknown_user"],
)
def test_a_forged_unsubscribe_link_is_refused_and_changes_nothing(
    bob: User, alice: User, client: Client, forge: str
) -> None:
    genuine = unsubscribe_token(bob.pk, "replies")
    token = {
        # Bob's signature on a payload naming Alice: it no longer matches.
        "tampered": signing.b64_encode(json.dumps([alice.pk, "replies"]).encode()).decode()
        + ":"
        + genuine.rsplit(":", 1)[1],
        "other_salt": signing.dumps([alice.pk, "replies"], compress=False),
        "garbage": "abc",
        "unknown_channel": unsubscribe_token(alice.pk, "everything"),
        "unknown_user": unsubscribe_token(999999, "replies"),
    }[forge]
    response = client.post(f"/desabonnement/{token}/")
    assert response.status_code == 400
    assert "n'est pas valide" in response.content.decode()
    assert not NotificationSettings.objects.exists()


# Resuming a digest after a failure: each recipient once.


def test_a_digest_cut_off_mid_run_resumes_without_sending_twice(
    thread: Proposal, olga: User, settings: Any, on_commit: Any
) -> None:
    from tests.flaky_mail import DropsOnce

    settings.EMAIL_BACKEND = "tests.flaky_mail.DropsOnce"
    settings.NOTIFICATION_BATCH_SIZE = 10
    DropsOnce.sent, DropsOnce.fail_at = 0, 15
    followers = [make_user(f"suiveur{i}") for i in range(35)]
    for user in followers:
        follow_actions.follow(user=user, target=thread)
    with on_commit():
        answer_actions.answer_proposal(proposal=thread, author=olga, state="adopted", text="Oui.")
    expected = {"alice@example.org", *(u.email for u in followers)}
    # The second batch stopped at its fifth email: five of its ten are missing.
    assert len(mail.outbox) == len(expected) - 6
    event = Event.objects.get(kind="answer")
    assert event.batches.filter(done_at__isnull=True).count() == 1
    # The periodic command finds the batch left undone and sends it again.
    for _run in range(2):
        with time_machine.travel(timezone.now() + timedelta(minutes=20)), on_commit():
            call_command("send_notifications", verbosity=0)
    counts = Counter(m.to[0] for m in mail.outbox)
    assert set(counts) == expected
    assert set(counts.values()) == {1}
    assert Delivery.objects.filter(event=event).count() == len(expected)


def test_the_fan_out_reads_recipients_in_bounded_keyset_batches(
    thread: Proposal, settings: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from followups.events import record
    from followups.models import Batch, EventKind
    from followups.tasks import fan_out

    settings.NOTIFICATION_BATCH_SIZE = 7
    for i in range(30):
        follow_actions.follow(user=make_user(f"lecteur{i}"), target=thread)
    record(
        EventKind.REPLY,
        "reply:test",
        consultation=thread.debate.consultation,
        proposal=thread,
        contribution=thread,
    )
    event = Event.objects.get(key="reply:test")
    settings.TASKS = {  # enqueue only: count the fan-out's own reads
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["emails"]}
    }
    with CaptureQueriesContext(connection) as queries:
        # 30 readers (Alice, the author of the "reply", is left out), 7 at a time
        assert fan_out.call(event.pk) == 5
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert len(reads) == 6  # five batches and the empty read that ends the loop
    assert all("LIMIT 7" in sql for sql in reads)
    readers = sorted(
        User.objects.filter(username__startswith="lecteur").values_list("pk", flat=True)
    )
    ranges = [(b.first, b.last) for b in Batch.objects.order_by("first")]
    assert ranges == [(readers[i], readers[min(i + 6, 29)]) for i in range(0, 30, 7)]
