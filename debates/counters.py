"""Stored counters: kept exact in each write's transaction, rebuilt in bulk.

Pages, debate lists, exports and statistics read counts from columns
(`Proposal.arguments_for`, `Argument.endorsements_cast`, `Debate.proposal_count`,
…) instead of counting rows on each request. Every write path changes them in
its own transaction with an `UPDATE … SET n = n + 1` (`bump`): the statement
takes the row lock, so two writes at once queue and neither is lost, and a
rolled-back write rolls its count back with it.

Counters are derived data: `QuerySet.update()` writes no history row for
them on purpose, and the models leave them out of their history
(`excluded_fields`), which would otherwise gain one version per vote.

Imports write rows in bulk and then `rebuild()` their consultation once;
`manage.py recount` rebuilds every consultation and reports any drift.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass
from datetime import date

from django.db import connection, models, transaction
from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone

from debates.models import Consultation, Contribution, DailyTally, Participation, Vote


def bump(model: type[models.Model], pk: int, **deltas: int) -> None:
    """Add `deltas` to counters of one row, in one locked UPDATE (no history: derived data)."""
    model._default_manager.filter(pk=pk).update(  # type: ignore[attr-defined]
        **{name: F(name) + delta for name, delta in deltas.items()}
    )


def take_position(model: type[models.Model], pk: int, counter: str) -> int:
    """Increment `counter` of one row and return its new value: the next position.

    The UPDATE holds the row lock until the transaction ends, so the value read
    back is this transaction's own and two posts at once get two positions.
    """
    bump(model, pk, **{counter: 1})
    return model._default_manager.values_list(counter, flat=True).get(pk=pk)  # type: ignore[attr-defined]


def took_part(*, consultation_id: int, user_id: int, delta: int = 1) -> None:
    """Count one more (or one fewer) contribution or vote of an account in a consultation.

    The consultation's participant count moves when the account's weight
    goes from 0 to 1 or back: withdrawing one's only vote leaves the figure.
    """
    participation, _created = Participation.objects.get_or_create(
        consultation_id=consultation_id, user_id=user_id
    )
    bump(Participation, participation.pk, weight=delta)
    weight = Participation.objects.values_list("weight", flat=True).get(pk=participation.pk)
    if (delta > 0 and weight == delta) or (delta < 0 and weight == 0):
        bump(Consultation, consultation_id, participant_count=1 if delta > 0 else -1)


def posted(contribution: Contribution) -> None:
    """Count a new contribution: its author's participation and its day's tally."""
    took_part(consultation_id=contribution.consultation_id, user_id=contribution.author_id)
    day = timezone.localdate(contribution.created_at)
    tally, _created = DailyTally.objects.get_or_create(
        consultation_id=contribution.consultation_id, day=day
    )
    bump(DailyTally, tally.pk, contributions=1)


@dataclass(frozen=True)
class Counter:
    """One stored counter and the SQL that computes it for one consultation's rows."""

    table: str
    key: str
    column: str
    # "SELECT <fk> AS k, <value> AS n FROM … WHERE … GROUP BY …" for one
    # consultation (its one %s), the expected value per row; rows absent get 0.
    expected: str
    # How the target rows are restricted to the consultation (its one %s).
    scope: str


CONTRIBUTION = "debates_contribution"
SCOPE_CONTRIBUTION = f"t.{{key}} IN (SELECT id FROM {CONTRIBUTION} WHERE consultation_id = %s)"
OF_CONSULTATION = (
    f"JOIN {CONTRIBUTION} xc ON xc.id = x.contribution_ptr_id AND xc.consultation_id = %s"
)


def _children(table: str, fk: str, where: str = "1 = 1", hidden: bool = False) -> str:
    hidden_sql = " AND xc.hidden_at IS NOT NULL" if hidden else ""
    return (
        f"SELECT x.{fk} AS k, COUNT(*) AS n FROM {table} x {OF_CONSULTATION}{hidden_sql} "
        f"WHERE {where} GROUP BY x.{fk}"
    )


