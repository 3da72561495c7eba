"""Export files of a consultation: four CSV tables and the JSON interchange document.

CSV rows come from `.iterator()` querysets whose counts are annotated in SQL,
and the JSON document from the streamed interchange export, so a file of any
size is written with a fixed number of queries and constant memory. Every file
is anonymised: authors appear by their public name only (« Compte supprimé »
for deleted accounts), never by e-mail or username, and voters never appear at
all. A hidden contribution keeps its number, author, dates and the public
reason of its hiding; its text is left empty.

After the close, `freeze()` stores each file the first time it is asked for
and every later download serves those same bytes (see docs/exports.md). When
moderation hides or unhides a contribution after the close, `refreeze()`
writes every file anew in the next generation, and the consultation page
lists each redoing (when, which numbers, which public reason) with the
checksums it replaced.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from debates.interchange import export_consultation, iter_export_consultation
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    ModerationAction,
    ModerationEvent,
    Proposal,
    Source,
)

# Rows fetched from the database at a time, and rows written per chunk of the response.
FETCH_SIZE = 500
ROWS_PER_CHUNK = 200

BOM = "\ufeff"
# A cell a spreadsheet would read as a formula (CSV injection); see _defuse().
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- rows


def _iso(moment: datetime | None) -> str:
    """Return a date as ISO 8601 with the site's offset, as the interchange format writes it."""
    return timezone.localtime(moment).isoformat() if moment is not None else ""


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _author(user: User) -> list[str]:
    return [user.public_name, _flag(user.verified_at is not None)]


def _hiding(contribution: Contribution) -> list[str]:
    return [
        _flag(contribution.is_hidden),
        contribution.hidden_reason,
        _iso(contribution.hidden_at),
        contribution.hidden_note,
    ]


HIDING_COLUMNS = ["hidden", "hidden_reason", "hidden_at", "hidden_note"]
AUTHOR_COLUMNS = ["author", "author_verified"]
DATE_COLUMNS = ["created_at", "updated_at"]

PROPOSAL_COLUMNS = [
    "number",
    "debate",
    "debate_title",
    "title",
    "body",
    *AUTHOR_COLUMNS,
    *DATE_COLUMNS,
    "arguments_for",
    "arguments_against",
    "sources",
    "votes_agree",
    "votes_mixed",
    "votes_disagree",
    *HIDING_COLUMNS,
]


def proposal_rows(consultation: Consultation) -> Iterator[list[Any]]:
    """Yield one row per proposal, in number order (one query)."""
    proposals = (
        Proposal.objects.of_consultation(consultation)
        .select_related("author")
        .annotate(debate_slug=F("debate__slug"), debate_title=F("debate__title"))
        .order_by("number")
    )
    for p in proposals.iterator(chunk_size=FETCH_SIZE):
        shown = not p.is_hidden
        yield [
            p.number,
            p.debate_slug,
            p.debate_title,
            p.title if shown else "",
            p.body if shown else "",
            *_author(p.author),
            _iso(p.created_at),
            _iso(p.updated_at),
            p.arguments_for,
            p.arguments_against,
            p.source_count,
            p.votes_agree,
            p.votes_mixed,
            p.votes_disagree,
            *_hiding(p),
        ]


ARGUMENT_COLUMNS = [
    "number",
    "proposal",
    "debate",
    "stance",
    "body",
    *AUTHOR_COLUMNS,
    *DATE_COLUMNS,
    "endorsements",
    *HIDING_COLUMNS,
]


def argument_rows(consultation: Consultation) -> Iterator[list[Any]]:
    """Yield one row per argument, in number order (one query)."""
    arguments = (
        Argument.objects.of_consultation(consultation)
        .select_related("author")
        .annotate(proposal_number=F("proposal__number"), debate_slug=F("proposal__debate__slug"))
        .order_by("number")
    )
    for a in arguments.iterator(chunk_size=FETCH_SIZE):
        yield [
            a.number,
            a.proposal_number,
            a.debate_slug,
            a.stance,
            "" if a.is_hidden else a.body,
            *_author(a.author),
            _iso(a.created_at),
            _iso(a.updated_at),
            a.endorsement_count,
            *_hiding(a),
        ]


