"""The posting rate limit holds when one author posts many times at the same instant.

Counted outside the inserting transaction, 20 parallel posts against a limit
of 10 made 16 rows on PostgreSQL. Each post now takes a lock on its author's
row in the transaction that counts and inserts (debates/actions.py).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from debates.models import Consultation, Contribution
from tests.conftest import make_user, proposal_of

PARALLEL = 20
LIMIT = 10


def post_at_once(clients: list[Client], url: str, payloads: list[dict[str, str]]) -> list[int]:
    """Send every client's post at the same instant (a barrier); return the statuses."""
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(client: Client, payload: dict[str, str]) -> None:
        try:
            barrier.wait()
            statuses.append(client.post(url, payload).status_code)
        except BaseException as error:  # reported by the caller's assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=pair) for pair in zip(clients, payloads, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_against_a_limit_of_ten_make_exactly_ten_rows(
    open_consultation: Consultation, bob: User, settings: object
) -> None:
    settings.POSTING_RATE_LIMIT = LIMIT  # type: ignore[attr-defined]
    proposal = proposal_of(open_consultation)
    url = f"{proposal.get_page_url()}arguments/"
    clients = [Client() for _ in range(PARALLEL)]
    for client in clients:
        client.force_login(bob)
    payloads = [{"stance": "for", "body": f"Argument {i}"} for i in range(PARALLEL)]
    statuses = post_at_once(clients, url, payloads)
    assert sorted(statuses) == [302] * LIMIT + [429] * (PARALLEL - LIMIT)
    assert Contribution.objects.filter(author=bob).count() == LIMIT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_authors_burst_does_not_hold_back_another_author(
    open_consultation: Consultation, bob: User, settings: object
) -> None:
    settings.POSTING_RATE_LIMIT = 2  # type: ignore[attr-defined]
    eve = make_user("eve", "Ève Martin")
    proposal = proposal_of(open_consultation)
    url = f"{proposal.get_page_url()}arguments/"
    authors = [bob] * 4 + [eve] * 2
    clients = [Client() for _ in authors]
    for client, author in zip(clients, authors, strict=True):
        client.force_login(author)
    payloads = [{"stance": "against", "body": f"Non {i}"} for i in range(len(authors))]
    post_at_once(clients, url, payloads)
    assert Contribution.objects.filter(author=bob).count() == 2
    assert Contribution.objects.filter(author=eve).count() == 2
