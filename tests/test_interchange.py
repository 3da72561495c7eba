"""The interchange format: export a consultation, import it back, refuse faulty files whole.

Documents are built here in code; the demo files of debates/demo/ are the only
files read, and they must come back unchanged through import and export.
Version 2 carries the hiding of contributions; version 1 files still import.
The streamed export writes the very bytes of the export held in memory.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.utils import timezone

from accounts.models import User, VerificationMethod
from debates import actions, interchange, moderation
from debates.demo import DEMO_FILES
from debates.interchange import (
    BLANKED_URL,
    InterchangeError,
    NumberCollision,
    dumps,
    export_consultation,
    import_consultation,
    iter_export_consultation,
    load_file,
)
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Debate,
    HideReason,
    Kind,
    NumberSequence,
    Proposal,
    Source,
    Stance,
)
from tests.conftest import make_consultation, make_debate, proposal_of

CNNUM = DEMO_FILES[0]


def document() -> dict[str, Any]:
    """Return a small valid document; optional keys are left out on purpose."""
    return {
        "format": "consultation-interchange",
        "version": 2,
        "consultation": {
            "slug": "importee",
            "title": "Consultation importée",
            "opens_at": "2025-01-01T00:00:00+01:00",
            "closes_at": "2025-03-01T00:00:00+01:00",
        },
        "authors": [
            {"key": "zoe", "name": "Zoé Importée", "verified": True},
            {"key": "yves", "name": "Yves Importé"},
        ],
        "debates": [
            {
                "slug": "theme",
                "title": "Un thème",
                "proposals": [
                    {
                        "number": 501,
                        "author": "zoe",
                        "created_at": "2025-01-10T10:00:00+01:00",
                        "title": "Une proposition importée",
                        "body": "Son texte.",
                        "arguments": [
                            {
                                "number": 502,
                                "stance": "for",
                                "author": "yves",
                                "created_at": "2025-01-11T10:00:00+01:00",
                                "body": "Pour.",
                            },
                            {
                                "number": 503,
                                "stance": "against",
                                "author": "zoe",
                                "created_at": "2025-01-12T10:00:00+01:00",
                                "body": "Contre.",
                            },
                        ],
                        "sources": [
                            {
                                "number": 504,
                                "author": "yves",
                                "created_at": "2025-01-13T10:00:00+01:00",
                                "title": "Un rapport",
                                "url": "https://example.org/rapport",
                            }
                        ],
                    }
                ],
            }
        ],
    }


def row_counts() -> dict[str, int]:
    sequence = NumberSequence.objects.filter(pk=1).values_list("last", flat=True).first()
    return {
        "consultations": Consultation.objects.count(),
        "debates": Debate.objects.count(),
        "contributions": Contribution.objects.count(),
        "users": User.objects.count(),
        "sequence": sequence or 0,
    }


def contributions_of(exported: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every contribution of an exported document, in document order."""
    found = []
    for debate in exported["debates"]:
        for proposal in debate["proposals"]:
            found += [proposal, *proposal["arguments"], *proposal["sources"]]
    return found


@pytest.fixture
def rich_consultation(alice: User, bob: User, vera: User) -> Consultation:
    """Two debates; proposals with arguments pour and contre and sources, by three authors."""
    now = timezone.now()
    consultation = make_consultation("riche", now - timedelta(days=5), now + timedelta(days=5))
    first, second = make_debate(consultation, "premier"), make_debate(consultation, "second")
    second.position = 1
    second.save()
    proposal = actions.post_proposal(debate=first, author=vera, title="Idée", body="Texte.")
    actions.post_argument(proposal=proposal, author=alice, stance=Stance.FOR, body="Oui.")
    actions.post_argument(proposal=proposal, author=bob, stance=Stance.AGAINST, body="Non.")
    actions.post_source(
        proposal=proposal, author=bob, title="Étude", url="https://example.org/etude"
    )
    other = actions.post_proposal(debate=second, author=alice, title="Autre", body="Encore.")
    actions.post_argument(proposal=other, author=vera, stance=Stance.FOR, body="D'accord.")
    return consultation


HIDDEN_TEXT = "Texte masqué par la modération"


