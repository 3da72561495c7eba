"""The Cap Collectif CSV importer, on the real export of the RUA 2019 consultation.

The file is read from ../shared/data at test time (tests.conftest.require_shared_data
skips loudly when it is absent, and fails under CI=true). It is imported once
for the module, inside a transaction rolled back at the end; each test runs in
a savepoint of it. The expected counts are read from the file here, with the
csv module, independently of the importer.
"""

from __future__ import annotations

import csv
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from accounts.models import User
from debates.importers.capcollectif_csv import OpinionRow, source_order
from debates.importers.common import pseudonym
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Debate,
    HideReason,
    NumberSequence,
    Proposal,
    Report,
    ReportReason,
    Source,
    Stance,
    Vote,
    VoteValue,
)
from tests.conftest import require_shared_data

RUA = ("data", "consultation-rua-2019-capcollectif-export", "rua-fonctionnement.csv")
SLUG = "3-comment-doit-fonctionner-le-revenu-universel-dactivite"
PARIS_OCTOBER = 2  # hours ahead of UTC in summer time
FIRST_OPINION = "f0175fce-e908-11e9-adee-0242ac110003"  # line 2, 07/10/2019 15:47


@dataclass
class Imported:
    path: Path
    output: str
    seconds: float
    numbers: dict[str, int]  # original id → our number, from --map


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader)
        return header, [row + [""] * (len(header) - len(row)) for row in reader if row]


@pytest.fixture(scope="module")
def rua(
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Imported]:
    """Import the RUA export once for the module; roll it back afterwards."""
    path = require_shared_data(*RUA)
    mapping = tmp_path_factory.mktemp("rua") / "numbers.csv"
    with django_db_blocker.unblock():
        with transaction.atomic():
            out = StringIO()
            started = time.perf_counter()
            call_command("import_capcollectif_csv", str(path), "--map", str(mapping), stdout=out)
            seconds = time.perf_counter() - started
            with mapping.open(encoding="utf-8") as handle:
                numbers = {
                    row["identifiant_origine"]: int(row["numero"]) for row in csv.DictReader(handle)
                }
            yield Imported(path=path, output=out.getvalue(), seconds=seconds, numbers=numbers)
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def published(rua: Imported) -> dict[str, dict[str, int]]:
    """Return the counts the platform published, by proposal id, read from the file.

    Each opinion row carries its counts after its url column. Three rows of the
    export lost a separator before the url (the importer repairs them); here
    the count block is found one column early on those rows.
    """
    header, rows = _csv_rows(rua.path)
    at = {name: i for i, name in enumerate(header)}
    names = ["ok", "mitige", "nok", "arguments", "for", "against", "sources"]
    first = at["contributions_votesCountOk"]
    counts = {}
    for row in rows:
        if row[0] != "opinion" or not row[at["contributions_votesCount"]]:
            continue
        shift = 0 if row[at["contributions_url"]].startswith("https://") else -1
        values = row[first + shift : first + shift + len(names)]
        counts[row[at["contributions_id"]]] = dict(zip(names, map(int, values), strict=True))
    return counts


def _model_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Consultation, Debate, Proposal, Argument, Source, Vote, Report, User)
    } | {"sequence": NumberSequence.objects.get(pk=1).last}


# --------------------------------------------------------------------------- counts


@pytest.mark.django_db
def test_it_imports_every_row_the_readme_counts(rua: Imported) -> None:
    consultation = Consultation.objects.get(slug=SLUG)
    proposals = Proposal.objects.filter(debate__consultation=consultation)
    assert proposals.count() == 434
    arguments = Argument.objects.filter(proposal__in=proposals)
    assert arguments.count() == 1777
    assert arguments.filter(stance=Stance.FOR).count() == 926
    assert arguments.filter(stance=Stance.AGAINST).count() == 851
    assert Source.objects.filter(proposal__in=proposals).count() == 6
    assert Report.objects.filter(contribution__in=proposals).count() == 13
    # 9,601 vote rows, one of them twice the same (same vote id, voter, proposal).
    assert Vote.objects.filter(proposal__in=proposals).count() == 9600
    assert "9601 ligne(s), 1 doublon(s)" in rua.output
    # How long it takes is measured in bench/imports.py, as a rate: a timed
    # assertion here would fail on a busy machine and prove nothing.