SOURCE_COLUMNS = [
    "number",
    "proposal",
    "debate",
    "category",
    "title",
    "url",
    "description",
    *AUTHOR_COLUMNS,
    *DATE_COLUMNS,
    *HIDING_COLUMNS,
]


def source_rows(consultation: Consultation) -> Iterator[list[Any]]:
    """Yield one row per source, in number order (one query)."""
    sources = (
        Source.objects.of_consultation(consultation)
        .select_related("author")
        .annotate(proposal_number=F("proposal__number"), debate_slug=F("proposal__debate__slug"))
        .order_by("number")
    )
    for s in sources.iterator(chunk_size=FETCH_SIZE):
        shown = not s.is_hidden
        yield [
            s.number,
            s.proposal_number,
            s.debate_slug,
            s.category if shown else "",
            s.title if shown else "",
            s.url if shown else "",
            s.description if shown else "",
            *_author(s.author),
            _iso(s.created_at),
            _iso(s.updated_at),
            *_hiding(s),
        ]


VOTE_COLUMNS = ["proposal", "debate", "agree", "mixed", "disagree", "total"]


def vote_rows(consultation: Consultation) -> Iterator[list[Any]]:
    """Yield the vote counts of each proposal, in number order (one query); never who voted."""
    counts = (
        Proposal.objects.of_consultation(consultation)
        .order_by("number")
        .values_list("number", "debate__slug", "votes_agree", "votes_mixed", "votes_disagree")
    )
    for number, debate, agree, mixed, disagree in counts.iterator(chunk_size=FETCH_SIZE):
        yield [number, debate, agree, mixed, disagree, agree + mixed + disagree]


# --------------------------------------------------------------------------- JSON


def pseudonym(user: User) -> str:
    """Return the key naming an author in the public JSON: `auteur-<account id>`.

    Usernames are often made from an e-mail address; the account id is what
    public profile pages (`/profils/<id>/`) already show.
    """
    return f"auteur-{user.pk}"


def public_document(consultation: Consultation) -> dict[str, Any]:
    """Return the published interchange document as a dict, built in memory (four queries).

    Authors are named by `pseudonym()`; hidden contributions keep their `hidden`
    object (date, public reason, public note) and lose their text.
    `json_chunks()` streams the same document.
    """
    return export_consultation(
        consultation, author_key=pseudonym, blank_hidden=True, with_answers=False
    )


def json_chunks(consultation: Consultation) -> Iterator[bytes]:
    """Yield the published interchange document, UTF-8, streamed: `dumps(public_document())`.

    Five queries and constant memory whatever the size (see docs/exports.md).
    """
    return iter_export_consultation(
        consultation, author_key=pseudonym, blank_hidden=True, with_answers=False
    )


# --------------------------------------------------------------------------- CSV


def _defuse(value: object) -> object:
    """Return a text cell a spreadsheet would run as a formula with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(
    columns: list[str], rows: Iterable[list[Any]], *, spreadsheet: bool
) -> Iterator[bytes]:
    """Yield a CSV file in chunks of a few hundred rows.

    `spreadsheet`: `;`-separated with a byte-order mark and formula-looking
    cells defused, for spreadsheets; otherwise plain comma-separated UTF-8.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if spreadsheet else ",", lineterminator="\r\n")
    if spreadsheet:
        buffer.write(BOM)
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_defuse(cell) for cell in row] if spreadsheet else row)
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class Table:
    """One CSV table of a consultation."""

    stem: str
    columns: list[str]
    rows: Callable[[Consultation], Iterator[list[Any]]]


TABLES = {
    table.stem: table
    for table in (
        Table("propositions", PROPOSAL_COLUMNS, proposal_rows),
        Table("arguments", ARGUMENT_COLUMNS, argument_rows),
        Table("sources", SOURCE_COLUMNS, source_rows),
        Table("votes", VOTE_COLUMNS, vote_rows),
    )
}
JSON_NAME = "consultation.json"
# The addresses an export answers at, under /consultations/<slug>/.
NAMES = [f"{stem}.csv" for stem in TABLES] + [JSON_NAME]


