"""The Cap Collectif API importer, on the real dump of « Pour une République numérique » (2015).

The folder is read from ../shared/data at test time (tests.conftest.require_shared_data
skips loudly when it is absent, and fails under CI=true). It is imported once
for the module, inside a transaction rolled back at the end; each test runs in
a savepoint of it. The expected counts come from the platform's own tallies,
`arguments_counts.csv` and `votes_counts.csv`, and from the JSON files read here.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from accounts.models import User, VerificationMethod
from debates.importers.text import html_to_text, plain_text
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Debate,
    HideReason,
    NumberSequence,
    Proposal,
    Source,
    Stance,
    Vote,
)
from tests.conftest import require_shared_data

DUMP = ("data", "republique-numerique-2015-api-opinions")
SLUG = "republique-numerique-2015"


@dataclass
class Imported:
    folder: Path
    output: str
    seconds: float


@pytest.fixture(scope="module")
def dump(django_db_setup: None, django_db_blocker: Any) -> Iterator[Imported]:
    """Import the folder once for the module; roll it back afterwards."""
    folder = require_shared_data(*DUMP)
    with django_db_blocker.unblock():
        with transaction.atomic():
            out = StringIO()
            started = time.perf_counter()
            call_command("import_capcollectif_api", str(folder), stdout=out)
            seconds = time.perf_counter() - started
            yield Imported(folder=folder, output=out.getvalue(), seconds=seconds)
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def opinions(dump: Imported) -> dict[int, dict[str, Any]]:
    """Return every non-empty answer of the dump, by id."""
    found = {}
    for path in (dump.folder / "opinions").glob("*.json"):
        if path.stat().st_size:
            found[int(path.stem)] = json.loads(path.read_text(encoding="utf-8"))["opinion"]
    return found


def _tally(dump: Imported, name: str) -> dict[int, dict[str, int]]:
    with (dump.folder / name).open(encoding="utf-8") as handle:
        return {
            int(row.pop("id")): {key: int(value) for key, value in row.items()}
            for row in csv.DictReader(handle)
        }


def _model_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Consultation, Debate, Proposal, Argument, Source, Vote, User)
    } | {"sequence": NumberSequence.objects.get(pk=1).last}


# --------------------------------------------------------------------------- counts


@pytest.mark.django_db
def test_it_imports_every_proposal_argument_and_source_of_the_readme(dump: Imported) -> None:
    consultation = Consultation.objects.get(slug=SLUG)
    proposals = Proposal.objects.filter(debate__consultation=consultation)
    assert proposals.count() == 696
    arguments = Argument.objects.filter(proposal__in=proposals)
    assert arguments.count() == 3994
    assert arguments.filter(stance=Stance.FOR).count() == 1960
    assert arguments.filter(stance=Stance.AGAINST).count() == 2034
    assert Source.objects.filter(proposal__in=proposals).count() == 326
    assert "722 fichier(s) (26 vide(s), réponses 404)" in dump.output
    # How long it takes is measured in bench/imports.py, as a rate: a timed
    # assertion here would fail on a busy machine and prove nothing.


@pytest.mark.django_db
def test_argument_counts_match_the_platforms_tally_for_every_proposal(dump: Imported) -> None:
    # The API lists no trashed argument (every `is_trashed` is false) and its
    # arguments_yes_count / no_count equal its lists: the tally counts what is
    # listed, which is what our counts (hidden arguments included) count.
    expected = _tally(dump, "arguments_counts.csv")
    assert len(expected) == 696
    found = {
        p.number: {"yes": p.arguments_for, "no": p.arguments_against}
        for p in Proposal.objects.with_counts()
    }
    assert found == expected


@pytest.mark.django_db
def test_vote_counts_match_the_platforms_tally_for_every_proposal(dump: Imported) -> None:
    expected = _tally(dump, "votes_counts.csv")
    found = {
        p.number: {"ok": p.votes_agree, "ko": p.votes_disagree, "mitige": p.votes_mixed}
        for p in Proposal.objects.with_counts()
    }
    assert found == expected
    # The dump names some voters but not how they voted: no Vote row is made up.
    assert Vote.objects.count() == 0


@pytest.mark.django_db
def test_source_counts_match_the_answers(
    dump: Imported, opinions: dict[int, dict[str, Any]]
) -> None:
    found = {p.number: p.source_count for p in Proposal.objects.with_counts()}
    assert found == {number: o["sources_count"] for number, o in opinions.items()}


# --------------------------------------------------------------------------- mapping


@pytest.mark.django_db
def test_sections_become_debates(dump: Imported) -> None:
    debates = list(Debate.objects.filter(consultation__slug=SLUG).order_by("position"))
    assert len(debates) == 18
    assert debates[0].title == "Section 1 — Ouverture des données publiques"
    assert debates[0].slug == "section-1-ouverture-des-donnees-publiques"
    assert len({d.slug for d in debates}) == 18


@pytest.mark.django_db
def test_the_consultation_has_its_title_and_calendar(dump: Imported) -> None:
    consultation = Consultation.objects.get(slug=SLUG)
    assert consultation.title == "Pour une République numérique"
    # 26 September to 18 October 2015 included, Paris time (summer time: UTC+2).
    assert consultation.opens_at == datetime(2015, 9, 25, 22, 0, tzinfo=UTC)
    assert consultation.closes_at == datetime(2015, 10, 18, 22, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_proposals_keep_their_ids_and_arguments_theirs_when_free(
    dump: Imported, opinions: dict[int, dict[str, Any]]
) -> None:
    assert set(Proposal.objects.values_list("number", flat=True)) == set(opinions)
    assert not Proposal.objects.filter(original_number__isnull=False).exists()
    # Argument 62 shares its id with proposal 62: it takes a fresh number.
    argument_ids = {a["id"] for o in opinions.values() for a in o["arguments"]}
    clashing = sorted(argument_ids & set(opinions))
    assert len(clashing) == 540
    moved = Argument.objects.get(original_number=62)
    assert moved.number > 6224  # after the largest kept number
    kept = Argument.objects.filter(original_number__isnull=True)
    assert kept.count() == 3994 - 540
    assert set(kept.values_list("number", flat=True)) == argument_ids - set(opinions)
    # Sources (ids 1 to 419) keep theirs unless a proposal or an argument holds it.
    assert Source.objects.filter(original_number__isnull=False).count() == 302
    assert NumberSequence.objects.get(pk=1).last == max(
        Contribution.objects.values_list("number", flat=True)
    )
    assert "4174 conservé(s) ; 842 renuméroté(s)" in dump.output


@pytest.mark.django_db
def test_renumbered_contributions_follow_the_time_of_posting(dump: Imported) -> None:
    renumbered = list(Contribution.objects.filter(original_number__isnull=False).order_by("number"))
    moments = [c.created_at for c in renumbered]
    assert moments == sorted(moments)


@pytest.mark.django_db
def test_dates_keep_their_offset(dump: Imported) -> None:
    first = Proposal.objects.get(number=61)
    # "2015-09-26T02:27:54+0200"
    assert first.created_at == datetime(2015, 9, 26, 0, 27, 54, tzinfo=UTC)
    assert first.updated_at == datetime(2015, 9, 29, 9, 50, 19, tzinfo=UTC)


@pytest.mark.django_db
def test_the_vip_badge_becomes_an_imported_verification(dump: Imported) -> None:
    government = User.objects.get(username="rn2015-gouvernement")
    assert government.display_name == "Gouvernement"
    assert government.verification_method == VerificationMethod.IMPORTED
    assert government.verified_at == Consultation.objects.get(slug=SLUG).opens_at
    assert not government.has_usable_password()
    assert User.objects.filter(verified_at__isnull=False).count() == 1
    assert Proposal.objects.get(number=61).author == government


@pytest.mark.django_db
def test_trashed_proposals_are_hidden(dump: Imported) -> None:
    hidden = Proposal.objects.filter(hidden_at__isnull=False)
    assert sorted(hidden.values_list("number", flat=True)) == [154, 374, 413, 414]
    assert set(hidden.values_list("hidden_reason", flat=True)) == {HideReason.OTHER}


@pytest.mark.django_db
def test_html_bodies_become_plain_text_paragraphs(dump: Imported) -> None:
    body = Proposal.objects.get(number=61).body
    assert "<" not in body and "&eacute;" not in body and "&nbsp;" not in body
    assert body.startswith(
        "I. Les deuxième, troisième et quatrième alinéas de l’article 7 de la loi n° 78-753"
    )
    assert "dispositions suivantes\xa0:\n\n«\xa0Les administrations" in body
    # The appendix (the article's explanation) follows the body.
    assert "\n\nExplication de l'article :\n\n" in body


@pytest.mark.django_db
def test_arguments_keep_their_text_endorsements_and_order(
    dump: Imported, opinions: dict[int, dict[str, Any]]
) -> None:
    listed = opinions[61]["arguments"][0]
    number = listed["id"] if listed["id"] not in opinions else None
    argument = (
        Argument.objects.get(number=number)
        if number
        else Argument.objects.get(original_number=listed["id"])
    )
    assert argument.stance == (Stance.FOR if listed["type"] == 1 else Stance.AGAINST)
    assert argument.imported_endorsements == listed["votes_count"]
    assert argument.original_rank == 0
    assert argument.body == plain_text(listed["body"])


@pytest.mark.django_db
def test_sources_keep_title_link_category_and_text(dump: Imported) -> None:
    # Source 415 shares its id with proposal 415: renumbered, its id kept aside.
    source = Source.objects.get(original_number=415)
    assert source.title == (
        "Le rôle crucial de l'acccès aux données et logiciels libres dans la transition écologique"
    )
    assert source.url == (
        "http://internetactu.blog.lemonde.fr/2015/10/02/"
        "qui-nous-protegera-de-la-generalisation-des-logiciels-tricheurs/"
    )
    assert source.description.startswith("L'affaire de tricherie de VW")
    assert source.proposal.number == 61
    assert Source.objects.filter(category="Site internet").count() == 82


# --------------------------------------------------------------------------- pages


@pytest.mark.django_db
def test_imported_proposal_pages_render_with_their_counts(dump: Imported, client: Client) -> None:
    proposals = list(
        Proposal.objects.with_counts().select_related("debate__consultation").order_by("number")
    )
    biggest = max(proposals, key=lambda p: p.arguments_for + p.arguments_against)
    sample = proposals[:: len(proposals) // 20] + [biggest]
    for proposal in sample:
        response = client.get(proposal.get_page_url())
        assert response.status_code == 200, proposal.number
        page = response.content.decode()
        assert f"D'accord&nbsp;: {proposal.votes_agree}<" in page
        assert f"Mitigé&nbsp;: {proposal.votes_mixed}<" in page
        assert f"Pas d'accord&nbsp;: {proposal.votes_disagree}<" in page
        assert re.search(rf">{proposal.arguments_for} arguments? pour", page)
        assert re.search(rf">{proposal.arguments_against} arguments? contre", page)


# --------------------------------------------------------------------------- idempotence


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_says_so(dump: Imported) -> None:
    before = _model_counts()
    out = StringIO()
    call_command("import_capcollectif_api", str(dump.folder), stdout=out)
    assert "a déjà été importée de ces mêmes fichiers" in out.getvalue()
    assert "rien n'a changé" in out.getvalue()
    assert _model_counts() == before


# --------------------------------------------------------------------------- numbers taken


def _small_folder(dump: Imported, tmp_path: Path, ids: tuple[int, ...] = (61, 62, 63)) -> Path:
    """Copy a few answers of the dump into a folder of the same shape."""
    target = tmp_path / "dump"
    (target / "opinions").mkdir(parents=True)
    for number in ids:
        shutil.copy(dump.folder / "opinions" / f"{number}.json", target / "opinions")
    return target


@pytest.mark.django_db
def test_numbers_already_taken_are_renumbered_and_the_summary_says_so(
    dump: Imported, tmp_path: Path
) -> None:
    folder = _small_folder(dump, tmp_path)
    before = _model_counts()
    out = StringIO()
    call_command("import_capcollectif_api", str(folder), "--slug", "copie", stdout=out)
    # Every id is taken by the full import: the contributions already there keep
    # their numbers, the copies take fresh ones and keep their ids aside.
    copies = Contribution.objects.filter(number__gt=before["sequence"])
    assert copies.count() == copies.filter(original_number__isnull=False).count() > 3
    assert Proposal.objects.get(number=61).debate.consultation.slug == SLUG
    assert Proposal.objects.get(debate__consultation__slug="copie", original_number=61).title == (
        Proposal.objects.get(number=61).title
    )
    summary = out.getvalue()
    assert "Numéros : 0 conservé(s) ;" in summary
    # The taken numbers are listed in increasing order, the first five then a count.
    taken = re.search(
        r"(\d+) parce que leur numéro était déjà pris dans la base "
        r"\(((?:\d+, ){4}\d+) … et (\d+) autre\(s\)\)\.",
        summary,
    )
    assert taken, summary
    listed = [int(n) for n in taken.group(2).split(", ")]
    assert listed == sorted(listed)
    assert int(taken.group(1)) == len(listed) + int(taken.group(3))
    assert set(listed) <= set(copies.values_list("original_number", flat=True))
    # The same authors are found again, not duplicated.
    assert "Comptes : 0 créé(s)" in summary

    out = StringIO()
    call_command(
        "import_capcollectif_api", str(folder), "--slug", "copie2", "--renumber", stdout=out
    )
    assert "toutes les contributions renumérotées" in out.getvalue()


# --------------------------------------------------------------------------- refusals


@pytest.mark.django_db
def test_a_broken_json_file_is_refused_naming_it(dump: Imported, tmp_path: Path) -> None:
    folder = _small_folder(dump, tmp_path)
    broken = folder / "opinions" / "62.json"
    broken.write_text(broken.read_text(encoding="utf-8")[:500], encoding="utf-8")
    before = _model_counts()
    with pytest.raises(CommandError) as refusal:
        call_command("import_capcollectif_api", str(folder), "--slug", "copie", "--renumber")
    message = str(refusal.value)
    assert re.search(r"opinions/62\.json, ligne 1, colonne \d+ : JSON invalide", message)
    assert _model_counts() == before


@pytest.mark.django_db
def test_a_file_with_a_wrong_field_is_refused_naming_it_and_the_field(
    dump: Imported, tmp_path: Path
) -> None:
    folder = _small_folder(dump, tmp_path)
    path = folder / "opinions" / "63.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["opinion"]["arguments"][1]["type"] = 2
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        CommandError, match=r"opinions/63\.json : opinion\.arguments\[1\]\.type : 2 n'est ni 1"
    ):
        call_command("import_capcollectif_api", str(folder), "--slug", "copie", "--renumber")


@pytest.mark.django_db
def test_an_empty_file_must_be_a_listed_404(dump: Imported, tmp_path: Path) -> None:
    folder = _small_folder(dump, tmp_path)
    (folder / "opinions" / "92.json").write_text("", encoding="utf-8")
    (folder / "opinions_not_found").write_text("117\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"opinions/92\.json : fichier vide, absent de"):
        call_command("import_capcollectif_api", str(folder), "--slug", "copie", "--renumber")


def test_a_folder_without_opinions_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="dossier « opinions/ » introuvable"):
        call_command("import_capcollectif_api", str(tmp_path))


# --------------------------------------------------------------------------- text


def test_html_to_text_keeps_paragraphs_links_and_decoded_entities() -> None:
    markup = (
        "<p>Les administrations mentionn&eacute;es&nbsp;:<br />\r\n1&deg; les documents ;</p>"
        '\r\n\r\n<p>Voir <a href="https://example.org/a">ce rapport</a> et '
        '<a href="http://example.org/b">http://example.org/b</a>.</p>'
        "<ul><li>un</li><li>deux</li></ul><p>&nbsp;</p><script>alert(1)</script>"
        '<p><a href="javascript:alert(1)">piège</a> =&gt fin</p>'
    )
    assert html_to_text(markup) == (
        "Les administrations mentionnées\xa0:\n1° les documents ;\n\n"
        "Voir ce rapport (https://example.org/a) et http://example.org/b.\n\n"
        "– un\n\n– deux\n\n"
        "piège => fin"
    )


def test_plain_text_turns_typed_breaks_into_line_breaks() -> None:
    assert plain_text("Un.<br>\r\nDeux <3  \r\n\r\n\r\n\r\nTrois") == "Un.\nDeux <3\n\nTrois"