@pytest.fixture
def moderated_consultation(
    rich_consultation: Consultation, alice: User, bob: User, vera: User, olga: User
) -> Consultation:
    """The rich consultation, with hidden contributions and nothing in places.

    Added: a hidden proposal (with an argument), a hidden argument and a hidden
    source on « Idée », a proposal with neither arguments nor sources, and an
    empty debate between the two others.
    """
    first = rich_consultation.debates.get(slug="premier")
    make_debate(rich_consultation, "vide")  # position 0 like the first: after it, by pk
    proposal = Proposal.objects.get(debate=first, title="Idée")
    hidden_proposal = actions.post_proposal(
        debate=first, author=bob, title=HIDDEN_TEXT, body=HIDDEN_TEXT
    )
    actions.post_argument(proposal=hidden_proposal, author=vera, stance=Stance.AGAINST, body="Non.")
    argument = actions.post_argument(
        proposal=proposal, author=bob, stance=Stance.FOR, body=HIDDEN_TEXT
    )
    source = actions.post_source(
        proposal=proposal,
        author=alice,
        title=HIDDEN_TEXT,
        url="https://example.org/masque",
        description=HIDDEN_TEXT,
    )
    actions.post_proposal(debate=first, author=vera, title="Seule", body="Sans réponse.")
    moderation.hide(contribution=hidden_proposal, actor=olga, reason=HideReason.OFF_TOPIC)
    moderation.hide(contribution=argument, actor=olga, reason=HideReason.OFFENSIVE, note="Injure.")
    moderation.hide(contribution=source, actor=olga, reason=HideReason.SPAM, note="Publicité.")
    return rich_consultation


# --------------------------------------------------------------------------- export


@pytest.mark.django_db
def test_the_export_holds_the_whole_consultation_in_number_order(
    rich_consultation: Consultation,
) -> None:
    exported = export_consultation(rich_consultation)

    assert (exported["format"], exported["version"]) == ("consultation-interchange", 3)
    assert exported["consultation"]["slug"] == "riche"
    assert [d["slug"] for d in exported["debates"]] == ["premier", "second"]
    assert [a["key"] for a in exported["authors"]] == ["alice", "bob", "vera"]
    vera = exported["authors"][2]
    assert vera["verified"] is True
    assert vera["verification_method"] == VerificationMethod.IDENTITY
    proposal = exported["debates"][0]["proposals"][0]
    assert [a["stance"] for a in proposal["arguments"]] == ["for", "against"]
    assert proposal["sources"][0]["url"] == "https://example.org/etude"
    numbers = [c["number"] for c in contributions_of(exported)]
    assert numbers == sorted(numbers)


@pytest.mark.django_db
def test_the_export_writes_aware_dates_and_no_email_or_password(
    rich_consultation: Consultation,
) -> None:
    exported = export_consultation(rich_consultation)
    text = dumps(exported)

    assert "@example.org" not in text
    assert "password" not in text and "pbkdf2" not in text
    opens_at = exported["consultation"]["opens_at"]
    assert opens_at[-6] in "+-" and opens_at[-3] == ":"


@pytest.mark.django_db
def test_the_export_runs_five_queries_whatever_the_size(
    rich_consultation: Consultation, bob: User, django_assert_num_queries: Any
) -> None:
    proposal = Proposal.objects.filter(debate__consultation=rich_consultation).first()
    assert proposal is not None
    for i in range(20):
        actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body=f"#{i}")

    # The results text; debates; proposals (with author and answer), arguments
    # and sources, each joined to its author.
    with django_assert_num_queries(5):
        export_consultation(rich_consultation)


@pytest.mark.django_db
def test_the_export_carries_the_hiding_and_the_text_of_hidden_contributions(
    moderated_consultation: Consultation,
) -> None:
    exported = export_consultation(moderated_consultation)

    hidden = {c["number"]: c for c in contributions_of(exported) if "hidden" in c}
    assert len(hidden) == 3
    for contribution in Contribution.objects.filter(hidden_at__isnull=False):
        entry = hidden[contribution.number]
        assert entry["hidden"] == {
            "at": timezone.localtime(contribution.hidden_at).isoformat(),
            "reason": contribution.hidden_reason,
            "note": contribution.hidden_note,
        }
    # The project's own export is its backup: the text of hidden contributions stays.
    assert [hidden[n].get("body", hidden[n].get("title")) for n in sorted(hidden)] == [
        HIDDEN_TEXT
    ] * 3
    source = next(c for c in hidden.values() if "url" in c)
    assert source["url"] == "https://example.org/masque"
    # `hidden` follows the text, before the replies of a proposal.
    proposal = next(c for c in hidden.values() if "arguments" in c)
    assert list(proposal)[-3:] == ["hidden", "arguments", "sources"]
    assert [d["slug"] for d in exported["debates"]] == ["premier", "vide", "second"]
    assert exported["debates"][1]["proposals"] == []
    visible = [c for c in contributions_of(exported) if "hidden" not in c]
    assert len(visible) == 8


def pseudonym(user: User) -> str:
    return f"anonyme-{user.pk}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options",
    [{}, {"blank_hidden": True}, {"author_key": pseudonym, "blank_hidden": True}],
    ids=["full", "blanked", "pseudonymous"],
)
@pytest.mark.parametrize("chunk_chars", [1, 300, interchange.CHUNK_CHARS])
def test_the_streamed_export_writes_the_bytes_of_the_export(
    moderated_consultation: Consultation,
    monkeypatch: pytest.MonkeyPatch,
    options: dict[str, Any],
    chunk_chars: int,
) -> None:
    monkeypatch.setattr(interchange, "CHUNK_CHARS", chunk_chars)
    monkeypatch.setattr(interchange, "FETCH_SIZE", 2)  # several fetches of each query

    chunks = list(iter_export_consultation(moderated_consultation, **options))

    expected = dumps(export_consultation(moderated_consultation, **options)).encode()
    assert b"".join(chunks) == expected
    if chunk_chars == 300:
        assert len(chunks) > 5
        assert all(chunk.decode() for chunk in chunks)  # each one is whole UTF-8 text
    written = json.loads(expected)
    texts = [c.get("body", c.get("url")) for c in contributions_of(written) if "hidden" in c]
    full = [HIDDEN_TEXT, "https://example.org/masque", HIDDEN_TEXT]
    assert texts == (["", "", ""] if options.get("blank_hidden") else full)


