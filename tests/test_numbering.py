"""The one public numbering sequence shared by proposals, arguments and sources.

Numbers are unique, increase with time, are never reused, and the database
refuses a duplicate even across kinds. Posts made at the same instant from
several connections queue on the sequence and each get their own number.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction

from accounts.models import User
from debates import actions
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Kind,
    NumberSequence,
    Proposal,
    Source,
    Stance,
)
from tests.conftest import make_user, proposal_of

THREADS = 8
POSTS_PER_THREAD = 10


def test_a_proposal_an_argument_and_a_source_take_consecutive_numbers(
    open_consultation: Consultation, bob: User
) -> None:
    first = proposal_of(open_consultation)

    proposal = actions.post_proposal(
        debate=first.debate, author=bob, title="Une autre idée", body="Texte."
    )
    argument = actions.post_argument(
        proposal=proposal, author=bob, stance=Stance.FOR, body="Je soutiens."
    )
    source = actions.post_source(
        proposal=proposal, author=bob, title="Rapport", url="https://example.org/rapport"
    )

    n = proposal.number
    assert n > first.number
    assert (argument.number, source.number) == (n + 1, n + 2)
    assert (proposal.kind, argument.kind, source.kind) == (
        Kind.PROPOSAL,
        Kind.ARGUMENT,
        Kind.SOURCE,
    )


def test_numbers_increase_with_time(
    open_consultation: Consultation, alice: User, bob: User
) -> None:
    proposal = proposal_of(open_consultation)

    posted = [
        actions.post_argument(
            proposal=proposal,
            author=(alice, bob)[i % 2],
            stance=(Stance.FOR, Stance.AGAINST)[i % 3 == 0],
            body=f"Argument {i}",
        )
        for i in range(6)
    ]

    numbers = [argument.number for argument in posted]
    assert numbers == sorted(set(numbers))
    dates = Contribution.objects.order_by("number").values_list("created_at", flat=True)
    assert list(dates) == sorted(dates)


def test_a_post_refused_by_the_database_takes_no_number(
    open_consultation: Consultation, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    before = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="Un.")

    with pytest.raises(IntegrityError), transaction.atomic():
        actions.post_argument(proposal=proposal, author=bob, stance="neutre", body="Invalide.")
    after = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="Deux.")

    # The number and the row are one transaction: nobody ever saw the refused one.
    assert after.number == before.number + 1


def test_a_removed_contribution_leaves_a_hole_that_is_never_filled(
    open_consultation: Consultation, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    removed = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="Un.")
    Argument.objects.filter(pk=removed.pk).delete()  # only an admin purge could do this

    after = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="Deux.")

    assert after.number == removed.number + 1
    assert not Contribution.objects.filter(number=removed.number).exists()


def test_the_database_refuses_a_second_proposal_with_a_taken_number(
    open_consultation: Consultation, bob: User
) -> None:
    taken = proposal_of(open_consultation)

    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(
            number=taken.number, debate=taken.debate, author=bob, title="Copie", body="Texte."
        )


def test_the_database_refuses_an_argument_with_the_number_of_a_proposal(
    open_consultation: Consultation, bob: User
) -> None:
    proposal = proposal_of(open_consultation)

    with pytest.raises(IntegrityError), transaction.atomic():
        Argument.objects.create(
            number=proposal.number,
            proposal=proposal,
            author=bob,
            stance=Stance.AGAINST,
            body="Même numéro.",
        )

    assert Contribution.objects.filter(number=proposal.number).count() == 1


def test_the_database_refuses_a_source_with_the_number_of_an_argument(
    open_consultation: Consultation, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="Oui.")

    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(
            number=argument.number,
            proposal=proposal,
            author=bob,
            title="Rapport",
            url="https://example.org/r",
        )


def test_an_import_reserving_numbers_pushes_later_posts_past_them(
    open_consultation: Consultation, bob: User
) -> None:
    proposal = proposal_of(open_consultation)

    NumberSequence.reserve_through(5000)
    after_import = actions.post_argument(
        proposal=proposal, author=bob, stance=Stance.FOR, body="Après l'import."
    )
    NumberSequence.reserve_through(10)  # an earlier number never moves the sequence back
    later = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="Après.")

    assert (after_import.number, later.number) == (5001, 5002)


# Posts at the same instant from many connections.
#
# THREADS threads wait on a barrier, then each posts POSTS_PER_THREAD
# contributions through `debates.actions`, as simultaneous requests would.
# Every thread has its own database connection and closes it at the end.


def _post_at_once(
    proposal: Proposal, authors: list[User], connect: Callable[[], None] = lambda: None
) -> tuple[list[int], list[BaseException]]:
    """Return the numbers the threads got, and the errors they met."""
    barrier = threading.Barrier(len(authors))
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def post(i: int, author: User) -> int:
        if i % 3 == 2:
            return actions.post_proposal(
                debate=proposal.debate, author=author, title=f"Idée {i}", body="Texte."
            ).number
        stance = Stance.FOR if i % 3 == 0 else Stance.AGAINST
        return actions.post_argument(
            proposal=proposal, author=author, stance=stance, body=f"Argument {i}"
        ).number

    def worker(author: User) -> None:
        try:
            connect()
            barrier.wait(timeout=30)
            for i in range(POSTS_PER_THREAD):
                number = post(i, author)
                with lock:
                    numbers.append(number)
        except BaseException as error:  # reported by the main thread
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(author,)) for author in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a posting thread hung"
    return numbers, errors


def _assert_distinct_and_contiguous(
    numbers: list[int], errors: list[BaseException], start: int, stored: list[int]
) -> None:
    total = THREADS * POSTS_PER_THREAD
    assert errors == []
    assert len(numbers) == total
    assert sorted(numbers) == list(range(start + 1, start + total + 1))
    assert sorted(stored) == sorted(numbers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_posts_at_the_same_instant_on_postgresql_each_get_their_own_number(
    open_consultation: Consultation,
) -> None:
    proposal = proposal_of(open_consultation)
    authors = [make_user(f"citoyen{i}") for i in range(THREADS)]
    start = NumberSequence.objects.get(pk=1).last

    numbers, errors = _post_at_once(proposal, authors)

    stored = Contribution.objects.filter(number__gt=start).values_list("number", flat=True)
    _assert_distinct_and_contiguous(numbers, errors, start, list(stored))
    assert NumberSequence.objects.get(pk=1).last == start + THREADS * POSTS_PER_THREAD


@pytest.mark.django_db(transaction=True)
def test_posts_at_the_same_instant_on_sqlite_queue_and_each_get_their_own_number(
    open_consultation: Consultation, tmp_path: Path
) -> None:
    """The production SQLite setup (a file, WAL, BEGIN IMMEDIATE, 20 s timeout) queues posts.

    The test database itself cannot show it: Django's in-memory test database
    is opened in shared-cache mode, where SQLite locks tables and answers
    « database table is locked » at once instead of waiting for the busy
    timeout. So the threads work on a file copy of the test database, opened
    with the project's own connection options.
    """
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; the PostgreSQL one runs on PostgreSQL")
    proposal = proposal_of(open_consultation)
    authors = [make_user(f"citoyen{i}") for i in range(THREADS)]
    start = NumberSequence.objects.get(pk=1).last
    copy = tmp_path / "numbering.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(copy)) as target:
        connection.connection.backup(target)

    def connect_to_the_copy() -> None:
        wrapper = connections[DEFAULT_DB_ALIAS]
        wrapper.settings_dict = {**wrapper.settings_dict, "NAME": str(copy)}

    numbers, errors = _post_at_once(proposal, authors, connect_to_the_copy)

    with closing(sqlite3.connect(copy)) as db:
        stored = [
            n
            for (n,) in db.execute(
                f"SELECT number FROM {Contribution._meta.db_table} WHERE number > ?", (start,)
            )
        ]
        (last,) = db.execute(f"SELECT last FROM {NumberSequence._meta.db_table}").fetchone()
    _assert_distinct_and_contiguous(numbers, errors, start, stored)
    assert last == start + THREADS * POSTS_PER_THREAD