@pytest.mark.django_db
def test_each_proposal_shows_the_counts_the_platform_published(
    rua: Imported, published: dict[str, dict[str, int]]
) -> None:
    assert len(published) == 412  # the other 22 rows are unpublished, without counts
    by_number = {p.number: p for p in Proposal.objects.with_counts()}
    mismatches = []
    for original, expected in published.items():
        proposal = by_number[rua.numbers[original]]
        shown = {
            "ok": proposal.votes_agree,
            "mitige": proposal.votes_mixed,
            "nok": proposal.votes_disagree,
            "arguments": proposal.arguments_for + proposal.arguments_against,
            "for": proposal.arguments_for,
            "against": proposal.arguments_against,
            "sources": proposal.source_count,
        }
        if shown != expected:
            mismatches.append((original, shown, expected))
    assert mismatches == []


@pytest.mark.django_db
def test_the_vote_rows_become_votes_and_the_one_vote_missing_from_the_rows_an_imported_count(
    rua: Imported,
) -> None:
    header, rows = _csv_rows(rua.path)
    at = {name: i for i, name in enumerate(header)}
    values = {"YES": VoteValue.AGREE, "MITIGE": VoteValue.MIXED, "NO": VoteValue.DISAGREE}
    expected: dict[int, Counter[str]] = defaultdict(Counter)
    seen = set()
    for row in rows:
        if row[0] != "vote":
            continue
        proposal = row[at["contributions_votes_related_id"]]
        voter = row[at["contributions_votes_author_id"]]
        if (proposal, voter) in seen:
            continue
        seen.add((proposal, voter))
        expected[rua.numbers[proposal]][values[row[at["contributions_votes_value"]]]] += 1
    found: dict[int, Counter[str]] = defaultdict(Counter)
    for number, value in Vote.objects.values_list("proposal__number", "value"):
        found[number][value] += 1
    assert found == expected
    # The export lost one « d'accord » on that proposal (its NO row came twice):
    # the published count keeps it, as an imported vote of unknown voter.
    extra = Proposal.objects.exclude(
        imported_votes_agree=0, imported_votes_mixed=0, imported_votes_disagree=0
    )
    assert [(p.number, p.imported_votes_agree) for p in extra] == [
        (rua.numbers["d911e77f-ea55-11e9-bb9d-0242ac110002"], 1)
    ]


# --------------------------------------------------------------------------- mapping


@pytest.mark.django_db
def test_sections_become_debates_in_the_order_of_their_numbers(
    rua: Imported, client: Client
) -> None:
    # The export lists them 3, 2, 1 (newest rows first); the platform showed 1, 2, 3.
    debates = list(Debate.objects.filter(consultation__slug=SLUG).order_by("position"))
    assert [d.title for d in debates] == [
        "1. Les conditions à remplir pour bénéficier du Revenu universel d'activité",
        "2. Les modalités de demande du Revenu universel d'activité",
        "3. Le financement du Revenu universel d'activité",
    ]
    assert debates[2].slug == "3-le-financement-du-revenu-universel-dactivite"
    page = unescape(client.get(f"/consultations/{SLUG}/").content.decode())
    assert (
        page.index("1. Les conditions")
        < page.index("2. Les modalités")
        < page.index("3. Le financement")
    )


def test_unnumbered_sections_follow_their_first_proposal() -> None:
    def opinion(section: str, day: int) -> OpinionRow:
        return OpinionRow(
            line=day, id=str(day), author="a", created_at=datetime(2019, 10, day, tzinfo=UTC),
            updated_at=datetime(2019, 10, day, tzinfo=UTC), hidden=None, section=section,
            title="t", body="b", url="", counts=None,
        )  # fmt: skip

    rows = [opinion("Ensuite", 9), opinion("D'abord", 3), opinion("Ensuite", 5)]
    assert source_order(rows) == ["D'abord", "Ensuite"]
    rows.append(opinion("2. Deux", 1))
    assert source_order(rows) == ["2. Deux", "D'abord", "Ensuite"]  # not all numbered


@pytest.mark.django_db
def test_the_consultation_takes_its_title_from_the_file_and_its_dates_from_the_participation(
    rua: Imported,
) -> None:
    consultation = Consultation.objects.get(slug=SLUG)
    assert consultation.title == "3. Comment doit fonctionner le revenu universel d'activité"
    # First contribution on 7 October 2019, last vote on 20 November 2019 (Paris).
    assert consultation.opens_at == datetime(2019, 10, 6, 22, 0, tzinfo=UTC)
    assert consultation.closes_at == datetime(2019, 11, 20, 23, 0, tzinfo=UTC)
    assert consultation.is_closed