@pytest.mark.django_db
@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_the_streamed_export_of_a_demo_file_is_the_file(path: Path) -> None:
    result = import_consultation(load_file(path))

    assert b"".join(iter_export_consultation(result.consultation)) == path.read_bytes()


@pytest.mark.django_db
def test_the_streamed_export_of_an_empty_consultation_is_the_export() -> None:
    now = timezone.now()
    consultation = make_consultation("vide", now, now + timedelta(days=1))

    streamed = b"".join(iter_export_consultation(consultation))

    assert streamed == dumps(export_consultation(consultation)).encode()
    assert json.loads(streamed)["authors"] == json.loads(streamed)["debates"] == []


@pytest.mark.django_db
def test_the_streamed_export_runs_six_queries_whatever_the_size(
    moderated_consultation: Consultation,
    bob: User,
    django_assert_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(interchange, "FETCH_SIZE", 3)
    proposal = Proposal.objects.filter(debate__consultation=moderated_consultation).first()
    assert proposal is not None
    for i in range(20):
        actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body=f"#{i}")

    with django_assert_num_queries(0):  # nothing runs before the first chunk is asked for
        chunks = iter_export_consultation(moderated_consultation)
    # The results text, authors, debates; proposals (with their answers),
    # arguments and sources, each iterated.
    with django_assert_num_queries(6):
        text = b"".join(chunks)
    assert text.count(b'"#') == 20


