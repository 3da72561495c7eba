"""Benchmark the pages, exports and writes of a consultation as it grows.

    .venv/bin/python bench/run.py [--sizes 1000,10000,100000] [--database sqlite|URL]
                                  [--runs 5] [--budget 4] [--explain] [--ab jit=off]
                                  [--only TEXT]

For each size, a throwaway database holds one consultation of that many
contributions and a fixed 1,000-contribution neighbour (built by bulk
inserts); the pages are requested through the Django test client (no
network), the sizes taking turns, and each operation's median time is
compared with its time at the smallest size. See bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import count, cycle
from typing import Any
from uuid import uuid4

import support

# Share of the contributions that are proposals, sources, and arguments (the rest).
PROPOSAL_SHARE = 0.10
SOURCE_SHARE = 0.12
# The biggest proposal draws this share of all contributions as arguments,
# and this share of the sources: 6,000 arguments and 1,200 sources at 100,000.
HOT_ARGUMENT_SHARE = 0.06
HOT_SOURCE_SHARE = 0.10
DEBATE_WEIGHTS = [0.40, 0.25, 0.15, 0.10, 0.10]
HIDDEN_EVERY = 97  # one contribution in 97 hidden by moderation
ENDORSEMENTS = [0, 0, 0, 0, 1, 1, 2, 3, 5]  # « D'accord » per argument, drawn from this list
POSTERS = 40  # signed-in accounts that post and vote during the measures

WORDS = (
    "numérique données accès internet école formation emploi santé territoire service public "
    "citoyen transparence ouverture logiciel libre réseau fibre mobile couverture sécurité "
    "protection vie privée consentement algorithme plateforme collectivité commune région "
    "état administration démarche usager accompagnement inclusion médiation association "
    "entreprise innovation recherche université bibliothèque culture patrimoine archive "
    "énergie climat transport mobilité logement budget financement impôt dépense contrôle "
    "évaluation indicateur rapport loi article décret amendement proposition argument débat "
    "consultation participation vote contribution proposer garantir renforcer simplifier "
    "ouvrir publier protéger former informer financer développer créer supprimer limiter "
    "obliger permettre favoriser encourager soutenir évaluer mesurer partager réutiliser "
    "important nécessaire essentiel possible difficile coûteux efficace juste équitable "
    "local national européen rapide lent simple complexe gratuit payant accessible"
).split()
LINKS = "le la les des du un une pour avec sans dans sur par et ou mais donc car".split()
COMMON_WORD = "numérique"  # in about a third of the texts
RARE_WORD = "cybersécurité"  # in about one text in a thousand


# --------------------------------------------------------------------------- texts


class Texts:
    """Pools of sentences drawn once, so building 100,000 bodies costs little."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sentences = [self._sentence() for _ in range(3000)]

    def _sentence(self) -> str:
        rng = self.rng
        words = []
        for _ in range(rng.randint(8, 22)):
            words.append(rng.choice(LINKS) if rng.random() < 0.35 else rng.choice(WORDS))
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def body(self, sentences: tuple[int, int]) -> str:
        text = " ".join(self.rng.choices(self.sentences, k=self.rng.randint(*sentences)))
        if self.rng.random() < 0.001:
            text += f" La {RARE_WORD} doit être garantie."
        return text

    def title(self) -> str:
        return self.rng.choice(self.sentences)[:120].rstrip(".")


# --------------------------------------------------------------------------- building


