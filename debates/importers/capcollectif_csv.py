"""The CSV export of a Cap Collectif consultation step, into one consultation.

The export is `;`-separated, one row per object; its `type` column says which
block of columns the row fills: `opinion` (a proposal), `argument`, `vote`,
`source`, `reportings`. `read_export()` reads and checks the whole file, and
repairs the few shapes of row the exporter is known to break (each repair is
reported with its line); `write_export()` writes it in one transaction.
docs/imports.md describes the mapping, the numbering and the pseudonyms.
"""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from debates.counters import rebuild
from debates.importers.common import (
    PARIS,
    REPORT_REASONS,
    Account,
    Hidden,
    ImportRefused,
    ProgressCallback,
    already_imported,
    check_username,
    day_start,
    ensure_accounts,
    file_digest,
    fingerprint,
    hidden_fields,
    hide_reason,
    next_day_start,
    one_line,
    pseudonym,
    quiet,
    unique_slug,
)
from debates.importers.text import html_to_text, plain_text, shorten
from debates.models import (
    Argument,
    Consultation,
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

SOURCE = "capcollectif-csv"
DELIMITER = ";"

# The columns this importer reads; an export without one of them is refused.
OPINION = {
    "id": "contributions_id",
    "author": "contributions_author_id",
    "consultation": "contributions_consultation_title",
    "section": "contributions_section_title",
    "title": "contributions_title",
    "body": "contributions_bodyText",
    "created": "contributions_createdAt",
    "updated": "contributions_updatedAt",
    "url": "contributions_url",
    "published": "contributions_published",
    "trashed": "contributions_trashed",
    "trashed_status": "contributions_trashedStatus",
    "trashed_at": "contributions_trashedAt",
    "trashed_reason": "contributions_trashedReason",
    "votes": "contributions_votesCount",
    "votes_ok": "contributions_votesCountOk",
    "votes_mitige": "contributions_votesCountMitige",
    "votes_nok": "contributions_votesCountNok",
    "arguments": "contributions_argumentsCount",
    "arguments_for": "contributions_argumentsCountFor",
    "arguments_against": "contributions_argumentsCountAgainst",
    "sources": "contributions_sourcesCount",
}
VOTE = {
    "id": "contributions_votes_id",
    "related": "contributions_votes_related_id",
    "author": "contributions_votes_author_id",
    "value": "contributions_votes_value",
    "created": "contributions_votes_createdAt",
}
ARGUMENT = {
    "related": "contributions_arguments_related_id",
    "related_kind": "contributions_arguments_related_kind",
    "id": "contributions_arguments_id",
    "author": "contributions_arguments_author_id",
    "type": "contributions_arguments_type",
    "body": "contributions_arguments_body",
    "created": "contributions_arguments_createdAt",
    "updated": "contributions_arguments_updatedAt",
    "url": "contributions_arguments_url",
    "published": "contributions_arguments_published",
    "trashed": "contributions_arguments_trashed",
    "trashed_status": "contributions_arguments_trashedStatus",
    "trashed_at": "contributions_arguments_trashedAt",
    "trashed_reason": "contributions_arguments_trashedReason",
    "votes": "contributions_arguments_votesCount",
}
REPORT = {
    "related": "contributions_reportings_related_id",
    "related_kind": "contributions_reportings_related_kind",
    "id": "contributions_reportings_id",
    "author": "contributions_reportings_author_id",
    "type": "contributions_reportings_type",
    "body": "contributions_reportings_body",
    "created": "contributions_reportings_createdAt",
}
SOURCE_COLUMNS = {
    "id": "contributions_sources_id",
    "related": "contributions_sources_related_id",
    "related_kind": "contributions_sources_related_kind",
    "author": "contributions_sources_author_id",
    "trashed": "contributions_sources_trashed",
    "trashed_status": "contributions_sources_trashedStatus",
    "trashed_at": "contributions_sources_trashedAt",
    "trashed_reason": "contributions_sources_trashedReason",
    "body": "contributions_sources_body",
    "created": "contributions_sources_createdAt",
    "updated": "contributions_sources_updatedAt",
    "published": "contributions_sources_published",
}
REQUIRED_COLUMNS = (
    ["type"]
    + list(OPINION.values())
    + list(VOTE.values())
    + list(ARGUMENT.values())
    + list(REPORT.values())
    + list(SOURCE_COLUMNS.values())
)
TYPES = ("opinion", "argument", "vote", "source", "reportings")
STANCES = {"FOR": Stance.FOR, "AGAINST": Stance.AGAINST}
VOTE_VALUES = {"YES": VoteValue.AGREE, "MITIGE": VoteValue.MIXED, "NO": VoteValue.DISAGREE}

DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})")
# A date glued to the end of a text: the exporter lost the separator before it.
GLUED_DATE = re.compile(
    r"(?:;,)?(?:(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})"
    r"|(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):\d{2})\Z"
)
UNPUBLISHED_NOTE = "Contribution non publiée sur la plateforme d'origine."
TRASHED_NOTE = "Masquée par la modération de la plateforme d'origine."
TITLE_MAX = 300
LINK = re.compile(r"https?://[^\s<>\"')]+")
SOURCE_TITLE_MAX = 120