@pytest.mark.django_db
def test_the_streamed_export_leaves_out_what_its_first_query_did_not_see(
    moderated_consultation: Consultation, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if Bob had posted his first contributions after the authors were read.
    real = interchange._author_ids
    monkeypatch.setattr(
        interchange,
        "_author_ids",
        lambda consultation: (
            User.objects.filter(pk__in=real(consultation)).exclude(pk=bob.pk).values("pk")
        ),
    )

    document = json.loads(b"".join(iter_export_consultation(moderated_consultation)))

    assert "bob" not in {a["key"] for a in document["authors"]}
    numbers = {c["number"] for c in contributions_of(document)}
    hidden_proposal = Proposal.objects.get(title=HIDDEN_TEXT)
    assert hidden_proposal.number not in numbers  # Bob's, with its argument by Vera
    assert not numbers & set(hidden_proposal.arguments.values_list("number", flat=True))
    others = Contribution.objects.exclude(author=bob).exclude(as_argument__proposal__author=bob)
    assert numbers == set(others.values_list("number", flat=True))
    document["consultation"]["slug"] = "sans-bob"
    assert import_consultation(document, renumber=True).contributions == len(numbers)


# --------------------------------------------------------------------------- round trips


@pytest.mark.django_db
def test_a_renumbered_reimport_exports_the_same_consultation(
    rich_consultation: Consultation,
) -> None:
    before = export_consultation(rich_consultation)
    highest = max(c["number"] for c in contributions_of(before))
    copied = copy.deepcopy(before)
    copied["consultation"]["slug"] = "riche-copie"

    result = import_consultation(copied, renumber=True)
    after = export_consultation(result.consultation)

    pairs = list(zip(contributions_of(before), contributions_of(after), strict=True))
    assert all(new["original_number"] == old["number"] for old, new in pairs)
    new_numbers = [new["number"] for _, new in pairs]
    assert new_numbers[0] > highest
    assert sorted(new_numbers) == list(range(highest + 1, highest + 1 + len(pairs)))
    for old, new in pairs:
        old["number"] = new["number"] = old["original_number"] = new["original_number"] = 0
    after["consultation"]["slug"] = "riche"
    assert after == before


@pytest.mark.django_db
def test_hidden_contributions_come_back_hidden_with_their_text(
    moderated_consultation: Consultation,
) -> None:
    before = export_consultation(moderated_consultation)
    copied = copy.deepcopy(before)
    copied["consultation"]["slug"] = "moderee-copie"

    result = import_consultation(copied, renumber=True)
    after = export_consultation(result.consultation)

    originals = {c.number: c for c in Contribution.objects.filter(hidden_at__isnull=False)}
    copies = Contribution.objects.filter(original_number__in=originals, hidden_at__isnull=False)
    assert copies.count() == 3
    for copied_item in copies:
        original = originals[copied_item.original_number]  # type: ignore[index]
        assert copied_item.hidden_at == original.hidden_at
        assert copied_item.hidden_reason == original.hidden_reason
        assert copied_item.hidden_note == original.hidden_note
        assert original.hidden_by is not None and copied_item.hidden_by is None
    for old, new in zip(contributions_of(before), contributions_of(after), strict=True):
        old["number"] = new["number"] = old["original_number"] = new["original_number"] = 0
    after["consultation"]["slug"] = before["consultation"]["slug"]
    assert after == before


@pytest.mark.django_db
def test_a_published_document_with_the_text_of_hidden_contributions_blanked_imports() -> None:
    doc = document()
    proposal = doc["debates"][0]["proposals"][0]
    argument, source = proposal["arguments"][0], proposal["sources"][0]
    hidden = {"at": "2025-02-01T09:30:00+01:00", "reason": "personal_data", "note": "Adresse."}
    proposal |= {"title": "", "body": "", "hidden": hidden}
    argument |= {"body": "", "hidden": {"at": "2025-02-02T09:30:00+01:00", "reason": "spam"}}
    source |= {"title": "", "url": "", "description": "", "hidden": hidden}

    result = import_consultation(doc)

    stored = Proposal.objects.get(number=501)
    assert (stored.title, stored.body, stored.hidden_reason, stored.hidden_note) == (
        "",
        "",
        "personal_data",
        "Adresse.",
    )
    assert stored.hidden_at.isoformat() == "2025-02-01T08:30:00+00:00"
    assert stored.hidden_by is None
    stored_argument = Argument.objects.get(number=502)
    assert (stored_argument.body, stored_argument.hidden_note) == ("", "")
    assert Source.objects.get(number=504).url == BLANKED_URL  # the database takes http(s) only
    exported = export_consultation(result.consultation)
    out = exported["debates"][0]["proposals"][0]
    assert out["hidden"] == hidden
    assert out["sources"][0]["url"] == ""
    assert out["arguments"][0]["hidden"] == {
        "at": "2025-02-02T09:30:00+01:00",
        "reason": "spam",
        "note": "",
    }
    assert out["arguments"][1].get("hidden") is None


@pytest.mark.django_db
@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_a_demo_file_comes_back_unchanged_through_import_and_export(path: Path) -> None:
    result = import_consultation(load_file(path))

    assert dumps(export_consultation(result.consultation)) == path.read_text(encoding="utf-8")


# The demo files without answers (version 3) can be written as version 1.
WITHOUT_ANSWERS = [p for p in DEMO_FILES if '"answer": {' not in p.read_text(encoding="utf-8")]


@pytest.mark.django_db
def test_an_answer_in_a_version_2_file_is_an_unknown_key() -> None:
    answered = next(p for p in DEMO_FILES if p not in WITHOUT_ANSWERS)
    document = load_file(answered)
    document["version"] = 2
    document["consultation"].pop("results")
    with pytest.raises(InterchangeError, match=r"answer: clé inconnue"):
        import_consultation(document)


@pytest.mark.django_db
@pytest.mark.parametrize("path", WITHOUT_ANSWERS, ids=lambda p: p.name)
def test_a_version_1_file_still_imports(path: Path, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert '\n  "version": 3,\n' in text
    old = tmp_path / path.name
    old.write_text(text.replace('\n  "version": 3,\n', '\n  "version": 1,\n', 1), encoding="utf-8")

    result = import_consultation(load_file(old))

    # Exported again, it is the same document in version 3.
    assert dumps(export_consultation(result.consultation)) == text


@pytest.mark.django_db
def test_a_version_1_file_may_not_hide_contributions() -> None:
    doc = document()
    doc["version"] = 1
    doc["debates"][0]["proposals"][0]["hidden"] = {
        "at": "2025-02-01T09:30:00+01:00",
        "reason": "spam",
    }

    with pytest.raises(InterchangeError) as refusal:
        import_consultation(doc)

    assert str(refusal.value).startswith("debates[0].proposals[0].hidden: clé inconnue")
    assert Consultation.objects.count() == 0


@pytest.mark.django_db
def test_it_fills_the_optional_keys_with_their_defaults() -> None:
    result = import_consultation(document())

    exported = export_consultation(result.consultation)
    assert exported["consultation"]["description"] == ""
    assert exported["debates"][0]["introduction"] == ""
    assert exported["debates"][0]["position"] == 0
    proposal = exported["debates"][0]["proposals"][0]
    assert proposal["updated_at"] == proposal["created_at"]
    assert proposal["original_number"] is None
    assert proposal["arguments"][0]["original_rank"] is None
    assert proposal["sources"][0]["description"] == ""
    zoe = User.objects.get(username="zoe")
    assert zoe.verified_at == result.consultation.opens_at
    assert zoe.verification_method == VerificationMethod.IMPORTED


@pytest.mark.django_db
def test_it_sets_the_kind_of_every_imported_contribution() -> None:
    import_consultation(document())

    kinds = dict(Contribution.objects.values_list("number", "kind"))
    assert kinds == {501: Kind.PROPOSAL, 502: Kind.ARGUMENT, 503: Kind.ARGUMENT, 504: Kind.SOURCE}
    assert Argument.objects.get(number=503).stance == Stance.AGAINST
    assert Source.objects.get(number=504).proposal.number == 501


# --------------------------------------------------------------------------- numbers


@pytest.mark.django_db
def test_new_contributions_continue_after_the_highest_kept_number(alice: User) -> None:
    result = import_consultation(document())

    debate = result.consultation.debates.get()
    posted = actions.post_proposal(debate=debate, author=alice, title="Après", body="Texte.")
    assert posted.number == 505


@pytest.mark.django_db
def test_it_refuses_numbers_already_taken_and_lists_them(open_consultation: Consultation) -> None:
    taken = proposal_of(open_consultation).number
    doc = document()
    doc["debates"][0]["proposals"][0]["arguments"][1]["number"] = taken
    before = row_counts()

    with pytest.raises(NumberCollision) as refusal:
        import_consultation(doc)

    message = str(refusal.value)
    assert f"{taken} (debates[0].proposals[0].arguments[1])" in message
    assert "renumber" in message
    assert refusal.value.numbers == [taken]
    assert row_counts() == before


@pytest.mark.django_db
def test_a_collision_refusal_shows_the_first_few_numbers_only() -> None:
    import_consultation(load_file(CNNUM))
    doc = load_file(CNNUM)
    doc["consultation"]["slug"] = "cnnum-bis"

    with pytest.raises(NumberCollision) as refusal:
        import_consultation(doc)

    message = str(refusal.value)
    assert message.startswith("debates[0].proposals[0].number: numéros déjà pris")
    assert "694 (debates[0].proposals[0])" in message
    assert "… et 6 autre(s)" in message
    assert len(refusal.value.numbers) == 11


@pytest.mark.django_db
def test_renumbering_keeps_the_original_numbers_and_their_order(
    open_consultation: Consultation, alice: User
) -> None:
    first = proposal_of(open_consultation).number
    result = import_consultation(load_file(CNNUM), renumber=True)

    proposal = Proposal.objects.get(debate__consultation=result.consultation)
    assert (proposal.number, proposal.original_number) == (first + 1, 694)
    arguments = list(proposal.arguments.order_by("number"))
    originals = [a.original_number for a in arguments]
    assert (
        originals == sorted(originals) == [878, 924, 939, 1120, 1167, 1282, 1297, 1301, 1433, 1438]
    )
    assert [a.number for a in arguments] == list(range(first + 2, first + 12))
    posted = actions.post_argument(proposal=proposal, author=alice, stance=Stance.FOR, body="Oui.")
    assert posted.number == first + 12


@pytest.mark.django_db
def test_renumbering_keeps_an_original_number_the_file_already_gives() -> None:
    doc = document()
    doc["debates"][0]["proposals"][0]["original_number"] = 77

    import_consultation(doc, renumber=True)

    assert Proposal.objects.get().original_number == 77
    assert Argument.objects.get(original_number=502).number == 2


# --------------------------------------------------------------------------- authors


@pytest.mark.django_db
def test_imported_authors_get_no_password_no_email_and_the_file_verification() -> None:
    doc = document()
    doc["authors"][0] |= {
        "verified_at": "2024-06-01T12:00:00+02:00",
        "verification_method": "organisation",
    }

    result = import_consultation(doc)

    assert (result.authors_created, result.authors_found) == (2, 0)
    zoe, yves = User.objects.get(username="zoe"), User.objects.get(username="yves")
    assert not zoe.has_usable_password() and not yves.has_usable_password()
    assert zoe.email == yves.email == ""
    assert zoe.display_name == "Zoé Importée"
    assert zoe.verified_at.isoformat() == "2024-06-01T10:00:00+00:00"
    assert zoe.verification_method == VerificationMethod.ORGANISATION
    assert yves.verified_at is None and yves.verification_method == ""


@pytest.mark.django_db
def test_it_never_touches_an_existing_account(alice: User, vera: User) -> None:
    doc = document()
    doc["authors"] = [
        {"key": "alice", "name": "Autre nom", "verified": True},
        {"key": "vera", "name": "Vera ?", "verified": False},
    ]
    for item in contributions_of(doc):
        item["author"] = "alice" if item["author"] == "zoe" else "vera"
    vera_verified_at = vera.verified_at

    result = import_consultation(doc)

    alice.refresh_from_db()
    vera.refresh_from_db()
    assert (result.authors_created, result.authors_found) == (0, 2)
    assert alice.verified_at is None and alice.display_name == "Alice Martin"
    assert alice.has_usable_password()
    assert vera.verified_at == vera_verified_at
    assert vera.verification_method == VerificationMethod.IDENTITY
    assert Proposal.objects.get(number=501).author == alice


# --------------------------------------------------------------------------- refusals


def _set(doc: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _delete(doc: dict[str, Any], path: tuple[str | int, ...]) -> None:
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]


PROPOSAL = ("debates", 0, "proposals", 0)

FAULTS: list[tuple[str, tuple[str | int, ...], object, str]] = [
    (
        "missing_key",
        (*PROPOSAL, "title"),
        ...,
        "debates[0].proposals[0].title: clé obligatoire absente",
    ),
    (
        "bad_stance",
        (*PROPOSAL, "arguments", 1, "stance"),
        "sideways",
        "debates[0].proposals[0].arguments[1].stance: « sideways » n'est pas une position "
        "(for ou against)",
    ),
    (
        "naive_datetime",
        (*PROPOSAL, "arguments", 0, "created_at"),
        "2025-01-11T10:00:00",
        "debates[0].proposals[0].arguments[0].created_at: « 2025-01-11T10:00:00 » "
        "n'indique pas son décalage horaire",
    ),
    (
        "not_a_date",
        (*PROPOSAL, "created_at"),
        "le 10 janvier",
        "debates[0].proposals[0].created_at: « le 10 janvier » n'est pas une date ISO 8601",
    ),
    (
        "closes_before_opens",
        ("consultation", "closes_at"),
        "2024-12-31T00:00:00+01:00",
        "consultation.closes_at: la clôture (2024-12-31T00:00:00+01:00) doit être postérieure "
        "à l'ouverture (2025-01-01T00:00:00+01:00)",
    ),
    (
        "duplicate_number",
        (*PROPOSAL, "sources", 0, "number"),
        502,
        "debates[0].proposals[0].sources[0].number: le numéro 502 est déjà celui de "
        "debates[0].proposals[0].arguments[0]",
    ),
    (
        "unknown_author",
        (*PROPOSAL, "arguments", 1, "author"),
        "xavier",
        "debates[0].proposals[0].arguments[1].author: « xavier » n'est pas la clé d'un auteur "
        "déclaré dans « authors »",
    ),
    (
        "javascript_url",
        (*PROPOSAL, "sources", 0, "url"),
        "javascript:alert(1)",
        "debates[0].proposals[0].sources[0].url: « javascript:alert(1) » n'est pas une adresse "
        "web (http ou https)",
    ),
    (
        "unknown_key",
        (*PROPOSAL, "arguments", 0, "stnace"),
        "for",
        "debates[0].proposals[0].arguments[0].stnace: clé inconnue",
    ),
    (
        "bad_slug",
        ("debates", 0, "slug"),
        "thème à part",
        "debates[0].slug: « thème à part » n'est pas une adresse valide",
    ),
    (
        "number_not_an_integer",
        (*PROPOSAL, "number"),
        "501",
        "debates[0].proposals[0].number: un nombre entier était attendu, pas « 501 »",
    ),
    (
        "empty_body",
        (*PROPOSAL, "body"),
        "   ",
        "debates[0].proposals[0].body: ne doit pas être vide",
    ),
    (
        "unknown_verification_method",
        ("authors", 0, "verification_method"),
        "astrology",
        "authors[0].verification_method: « astrology » n'est pas une méthode de vérification",
    ),
    (
        "verification_on_an_unverified_author",
        ("authors", 1, "verified_at"),
        "2025-01-01T00:00:00+01:00",
        "authors[1].verified_at: donné pour un auteur non vérifié",
    ),
    (
        "duplicate_author",
        ("authors", 1, "key"),
        "zoe",
        "authors[1].key: « zoe » est déjà la clé d'un autre auteur",
    ),
    (
        "bad_author_key",
        ("authors", 1, "key"),
        "yves le grand",
        "authors[1].key: « yves le grand » n'est pas une clé d'auteur valide",
    ),
    (
        "too_long_title",
        (*PROPOSAL, "title"),
        "x" * 301,
        "debates[0].proposals[0].title: trop long (301 caractères, 300 au plus)",
    ),
    (
        "updated_before_created",
        (*PROPOSAL, "updated_at"),
        "2025-01-09T10:00:00+01:00",
        "debates[0].proposals[0].updated_at: la modification (2025-01-09T10:00:00+01:00) "
        "précède la publication",
    ),
    ("wrong_format", ("format",), "autre-chose", "format: « autre-chose » n'est pas ce format"),
    (
        "wrong_version",
        ("version",),
        4,
        "version: version 4 non prise en charge (versions lues : 1, 2, 3)",
    ),
    (
        "hidden_reason_unknown",
        (*PROPOSAL, "hidden"),
        {"at": "2025-01-20T10:00:00+01:00", "reason": "boring"},
        "debates[0].proposals[0].hidden.reason: « boring » n'est pas un motif de masquage "
        "(off_topic, offensive, spam, personal_data, duplicate, illegal, other, unpublished)",
    ),
    (
        "hidden_at_naive",
        (*PROPOSAL, "arguments", 1, "hidden"),
        {"at": "2025-01-20T10:00:00", "reason": "spam"},
        "debates[0].proposals[0].arguments[1].hidden.at: « 2025-01-20T10:00:00 » "
        "n'indique pas son décalage horaire",
    ),
    (
        "hidden_at_missing",
        (*PROPOSAL, "sources", 0, "hidden"),
        {"reason": "spam"},
        "debates[0].proposals[0].sources[0].hidden.at: clé obligatoire absente",
    ),
    (
        "hidden_before_published",
        (*PROPOSAL, "hidden"),
        {"at": "2025-01-09T10:00:00+01:00", "reason": "spam"},
        "debates[0].proposals[0].hidden.at: le masquage (2025-01-09T10:00:00+01:00) précède "
        "la publication (2025-01-10T10:00:00+01:00)",
    ),
    (
        "hidden_not_an_object",
        (*PROPOSAL, "arguments", 0, "hidden"),
        True,
        "debates[0].proposals[0].arguments[0].hidden: un objet JSON était attendu, pas true",
    ),
    (
        "hidden_unknown_key",
        (*PROPOSAL, "hidden"),
        {"at": "2025-01-20T10:00:00+01:00", "reason": "spam", "by": "olga"},
        "debates[0].proposals[0].hidden.by: clé inconnue (clés permises : at, reason, note)",
    ),
    (
        "hidden_note_not_a_text",
        (*PROPOSAL, "hidden"),
        {"at": "2025-01-20T10:00:00+01:00", "reason": "spam", "note": 3},
        "debates[0].proposals[0].hidden.note: une chaîne de caractères était attendue, pas 3",
    ),
    (
        "empty_url_of_a_visible_source",
        (*PROPOSAL, "sources", 0, "url"),
        "",
        "debates[0].proposals[0].sources[0].url: ne doit pas être vide",
    ),
    (
        "arguments_not_a_list",
        (*PROPOSAL, "arguments"),
        {"number": 9},
        "debates[0].proposals[0].arguments: une liste était attendue, pas un objet",
    ),
    ("debate_not_an_object", ("debates", 0), "thème", "debates[0]: un objet JSON était attendu"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "value", "expected"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS]
)
def test_it_refuses_a_faulty_document_naming_the_place_and_writes_nothing(
    open_consultation: Consultation, path: tuple[str | int, ...], value: object, expected: str
) -> None:
    doc = document()
    if value is ...:
        _delete(doc, path)
    else:
        _set(doc, path, value)
    before = row_counts()

    with pytest.raises(InterchangeError) as refusal:
        import_consultation(doc)

    assert str(refusal.value).startswith(expected)
    assert row_counts() == before


@pytest.mark.django_db
def test_it_refuses_an_unknown_stance_naming_its_place() -> None:
    doc = document()
    doc["debates"][0]["proposals"][0]["arguments"][1]["stance"] = "sideways"

    with pytest.raises(InterchangeError) as refusal:
        import_consultation(doc)

    assert str(refusal.value) == (
        "debates[0].proposals[0].arguments[1].stance: « sideways » n'est pas une position "
        "(for ou against)"
    )
    assert Consultation.objects.count() == 0


@pytest.mark.django_db
def test_it_refuses_a_consultation_that_exists_already(open_consultation: Consultation) -> None:
    doc = document()
    doc["consultation"]["slug"] = open_consultation.slug
    before = row_counts()

    with pytest.raises(InterchangeError) as refusal:
        import_consultation(doc, renumber=True)

    assert str(refusal.value).startswith(
        "consultation.slug: la consultation « ouverte » existe déjà"
    )
    assert row_counts() == before


@pytest.mark.django_db
def test_a_failure_at_the_last_write_leaves_nothing_behind(
    open_consultation: Consultation, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(number: int) -> None:
        raise IntegrityError("refused for the test")

    monkeypatch.setattr(NumberSequence, "reserve_through", refuse)
    before = row_counts()

    with pytest.raises(InterchangeError, match="refused for the test"):
        import_consultation(document())

    assert row_counts() == before
    assert not User.objects.filter(username__in=["zoe", "yves"]).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{\n  "format": "consultation-interchange",\n  "version": 1\n  "x": 2\n}',
            "ligne 4, colonne 3",
        ),
        ('{"format": "consultation-interchange",}', "ligne 1, colonne 39"),
        ("", "ligne 1, colonne 1"),
    ],
)
def test_it_refuses_invalid_json_with_its_line_and_column(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "cassé.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InterchangeError) as refusal:
        load_file(path)

    assert f"cassé.json, {expected} : JSON invalide" in str(refusal.value)
    assert "Expecting" not in str(refusal.value)


def test_it_refuses_a_file_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "liste.json"
    path.write_text("[1, 2]", encoding="utf-8")

    with pytest.raises(InterchangeError, match="un objet JSON était attendu à la racine"):
        load_file(path)


def test_it_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InterchangeError, match="fichier introuvable"):
        load_file(tmp_path / "absent.json")