@dataclass
class Built:
    """One consultation ready to be measured, and what the measures address."""

    size: int
    slug: str
    debate_url: str
    debate_last_page: int
    proposal_url: str
    for_last_page: int
    against_last_page: int
    deep_argument: int
    posters: list[Any]
    counts: dict[str, int]
    seconds: float


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert child rows of a multi-table model directly (bulk_create refuses those).

    The approach of tests/test_exports.py: parents by bulk_create on
    Contribution, children by one executemany.
    """
    from django.db import connection

    if not rows:
        return
    fields = [model._meta.get_field(name) for name in rows[0]]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    values = [[f.get_db_prep_save(row[f.name], connection) for f in fields] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})", values
        )


def build(size: int, seed: int, label: str = "bench") -> Built:
    """Create one open consultation of `size` contributions, in one transaction.

    `label` names the consultation and its accounts, so several can share a database.
    """
    from allauth.account.models import EmailAddress
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User, VerificationMethod
    from debates.counters import rebuild
    from debates.models import (
        Argument,
        ArgumentOrder,
        Consultation,
        Contribution,
        Debate,
        Endorsement,
        HideReason,
        Kind,
        NumberSequence,
        Proposal,
        Source,
        Stance,
        Vote,
        VoteValue,
    )

    started = time.perf_counter()
    rng = random.Random(f"{seed}-{label}-{size}")
    texts = Texts(rng)
    now = timezone.now()
    opens_at = now - timedelta(days=30)
    proposals = max(len(DEBATE_WEIGHTS), round(size * PROPOSAL_SHARE))
    sources = round(size * SOURCE_SHARE)
    arguments = size - proposals - sources
    hot_argument = min(0.9, HOT_ARGUMENT_SHARE * size / arguments)
    hot_source = HOT_SOURCE_SHARE
    user_count = max(60, size // 25)

    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    username=f"{label}-participant-{i}",
                    email=f"{label}-participant-{i}@example.org",
                    display_name=f"Participant {i}",
                    password="!",  # unusable: these accounts never sign in
                    verified_at=now if i % 10 == 0 else None,
                    verification_method=VerificationMethod.IDENTITY if i % 10 == 0 else "",
                    date_joined=opens_at,
                )
                for i in range(user_count)
            ],
            batch_size=2000,
        )
        posters = User.objects.bulk_create(
            [
                User(
                    username=f"{label}-poster-{i}",
                    email=f"{label}-poster-{i}@example.org",
                    display_name=f"Posteur {i}",
                    password="!",
                )
                for i in range(POSTERS)
            ]
        )
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=u, email=u.email, primary=True, verified=True)
                for u in [*users, *posters]
            ],
            batch_size=2000,
        )
        consultation = Consultation.objects.create(
            slug=label,
            title=f"Consultation de {size:,} contributions".replace(",", " "),
            description=texts.body((2, 4)),
            opens_at=opens_at,
            closes_at=now + timedelta(days=30),
        )
        debates = Debate.objects.bulk_create(
            [
                Debate(
                    consultation=consultation,
                    slug=f"theme-{i}",
                    title=texts.title(),
                    introduction=texts.body((1, 3)),
                    position=i,
                )
                for i in range(len(DEBATE_WEIGHTS))
            ]
        )

        # The plan, in the order of publication: the biggest proposal first, then
        # proposals, arguments and sources shuffled; an argument or a source
        # answers the biggest proposal or one published before it.
        kinds = [Kind.PROPOSAL] * (proposals - 1) + [Kind.ARGUMENT] * arguments
        kinds += [Kind.SOURCE] * sources
        rng.shuffle(kinds)
        kinds.insert(0, Kind.PROPOSAL)
        targets: list[int] = []  # per contribution: its debate (proposal) or proposal index
        published = 0
        for kind in kinds:
            if kind == Kind.PROPOSAL:
                targets.append(rng.choices(range(len(DEBATE_WEIGHTS)), DEBATE_WEIGHTS)[0])
                published += 1
            else:
                hot = hot_argument if kind == Kind.ARGUMENT else hot_source
                targets.append(0 if rng.random() < hot else rng.randrange(published))
        targets[0] = 0  # the biggest proposal is in the biggest debate
        start = (NumberSequence.objects.values_list("last", flat=True).first() or 0) + 1
        span = timedelta(days=29, hours=23)
        parents = []
        for i, kind in enumerate(kinds):
            created = opens_at + span * (i + 1) / (size + 1)
            hidden = i % HIDDEN_EVERY == 13
            parents.append(
                Contribution(
                    number=start + i,
                    kind=kind,
                    consultation=consultation,
                    author=users[rng.randrange(user_count)],
                    created_at=created,
                    updated_at=created + timedelta(hours=2) if i % 50 == 7 else created,
                    hidden_at=now if hidden else None,
                    hidden_reason=HideReason.SPAM if hidden else "",
                )
            )
        parents = Contribution.objects.bulk_create(parents, batch_size=2000)
        proposal_pks: list[int] = []
        proposal_rows, argument_rows, source_rows = [], [], []
        for parent, kind, target in zip(parents, kinds, targets, strict=True):
            if kind == Kind.PROPOSAL:
                proposal_pks.append(parent.pk)
                proposal_rows.append(
                    {
                        "contribution_ptr": parent.pk,
                        "debate": debates[target].pk,
                        "title": texts.title(),
                        "body": texts.body((2, 8)),
                        "imported_votes_agree": 0,
                        "imported_votes_mixed": 0,
                        "imported_votes_disagree": 0,
                    }
                )
            elif kind == Kind.ARGUMENT:
                argument_rows.append(
                    {
                        "contribution_ptr": parent.pk,
                        "proposal": proposal_pks[target],
                        "stance": Stance.FOR if rng.random() < 0.6 else Stance.AGAINST,
                        "body": texts.body((1, 4)),
                        "original_rank": None,
                        "imported_endorsements": 0,
                    }
                )
            else:
                source_rows.append(
                    {
                        "contribution_ptr": parent.pk,
                        "proposal": proposal_pks[target],
                        "title": texts.title(),
                        "url": f"https://example.org/sources/{parent.pk}",
                        "description": texts.body((0, 2)),
                        "category": rng.choice(["Site internet", "Article de presse", "Rapport"]),
                    }
                )
        _insert(Proposal, proposal_rows)
        _insert(Argument, argument_rows)
        _insert(Source, source_rows)
        endorsements = []
        for row in argument_rows:
            for j in rng.sample(range(user_count), rng.choice(ENDORSEMENTS)):
                endorsements.append(
                    Endorsement(argument_id=row["contribution_ptr"], user_id=users[j].pk)
                )
        Endorsement.objects.bulk_create(endorsements, batch_size=5000)
        votes = []
        for index, pk in enumerate(proposal_pks):
            voters = min(user_count, size // 50) if index == 0 else rng.randrange(10)
            for j, value in zip(
                rng.sample(range(user_count), voters),
                rng.choices(VoteValue.values, [5, 2, 3], k=voters),
                strict=True,
            ):
                votes.append(Vote(proposal_id=pk, user_id=users[j].pk, value=value))
        Vote.objects.bulk_create(votes, batch_size=5000)
        NumberSequence.reserve_through(start + size - 1)
        rebuild(consultation)  # the stored counters, as an import leaves them
    support.analyze()

    hot = Proposal.objects.select_related("debate__consultation").get(pk=proposal_pks[0])
    per_page = _settings().ARGUMENTS_PER_PAGE
    for_total = sum(
        1 for r in argument_rows if r["proposal"] == hot.pk and r["stance"] == Stance.FOR
    )
    against_total = sum(
        1 for r in argument_rows if r["proposal"] == hot.pk and r["stance"] == Stance.AGAINST
    )
    in_order = list(
        Argument.objects.filter(proposal=hot, stance=Stance.FOR)
        .in_order(ArgumentOrder.DEFAULT)
        .values_list("number", flat=True)
    )
    big_debate = debates[0]
    in_big_debate = sum(
        1 for k, t in zip(kinds, targets, strict=True) if k == Kind.PROPOSAL and t == 0
    )
    return Built(
        size=size,
        slug=consultation.slug,
        debate_url=big_debate.get_absolute_url(),
        debate_last_page=max(1, math.ceil(in_big_debate / _settings().PROPOSALS_PER_PAGE)),
        proposal_url=hot.get_page_url(),
        for_last_page=max(1, math.ceil(for_total / per_page)),
        against_last_page=max(1, math.ceil(against_total / per_page)),
        deep_argument=in_order[-1],
        posters=posters,
        counts={
            "contributions": size,
            "proposals": proposals,
            "arguments": arguments,
            "sources": sources,
            "votes": len(votes),
            "endorsements": len(endorsements),
            "users": user_count + POSTERS,
            "hidden": sum(1 for i in range(size) if i % HIDDEN_EVERY == 13),
            "biggest_proposal_arguments": for_total + against_total,
            "biggest_proposal_sources": sum(1 for r in source_rows if r["proposal"] == hot.pk),
            "biggest_proposal_votes": min(user_count, size // 50),
            "biggest_debate_proposals": in_big_debate,
        },
        seconds=time.perf_counter() - started,
    )


def _settings() -> Any:
    from django.conf import settings

    return settings


# --------------------------------------------------------------------------- operations


def _get(client: Any, url: str, expected: int = 200) -> Callable[[], tuple[int, int]]:
    """Return a run that requests `url` and reads the whole answer (streamed or not)."""

    def run() -> tuple[int, int]:
        response = client.get(url)
        if response.streaming:
            size = sum(len(chunk) for chunk in response.streaming_content)
        else:
            size = len(response.content)
        response.close()
        if response.status_code != expected:
            raise RuntimeError(f"GET {url}: {response.status_code}, expected {expected}")
        return response.status_code, size

    return run


def _post(
    clients: Any, url: str, data: Callable[[], dict[str, str]]
) -> Callable[[], tuple[int, int]]:
    """Return a run that posts with the next signed-in client (one account per post)."""

    def run() -> tuple[int, int]:
        client = next(clients)
        response = client.post(url, data())
        if response.status_code != 302:
            raise RuntimeError(f"POST {url}: {response.status_code}, expected 302")
        return response.status_code, len(response.content)

    return run


EXPORTS = [
    "propositions.csv",
    "arguments.csv",
    "sources.csv",
    "votes.csv",
    "propositions.csv?format=utf8",
    "arguments.csv?format=utf8",
    "sources.csv?format=utf8",
    "votes.csv?format=utf8",
    "consultation.json",
]


def operations(built: Built) -> list[tuple[str, str, Callable[[], tuple[int, int]]]]:
    """Return (group, name, run) for everything measured on one consultation."""
    from django.test import Client

    from debates.models import VoteValue

    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(built.posters[0])
    writers = []
    for poster in built.posters[1:]:
        client = Client()
        client.force_login(poster)
        writers.append(client)
    # One account per request while they last (more rounds than accounts reuse them).
    argument_writers = cycle(writers[: len(writers) // 2])
    vote_writers = cycle(writers[len(writers) // 2 :])
    consultation = f"/consultations/{built.slug}/"
    proposal = built.proposal_url
    deep = f"?pour={built.for_last_page}&contre={built.against_last_page}"
    ops = [
        ("pages", "home", _get(anonymous, "/")),
        ("pages", "consultation", _get(anonymous, consultation)),
        ("pages", "debate, page 1", _get(anonymous, built.debate_url)),
        (
            "pages",
            "debate, last page",
            _get(anonymous, f"{built.debate_url}?page={built.debate_last_page}"),
        ),
        ("pages", "debate, most discussed", _get(anonymous, f"{built.debate_url}?tri=discussed")),
        ("pages", "proposal, page 1", _get(anonymous, proposal)),
        ("pages", "proposal, last pages", _get(anonymous, proposal + deep)),
        ("pages", "proposal, newest first", _get(anonymous, proposal + "?ordre=recent")),
        ("pages", "proposal, signed in", _get(signed_in, proposal)),
        (
            "pages",
            "permalink, deep argument",
            _get(anonymous, f"/contributions/{built.deep_argument}/", expected=302),
        ),
        (
            "pages",
            f"search « {COMMON_WORD} »",
            _get(anonymous, f"{consultation}recherche/?q={COMMON_WORD}"),
        ),
        (
            "pages",
            f"search « {RARE_WORD} »",
            _get(anonymous, f"{consultation}recherche/?q={RARE_WORD}"),
        ),
        ("pages", "statistics", _get(anonymous, f"{consultation}statistiques/")),
        ("pages", "feed, consultation", _get(anonymous, f"{consultation}propositions.atom")),
        ("pages", "feed, proposal arguments", _get(anonymous, f"{proposal}arguments.atom")),
    ]
    ops += [("exports", name, _get(anonymous, consultation + name)) for name in EXPORTS]
    serial = count()
    ops += [
        (
            "writes",
            "post an argument",
            _post(
                argument_writers,
                f"{proposal}arguments/",
                lambda: {
                    "stance": "for",
                    "body": f"Argument de mesure {next(serial)} sur le numérique.",
                    "submission_token": str(uuid4()),
                },
            ),
        ),
        (
            "writes",
            "vote",
            _post(vote_writers, f"{proposal}vote/", lambda: {"value": VoteValue.AGREE}),
        ),
    ]
    return ops


NEIGHBOUR_SIZE = 1000
NEIGHBOUR_EXPORTS = ["propositions.csv", "arguments.csv", "consultation.json"]


def neighbour_operations(built: Built) -> list[tuple[str, str, Callable[[], tuple[int, int]]]]:
    """Return the measures of the small consultation that shares each database.

    Its size never changes: only the rest of the site grows around it. A
    time that grows here is work done on other consultations' rows.
    """
    from django.test import Client

    anonymous = Client()
    consultation = f"/consultations/{built.slug}/"
    proposal = built.proposal_url
    ops = [
        ("neighbour", "debate, page 1", _get(anonymous, built.debate_url)),
        ("neighbour", "proposal, page 1", _get(anonymous, proposal)),
        (
            "neighbour",
            "permalink, deep argument",
            _get(anonymous, f"/contributions/{built.deep_argument}/", expected=302),
        ),
        (
            "neighbour",
            f"search « {COMMON_WORD} »",
            _get(anonymous, f"{consultation}recherche/?q={COMMON_WORD}"),
        ),
        (
            "neighbour",
            f"search « {RARE_WORD} »",
            _get(anonymous, f"{consultation}recherche/?q={RARE_WORD}"),
        ),
        ("neighbour", "statistics", _get(anonymous, f"{consultation}statistiques/")),
    ]
    ops += [("neighbour", name, _get(anonymous, consultation + name)) for name in NEIGHBOUR_EXPORTS]
    return [(group, f"{NEIGHBOUR_LABEL}: {name}", run) for group, name, run in ops]


NEIGHBOUR_LABEL = "1k neighbour"


# --------------------------------------------------------------------------- explaining


def explain(sql: str) -> str:
    """Return the plan of `sql`: EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""
    from django.db import connection

    from debates.opendata import search

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        search._register_sqlite_function()
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(f"{row[1]:>3} {row[2]:>3} {row[3]}" for row in cursor.fetchall())