@dataclass(frozen=True)
class ExportFile:
    """One downloadable file: a table in one encoding, or the JSON document."""

    name: str  # the address, e.g. propositions.csv
    utf8: bool = False  # the plain UTF-8 comma-separated variant of a table

    @property
    def stored_name(self) -> str:
        """Return the file name of the frozen copy (one per variant)."""
        if self.utf8:
            return self.name.replace(".csv", ".utf8.csv")
        return self.name

    @property
    def content_type(self) -> str:
        if self.name == JSON_NAME:
            return "application/json; charset=utf-8"
        return "text/csv; charset=utf-8; header=present"

    def download_name(self, consultation: Consultation) -> str:
        """Return the name offered to save the file under."""
        if self.name == JSON_NAME:
            return f"{consultation.slug}.json"
        suffix = "-utf8" if self.utf8 else ""
        return f"{consultation.slug}-{self.name.removesuffix('.csv')}{suffix}.csv"

    def chunks(self, consultation: Consultation) -> Iterator[bytes]:
        """Yield the file's bytes as computed now."""
        if self.name == JSON_NAME:
            return json_chunks(consultation)
        table = TABLES[self.name.removesuffix(".csv")]
        return csv_chunks(table.columns, table.rows(consultation), spreadsheet=not self.utf8)


def export_files() -> list[ExportFile]:
    """Return every export file, tables first, each table in its two variants."""
    tables = [ExportFile(f"{stem}.csv", utf8) for stem in TABLES for utf8 in (False, True)]
    return [*tables, ExportFile(JSON_NAME)]


# --------------------------------------------------------------------------- freezing


def storage() -> FileSystemStorage:
    """Return where frozen exports are kept: MEDIA_ROOT, or BASE_DIR/media when unset."""
    return FileSystemStorage(location=settings.MEDIA_ROOT or settings.BASE_DIR / "media")


def frozen_folder(consultation: Consultation) -> str:
    """Return the storage folder of the frozen files of this closing.

    The closing date is part of the name: a consultation reopened and closed
    again freezes anew instead of serving the files of its first closing.
    """
    closes_at = consultation.closes_at.astimezone(UTC)
    closing = closes_at.strftime("%Y%m%dT%H%M%S")
    if closes_at.microsecond:
        closing += f".{closes_at.microsecond:06d}"
    return f"exports/{consultation.slug}/{closing}Z"


@dataclass(frozen=True)
class Frozen:
    """A stored export: its path on disk and its SHA-256 in hexadecimal."""

    path: Path
    sha256: str


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _write_checksum(path: Path, digest: str) -> None:
    # `sha256sum -c` reads this line; written aside and renamed, so never half-written.
    line = f"{digest}  {path.name}\n"
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(line)
    os.replace(temporary, _checksum_path(path))


def _file_digest(path: Path) -> str:
    with path.open("rb") as stored:
        return hashlib.file_digest(stored, "sha256").hexdigest()


def _closing_dir(consultation: Consultation) -> Path:
    return Path(storage().path(frozen_folder(consultation)))


def _generation_dir(consultation: Consultation, generation: int) -> Path:
    """Return the folder of one generation: the closing folder, then refait-1, refait-2…"""
    base = _closing_dir(consultation)
    return base if generation == 0 else base / f"refait-{generation}"


def _stored_path(consultation: Consultation, export: ExportFile, generation: int | None) -> Path:
    if generation is None:
        generation = current_generation(consultation)
    return _generation_dir(consultation, generation) / export.stored_name


def frozen_checksum(
    consultation: Consultation, export: ExportFile, generation: int | None = None
) -> str | None:
    """Return the SHA-256 of a frozen file, or None when it is not frozen (yet).

    `generation`: the current one (the files served now) unless given.
    """
    return _read_checksum(_stored_path(consultation, export, generation))


def _read_checksum(path: Path) -> str | None:
    try:
        return _checksum_path(path).read_text(encoding="ascii").split()[0]
    except (FileNotFoundError, IndexError):
        return None