# --------------------------------------------------------------------------- commands


@pytest.mark.django_db
def test_the_export_command_writes_the_document_to_stdout(
    rich_consultation: Consultation,
) -> None:
    out = StringIO()

    call_command("export_consultation", "riche", stdout=out)

    assert out.getvalue() == dumps(export_consultation(rich_consultation))
    assert "Étude" in out.getvalue()  # UTF-8 text, not \u escapes


@pytest.mark.django_db
def test_the_export_command_writes_a_file_with_o(
    rich_consultation: Consultation, tmp_path: Path
) -> None:
    target = tmp_path / "riche.json"

    call_command("export_consultation", "riche", "-o", str(target), stderr=StringIO())

    assert json.loads(target.read_text(encoding="utf-8")) == export_consultation(rich_consultation)


@pytest.mark.django_db
def test_the_export_command_writes_hidden_contributions_with_their_text(
    moderated_consultation: Consultation,
) -> None:
    out = StringIO()

    call_command("export_consultation", "riche", stdout=out)

    written = json.loads(out.getvalue())
    assert written["version"] == 3
    hidden = [c for c in contributions_of(written) if "hidden" in c]
    assert {c["hidden"]["reason"] for c in hidden} == {"off_topic", "offensive", "spam"}
    assert out.getvalue().count(HIDDEN_TEXT) == 5  # title and body, body, title and description