@pytest.mark.django_db
def test_dates_are_read_as_paris_time(rua: Imported) -> None:
    first = Proposal.objects.get(number=rua.numbers[FIRST_OPINION])
    assert first.title == "Financer le Revenu universel d'activité par la solidarité nationale"
    # 07/10/2019 15:47 in Paris is 13:47 UTC (summer time)…
    assert first.created_at == datetime(2019, 10, 7, 15 - PARIS_OCTOBER, 47, tzinfo=UTC)
    assert first.updated_at == datetime(2019, 10, 8, 14, 21, tzinfo=UTC)
    # … and 20/11/2019 09:53 is 08:53 UTC (winter time): the file's first vote.
    vote = Vote.objects.get(
        proposal=first,
        user__username=pseudonym(
            "capco", "VXNlcjpjMDQwYjRlNS1lYTY1LTExZTktYmI5ZC0wMjQyYWMxMTAwMDI="
        ).username,
    )
    assert (vote.value, vote.created_at) == (
        VoteValue.MIXED,
        datetime(2019, 11, 20, 8, 53, tzinfo=UTC),
    )
    # 27/10/2019 02:10 happened twice; the argument's UUID says the first time.
    argument = Argument.objects.get(number=rua.numbers["2f6609f9-f84e-11e9-bb9d-0242ac110002"])
    assert argument.created_at == datetime(2019, 10, 27, 0, 10, tzinfo=UTC)


@pytest.mark.django_db
def test_numbers_are_fresh_and_follow_the_time_of_posting(rua: Imported) -> None:
    contributions = list(Contribution.objects.order_by("number"))
    assert [c.number for c in contributions] == list(range(1, 2218))
    moments = [c.created_at for c in contributions]
    assert moments == sorted(moments)
    assert all(c.original_number is None for c in contributions)  # UUIDs, not numbers
    assert NumberSequence.objects.get(pk=1).last == 2217
    assert len(rua.numbers) == 2217


@pytest.mark.django_db
def test_authors_become_stable_pseudonymous_accounts(rua: Imported) -> None:
    first = Proposal.objects.select_related("author").get(number=rua.numbers[FIRST_OPINION])
    expected = pseudonym("capco", "VXNlcjo4MTIwNGUyMy1iMmU1LTExZTktYmY4OS0wMjQyYWMxMTAwMDM=")
    author = first.author
    assert author.username == expected.username
    assert re.fullmatch(r"capco-[0-9a-f]{12}", author.username)
    assert re.fullmatch(r"Participant·e [0-9a-f]{6}", author.display_name)
    assert author.username[6:12] == author.display_name[-6:]
    assert not author.has_usable_password()
    assert author.email == ""
    assert not author.is_verified
    # Authors, voters and reporters: 2,904 distinct ids, one account each.
    assert User.objects.filter(username__startswith="capco-").count() == 2904


@pytest.mark.django_db
def test_arguments_keep_their_stance_text_and_endorsements(rua: Imported) -> None:
    argument = Argument.objects.get(number=rua.numbers["164d71d7-0b23-11ea-ac8c-0242ac110002"])
    assert argument.stance == Stance.AGAINST
    assert argument.body.startswith("Il faut être réaliste;Remettons en place l’impôt")
    assert argument.imported_endorsements == 1
    assert argument.proposal.number == rua.numbers[FIRST_OPINION]


@pytest.mark.django_db
def test_trashed_contributions_are_hidden_with_the_moderators_reason(rua: Imported) -> None:
    proposal = Proposal.objects.get(number=rua.numbers["c01ca485-f716-11e9-bb9d-0242ac110002"])
    assert proposal.hidden_reason == HideReason.OFFENSIVE
    assert proposal.hidden_note == "Propos violents"
    assert proposal.hidden_at == datetime(2019, 11, 12, 8, 32, tzinfo=UTC)
    argument = Argument.objects.get(number=rua.numbers["296cf7a4-eaa1-11e9-bb9d-0242ac110002"])
    assert (argument.hidden_reason, argument.hidden_note) == (
        HideReason.OFFENSIVE,
        "Propos violent / haineux",
    )
    assert argument.hidden_at == datetime(2019, 10, 10, 14, 51, tzinfo=UTC)


@pytest.mark.django_db
def test_unpublished_contributions_are_hidden_and_dated_by_their_uuid(rua: Imported) -> None:
    unpublished = Contribution.objects.filter(hidden_note__startswith="Contribution non publiée")
    assert unpublished.filter(kind="proposal").count() == 22
    assert unpublished.filter(kind="argument").count() == 50
    assert set(unpublished.values_list("hidden_reason", flat=True)) == {HideReason.UNPUBLISHED}
    # « Étudiants » has no date columns; its version-1 UUID says 12/11/2019 06:55:11
    # Paris, and its author's vote on it follows at 06:55.
    student = Proposal.objects.get(number=rua.numbers["fd5e44cc-0510-11ea-80b3-0242ac110002"])
    assert student.title == "Étudiants"
    assert student.created_at.replace(microsecond=0) == datetime(
        2019, 11, 12, 5, 55, 11, tzinfo=UTC
    )