# --------------------------------------------------------------------------- report


def growth(small: float, large: float, n_small: int, n_large: int) -> float:
    """Return k in time ∝ size^k between two sizes: 0 is flat, 1 is linear."""
    if not (small > 0 and large > 0) or n_large == n_small:
        return float("nan")
    return math.log(large / small) / math.log(n_large / n_small)


def short(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def report(
    sizes: list[int], results: dict[str, dict[int, support.Measure]], groups: dict[str, str]
) -> str:
    header = ["operation", "queries", *(short(s) for s in sizes)]
    header += [f"×{short(s)}" for s in sizes[1:]]
    header += ["growth"] if len(sizes) > 1 else []
    rows = []
    last_group = None
    for name, by_size in results.items():
        if groups[name] != last_group:
            if last_group is not None:
                rows.append([""] * len(header))
            last_group = groups[name]
        first = by_size[sizes[0]].median
        queries = [str(by_size[s].queries) for s in sizes if s in by_size]
        row = [name, "/".join(dict.fromkeys(queries))]
        row += [support.human(by_size[s].median) if s in by_size else "-" for s in sizes]
        row += [f"{by_size[s].median / first:.1f}" if s in by_size else "-" for s in sizes[1:]]
        if len(sizes) > 1:
            k = growth(first, by_size[sizes[-1]].median, sizes[0], sizes[-1])
            row.append(f"n^{k:.2f}" if k == k else "-")
        rows.append(row)
    return support.table(header, rows)


def traced(group: str, name: str) -> bool:
    """Return whether to trace memory: each distinct export once (not the utf8 variants)."""
    return group == "exports" and "format=utf8" not in name


def memory_report(sizes: list[int], results: dict[str, dict[int, support.Measure]]) -> str:
    """Return each traced export's size in bytes and its peak of Python memory."""
    header = ["export", *(f"bytes {short(s)}" for s in sizes), *(f"peak {short(s)}" for s in sizes)]
    rows = []
    for name, by_size in results.items():
        if not any(m.peak_bytes for m in by_size.values()):
            continue
        row = [name]
        row += [f"{by_size[s].bytes / 1e6:.1f} MB" for s in sizes]
        row += [f"{by_size[s].peak_bytes / 1e6:.1f} MB" for s in sizes]
        rows.append(row)
    return support.table(header, rows) if rows else ""


def compare_setting(
    args: argparse.Namespace,
    throwaway: support.Throwaway,
    database: Any,
    ops: list[tuple[str, str, support.Run]],
) -> dict[str, tuple[support.Measure, support.Measure]]:
    """Time the pages at the largest size as they are and under `SET --ab`, in turns."""
    if not args.ab:
        return {}
    from django.db import connection

    setting, _, value = args.ab.partition("=")
    if throwaway.vendor != "postgresql" or not re.fullmatch(r"[a-z_.]+", setting) or not value:
        raise SystemExit("--ab takes SETTING=VALUE and needs PostgreSQL")

    def activate(on: bool) -> None:
        throwaway.use(database)
        with connection.cursor() as cursor:
            if on:
                cursor.execute(f"SET {setting} = %s", [value])
            else:
                cursor.execute(f"RESET {setting}")

    results = {}
    for group, name, run in ops:
        if group not in {"pages", "neighbour"} or "search" in name:
            continue  # searches take seconds each; writes change the data
        as_is, changed = support.interleaved(
            [(lambda: activate(False), run), (lambda: activate(True), run)],
            runs=args.runs,
            budget=args.budget,
        )
        results[name] = (as_is, changed)
        support.log(f"  {name}: {support.human(as_is.median)} / {support.human(changed.median)}")
    activate(False)
    return results


def ab_report(ab: dict[str, tuple[support.Measure, support.Measure]]) -> str:
    rows = [
        [
            name,
            support.human(a.median),
            support.human(b.median),
            f"{b.median / a.median:.2f}",
        ]
        for name, (a, b) in ab.items()
    ]
    return support.table(["operation", "as is", "with setting", "ratio"], rows)


# --------------------------------------------------------------------------- main


def data_table(sizes: list[int], built: dict[int, Built]) -> str:
    lines = [
        ("contributions", "contributions"),
        ("proposals", "proposals"),
        ("arguments", "arguments"),
        ("sources", "sources"),
        ("votes", "votes"),
        ("endorsements", "endorsements"),
        ("hidden", "hidden"),
        ("accounts", "users"),
        ("biggest proposal: arguments", "biggest_proposal_arguments"),
        ("biggest proposal: sources", "biggest_proposal_sources"),
        ("biggest proposal: votes", "biggest_proposal_votes"),
        ("biggest debate: proposals", "biggest_debate_proposals"),
    ]
    rows = [[label, *(f"{built[s].counts[key]:,}" for s in sizes)] for label, key in lines]
    rows.append(
        [
            "last pages (pour/contre; debate)",
            *(
                f"{b.for_last_page}/{b.against_last_page}; {b.debate_last_page}"
                for b in (built[s] for s in sizes)
            ),
        ]
    )
    rows.append(["built in", *(f"{built[s].seconds:.1f} s" for s in sizes)])
    return support.table(["data", *(short(s) for s in sizes)], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="contributions per consultation, comma-separated (default 1000,10000,100000)",
    )
    parser.add_argument(
        "--database",
        help="sqlite, or a postgres:// URL whose server gets throwaway databases "
        "(default: DATABASE_URL when it is PostgreSQL, else sqlite)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed rounds after the warm-up (5)")
    parser.add_argument(
        "--budget",
        type=float,
        default=4.0,
        help="seconds of timed rounds per operation (all sizes) before stopping early; "
        "3 rounds at least (4)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="at the largest size, EXPLAIN the slowest query of every operation that grows",
    )
    parser.add_argument(
        "--ab",
        metavar="SETTING=VALUE",
        help="PostgreSQL: at the largest size, time the pages again under SET SETTING = VALUE, "
        "the two in turns (e.g. --ab jit=off)",
    )
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument("--only", help="measure only the operations whose name contains this")
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})

    started = time.perf_counter()
    throwaway = support.setup(args.database, "pages")
    try:
        databases: dict[int, Any] = {}
        built: dict[int, Built] = {}
        ops: dict[int, list[tuple[str, str, support.Run]]] = {}
        for size in sizes:
            databases[size] = throwaway.clone(short(size).lower())
            throwaway.use(databases[size])
            # The neighbour first: an older, smaller consultation of the same site.
            neighbour = build(NEIGHBOUR_SIZE, args.seed, label="voisine")
            built[size] = build(size, args.seed, label=f"bench-{short(size).lower()}")
            ops[size] = operations(built[size]) + neighbour_operations(neighbour)
            support.log(
                f"{short(size)}: built in {built[size].seconds:.1f} s "
                f"({built[size].counts['biggest_proposal_arguments']:,} arguments "
                f"on the biggest proposal)"
            )
        build_done = time.perf_counter()
        support.settle()
        results: dict[str, dict[int, support.Measure]] = {}
        groups: dict[str, str] = {}
        for position, (group, name, _run) in enumerate(ops[sizes[0]]):
            if args.only and args.only not in name:
                continue
            cases = [
                (lambda size=size: throwaway.use(databases[size]), ops[size][position][2])
                for size in sizes
            ]
            op_started = time.perf_counter()
            measures = support.interleaved(
                cases, runs=args.runs, budget=args.budget, trace=traced(group, name)
            )
            results[name] = dict(zip(sizes, measures, strict=True))
            groups[name] = group
            support.log(
                f"  {name}: {' / '.join(support.human(m.median) for m in measures)} "
                f"({time.perf_counter() - op_started:.1f} s)"
            )
        ab = compare_setting(args, throwaway, databases[sizes[-1]], ops[sizes[-1]])
        explained: dict[str, Any] = {}
        if args.explain and len(sizes) > 1:
            throwaway.use(databases[sizes[-1]])
            for name, by_size in results.items():
                k = growth(by_size[sizes[0]].median, by_size[sizes[-1]].median, sizes[0], sizes[-1])
                sql = by_size[sizes[-1]].slowest_sql
                if groups[name] == "writes" or not sql or not k > 0.25:
                    continue
                try:
                    plan = explain(sql)
                except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported
                    plan = f"(no plan: {exc})"
                explained[name] = {
                    "slowest_query_s": by_size[sizes[-1]].slowest_query,
                    "sql": sql,
                    "plan": plan,
                }
        elapsed = time.perf_counter() - started
        data = data_table(sizes, built)
        table = report(sizes, results, groups)
        print(f"\n{throwaway.server}\n\n{data}\n")
        print(
            f"Medians of up to {args.runs} rounds after a warm-up, sizes taking turns. "
            f"×N: time at N / time at {short(sizes[0])}. "
            "growth k: time ∝ size^k (0 flat, 1 linear).\n"
        )
        print(table)
        memory = memory_report(sizes, results)
        if memory:
            print("\nExports: size of the file, and peak of Python memory while it is sent.\n")
            print(memory)
        print(
            f"\nTotal {elapsed:.0f} s (building {build_done - started:.0f} s, "
            f"measuring {elapsed - (build_done - started):.0f} s)."
        )
        if ab:
            print(
                f"\nAt {short(sizes[-1])}, the pages as they are and under SET {args.ab}, "
                "in turns.\n"
            )
            print(ab_report(ab))
        for name, item in explained.items():
            print(f"\n== {name}: slowest query {support.human(item['slowest_query_s'])}")
            print(item["sql"][:3000])
            print(item["plan"])
        document = {
            "machine": support.machine(),
            "database": throwaway.server,
            "sizes": sizes,
            "runs": args.runs,
            "budget_s": args.budget,
            "seed": args.seed,
            "total_s": elapsed,
            "build_s": build_done - started,
            "built": {
                str(s): {
                    "seconds": b.seconds,
                    "for_last_page": b.for_last_page,
                    "against_last_page": b.against_last_page,
                    "debate_last_page": b.debate_last_page,
                    **b.counts,
                }
                for s, b in built.items()
            },
            "results": {
                name: {
                    "group": groups[name],
                    "by_size": {str(s): m.as_dict() for s, m in by_size.items()},
                    "ratios": {
                        str(s): m.median / by_size[sizes[0]].median for s, m in by_size.items()
                    },
                }
                for name, by_size in results.items()
            },
            "explained": explained,
            "ab": {
                "setting": args.ab,
                "by_operation": {
                    name: {"as_is": a.as_dict(), "with_setting": b.as_dict()}
                    for name, (a, b) in ab.items()
                },
            },
            "table": table,
            "memory": memory,
        }
        path = support.write_results("pages", throwaway.vendor, document)
        print(f"\nResults: {path.relative_to(support.ROOT)}")
    finally:
        throwaway.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