@pytest.mark.django_db
def test_the_export_command_refuses_an_unknown_slug() -> None:
    with pytest.raises(CommandError, match="Aucune consultation n'a l'adresse « absente »"):
        call_command("export_consultation", "absente")


@pytest.mark.django_db
def test_the_import_command_prints_what_it_imported(tmp_path: Path) -> None:
    path = tmp_path / "importee.json"
    path.write_text(dumps(document()), encoding="utf-8")
    out = StringIO()

    call_command("import_consultation", str(path), stdout=out)

    assert (
        "Consultation « importee » importée : 1 débat(s), 1 proposition(s), 2 argument(s), "
        "1 source(s) — numéros des contributions conservés ; 2 compte(s) créé(s)"
    ) in out.getvalue()
    assert Contribution.objects.count() == 4


@pytest.mark.django_db
def test_the_import_command_renumbers_on_request(
    open_consultation: Consultation, tmp_path: Path
) -> None:
    path = tmp_path / "importee.json"
    doc = document()
    doc["debates"][0]["proposals"][0]["number"] = proposal_of(open_consultation).number
    path.write_text(dumps(doc), encoding="utf-8")
    out = StringIO()

    call_command("import_consultation", str(path), "--renumber", stdout=out)

    assert "renumérotées" in out.getvalue()
    assert Proposal.objects.get(debate__consultation__slug="importee").original_number == 1