@pytest.mark.django_db
def test_rows_the_exporter_broke_are_repaired_and_reported(rua: Imported) -> None:
    merged = Proposal.objects.get(number=rua.numbers["cf73407c-e908-11e9-adee-0242ac110003"])
    assert merged.title.startswith("Dès l'attribution du Revenu universel d'activité, offrir")
    assert merged.title.endswith("selon la situation de la personne")
    assert merged.body.startswith("Si la personne ne travaille pas")
    assert merged.created_at == datetime(2019, 10, 7, 13, 46, tzinfo=UTC)
    glued = Proposal.objects.get(number=rua.numbers["6c4ca16e-ecf0-11e9-bb9d-0242ac110002"])
    assert glued.body.endswith("Salaire Minimum de Croissance.")
    assert glued.created_at == datetime(2019, 10, 12, 13, 1, tzinfo=UTC)
    for line in (742, 6673, 7527, 8813, 9448, 10241):
        assert f"ligne {line} :" in rua.output
    # An HTML entity left in a title is decoded.
    assert Proposal.objects.filter(title__endswith="Revenu Universel d'Activité =>").exists()


@pytest.mark.django_db
def test_sources_keep_their_text_and_the_link_it_holds(rua: Imported) -> None:
    petition = Source.objects.get(number=rua.numbers["eb1b1f17-eb50-11e9-bb9d-0242ac110002"])
    assert petition.url == "http://www.change.org/EgaliteGardeAlternee"
    assert petition.title == "vous pouvez signer la pétition"
    assert petition.description == (
        "vous pouvez signer la pétition\n\nhttp://www.change.org/EgaliteGardeAlternee"
    )
    # The export has no link column: without a link in the text, the source
    # points to its proposal's page on the original platform.
    bare = Source.objects.get(number=rua.numbers["179d998e-f723-11e9-bb9d-0242ac110002"])
    assert bare.title == "voir le lien"
    assert bare.url.startswith("https://www.consultation-rua.gouv.fr/consultations/")
    assert "4 source(s) sans lien" in rua.output


@pytest.mark.django_db
def test_reportings_become_reports_with_their_reason_and_comment(rua: Imported) -> None:
    reasons = Counter(Report.objects.values_list("reason", flat=True))
    # Cap Collectif types: 7 ERROR, 4 OFF (offensive), 2 SPAM.
    assert reasons == {ReportReason.OTHER: 7, ReportReason.OFFENSIVE: 4, ReportReason.SPAM: 2}
    report = Report.objects.get(comment="Contenu haineux")
    assert report.contribution.number == rua.numbers["c01ca485-f716-11e9-bb9d-0242ac110002"]
    assert report.created_at == datetime(2019, 11, 9, 17, 13, tzinfo=UTC)
    assert report.resolved_at is None


# --------------------------------------------------------------------------- pages