def freeze(consultation: Consultation, export: ExportFile, generation: int | None = None) -> Frozen:
    """Return the stored copy of an export, writing it on the first call.

    The file is written aside, then hard-linked into place: the link is atomic
    and fails when another request froze the same file first, whose copy then
    wins, so every download serves the same bytes.
    """
    path = _stored_path(consultation, export, generation)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in export.chunks(consultation):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            else:
                _write_checksum(path, digest.hexdigest())
        finally:
            os.unlink(temporary)
    checksum = _read_checksum(path)
    if checksum is None:
        # Linked by a request that stopped before writing the checksum.
        checksum = _file_digest(path)
        _write_checksum(path, checksum)
    return Frozen(path, checksum)


# --------------------------------------------------------------------------- re-freezing

MANIFEST = "refaits.json"


@dataclass(frozen=True)
class Change:
    """One moderation decision that made the files be redone: public facts only."""

    action: str  # ModerationAction: hide or unhide
    number: int
    reason: str  # HideReason of a hide, empty for an unhide


@dataclass(frozen=True)
class Refreeze:
    """One redoing of the frozen files of a closing, as the manifest keeps it."""

    generation: int
    at: datetime
    changes: list[Change]
    # The checksum each file had before (None: that file was not frozen yet).
    previous: dict[str, str | None] = field(default_factory=dict)
    events: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "at": self.at.isoformat(),
            "changes": [vars(change) for change in self.changes],
            "previous": self.previous,
            "events": self.events,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refreeze:
        return cls(
            generation=data["generation"],
            at=datetime.fromisoformat(data["at"]),
            changes=[Change(**change) for change in data["changes"]],
            previous=data["previous"],
            events=data["events"],
        )


def refreezes(consultation: Consultation) -> list[Refreeze]:
    """Return the redoings of the files of the current closing, oldest first (no query)."""
    try:
        text = (_closing_dir(consultation) / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [Refreeze.from_json(entry) for entry in json.loads(text)]


def current_generation(consultation: Consultation) -> int:
    """Return the generation served now: 0, then one more per redoing."""
    return len(refreezes(consultation))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on a closing folder (one redoing at a time, across processes)."""
    with (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _frozen_since(consultation: Consultation) -> datetime | None:
    """Return when the first file of the current closing was frozen, None if none was."""
    times = [path.stat().st_mtime for path in _closing_dir(consultation).glob("*.sha256")]
    return datetime.fromtimestamp(min(times), tz=UTC) if times else None


def refreeze(consultation: Consultation) -> Refreeze | None:
    """Redo the frozen files after moderation changed what they must show; None if not needed.

    Needed when some file of the current closing is frozen and a hide or
    unhide of this consultation happened since and is not yet covered by a
    redoing. All nine files are written in a new generation folder (the old
    ones stay on disk), and only then does the manifest point to it, so a
    download serves either the old files or the new ones, never a mix.
    """
    base = _closing_dir(consultation)
    since = _frozen_since(consultation) if base.exists() else None
    if since is None:
        return None  # nothing frozen yet: the first downloads will freeze the moderated data
    with _locked(base):
        done = refreezes(consultation)
        generation = len(done)
        covered = {pk for entry in done for pk in entry.events}
        events = list(
            ModerationEvent.objects.filter(
                consultation=consultation,
                action__in=[ModerationAction.HIDE, ModerationAction.UNHIDE],
                at__gte=since,
            )
            .exclude(pk__in=covered)
            .select_related("contribution")
            .order_by("at", "pk")
        )
        if not events:
            return None
        previous = {
            export.stored_name: frozen_checksum(consultation, export, generation)
            for export in export_files()
        }
        entry = Refreeze(
            generation=generation + 1,
            at=timezone.now(),
            changes=[Change(e.action, e.contribution.number, e.reason) for e in events],
            previous=previous,
            events=[e.pk for e in events],
        )
        for export in export_files():
            freeze(consultation, export, entry.generation)
        _write_manifest(base, [*done, entry])
        return entry


def _write_manifest(folder: Path, entries: list[Refreeze]) -> None:
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump([entry.as_json() for entry in entries], out, ensure_ascii=False, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, folder / MANIFEST)