@pytest.mark.django_db
def test_the_import_command_fails_and_writes_nothing_on_a_faulty_file(
    open_consultation: Consultation, tmp_path: Path
) -> None:
    path = tmp_path / "importee.json"
    doc = document()
    doc["debates"][0]["proposals"][0]["sources"][0]["url"] = "javascript:alert(1)"
    path.write_text(dumps(doc), encoding="utf-8")
    before = row_counts()

    with pytest.raises(CommandError) as refusal:
        call_command("import_consultation", str(path))

    assert "rien n'a été écrit" in str(refusal.value)
    assert "debates[0].proposals[0].sources[0].url" in str(refusal.value)
    assert row_counts() == before


@pytest.mark.django_db
def test_the_import_command_reports_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "cassé.json"
    path.write_text('{"format": }', encoding="utf-8")

    with pytest.raises(CommandError, match="ligne 1, colonne 12 : JSON invalide"):
        call_command("import_consultation", str(path))


@pytest.mark.django_db
def test_a_deleted_author_travels_as_a_deleted_account(alice: User) -> None:
    from accounts.actions import delete_account

    now = timezone.now()
    consultation = make_consultation("avec-compte-supprime", now - timedelta(days=2), now)
    proposal = actions.post_proposal(
        debate=make_debate(consultation), author=alice, title="Titre", body="Texte"
    )
    delete_account(user=alice)
    document = export_consultation(consultation)
    document["consultation"]["slug"] = "copie"
    import_consultation(document, renumber=True)
    copy = Proposal.objects.get(original_number=proposal.number)
    assert copy.author.pk == alice.pk  # the same deleted row, found by its key
    assert copy.author.public_name == "Compte supprimé"
    # On another site, where no such account exists, a deleted account is made.
    document = json.loads(
        json.dumps(document).replace(f"compte-supprime:{alice.pk}", "compte-supprime:999")
    )
    document["consultation"]["slug"] = "ailleurs"
    import_consultation(document, renumber=True)
    made = User.objects.get(username="compte-supprime:999")
    assert made.deleted_at is not None and not made.is_active and not made.has_usable_password()
