"""Exports: four anonymised CSV tables and the JSON document, live while open, frozen after.

Hidden contributions keep their number, author line, dates and public reason,
never their text; nobody's e-mail or username leaves the site, nor who voted.
Large exports stream with constant memory and a constant number of queries.
The JSON document imports back, hidden contributions included.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Model
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import actions as account_actions
from accounts.models import User
from debates import actions, moderation
from debates.counters import analyze, rebuild
from debates.interchange import dumps, export_consultation, import_consultation
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Kind,
    NumberSequence,
    Proposal,
    Source,
    Stance,
    Vote,
    VoteValue,
)
from debates.opendata.exports import (
    ARGUMENT_COLUMNS,
    PROPOSAL_COLUMNS,
    SOURCE_COLUMNS,
    VOTE_COLUMNS,
    public_document,
)
from tests.conftest import make_consultation, make_debate, make_user, proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]

SECRET = "TEXTE-MASQUÉ-SECRET"
TABLES = ["propositions", "arguments", "sources", "votes"]
ALL_FILES = [f"{t}.csv" for t in TABLES] + ["consultation.json"]


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    """Frozen exports go to a fresh folder for each test."""
    settings.MEDIA_ROOT = tmp_path / "media"


def url(consultation: Consultation, name: str, utf8: bool = False) -> str:
    return f"/consultations/{consultation.slug}/{name}" + ("?format=utf8" if utf8 else "")


def download(client: Client, address: str) -> bytes:
    response = client.get(address)
    assert response.status_code == 200, address
    assert isinstance(response, StreamingHttpResponse | FileResponse)
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def spreadsheet_rows(data: bytes) -> list[dict[str, str]]:
    """Parse the default variant: BOM, `;`, CRLF."""
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def plain_rows(data: bytes) -> list[dict[str, str]]:
    assert not data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


@pytest.fixture
def jeanne(db: None) -> User:
    """An author whose username, made from her e-mail address, must never be published."""
    return make_user("jeanne.privee42", "Jeanne P.")


@pytest.fixture
def rich(
    open_consultation: Consultation, alice: User, bob: User, vera: User, jeanne: User, olga: User
) -> Consultation:
    """The open consultation with every kind of contribution, votes, hidden ones, a deleted author.

    #1 (Alice's proposal): 2 pour by Bob and Vera, 1 contre by Jeanne, one
    hidden « pour » by Bob; a source by Vera, a hidden source by Bob; votes:
    Bob agrees, Vera disagrees; Jeanne's proposal is hidden; Bob's account is deleted.
    """
    proposal = proposal_of(open_consultation)
    actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="Oui, car…")
    actions.post_argument(proposal=proposal, author=vera, stance=Stance.FOR, body="Vérifié.")
    actions.post_argument(proposal=proposal, author=jeanne, stance=Stance.AGAINST, body="Non.")
    bad = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body=SECRET)
    actions.post_source(
        proposal=proposal,
        author=vera,
        title="Rapport",
        url="https://example.org/rapport",
        description="Un rapport public.",
    )
    spam = actions.post_source(
        proposal=proposal, author=bob, title=SECRET, url="https://spam.example", description=SECRET
    )
    hidden_proposal = actions.post_proposal(
        debate=proposal.debate, author=jeanne, title=SECRET, body=SECRET
    )
    actions.cast_vote(proposal=proposal, user=bob, value=VoteValue.AGREE)
    actions.cast_vote(proposal=proposal, user=vera, value=VoteValue.DISAGREE)
    for item, reason in ((bad, "offensive"), (spam, "spam"), (hidden_proposal, "off_topic")):
        moderation.hide(contribution=item, actor=olga, reason=reason, note="Précision publique.")
    account_actions.delete_account(user=bob)
    return open_consultation


def close(consultation: Consultation) -> None:
    """Move the closing date into the past (as an organiser's « close now » would)."""
    consultation.closes_at = timezone.now() - timedelta(minutes=1)
    consultation.save()


# --------------------------------------------------------------------------- CSV content


def test_the_proposals_table_opens_in_a_spreadsheet_with_the_counts_of_the_pages(
    rich: Consultation, client: Client
) -> None:
    data = download(client, url(rich, "propositions.csv"))
    assert data.startswith(b"\xef\xbb\xbfnumber;debate;debate_title;title;body;")
    assert b"\r\n" in data
    rows = spreadsheet_rows(data)
    assert list(rows[0]) == PROPOSAL_COLUMNS
    expected = Proposal.objects.filter(debate__consultation=rich).with_counts().order_by("number")
    assert [int(r["number"]) for r in rows] == [p.number for p in expected]
    first, proposal = rows[0], expected[0]
    assert first["debate"] == "theme"
    assert first["debate_title"] == "Débat theme"
    assert first["title"] == "Une proposition"
    assert first["body"] == "Texte."
    assert first["author"] == "Alice Martin"
    assert first["author_verified"] == "false"
    assert first["created_at"] == timezone.localtime(proposal.created_at).isoformat()
    assert (first["arguments_for"], first["arguments_against"], first["sources"]) == ("3", "1", "2")
    assert (first["votes_agree"], first["votes_mixed"], first["votes_disagree"]) == ("1", "0", "1")
    assert first["hidden"] == "false"
    assert (first["hidden_reason"], first["hidden_at"], first["hidden_note"]) == ("", "", "")


def test_the_utf8_variant_is_plain_comma_separated_utf8_without_bom(
    rich: Consultation, client: Client
) -> None:
    default = spreadsheet_rows(download(client, url(rich, "arguments.csv")))
    data = download(client, url(rich, "arguments.csv", utf8=True))
    assert data.startswith(b"number,proposal,debate,stance,body,")
    assert plain_rows(data) == default


def test_the_arguments_table_lists_stance_proposal_and_endorsements(
    rich: Consultation, client: Client, vera: User
) -> None:
    argument = Argument.objects.get(body="Vérifié.")
    actions.toggle_endorsement(argument=argument, user=vera)
    argument.imported_endorsements = 4
    argument.save()
    rows = plain_rows(download(client, url(rich, "arguments.csv", utf8=True)))
    assert list(rows[0]) == ARGUMENT_COLUMNS
    by_number = {int(r["number"]): r for r in rows}
    row = by_number[argument.number]
    assert row["proposal"] == str(argument.proposal.number)
    assert row["stance"] == "for"
    assert row["author"] == "Vera Vérifiée"
    assert row["author_verified"] == "true"
    assert row["endorsements"] == "5"  # one here, four imported
    assert sorted(by_number) == sorted(
        Argument.objects.filter(proposal__debate__consultation=rich).values_list(
            "number", flat=True
        )
    )


def test_the_sources_table_lists_category_url_and_description(
    rich: Consultation, client: Client
) -> None:
    rows = plain_rows(download(client, url(rich, "sources.csv", utf8=True)))
    assert list(rows[0]) == SOURCE_COLUMNS
    visible = next(r for r in rows if r["hidden"] == "false")
    assert visible["title"] == "Rapport"
    assert visible["url"] == "https://example.org/rapport"
    assert visible["description"] == "Un rapport public."
    assert visible["author"] == "Vera Vérifiée"


def test_the_votes_table_gives_counts_per_proposal_and_never_who_voted(
    rich: Consultation, client: Client
) -> None:
    proposal = proposal_of_number(rich)
    proposal.imported_votes_mixed = 5
    proposal.save()
    data = download(client, url(rich, "votes.csv", utf8=True))
    rows = plain_rows(data)
    assert list(rows[0]) == VOTE_COLUMNS
    row = next(r for r in rows if r["proposal"] == str(proposal.number))
    assert (row["agree"], row["mixed"], row["disagree"], row["total"]) == ("1", "5", "1", "7")
    assert len(rows) == Proposal.objects.filter(debate__consultation=rich).count()
    for voter in ("Vera", "vera", "Compte supprimé"):
        assert voter.encode() not in data


def proposal_of_number(consultation: Consultation) -> Proposal:
    return Proposal.objects.filter(debate__consultation=consultation).order_by("number").first()  # type: ignore[return-value]


def test_hidden_contributions_keep_number_reason_and_date_but_never_their_text(
    rich: Consultation, client: Client
) -> None:
    for name in ALL_FILES:
        for utf8 in (False, True):
            assert SECRET.encode() not in download(client, url(rich, name, utf8)), name
    hidden = Contribution.objects.filter(hidden_at__isnull=False)
    rows = {
        Kind.PROPOSAL: plain_rows(download(client, url(rich, "propositions.csv", True))),
        Kind.ARGUMENT: plain_rows(download(client, url(rich, "arguments.csv", True))),
        Kind.SOURCE: plain_rows(download(client, url(rich, "sources.csv", True))),
    }
    assert hidden.count() == 3
    for contribution in hidden:
        row = next(r for r in rows[contribution.kind] if r["number"] == str(contribution.number))
        assert row["hidden"] == "true"
        assert row["hidden_reason"] == contribution.hidden_reason
        assert row["hidden_at"] == timezone.localtime(contribution.hidden_at).isoformat()
        assert row["hidden_note"] == "Précision publique."
        text_columns = {
            Kind.PROPOSAL: ["title", "body"],
            Kind.ARGUMENT: ["body"],
            Kind.SOURCE: ["category", "title", "url", "description"],
        }[contribution.kind]
        assert all(row[column] == "" for column in text_columns)
        assert row["author"]  # the author line stays, as on the pages


def test_exports_name_authors_by_display_name_only(
    rich: Consultation, client: Client, jeanne: User
) -> None:
    for name in ALL_FILES:
        data = download(client, url(rich, name, utf8=True))
        assert b"@" not in data, name  # no e-mail address
        assert jeanne.username.encode() not in data, name
        assert b"compte-supprime:" not in data, name
    rows = plain_rows(download(client, url(rich, "arguments.csv", True)))
    authors = {r["author"] for r in rows}
    assert authors == {"Compte supprimé", "Vera Vérifiée", "Jeanne P."}


def test_the_spreadsheet_variant_defuses_formulas_and_the_utf8_one_keeps_the_text(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    debate = proposal_of(open_consultation).debate
    actions.post_proposal(debate=debate, author=alice, title="=HYPERLINK(1)", body="+33 1 23")
    sheet = spreadsheet_rows(download(client, url(open_consultation, "propositions.csv")))
    plain = plain_rows(download(client, url(open_consultation, "propositions.csv", True)))
    assert (sheet[-1]["title"], sheet[-1]["body"]) == ("'=HYPERLINK(1)", "'+33 1 23")
    assert (plain[-1]["title"], plain[-1]["body"]) == ("=HYPERLINK(1)", "+33 1 23")


def test_text_with_separators_quotes_and_line_breaks_survives_a_round_trip(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    body = 'Ligne 1 ; « citation » "guillemets", virgule\nLigne 2\r\nfin — 😀'
    debate = proposal_of(open_consultation).debate
    actions.post_proposal(debate=debate, author=alice, title="Séparateurs", body=body)
    for utf8, parse in ((False, spreadsheet_rows), (True, plain_rows)):
        rows = parse(download(client, url(open_consultation, "propositions.csv", utf8)))
        assert rows[-1]["body"] == body


# --------------------------------------------------------------------------- JSON


def test_the_json_export_is_the_interchange_document_anonymised(
    rich: Consultation, client: Client, jeanne: User
) -> None:
    response = client.get(url(rich, "consultation.json"))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert f'filename="{rich.slug}.json"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    # Streamed, it is the text dumps() writes of the document built in memory.
    assert data == dumps(public_document(rich)).encode()
    document = json.loads(data)
    original = export_consultation(rich)
    assert (document["format"], document["version"]) == ("consultation-interchange", 3)
    assert document["consultation"] == original["consultation"]
    keys = {author["key"] for author in document["authors"]}
    assert keys == {f"auteur-{pk}" for pk in rich_author_pks(rich)}
    assert [a["key"] for a in document["authors"]] == sorted(keys)
    assert {a["name"] for a in document["authors"]} == {a["name"] for a in original["authors"]}
    proposals = document["debates"][0]["proposals"]
    numbers = [p["number"] for p in proposals]
    assert numbers == [p["number"] for p in original["debates"][0]["proposals"]]
    hidden_proposal = next(p for p in proposals if p["author"] == f"auteur-{jeanne.pk}")
    assert (hidden_proposal["title"], hidden_proposal["body"]) == ("", "")
    first = proposals[0]
    assert first["title"] == "Une proposition"
    assert "hidden" not in first
    assert [a["body"] for a in first["arguments"] if a["body"] == ""] == [""]
    spam = next(s for s in first["sources"] if s["title"] == "")
    assert (spam["url"], spam["description"]) == ("", "")
    # Why they are empty: the public reason, note and date of the hiding, as the CSV say.
    hidden = Contribution.objects.filter(hidden_at__isnull=False)
    entries = {c["number"]: c for c in [hidden_proposal, *first["arguments"], *first["sources"]]}
    assert {entries[c.number]["hidden"]["reason"] for c in hidden} == {
        "off_topic",
        "offensive",
        "spam",
    }
    for contribution in hidden:
        assert entries[contribution.number]["hidden"] == {
            "at": timezone.localtime(contribution.hidden_at).isoformat(),
            "reason": contribution.hidden_reason,
            "note": "Précision publique.",
        }


def rich_author_pks(consultation: Consultation) -> set[int]:
    return set(
        Contribution.objects.filter(
            number__in=[
                n
                for d in export_consultation(consultation)["debates"]
                for p in d["proposals"]
                for n in [p["number"]]
                + [a["number"] for a in p["arguments"]]
                + [s["number"] for s in p["sources"]]
            ]
        ).values_list("author_id", flat=True)
    )


def test_the_json_export_of_a_consultation_without_hidden_text_imports_back(
    open_consultation: Consultation, client: Client
) -> None:
    document = json.loads(download(client, url(open_consultation, "consultation.json")))
    document["consultation"]["slug"] = "copie"
    result = import_consultation(document, renumber=True)
    assert result.proposals == 1


def pages(consultation: Consultation) -> dict[str, str]:
    """Return the consultation's public pages, as a visitor reads them.

    Profile links carry account ids, which differ between the site and a
    copy, and forms a random CSRF token: they are the only things set aside.
    """
    visitor = Client()
    addresses = [consultation.get_absolute_url()]
    addresses += [debate.get_absolute_url() for debate in consultation.debates.all()]
    proposals = Proposal.objects.filter(debate__consultation=consultation).order_by("number")
    addresses += [proposal.get_page_url() for proposal in proposals]
    found = {}
    for address in addresses:
        response = visitor.get(address)
        assert response.status_code == 200, address
        page = re.sub(r"/profils/\d+/", "/profils/…/", response.content.decode())
        found[address] = re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "csrf", page)
    return found


def test_the_json_export_with_hidden_contributions_imports_back_to_the_same_pages(
    client: Client, alice: User, bob: User, vera: User, jeanne: User, olga: User
) -> None:
    with transaction.atomic():
        now = timezone.now()
        consultation = make_consultation(
            "moderee", now - timedelta(days=3), now + timedelta(days=3)
        )
        proposal = actions.post_proposal(
            debate=make_debate(consultation), author=alice, title="Une proposition", body="Texte."
        )
        debate = make_debate(consultation, "second")
        make_debate(consultation, "vide")
        actions.post_argument(proposal=proposal, author=vera, stance=Stance.FOR, body="Vérifié.")
        bad = actions.post_argument(
            proposal=proposal, author=bob, stance=Stance.AGAINST, body=SECRET
        )
        actions.post_source(proposal=proposal, author=vera, title="Rapport", url="https://e.org/r")
        spam = actions.post_source(
            proposal=proposal,
            author=bob,
            title=SECRET,
            url="https://spam.example",
            description=SECRET,
        )
        hidden_proposal = actions.post_proposal(
            debate=debate, author=jeanne, title=SECRET, body=SECRET
        )
        actions.post_argument(
            proposal=hidden_proposal, author=vera, stance=Stance.AGAINST, body="Réponse."
        )
        for item, reason, note in (
            (bad, "offensive", "Précision publique."),
            (spam, "spam", ""),
            (hidden_proposal, "personal_data", "Une adresse."),
        ):
            moderation.hide(contribution=item, actor=olga, reason=reason, note=note)
        account_actions.delete_account(user=bob)
        data = download(client, url(consultation, "consultation.json"))
        before = pages(consultation)
        # Forget all of it, numbers included, as on another site.
        transaction.set_rollback(True)
    assert not Contribution.objects.filter(hidden_at__isnull=False).exists()
    assert SECRET.encode() not in data

    result = import_consultation(json.loads(data))

    after = pages(result.consultation)
    assert list(after) == list(before)
    for address, page in before.items():
        assert after[address] == page, address
    hidden_page = before[hidden_proposal.get_page_url()]
    assert "Contribution masquée par la modération" in hidden_page
    assert "Une adresse." in hidden_page
    page = before[proposal.get_page_url()]
    assert page.count("Contribution masquée par la modération") == 2  # an argument, a source
    assert "Précision publique." in page
    assert "Compte supprimé" in page
    assert Contribution.objects.filter(hidden_at__isnull=False).count() == 3
    # The same file imports into a fresh address too, with fresh numbers.
    document = json.loads(data)
    document["consultation"]["slug"] = "copie"
    copy = import_consultation(document, renumber=True)
    assert copy.contributions == result.contributions == 7
    assert Contribution.objects.filter(hidden_at__isnull=False).count() == 6


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("name", ALL_FILES)
def test_a_draft_has_no_export(
    open_consultation: Consultation, client: Client, olga: User, name: str
) -> None:
    open_consultation.is_draft = True
    open_consultation.save()
    assert client.get(url(open_consultation, name)).status_code == 404
    client.force_login(olga)  # not even for staff: exports are publications
    assert client.get(url(open_consultation, name)).status_code == 404


def test_an_unknown_file_or_consultation_is_not_found(
    open_consultation: Consultation, client: Client
) -> None:
    assert client.get(url(open_consultation, "users.csv")).status_code == 404
    assert client.get("/consultations/inconnue/propositions.csv").status_code == 404


def test_exports_refuse_writes(open_consultation: Consultation, client: Client) -> None:
    assert client.post(url(open_consultation, "propositions.csv")).status_code == 405


def test_the_consultation_page_links_every_file_and_says_they_are_live(
    open_consultation: Consultation, client: Client
) -> None:
    html = client.get(open_consultation.get_absolute_url()).content.decode()
    for name in ALL_FILES:
        assert f'href="{url(open_consultation, name)}"' in html
    for table in TABLES:
        assert f'href="{url(open_consultation, table + ".csv")}?format=utf8"' in html
    assert "en direct" in html
    assert "Empreinte SHA-256" not in html


# --------------------------------------------------------------------------- live, then frozen


def test_before_the_close_an_export_is_live_and_follows_the_data(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    response = client.get(url(open_consultation, "propositions.csv"))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Cache-Control"] == "no-cache"
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert 'filename="ouverte-propositions.csv"' in response["Content-Disposition"]
    before = b"".join(response.streaming_content)
    actions.post_proposal(
        debate=proposal_of(open_consultation).debate, author=alice, title="Nouvelle", body="x"
    )
    after = download(client, url(open_consultation, "propositions.csv"))
    assert after != before
    assert b"Nouvelle" in after


def test_after_the_close_every_download_serves_the_bytes_of_the_first(
    rich: Consultation, client: Client, settings: Any
) -> None:
    close(rich)
    first = {(n, u): download(client, url(rich, n, u)) for n in ALL_FILES for u in (False, True)}
    # An administrator edits a proposal after the close, bypassing the gate.
    proposal = proposal_of_number(rich)
    proposal.title = "Titre corrigé après la clôture"
    proposal.save()
    Vote.objects.filter(proposal=proposal).delete()
    for (name, utf8), data in first.items():
        assert download(client, url(rich, name, utf8)) == data, name
    assert "Titre corrigé".encode() not in b"".join(first.values())
    folder = Path(settings.MEDIA_ROOT) / "exports" / rich.slug
    stored = {p.name for p in folder.glob("*/*")}
    assert "propositions.csv" in stored
    assert "propositions.utf8.csv" in stored
    assert "consultation.json.sha256" in stored
    assert not [name for name in stored if name.endswith(".part")]


def test_a_frozen_file_carries_its_checksum_and_the_page_shows_it(
    rich: Consultation, client: Client
) -> None:
    close(rich)
    page = client.get(rich.get_absolute_url()).content.decode()
    assert "figés" in page
    assert page.count("calculée au premier téléchargement") == 9
    response = client.get(url(rich, "propositions.csv"))
    assert isinstance(response, FileResponse)
    data = b"".join(response.streaming_content)
    digest = hashlib.sha256(data).hexdigest()
    assert response["ETag"] == f'"{digest}"'
    assert response["X-Export-SHA256"] == digest
    assert 'filename="ouverte-propositions.csv"' in response["Content-Disposition"]
    page = client.get(rich.get_absolute_url()).content.decode()
    assert f'<code class="checksum">{digest}</code>' in page
    assert page.count("calculée au premier téléchargement") == 8


def test_a_consultation_reopened_then_closed_again_freezes_anew(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    close(open_consultation)
    first = download(client, url(open_consultation, "propositions.csv"))
    open_consultation.closes_at = timezone.now() + timedelta(days=1)
    open_consultation.save()
    debate = proposal_of(open_consultation).debate
    actions.post_proposal(debate=debate, author=alice, title="Après réouverture", body="x")
    live = download(client, url(open_consultation, "propositions.csv"))
    assert "Après réouverture".encode() in live
    close(open_consultation)
    second = download(client, url(open_consultation, "propositions.csv"))
    assert second == live != first


def test_a_request_that_lost_the_race_to_freeze_serves_the_winners_file(
    closed_consultation: Consultation, client: Client, alice: User, monkeypatch: Any
) -> None:
    from debates.opendata import exports

    winner = download(client, url(closed_consultation, "votes.csv"))
    path = next((Path(exports.storage().location) / "exports").glob("*/*/votes.csv"))
    path.with_name("votes.csv.sha256").unlink()  # as if the winner stopped there
    real_exists = Path.exists
    # The loser saw no file, computed its own, then found the winner's in place.
    monkeypatch.setattr(Path, "exists", lambda self: False if self == path else real_exists(self))
    debate = proposal_of(closed_consultation).debate
    Proposal.objects.create(
        number=NumberSequence.next_number(), debate=debate, author=alice, title="T", body="B"
    )
    assert download(client, url(closed_consultation, "votes.csv")) == winner
    monkeypatch.undo()
    assert path.with_name("votes.csv.sha256").read_text().split()[0] == (
        hashlib.sha256(winner).hexdigest()
    )


# --------------------------------------------------------------------------- queries


# Each table: the consultation; then its rows in one query (counts are subqueries).
# The JSON: the consultation; authors, debates; proposals, arguments, sources.
BUDGETS = {"propositions.csv": 2, "arguments.csv": 2, "sources.csv": 2, "votes.csv": 2}
BUDGETS["consultation.json"] = 6


@pytest.mark.parametrize("size", [1, 40])
@pytest.mark.parametrize("name", ALL_FILES)
def test_an_export_keeps_its_query_budget_whatever_the_size(
    open_consultation: Consultation,
    client: Client,
    django_assert_num_queries: AssertQueries,
    name: str,
    size: int,
) -> None:
    grow(open_consultation, proposals=size, per_proposal=3)
    with django_assert_num_queries(BUDGETS[name]):
        download(client, url(open_consultation, name))


def grow(consultation: Consultation, proposals: int, per_proposal: int) -> None:
    debate = proposal_of(consultation).debate
    authors = [make_user(f"auteur{i}") for i in range(3)]
    for i in range(proposals):
        proposal = actions.post_proposal(
            debate=debate, author=authors[i % 3], title=f"P{i}", body="x"
        )
        for j in range(per_proposal):
            actions.post_argument(
                proposal=proposal, author=authors[j % 3], stance=Stance.FOR, body="a"
            )
        actions.post_source(proposal=proposal, author=authors[0], title="s", url="https://e.org")
        actions.cast_vote(proposal=proposal, user=authors[1], value=VoteValue.MIXED)


# --------------------------------------------------------------------------- streaming


def _insert(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """Insert child rows of a multi-table model directly (bulk_create refuses those)."""
    fields = [model._meta.get_field(name) for name in rows[0]]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)  # type: ignore[union-attr]
    marks = ", ".join(["%s"] * len(fields))
    values = [
        [field.get_db_prep_save(row[field.name], connection) for field in fields]  # type: ignore[union-attr]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})", values
        )


def build_large(slug: str, size: int, authors: list[User]) -> Consultation:
    """Create a consultation of `size` contributions: 10 % proposals, 70 % arguments, 20 % sources.

    Parents by bulk_create on Contribution, children by executemany, in one
    transaction; numbers reserved in the sequence, counters rebuilt and the
    planner's statistics refreshed, as an import does.
    """
    now = timezone.now()
    consultation = make_consultation(slug, now - timedelta(days=10), now + timedelta(days=10))
    debate = make_debate(consultation)
    proposals = size // 10
    arguments = size * 7 // 10
    kinds = [Kind.PROPOSAL] * proposals + [Kind.ARGUMENT] * arguments
    kinds += [Kind.SOURCE] * (size - len(kinds))
    start = (
        Contribution.objects.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    with transaction.atomic():
        parents = Contribution.objects.bulk_create(
            [
                Contribution(
                    number=start + i,
                    kind=kind,
                    consultation=consultation,
                    author=authors[i % len(authors)],
                    created_at=now - timedelta(minutes=size - i),
                    updated_at=now - timedelta(minutes=size - i),
                    hidden_at=now if i % 97 == 0 else None,
                    hidden_reason="spam" if i % 97 == 0 else "",
                )
                for i, kind in enumerate(kinds)
            ],
            batch_size=1000,
        )
        proposal_ids = [c.pk for c in parents[:proposals]]
        _insert(
            Proposal,
            [
                {
                    "contribution_ptr": pk,
                    "debate": debate.pk,
                    "title": f"Proposition {i} sur le numérique",
                    "body": "Un texte de proposition assez long pour peser. " * 5,
                    "imported_votes_agree": 0,
                    "imported_votes_mixed": 0,
                    "imported_votes_disagree": 0,
                }
                for i, pk in enumerate(proposal_ids)
            ],
        )
        _insert(
            Argument,
            [
                {
                    "contribution_ptr": c.pk,
                    "proposal": proposal_ids[i % proposals],
                    "stance": Stance.FOR if i % 3 else Stance.AGAINST,
                    "body": "Un argument qui dit pourquoi, en quelques phrases. " * 3,
                    "original_rank": None,
                    "imported_endorsements": 0,
                }
                for i, c in enumerate(parents[proposals : proposals + arguments])
            ],
        )
        _insert(
            Source,
            [
                {
                    "contribution_ptr": c.pk,
                    "proposal": proposal_ids[i % proposals],
                    "title": "Une source",
                    "url": "https://example.org/source",
                    "description": "Ce que dit la source.",
                    "category": "Site internet",
                }
                for i, c in enumerate(parents[proposals + arguments :])
            ],
        )
        Vote.objects.bulk_create(
            [
                Vote(proposal_id=pk, user=authors[j], value=VoteValue.values[j % 3])
                for pk in proposal_ids
                for j in range(3)
            ],
            batch_size=1000,
        )
        NumberSequence.reserve_through(start + size - 1)
        rebuild(consultation)  # the counters, as an import leaves them
    analyze()  # fresh planner statistics, as an import leaves them too
    return consultation


def stream_peak(client: Client, address: str) -> tuple[int, int, int]:
    """Return (peak traced memory, bytes, queries) while the response is consumed."""
    response = client.get(address)
    assert isinstance(response, StreamingHttpResponse)
    chunks: Iterator[bytes] = iter(response.streaming_content)  # type: ignore[arg-type]
    size = 0
    with CaptureQueriesContext(connection) as queries:
        tracemalloc.start()
        try:
            for chunk in chunks:
                size += len(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peak, size, len(queries)


def test_large_exports_stream_with_constant_memory_and_queries(db: None, client: Client) -> None:
    authors = [make_user(f"masse{i}", f"Participant {i}") for i in range(10)]
    started = time.perf_counter()
    small = build_large("petite", 2_000, authors)
    small_built = time.perf_counter()
    large = build_large("grande", 20_000, authors)
    large_built = time.perf_counter()
    assert Contribution.objects.count() == 22_000
    report = [
        f"built 2,000 contributions in {small_built - started:.2f}s, "
        f"20,000 in {large_built - small_built:.2f}s ({connection.vendor})"
    ]
    # Each table: its rows. The JSON: authors, debates; proposals, arguments, sources.
    queries = {f"{table}.csv": 1 for table in TABLES} | {"consultation.json": 5}
    for name, expected_queries in queries.items():
        started = time.perf_counter()
        small_peak, small_size, small_queries = stream_peak(client, url(small, name))
        small_time = time.perf_counter() - started
        started = time.perf_counter()
        large_peak, large_size, large_queries = stream_peak(client, url(large, name))
        large_time = time.perf_counter() - started
        report.append(
            f"{name}: 2,000 → {small_size:,} bytes, peak {small_peak / 1e6:.2f} MB, "
            f"{small_time:.2f}s; 20,000 → {large_size:,} bytes, peak {large_peak / 1e6:.2f} MB, "
            f"{large_time:.2f}s"
        )
        assert large_size > 8 * small_size
        # Ten times the rows, not ten times the memory: one fetch of FETCH_SIZE rows at a time.
        assert large_peak < 3 * small_peak, name
        assert large_peak < 16_000_000, name
        assert small_queries == large_queries == expected_queries, name
    print("\n".join(report))  # shown with `pytest -s`: the figures of docs/exports.md