def _votes(value: str) -> str:
    return (
        "SELECT x.proposal_id AS k, COUNT(*) AS n FROM debates_vote x "
        f"JOIN {CONTRIBUTION} xc ON xc.id = x.proposal_id AND xc.consultation_id = %s "
        f"WHERE x.value = '{value}' GROUP BY x.proposal_id"
    )


def _positions(table: str, partition: str) -> str:
    return (
        f"SELECT x.contribution_ptr_id AS k, ROW_NUMBER() OVER "
        f"(PARTITION BY {partition} ORDER BY xc.number) AS n FROM {table} x {OF_CONSULTATION}"
    )


def _proposal(column: str, expected: str) -> Counter:
    return Counter("debates_proposal", "contribution_ptr_id", column, expected, SCOPE_CONTRIBUTION)


COUNTERS: list[Counter] = [
    Counter(
        "debates_debate",
        "id",
        "proposal_count",
        _children("debates_proposal", "debate_id"),
        "t.consultation_id = %s",
    ),
    _proposal("position", _positions("debates_proposal", "x.debate_id")),
    _proposal("arguments_for", _children("debates_argument", "proposal_id", "x.stance = 'for'")),
    _proposal(
        "arguments_against", _children("debates_argument", "proposal_id", "x.stance = 'against'")
    ),
    _proposal("source_count", _children("debates_source", "proposal_id")),
    _proposal(
        "hidden_for", _children("debates_argument", "proposal_id", "x.stance = 'for'", hidden=True)
    ),
    _proposal(
        "hidden_against",
        _children("debates_argument", "proposal_id", "x.stance = 'against'", hidden=True),
    ),
    _proposal("hidden_sources", _children("debates_source", "proposal_id", hidden=True)),
    _proposal("cast_agree", _votes("agree")),
    _proposal("cast_mixed", _votes("mixed")),
    _proposal("cast_disagree", _votes("disagree")),
    Counter(
        "debates_argument",
        "contribution_ptr_id",
        "position",
        _positions("debates_argument", "x.proposal_id, x.stance"),
        SCOPE_CONTRIBUTION,
    ),
    Counter(
        "debates_argument",
        "contribution_ptr_id",
        "endorsements_cast",
        "SELECT x.argument_id AS k, COUNT(*) AS n FROM debates_endorsement x "
        f"JOIN {CONTRIBUTION} xc ON xc.id = x.argument_id AND xc.consultation_id = %s "
        "GROUP BY x.argument_id",
        SCOPE_CONTRIBUTION,
    ),
    Counter(
        "debates_source",
        "contribution_ptr_id",
        "position",
        _positions("debates_source", "x.proposal_id"),
        SCOPE_CONTRIBUTION,
    ),
]


def _update_sql(counter: Counter) -> str:
    """Return one UPDATE … FROM that sets the counter where it differs (PostgreSQL and SQLite)."""
    table, key, column = counter.table, counter.key, counter.column
    scope = counter.scope.format(key=key)
    return (
        f"UPDATE {table} SET {column} = r.n FROM ("
        f"SELECT t.{key} AS id, COALESCE(e.n, 0) AS n FROM {table} t "
        f"LEFT JOIN ({counter.expected}) e ON e.k = t.{key} WHERE {scope}"
        f") r WHERE {table}.{key} = r.id AND {table}.{column} <> r.n"
    )


@dataclass(frozen=True)
class Drift:
    """How many rows of one counter were wrong (and are now rebuilt)."""

    table: str
    column: str
    rows: int

    def __str__(self) -> str:
        return f"{self.table}.{self.column}: {self.rows}"