# --------------------------------------------------------------------------- what the file holds


@dataclass(frozen=True)
class PublishedCounts:
    """The counts the platform showed for a proposal (columns contributions_*Count)."""

    votes_ok: int
    votes_mitige: int
    votes_nok: int
    arguments_for: int
    arguments_against: int
    sources: int


class _Stamp(TypedDict):
    """What every contribution row has, read and checked."""

    line: int
    id: str
    author: str
    created_at: datetime
    updated_at: datetime
    hidden: Hidden | None


@dataclass(kw_only=True)
class _Item:
    line: int
    id: str
    author: str
    created_at: datetime
    updated_at: datetime
    hidden: Hidden | None

    KIND = ""


@dataclass(kw_only=True)
class OpinionRow(_Item):
    section: str
    title: str
    body: str
    url: str
    counts: PublishedCounts | None
    # Votes the published counts hold beyond the vote rows (filled after reading).
    extra_votes: dict[str, int] = field(default_factory=dict)

    KIND = "proposal"


@dataclass(kw_only=True)
class ArgumentRow(_Item):
    proposal: str
    stance: str
    body: str
    endorsements: int

    KIND = "argument"


@dataclass(kw_only=True)
class SourceRow(_Item):
    proposal: str
    html: str

    KIND = "source"


@dataclass(frozen=True)
class VoteRow:
    line: int
    proposal: str
    voter: str
    value: str
    created_at: datetime


@dataclass(frozen=True)
class ReportRow:
    line: int
    related: str
    reporter: str
    reason: str
    comment: str
    created_at: datetime


@dataclass
class Export:
    """A whole export, read and checked, ready to write."""

    path: Path
    digest: str
    rows: int
    consultation_title: str
    sections: list[str]
    opinions: list[OpinionRow]
    arguments: list[ArgumentRow]
    sources: list[SourceRow]
    votes: list[VoteRow]
    vote_rows: int
    reports: list[ReportRow]
    repairs: list[str]
    warnings: list[str]

    @property
    def duplicate_votes(self) -> int:
        return self.vote_rows - len(self.votes)

    @property
    def extra_votes(self) -> int:
        return sum(sum(o.extra_votes.values()) for o in self.opinions)

    def contributions(self) -> list[_Item]:
        """Return every proposal, argument and source, in the order numbers are given."""
        items: list[_Item] = [*self.opinions, *self.arguments, *self.sources]
        return sorted(items, key=lambda item: (item.created_at, item.id))

    def moments(self) -> Iterator[datetime]:
        for item in self.contributions():
            yield item.created_at
        for vote in self.votes:
            yield vote.created_at


# --------------------------------------------------------------------------- reading