@pytest.mark.django_db
def test_imported_proposal_pages_render_with_their_counts(rua: Imported, client: Client) -> None:
    proposals = list(
        Proposal.objects.with_counts().select_related("debate__consultation").order_by("number")
    )
    biggest = max(proposals, key=lambda p: p.arguments_for + p.arguments_against)
    # 186 pour and 254 contre: several pages of each (50 a page).
    assert biggest.arguments_for + biggest.arguments_against == 440
    sample = proposals[:: len(proposals) // 20] + [biggest]
    for proposal in sample:
        response = client.get(proposal.get_page_url())
        assert response.status_code == 200, proposal.number
        page = response.content.decode()
        assert f"D'accord&nbsp;: {proposal.votes_agree}<" in page
        assert f"Pas d'accord&nbsp;: {proposal.votes_disagree}<" in page
        assert re.search(rf">{proposal.arguments_for} arguments? pour", page)
        assert re.search(rf">{proposal.arguments_against} arguments? contre", page)


# --------------------------------------------------------------------------- idempotence


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_says_so(rua: Imported) -> None:
    before = _model_counts()
    out = StringIO()
    call_command("import_capcollectif_csv", str(rua.path), stdout=out)
    assert "a déjà été importée de ce même fichier" in out.getvalue()
    assert "rien n'a changé" in out.getvalue()
    assert _model_counts() == before


@pytest.mark.django_db
def test_another_file_under_the_same_slug_is_refused(rua: Imported, tmp_path: Path) -> None:
    lines = rua.path.read_text(encoding="utf-8").splitlines(keepends=True)
    other = tmp_path / "autre.csv"
    other.write_text("".join(lines[:40]), encoding="utf-8")
    with pytest.raises(CommandError, match=f"la consultation « {SLUG} » existe déjà"):
        call_command("import_capcollectif_csv", str(other), stdout=StringIO())


# --------------------------------------------------------------------------- refusals


def _excerpt(path: Path, tmp_path: Path, edit: dict[int, str] | None = None) -> Path:
    """Write the header and the first rows of the real export, some lines replaced."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)[:60]
    for number, text in (edit or {}).items():
        lines[number - 1] = text
    target = tmp_path / "extrait.csv"
    target.write_text("".join(lines), encoding="utf-8")
    return target


@pytest.mark.django_db
def test_an_excerpt_imports_under_another_slug(rua: Imported, tmp_path: Path) -> None:
    out = StringIO()
    call_command(
        "import_capcollectif_csv",
        str(_excerpt(rua.path, tmp_path)),
        "--slug",
        "extrait",
        "--title",
        "Un extrait",
        stdout=out,
    )
    consultation = Consultation.objects.get(slug="extrait")
    assert consultation.title == "Un extrait"
    # The same author ids give the same accounts as in the full import.
    assert "Comptes pseudonymes : 0 créé(s)" in out.getvalue()


@pytest.mark.django_db
def test_a_bad_date_is_refused_with_its_line_and_nothing_is_written(
    rua: Imported, tmp_path: Path
) -> None:
    lines = rua.path.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = lines[2].replace("20/11/2019 09:53", "31/02/2019 09:53")  # line 3, a vote
    before = _model_counts()
    with pytest.raises(CommandError) as refusal:
        call_command(
            "import_capcollectif_csv",
            str(_excerpt(rua.path, tmp_path, {3: bad})),
            "--slug",
            "extrait",
        )
    message = str(refusal.value)
    assert message.startswith("Import refusé, rien n'a été écrit.")
    assert "ligne 3, colonne « contributions_votes_createdAt »" in message
    assert "« 31/02/2019 09:53 » n'est pas une date qui existe" in message
    assert _model_counts() == before


@pytest.mark.django_db
def test_a_date_in_another_format_is_refused(rua: Imported, tmp_path: Path) -> None:
    lines = rua.path.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = lines[3].replace("20/11/2019 00:16", "2019-11-20 00:16")  # line 4, a vote
    with pytest.raises(CommandError, match=r"ligne 4, colonne .* n'est pas une date jj/mm/aaaa"):
        call_command(
            "import_capcollectif_csv", str(_excerpt(rua.path, tmp_path, {4: bad})), "--slug", "x"
        )


@pytest.mark.django_db
def test_an_unknown_type_is_refused_with_its_line(rua: Imported, tmp_path: Path) -> None:
    lines = rua.path.read_text(encoding="utf-8").splitlines(keepends=True)
    before = _model_counts()
    with pytest.raises(CommandError, match=r"ligne 5, colonne « type » : type « version » inconnu"):
        call_command(
            "import_capcollectif_csv",
            str(_excerpt(rua.path, tmp_path, {5: "version" + lines[4][len("vote") :]})),
            "--slug",
            "extrait",
        )
    assert _model_counts() == before


@pytest.mark.django_db
def test_a_missing_column_is_refused_naming_it(rua: Imported, tmp_path: Path) -> None:
    lines = rua.path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].replace(";contributions_createdAt;", ";contributions_created;")
    before = _model_counts()
    with pytest.raises(
        CommandError,
        match=r"ligne 1 : colonne\(s\) absente\(s\) de l'en-tête : contributions_createdAt",
    ):
        call_command(
            "import_capcollectif_csv",
            str(_excerpt(rua.path, tmp_path, {1: header})),
            "--slug",
            "extrait",
        )
    assert _model_counts() == before


@pytest.mark.django_db
def test_a_vote_on_a_proposal_absent_from_the_file_is_refused(
    rua: Imported, tmp_path: Path
) -> None:
    lines = rua.path.read_text(encoding="utf-8").splitlines(keepends=True)
    stray = lines[2].replace(FIRST_OPINION, "00000000-0000-1000-8000-000000000000")
    with pytest.raises(CommandError, match="ligne 3 : vote sur la proposition"):
        call_command(
            "import_capcollectif_csv",
            str(_excerpt(rua.path, tmp_path, {3: stray})),
            "--slug",
            "extrait",
        )


def test_a_file_that_is_not_there_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="fichier introuvable"):
        call_command("import_capcollectif_csv", str(tmp_path / "absent.csv"))