def rebuild(consultation: Consultation | int) -> list[Drift]:
    """Recompute every counter of one consultation's rows; return those that were wrong.

    Set-based (one UPDATE per counter, touching only the rows that differ),
    so an import of a million rows pays it once, at the database's speed.
    """
    pk = consultation if isinstance(consultation, int) else consultation.pk
    drifts = []
    with transaction.atomic():
        # Plans that do not depend on luck: right after a bulk load the
        # planner's statistics still describe nearly empty tables, and these
        # joins then get nested loops over whole tables (minutes at 20,000
        # rows). ANALYZE inside the transaction sees the rows it wrote.
        analyze()
        with connection.cursor() as cursor:
            for counter in COUNTERS:
                cursor.execute(_update_sql(counter), [pk, pk])
                if cursor.rowcount:
                    drifts.append(Drift(counter.table, counter.column, cursor.rowcount))
        drifts += _rebuild_participations(pk) + _rebuild_tallies(pk)
    return [drift for drift in drifts if drift.rows]


def _rebuild_participations(pk: int) -> list[Drift]:
    """Recompute each account's weight and the participant count of one consultation."""
    expected: Tally[int] = Tally()
    authors = Contribution.objects.of_consultation(pk).order_by().values("author_id")
    for row in authors.annotate(n=Count("pk")):
        expected[row["author_id"]] += row["n"]
    voters = Vote.objects.filter(proposal__consultation_id=pk).order_by().values("user_id")
    for row in voters.annotate(n=Count("pk")):
        expected[row["user_id"]] += row["n"]
    stored = {p.user_id: p for p in Participation.objects.filter(consultation_id=pk)}
    wrong = [p for user, p in stored.items() if p.weight != expected.get(user, 0)]
    for participation in wrong:
        participation.weight = expected.get(participation.user_id, 0)
    Participation.objects.bulk_update(wrong, ["weight"], batch_size=1000)
    missing = [
        Participation(consultation_id=pk, user_id=user, weight=weight)
        for user, weight in expected.items()
        if user not in stored
    ]
    Participation.objects.bulk_create(missing, batch_size=1000)
    participants = sum(1 for weight in expected.values() if weight > 0)
    changed = Consultation.objects.filter(pk=pk).exclude(participant_count=participants)
    fixed = changed.update(participant_count=participants)
    return [
        Drift("debates_participation", "weight", len(wrong) + len(missing)),
        Drift("debates_consultation", "participant_count", fixed),
    ]


def _rebuild_tallies(pk: int) -> list[Drift]:
    """Recompute the per-day contribution tallies of one consultation (site time zone)."""
    days = (
        Contribution.objects.of_consultation(pk)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
    )
    expected: dict[date, int] = {row["day"]: row["n"] for row in days}
    stored = {t.day: t for t in DailyTally.objects.filter(consultation_id=pk)}
    wrong = [t for day, t in stored.items() if t.contributions != expected.get(day, 0)]
    for tally in wrong:
        tally.contributions = expected.get(tally.day, 0)
    DailyTally.objects.bulk_update(wrong, ["contributions"], batch_size=1000)
    missing = [
        DailyTally(consultation_id=pk, day=day, contributions=n)
        for day, n in expected.items()
        if day not in stored
    ]
    DailyTally.objects.bulk_create(missing, batch_size=1000)
    return [Drift("debates_dailytally", "contributions", len(wrong) + len(missing))]


def per_day(consultation: Consultation) -> dict[date, int]:
    """Return the stored number of contributions of each day (days without any left out)."""
    rows = DailyTally.objects.filter(consultation=consultation, contributions__gt=0)
    return dict(rows.values_list("day", "contributions"))


def analyze() -> None:
    """Refresh the planner's statistics after a bulk write (imports, large test data).

    Without it, PostgreSQL plans the next queries on a freshly loaded
    consultation from statistics taken when its tables were nearly empty.
    Outside a transaction on PostgreSQL it also sets the visibility map's
    bits that index-only scans need.
    """
    tables = [
        "debates_contribution",
        "debates_proposal",
        "debates_argument",
        "debates_source",
        "debates_vote",
        "debates_endorsement",
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")