def _uuid_time(value: str) -> datetime | None:
    """Return the moment a version-1 UUID embeds, or None for another id."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    if parsed.version != 1:
        return None
    # 100-nanosecond intervals since the Gregorian reform, 15 October 1582.
    return datetime(1582, 10, 15, tzinfo=UTC) + timedelta(microseconds=parsed.time // 10)


def _paris(naive: datetime, hint: datetime | None) -> datetime:
    """Return a Paris wall-clock time as an aware UTC moment.

    In the hour the clocks go back, the same wall-clock time happens twice: the
    moment embedded in the row's id (when it has one) picks the right one, else
    the first (summer time).
    """
    first = naive.replace(tzinfo=PARIS, fold=0)
    second = naive.replace(tzinfo=PARIS, fold=1)
    if first.utcoffset() == second.utcoffset() or hint is None:
        return first.astimezone(UTC)
    return min(first, second, key=lambda moment: abs(moment.astimezone(UTC) - hint)).astimezone(UTC)


_SECTION_NUMBER = re.compile(r"^\s*(\d+)\s*[.)°-]")


def source_order(opinions: list[OpinionRow]) -> list[str]:
    """Return the sections in the order of the platform of origin.

    The export lists rows newest first and has no position column: sections
    numbered in their titles (« 1. Les conditions… », « 2. … ») follow their
    numbers; otherwise, the order in which their first proposal was posted.
    """
    first: dict[str, datetime] = {}
    for opinion in opinions:
        moment = first.get(opinion.section)
        if moment is None or opinion.created_at < moment:
            first[opinion.section] = opinion.created_at
    numbers = {title: _SECTION_NUMBER.match(title) for title in first}
    if all(numbers.values()):
        return sorted(first, key=lambda t: (int(numbers[t].group(1)), t))  # type: ignore[union-attr]
    return sorted(first, key=lambda t: (first[t], t))


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _is_date(value: str) -> bool:
    return DATE.fullmatch(value) is not None


class _Line:
    """One row of the export, read by column name with its line named in every refusal."""

    def __init__(self, number: int, cells: dict[str, str]) -> None:
        self.number = number
        self.cells = cells

    def fault(self, column: str | None, message: str) -> ImportRefused:
        where = f"ligne {self.number}" + (f", colonne « {column} »" if column else "")
        return ImportRefused(f"{where} : {message}")

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.cells[column]
        if required and not value.strip():
            raise self.fault(column, "valeur obligatoire absente")
        return value

    def moment(self, column: str, *, hint: datetime | None = None) -> datetime | None:
        value = self.cells[column].strip()
        if not value:
            return None
        match = DATE.fullmatch(value)
        if match is None:
            raise self.fault(
                column, f"« {shorten(value, 40)} » n'est pas une date jj/mm/aaaa hh:mm"
            )
        day, month, year, hour, minute = (int(part) for part in match.groups())
        try:
            naive = datetime(year, month, day, hour, minute)  # noqa: DTZ001 - Paris, just below
        except ValueError as exc:
            raise self.fault(column, f"« {value} » n'est pas une date qui existe") from exc
        return _paris(naive, hint)

    def required_moment(self, column: str, *, hint: datetime | None = None) -> datetime:
        moment = self.moment(column, hint=hint)
        if moment is None:
            raise self.fault(column, "date obligatoire absente")
        return moment

    def count(self, column: str) -> int | None:
        value = self.cells[column].strip()
        if not value:
            return None
        if not value.isdigit():
            raise self.fault(column, f"« {shorten(value, 40)} » n'est pas un nombre entier")
        return int(value)

    def flag(self, column: str) -> bool:
        value = self.cells[column].strip().lower()
        if value in ("", "0", "false"):
            return False
        if value in ("1", "true"):
            return True
        raise self.fault(column, f"« {shorten(value, 40)} » n'est ni 1 ni vide")


class _Reader:
    """Read every row, repairing the known breakages of the exporter, refusing anything else."""

    def __init__(self, header: list[str], now: datetime) -> None:
        self.header = header
        self.position = {name: index for index, name in enumerate(header)}
        self.now = now
        self.repairs: list[str] = []

    # The exporter writes as many separators per row as it counts in the values,
    # so a `;` inside a quoted value makes it drop a trailing empty column: short
    # rows are padded. Three rarer breakages move cells, and are repaired here.
    def cells(self, number: int, row: list[str]) -> dict[str, str]:
        width = len(self.header)
        if len(row) > width:
            if any(cell.strip() for cell in row[width:]):
                raise ImportRefused(
                    f"ligne {number} : {len(row)} valeurs pour {width} colonnes ; "
                    "un « ; » non protégé par des guillemets ?"
                )
            row = row[:width]
        row = row + [""] * (width - len(row))
        kind = row[self.position["type"]]
        if kind == "opinion":
            row = self.realign(number, row, OPINION, title=OPINION["title"])
        elif kind == "argument":
            row = self.realign(number, row, ARGUMENT, title=None)
        return dict(zip(self.header, row, strict=True))

    def realign(
        self, number: int, row: list[str], columns: dict[str, str], *, title: str | None
    ) -> list[str]:
        """Put back the cells of a contribution row whose text swallowed a separator.

        The block reads: text, createdAt, updatedAt, url. When the url sits one
        column early, one cell is missing before it, and the row says which:
        - the text ends with a date glued to it: the separator before createdAt
          was lost (the date is split off the text);
        - (proposals) the text column holds a date and the title holds a `;`:
          title and text were merged (split at the first `;`).
        """
        body = self.position[columns["body"]]
        layout = [columns["created"], columns["updated"], columns["url"]]
        if [self.position[c] for c in layout] != [body + 1, body + 2, body + 3]:
            return row  # another column order: nothing is moved, checks decide
        url = body + 3
        if _is_url(row[url]) or not _is_url(row[url - 1]):
            return row
        text = row[body]
        glued = GLUED_DATE.search(text)
        if title is not None and _is_date(text) and ";" in row[self.position[title]]:
            head, tail = row[self.position[title]].split(";", 1)
            fixed = [*row[:body], tail, *row[body:]]
            fixed[self.position[title]] = head
            what = "titre et texte fusionnés, séparés au premier « ; »"
        elif glued is not None and glued.start() > 0:
            parts = glued.groups()
            if parts[0] is not None:
                date = f"{parts[0]}/{parts[1]}/{parts[2]} {parts[3]}:{parts[4]}"
            else:
                date = f"{parts[7]}/{parts[6]}/{parts[5]} {parts[8]}:{parts[9]}"
            fixed = [*row[:body], text[: glued.start()], date, *row[body + 1 :]]
            what = "date de création collée à la fin du texte, séparée"
        else:
            raise ImportRefused(
                f"ligne {number}, colonne « {columns['url']} » : colonnes décalées d'un cran "
                "sans réparation connue"
            )
        if fixed[-1].strip():
            raise ImportRefused(
                f"ligne {number} : colonnes décalées et dernière colonne remplie ; "
                "réparation impossible"
            )
        self.repairs.append(f"ligne {number} : {what}")
        return fixed[:-1]

    def hidden(
        self, line: _Line, columns: dict[str, str], *, created_at: datetime, published: bool
    ) -> Hidden | None:
        if line.flag(columns["trashed"]):
            reason_text = one_line(line.text(columns["trashed_reason"]))
            at = line.moment(columns["trashed_at"]) or self.now
            return Hidden(
                at=max(at, created_at),
                reason=hide_reason(reason_text),
                note=reason_text or TRASHED_NOTE,
            )
        if not published:
            return Hidden(at=created_at, reason=HideReason.UNPUBLISHED, note=UNPUBLISHED_NOTE)
        return None

    def stamp(self, line: _Line, columns: dict[str, str]) -> _Stamp:
        """Return id, author, dates and hiding of a contribution row."""
        item_id = line.text(columns["id"], required=True).strip()
        hint = _uuid_time(item_id)
        created_at = line.moment(columns["created"], hint=hint)
        if created_at is None:
            # Rows of unpublished contributions come without their dates; their
            # version-1 UUID holds the moment they were made, to the microsecond.
            if hint is None:
                raise line.fault(
                    columns["created"], "date absente, et l'identifiant n'en contient pas"
                )
            created_at = hint
        updated_at = line.moment(columns["updated"], hint=None) or created_at
        published = line.flag(columns["published"])
        return _Stamp(
            line=line.number,
            id=item_id,
            author=line.text(columns["author"], required=True).strip(),
            created_at=created_at,
            updated_at=max(updated_at, created_at),
            hidden=self.hidden(line, columns, created_at=created_at, published=published),
        )

    def opinion(self, line: _Line) -> OpinionRow:
        counts = None
        raw = {key: line.count(OPINION[key]) for key in OPINION if key.startswith(("votes", "arg"))}
        sources = line.count(OPINION["sources"])
        if raw["votes_ok"] is not None:
            values = {key: value or 0 for key, value in raw.items()}
            counts = PublishedCounts(
                votes_ok=values["votes_ok"],
                votes_mitige=values["votes_mitige"],
                votes_nok=values["votes_nok"],
                arguments_for=values["arguments_for"],
                arguments_against=values["arguments_against"],
                sources=sources or 0,
            )
        url = line.text(OPINION["url"]).strip()
        if url and not _is_url(url):
            raise line.fault(OPINION["url"], f"« {shorten(url, 40)} » n'est pas une adresse web")
        return OpinionRow(
            **self.stamp(line, OPINION),
            section=one_line(line.text(OPINION["section"], required=True)),
            title=one_line(_unescape(line.text(OPINION["title"], required=True))),
            body=plain_text(_unescape(line.text(OPINION["body"]))),
            url=url,
            counts=counts,
        )

    def argument(self, line: _Line) -> ArgumentRow:
        kind = line.text(ARGUMENT["related_kind"]).strip()
        if kind != "opinion":
            raise line.fault(
                ARGUMENT["related_kind"],
                f"argument sur « {kind} » : seules les propositions "
                "(opinion) sont prises en charge",
            )
        stance = line.text(ARGUMENT["type"], required=True).strip()
        if stance not in STANCES:
            raise line.fault(ARGUMENT["type"], f"« {stance} » n'est ni FOR ni AGAINST")
        return ArgumentRow(
            **self.stamp(line, ARGUMENT),
            proposal=line.text(ARGUMENT["related"], required=True).strip(),
            stance=STANCES[stance],
            body=plain_text(_unescape(line.text(ARGUMENT["body"]))),
            endorsements=line.count(ARGUMENT["votes"]) or 0,
        )

    def source(self, line: _Line) -> SourceRow:
        kind = line.text(SOURCE_COLUMNS["related_kind"]).strip()
        if kind != "opinion":
            raise line.fault(
                SOURCE_COLUMNS["related_kind"],
                f"source sur « {kind} » : seules les propositions (opinion) sont prises en charge",
            )
        return SourceRow(
            **self.stamp(line, SOURCE_COLUMNS),
            proposal=line.text(SOURCE_COLUMNS["related"], required=True).strip(),
            html=line.text(SOURCE_COLUMNS["body"]),
        )

    def vote(self, line: _Line) -> VoteRow:
        value = line.text(VOTE["value"], required=True).strip()
        if value not in VOTE_VALUES:
            raise line.fault(VOTE["value"], f"« {value} » n'est ni YES, ni MITIGE, ni NO")
        return VoteRow(
            line=line.number,
            proposal=line.text(VOTE["related"], required=True).strip(),
            voter=line.text(VOTE["author"], required=True).strip(),
            value=VOTE_VALUES[value],
            created_at=line.required_moment(VOTE["created"]),
        )

    def report(self, line: _Line) -> ReportRow:
        kind = line.text(REPORT["type"]).strip().upper()
        return ReportRow(
            line=line.number,
            related=line.text(REPORT["related"], required=True).strip(),
            reporter=line.text(REPORT["author"], required=True).strip(),
            reason=REPORT_REASONS.get(kind, ReportReason.OTHER),
            comment=plain_text(line.text(REPORT["body"])),
            created_at=line.required_moment(REPORT["created"]),
        )


def _unescape(text: str) -> str:
    # The exporter leaves a few HTML entities in plain text (« =&gt »).
    return html.unescape(text)


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line, cells) of every record; refuse what the CSV parser cannot read."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER, strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportRefused(f"ligne {start} : CSV illisible ({exc})") from exc
        if row:
            yield start, row
        start = reader.line_num + 1


def read_export(path: Path, *, progress: ProgressCallback = quiet) -> Export:
    """Return the whole export at `path`, checked; refuse it on any fault, naming the line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ImportRefused(f"{path} : fichier introuvable") from exc
    except OSError as exc:
        raise ImportRefused(f"{path} : lecture impossible ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(f"ligne {line} : le fichier n'est pas du texte UTF-8") from exc
    total = text.count("\n")
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise ImportRefused(f"{path} : fichier vide")
    header = [name.strip() for name in first[1]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportRefused(
            f"ligne 1 : colonne(s) absente(s) de l'en-tête : {', '.join(missing)} "
            "(est-ce bien un export CSV Cap Collectif, séparé par des « ; » ?)"
        )
    doubled = sorted(name for name, n in Counter(header).items() if n > 1 and name)
    if doubled:
        raise ImportRefused(f"ligne 1 : colonne(s) en double : {', '.join(doubled)}")

    reader = _Reader(header, timezone.now())
    opinions: dict[str, OpinionRow] = {}
    arguments: dict[str, ArgumentRow] = {}
    sources: dict[str, SourceRow] = {}
    votes: list[VoteRow] = []
    reports: list[ReportRow] = []
    titles: Counter[str] = Counter()
    count = 0
    for number, row in records:
        count += 1
        progress("lignes lues", number, total)
        line = _Line(number, reader.cells(number, row))
        kind = line.text("type").strip()
        if kind == "opinion":
            item = reader.opinion(line)
            _unique(opinions, item, line, OPINION["id"])
            titles[one_line(line.text(OPINION["consultation"]))] += 1
        elif kind == "argument":
            argument = reader.argument(line)
            _unique(arguments, argument, line, ARGUMENT["id"])
        elif kind == "source":
            source = reader.source(line)
            _unique(sources, source, line, SOURCE_COLUMNS["id"])
        elif kind == "vote":
            votes.append(reader.vote(line))
        elif kind in ("reportings", "reporting"):
            reports.append(reader.report(line))
        else:
            raise line.fault(
                "type", f"type « {shorten(kind, 40)} » inconnu (attendus : {', '.join(TYPES)})"
            )
    progress("lignes lues", total, total)
    if not opinions:
        raise ImportRefused(f"{path} : aucune proposition (ligne de type opinion)")

    for item in [*arguments.values(), *sources.values()]:
        if item.proposal not in opinions:
            raise ImportRefused(
                f"ligne {item.line} : la proposition « {item.proposal} » n'est pas dans le fichier"
            )
    for vote in votes:
        if vote.proposal not in opinions:
            raise ImportRefused(
                f"ligne {vote.line} : vote sur la proposition « {vote.proposal} », "
                "absente du fichier"
            )
    known = set(opinions) | set(arguments) | set(sources)
    for report in reports:
        if report.related not in known:
            raise ImportRefused(
                f"ligne {report.line} : signalement de « {report.related} », absente du fichier"
            )

    # The same voter twice on a proposal: the last vote counts, once.
    last: dict[tuple[str, str], VoteRow] = {}
    for vote in sorted(votes, key=lambda v: (v.created_at, v.line)):
        last[(vote.proposal, vote.voter)] = vote
    kept_votes = sorted(last.values(), key=lambda v: v.line)
    last_report: dict[tuple[str, str], ReportRow] = {}
    for report in sorted(reports, key=lambda r: (r.created_at, r.line)):
        last_report[(report.related, report.reporter)] = report

    warnings = _reconcile(list(opinions.values()), arguments, sources, kept_votes)
    return Export(
        path=path,
        digest=file_digest([data]),
        rows=count,
        consultation_title=titles.most_common(1)[0][0] if titles else "",
        sections=source_order(list(opinions.values())),
        opinions=list(opinions.values()),
        arguments=list(arguments.values()),
        sources=list(sources.values()),
        votes=kept_votes,
        vote_rows=len(votes),
        reports=sorted(last_report.values(), key=lambda r: r.line),
        repairs=reader.repairs,
        warnings=warnings,
    )


_Row = TypeVar("_Row", bound=_Item)


def _unique(seen: dict[str, _Row], item: _Row, line: _Line, column: str) -> None:
    if item.id in seen:
        raise line.fault(
            column, f"« {item.id} » est déjà l'identifiant de la ligne {seen[item.id].line}"
        )
    seen[item.id] = item


def _reconcile(
    opinions: list[OpinionRow],
    arguments: dict[str, ArgumentRow],
    sources: dict[str, SourceRow],
    votes: list[VoteRow],
) -> list[str]:
    """Compare the rows with the counts the platform published; fill the votes it alone knew.

    A proposal whose published count of a vote value exceeds its vote rows gets
    the difference as imported votes (`imported_votes_*`: voters unknown), so
    its page shows what the platform showed. Any other difference is reported.
    """
    votes_by: dict[str, Counter[str]] = defaultdict(Counter)
    for vote in votes:
        votes_by[vote.proposal][vote.value] += 1
    arguments_by: dict[str, Counter[str]] = defaultdict(Counter)
    for argument in arguments.values():
        arguments_by[argument.proposal][argument.stance] += 1
    sources_by = Counter(source.proposal for source in sources.values())
    warnings = []
    for opinion in opinions:
        counts = opinion.counts
        if counts is None:
            continue
        known = votes_by[opinion.id]
        for value, published in (
            (VoteValue.AGREE, counts.votes_ok),
            (VoteValue.MIXED, counts.votes_mitige),
            (VoteValue.DISAGREE, counts.votes_nok),
        ):
            gap = published - known[value]
            if gap > 0:
                opinion.extra_votes[value] = gap
            elif gap < 0:
                warnings.append(
                    f"ligne {opinion.line} : {known[value]} vote(s) « {value} » dans le fichier, "
                    f"{published} publié(s)"
                )
        found = arguments_by[opinion.id]
        if (found[Stance.FOR], found[Stance.AGAINST]) != (
            counts.arguments_for,
            counts.arguments_against,
        ):
            warnings.append(
                f"ligne {opinion.line} : arguments pour / contre {found[Stance.FOR]} / "
                f"{found[Stance.AGAINST]} dans le fichier, {counts.arguments_for} / "
                f"{counts.arguments_against} publiés"
            )
        if sources_by[opinion.id] != counts.sources:
            warnings.append(
                f"ligne {opinion.line} : {sources_by[opinion.id]} source(s) dans le fichier, "
                f"{counts.sources} publiée(s)"
            )
    return warnings


# --------------------------------------------------------------------------- writing


@dataclass
class CsvImportResult:
    """What an import created, or that it found the same file already imported."""

    consultation: Consultation
    unchanged: bool
    export: Export
    accounts_created: int = 0
    accounts_found: int = 0
    first_number: int | None = None
    last_number: int | None = None
    linkless_sources: int = 0
    truncated_titles: int = 0
    # (kind, original id, number) of every contribution, for --map.
    mapping: list[tuple[str, str, int]] = field(default_factory=list)

    def summary(self) -> list[str]:
        """Return French lines saying what was imported."""
        export = self.export
        slug = self.consultation.slug
        if self.unchanged:
            return [
                f"La consultation « {slug} » a déjà été importée de ce même fichier "
                f"(sha256 {export.digest[:16]}…) : rien n'a changé."
            ]
        stances = Counter(a.stance for a in export.arguments)
        lines = [
            f"Consultation « {slug} » importée de {export.path.name} ({export.rows} lignes) : "
            f"{len(export.sections)} débat(s), {len(export.opinions)} proposition(s), "
            f"{len(export.arguments)} argument(s) ({stances[Stance.FOR]} pour, "
            f"{stances[Stance.AGAINST]} contre), {len(export.sources)} source(s), "
            f"{len(export.votes)} vote(s), {len(export.reports)} signalement(s).",
            f"Comptes pseudonymes : {self.accounts_created} créé(s), "
            f"{self.accounts_found} existant(s) réutilisé(s).",
        ]
        if self.first_number is not None:
            lines.append(
                f"Numéros #{self.first_number} à #{self.last_number}, donnés dans l'ordre "
                "chronologique (les identifiants d'origine ne sont pas des nombres)."
            )
        items: list[_Item] = [*export.opinions, *export.arguments, *export.sources]
        trashed = sum(1 for i in items if i.hidden and i.hidden.note != UNPUBLISHED_NOTE)
        unpublished = sum(1 for i in items if i.hidden and i.hidden.note == UNPUBLISHED_NOTE)
        lines.append(
            f"Masquées : {trashed} contribution(s) mise(s) à la corbeille, {unpublished} "
            "non publiée(s) sur la plateforme d'origine."
        )
        lines.append(
            f"Votes : {export.vote_rows} ligne(s), {export.duplicate_votes} doublon(s) "
            "(même votant, même proposition : le dernier vote compte, une fois) ; "
            f"{export.extra_votes} vote(s) connu(s) seulement par les décomptes publiés, "
            "ajouté(s) aux votes importés."
        )
        if self.linkless_sources:
            lines.append(
                f"{self.linkless_sources} source(s) sans lien dans l'export : leur lien mène à la "
                "proposition sur la plateforme d'origine."
            )
        if self.truncated_titles:
            lines.append(f"{self.truncated_titles} titre(s) trop long(s) coupé(s).")
        if export.repairs:
            lines.append(f"Lignes réparées ({len(export.repairs)}) :")
            lines.extend(f"  {repair}" for repair in export.repairs)
        if export.warnings:
            lines.append(f"Écarts avec les décomptes publiés ({len(export.warnings)}) :")
            lines.extend(f"  {warning}" for warning in export.warnings)
        return lines


def _source_fields(source: SourceRow, proposal_url: str) -> tuple[dict[str, str], bool]:
    """Return title, url and description of a source, and whether its text had a link.

    The export keeps only a source's HTML text: its title and link columns are
    missing. The link is the first http(s) address of the text, else the page
    of the proposal on the original platform, where the source was listed; the
    title is the text without its addresses, else the address.
    """
    text = html_to_text(source.html)
    links = LINK.findall(text)
    url = links[0] if links else proposal_url
    words = one_line(LINK.sub(" ", text))
    title = shorten(words, SOURCE_TITLE_MAX) if words else shorten(url if links else "", 300)
    title = title or "Source sans titre"
    description = text if text != title else ""
    return {"title": title, "url": url, "description": description}, bool(links)


def write_export(
    export: Export,
    *,
    slug: str,
    title: str,
    author_prefix: str,
    progress: ProgressCallback = quiet,
) -> CsvImportResult:
    """Create the consultation of an export in one transaction, or find it already imported."""
    reason = fingerprint(SOURCE, export.digest)
    try:
        with transaction.atomic():
            existing = already_imported(slug, reason)
            if existing is not None:
                return CsvImportResult(consultation=existing, unchanged=True, export=export)
            return _write(
                export,
                slug=slug,
                title=title,
                prefix=author_prefix,
                reason=reason,
                progress=progress,
            )
    except IntegrityError as exc:
        raise ImportRefused(f"(base de données) : l'import a été refusé ({exc})") from exc


def _accounts(export: Export, prefix: str) -> dict[str, Account]:
    """Return the pseudonymous account of every author id of the export."""
    ids: dict[str, int] = {}
    for item in [*export.opinions, *export.arguments, *export.sources]:
        ids.setdefault(item.author, item.line)
    for vote in export.votes:
        ids.setdefault(vote.voter, vote.line)
    for report in export.reports:
        ids.setdefault(report.reporter, report.line)
    accounts: dict[str, Account] = {}
    owners: dict[str, str] = {}
    for opaque, line in ids.items():
        account = pseudonym(prefix, opaque)
        check_username(account.username, f"ligne {line}")
        if owners.setdefault(account.username, opaque) != opaque:
            raise ImportRefused(
                f"ligne {line} : deux auteurs donnent le même pseudonyme {account.username}"
            )
        accounts[opaque] = account
    return accounts


def _write(
    export: Export,
    *,
    slug: str,
    title: str,
    prefix: str,
    reason: str,
    progress: ProgressCallback,
) -> CsvImportResult:
    accounts = _accounts(export, prefix)
    users_by_name, created = ensure_accounts(accounts.values(), verified_at=timezone.now())
    users = {opaque: users_by_name[account.username] for opaque, account in accounts.items()}

    moments = list(export.moments())
    consultation = Consultation(
        slug=slug,
        title=title,
        description=(
            "Consultation importée d'un export CSV Cap Collectif. Ses dates d'ouverture et de "
            "clôture sont déduites de la première et de la dernière participation."
        ),
        opens_at=day_start(min(moments)),
        closes_at=next_day_start(max(moments)),
    )
    consultation._change_reason = reason  # type: ignore[attr-defined]
    consultation.save()
    debate_slugs: set[str] = set()
    debates = {}
    for position, section in enumerate(export.sections):
        debate = Debate(
            consultation=consultation,
            title=section,
            slug=unique_slug(section, debate_slugs),
            position=position,
        )
        debate._change_reason = reason  # type: ignore[attr-defined]
        debate.save()
        debates[section] = debate

    ordered = export.contributions()
    numbers: dict[tuple[str, str], int] = {}
    for done, item in enumerate(ordered, start=1):
        numbers[(item.KIND, item.id)] = NumberSequence.next_number()
        progress("numéros donnés", done, len(ordered))

    result = CsvImportResult(
        consultation=consultation,
        unchanged=False,
        export=export,
        accounts_created=created,
        accounts_found=len(users_by_name) - created,
        first_number=min(numbers.values()) if numbers else None,
        last_number=max(numbers.values()) if numbers else None,
    )
    total = len(ordered)
    done = 0

    def common(item: _Item) -> dict[str, object]:
        number = numbers[(item.KIND, item.id)]
        result.mapping.append((item.KIND, item.id, number))
        return {
            "number": number,
            "author": users[item.author],
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            **hidden_fields(item.hidden),
        }

    def save(instance: Proposal | Argument | Source) -> None:
        nonlocal done
        instance._change_reason = reason  # type: ignore[attr-defined]
        instance.save()
        done += 1
        progress("contributions écrites", done, total)

    proposals: dict[str, Proposal] = {}
    by_id: dict[str, int] = {}
    for opinion in sorted(export.opinions, key=lambda o: numbers[(o.KIND, o.id)]):
        title_text = opinion.title
        if len(title_text) > TITLE_MAX:
            title_text = shorten(title_text, TITLE_MAX)
            result.truncated_titles += 1
        proposal = Proposal(
            debate=debates[opinion.section],
            title=title_text,
            body=opinion.body,
            imported_votes_agree=opinion.extra_votes.get(VoteValue.AGREE, 0),
            imported_votes_mixed=opinion.extra_votes.get(VoteValue.MIXED, 0),
            imported_votes_disagree=opinion.extra_votes.get(VoteValue.DISAGREE, 0),
            **common(opinion),
        )
        save(proposal)
        proposals[opinion.id] = proposal
        by_id[opinion.id] = proposal.pk
    for argument in sorted(export.arguments, key=lambda a: numbers[(a.KIND, a.id)]):
        instance = Argument(
            proposal=proposals[argument.proposal],
            stance=argument.stance,
            body=argument.body,
            imported_endorsements=argument.endorsements,
            **common(argument),
        )
        save(instance)
        by_id[argument.id] = instance.pk
    opinion_urls = {o.id: o.url for o in export.opinions}
    for source in sorted(export.sources, key=lambda s: numbers[(s.KIND, s.id)]):
        fields, linked = _source_fields(source, opinion_urls[source.proposal])
        if not fields["url"]:
            raise ImportRefused(
                f"ligne {source.line} : source sans lien, et sa proposition n'a pas d'adresse"
            )
        result.linkless_sources += not linked
        instance = Source(proposal=proposals[source.proposal], **fields, **common(source))
        save(instance)
        by_id[source.id] = instance.pk

    votes = [
        Vote(
            proposal=proposals[vote.proposal],
            user=users[vote.voter],
            value=vote.value,
            created_at=vote.created_at,
            updated_at=vote.created_at,
        )
        for vote in export.votes
    ]
    bulk_create_with_history(votes, Vote, batch_size=500, default_change_reason=reason)
    progress("votes écrits", len(votes), len(votes))
    reports = [
        Report(
            contribution_id=by_id[report.related],
            reporter=users[report.reporter],
            reason=report.reason,
            comment=report.comment,
            created_at=report.created_at,
        )
        for report in export.reports
    ]
    bulk_create_with_history(reports, Report, batch_size=500, default_change_reason=reason)
    # The rows were written without their counters: count them once, in bulk.
    rebuild(result.consultation)
    return result
