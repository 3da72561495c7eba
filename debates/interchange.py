"""The interchange format: a whole consultation as one JSON document, out and back in.

`export_consultation()` writes a consultation, its debates, proposals, arguments,
sources and their authors; `iter_export_consultation()` writes the same text in
chunks, with a fixed number of queries and constant memory, for large
consultations; `import_consultation()` reads such a document back, validating
every field first and writing everything in one transaction, so a faulty file
writes nothing. docs/interchange-format.md describes the format field by field;
the management commands `export_consultation`, `import_consultation` and
`load_demo` are thin wrappers around these functions, and the public JSON file of
debates/opendata/exports.py is the streamed export, anonymised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, TypedDict, TypeVar

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Prefetch, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User, VerificationMethod
from answers.models import Answer, AnswerState, Results
from debates.counters import rebuild
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
)

FORMAT = "consultation-interchange"
# The version exports write. Version 2 added the `hidden` object of contributions,
# version 3 the organisers' `answer` on proposals and the consultation's `results`.
VERSION = 3
# The versions imports read: each is the next one without what it added.
READABLE_VERSIONS = (1, 2, 3)

# How many colliding numbers a refusal lists before « … et N autres ».
SHOWN_COLLISIONS = 5
# Keep an IN (…) list under SQLite's limit on query parameters.
CHUNK = 500

# The streamed export: rows fetched from the database at a time, and characters
# of JSON text gathered before a chunk is yielded.
FETCH_SIZE = 500
CHUNK_CHARS = 64 * 1024

# What an imported hidden source whose URL was blanked stores instead (the
# database accepts only http(s) addresses); the export writes it back as "".
# `.invalid` is reserved: such an address never leads anywhere (RFC 2606).
BLANKED_URL = "https://texte-masque.invalid/"

# The messages of Python's JSON parser, in French; others are shown as they come.
JSON_MESSAGES = {
    "Expecting value": "valeur attendue",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendu",
    "Expecting property name enclosed in double quotes": "nom de clé entre guillemets attendu",
    "Extra data": "texte en trop après la fin du document",
    "Unterminated string starting at": "chaîne non terminée",
    "Invalid control character at": "caractère de contrôle dans une chaîne",
    "Invalid \\escape": "échappement invalide",
}

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+\Z")
USERNAME_MAX = User._meta.get_field("username").max_length or 150
# The username a deleted account takes (accounts.actions.delete_account): no
# username validator accepts the colon, so it is recognised as such on import.
DELETED_KEY = re.compile(r"compte-supprime:[0-9]+")
DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length or 150


class InterchangeError(Exception):
    """A document the import refuses; the message names the place of the fault."""


class NumberCollision(InterchangeError):
    """Numbers of the document are already taken in the database."""

    def __init__(self, message: str, numbers: list[int]) -> None:
        super().__init__(message)
        self.numbers = numbers


@dataclass(frozen=True)
class ImportResult:
    """What an import created."""

    consultation: Consultation
    debates: int
    proposals: int
    arguments: int
    sources: int
    authors_created: int
    authors_found: int
    renumbered: bool

    @property
    def contributions(self) -> int:
        return self.proposals + self.arguments + self.sources

    def summary(self) -> str:
        """Return one French sentence saying what was imported."""
        numbering = (
            "contributions renumérotées (numéros d'origine dans original_number)"
            if self.renumbered
            else "numéros des contributions conservés"
        )
        return (
            f"Consultation « {self.consultation.slug} » importée : {self.debates} débat(s), "
            f"{self.proposals} proposition(s), {self.arguments} argument(s), "
            f"{self.sources} source(s) — {numbering} ; {self.authors_created} compte(s) "
            f"créé(s), {self.authors_found} compte(s) existant(s) réutilisé(s)."
        )


# --------------------------------------------------------------------------- export

# How an export names an author: the username by default (the key an import
# looks accounts up by); the public file uses a pseudonym instead.
AuthorKey = Callable[[User], str]


def username_key(user: User) -> str:
    return user.username


def _iso(moment: datetime) -> str:
    """Return an aware datetime as ISO 8601 with the offset of the site's time zone."""
    return timezone.localtime(moment).isoformat()


def _author_entry(user: User, key: str) -> dict[str, Any]:
    verified = user.verified_at is not None
    return {
        "key": key,
        "name": user.public_name,
        "verified": verified,
        "verified_at": _iso(user.verified_at) if user.verified_at is not None else None,
        "verification_method": user.verification_method if verified else None,
    }


def _stamp(contribution: Contribution, author: str) -> dict[str, Any]:
    return {
        "number": contribution.number,
        "original_number": contribution.original_number,
        "author": author,
        "created_at": _iso(contribution.created_at),
        "updated_at": _iso(contribution.updated_at),
    }


def _hiding(contribution: Contribution) -> dict[str, Any]:
    """Return the `hidden` key of a hidden contribution; nothing for a visible one."""
    if contribution.hidden_at is None:
        return {}
    return {
        "hidden": {
            "at": _iso(contribution.hidden_at),
            "reason": contribution.hidden_reason,
            "note": contribution.hidden_note,
        }
    }


def _answer(proposal: Proposal, with_answers: bool) -> dict[str, Any]:
    """Return the `answer` key of an answered proposal (needs select_related("answer"))."""
    if not with_answers:
        return {}
    try:
        answer = proposal.answer  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return {}
    return {
        "answer": {
            "state": answer.state,
            "text": answer.text,
            "answered_on": answer.answered_on.isoformat(),
            "link": answer.link,
            "publish_at": _iso(answer.publish_at),
        }
    }


def _proposal_entry(
    proposal: Proposal, author: str, blank_hidden: bool, with_answers: bool = True
) -> dict[str, Any]:
    """Return a proposal's entry without its arguments and sources."""
    blank = blank_hidden and proposal.is_hidden
    return (
        _stamp(proposal, author)
        | {"title": "" if blank else proposal.title, "body": "" if blank else proposal.body}
        | _hiding(proposal)
        | _answer(proposal, with_answers)
    )


def _argument_entry(argument: Argument, author: str, blank_hidden: bool) -> dict[str, Any]:
    blank = blank_hidden and argument.is_hidden
    return (
        _stamp(argument, author)
        | {
            "stance": argument.stance,
            "body": "" if blank else argument.body,
            "original_rank": argument.original_rank,
        }
        | _hiding(argument)
    )


def _source_entry(source: Source, author: str, blank_hidden: bool) -> dict[str, Any]:
    blank = blank_hidden and source.is_hidden
    url = source.url
    if blank or (source.is_hidden and url == BLANKED_URL):
        url = ""
    return (
        _stamp(source, author)
        | {
            "title": "" if blank else source.title,
            "url": url,
            "description": "" if blank else source.description,
        }
        | _hiding(source)
    )


def _head(consultation: Consultation, with_answers: bool = True) -> dict[str, Any]:
    """Return the keys of the document that come before its authors (one query for results)."""
    head: dict[str, Any] = {
        "slug": consultation.slug,
        "title": consultation.title,
        "description": consultation.description,
        "opens_at": _iso(consultation.opens_at),
        "closes_at": _iso(consultation.closes_at),
    }
    results = Results.objects.filter(consultation=consultation).first() if with_answers else None
    if results is not None:
        head["results"] = {"text": results.text, "publish_at": _iso(results.publish_at)}
    return {"format": FORMAT, "version": VERSION, "consultation": head}


def _debate_entry(debate: Debate) -> dict[str, Any]:
    """Return a debate's entry without its proposals."""
    return {
        "slug": debate.slug,
        "title": debate.title,
        "introduction": debate.introduction,
        "position": debate.position,
    }


def export_consultation(
    consultation: Consultation,
    *,
    author_key: AuthorKey = username_key,
    blank_hidden: bool = False,
    with_answers: bool = True,
) -> dict[str, Any]:
    """Return the whole consultation as an interchange document.

    `with_answers`: the organisers' answers and results text, scheduled ones
    included (the public file leaves them out: it is frozen at the close, and
    answers come later; they have their own live files).

    Five queries whatever the size (four without answers): the results text,
    debates, then proposals (with their answers), arguments and
    sources each with their author joined. Contributions come in number order
    and authors in key order, so exporting twice gives the same document.
    Hidden contributions carry their `hidden` object and their text, unless
    `blank_hidden` (the public file), which empties their text. `author_key`
    names each author (the username by default). The whole document is held in
    memory: `iter_export_consultation()` writes the same text in chunks.
    """
    debates = list(
        consultation.debates.order_by("position", "pk").prefetch_related(
            Prefetch(
                "proposals",
                queryset=Proposal.objects.select_related("author", "answer").order_by("number"),
            ),
            Prefetch(
                "proposals__arguments",
                queryset=Argument.objects.select_related("author").order_by("number"),
            ),
            Prefetch(
                "proposals__sources",
                queryset=Source.objects.select_related("author").order_by("number"),
            ),
        )
    )
    authors: dict[str, User] = {}

    def key(contribution: Contribution) -> str:
        name = author_key(contribution.author)
        authors[name] = contribution.author
        return name

    debate_entries = []
    for debate in debates:
        proposal_entries = []
        for proposal in debate.proposals.all():
            entry = _proposal_entry(proposal, key(proposal), blank_hidden, with_answers)
            entry["arguments"] = [
                _argument_entry(argument, key(argument), blank_hidden)
                for argument in proposal.arguments.all()
            ]
            entry["sources"] = [
                _source_entry(source, key(source), blank_hidden)
                for source in proposal.sources.all()
            ]
            proposal_entries.append(entry)
        debate_entries.append(_debate_entry(debate) | {"proposals": proposal_entries})
    return _head(consultation, with_answers) | {
        "authors": [_author_entry(authors[name], name) for name in sorted(authors)],
        "debates": debate_entries,
    }


def dumps(document: dict[str, Any]) -> str:
    """Return a document as the commands write it: UTF-8 text, indented, final newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- streamed export

# The streamed export writes the text `dumps()` writes, byte for byte: each leaf
# object (an author, an argument, a source, the head of a proposal) through
# json.dumps with the indentation of its depth, the lists around them by hand.
INDENT = "  "

Row = TypeVar("Row")


def _block(value: dict[str, Any], depth: int) -> str:
    """Return `value` as `json.dumps(…, indent=2)` writes it `depth` levels down."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return text.replace("\n", "\n" + INDENT * depth) if depth else text


def _open(value: dict[str, Any], depth: int) -> str:
    """Return `value` written at `depth` without its closing brace, for keys to follow."""
    text = _block(value, depth)
    return text[: text.rindex("\n")]


def _key(name: str, depth: int) -> str:
    """Return what starts one more key of an object opened by _open() at `depth`."""
    return f",\n{INDENT * (depth + 1)}{json.dumps(name)}: "


def _close(depth: int) -> str:
    return "\n" + INDENT * depth + "}"


def _array(items: Iterable[str | Iterable[str]], depth: int) -> Iterator[str]:
    """Yield a JSON list whose `[` stands at `depth`; each item is its text or its pieces."""
    empty = True
    for item in items:
        yield ("[" if empty else ",") + "\n" + INDENT * (depth + 1)
        if isinstance(item, str):
            yield item
        else:
            yield from item
        empty = False
    yield "[]" if empty else "\n" + INDENT * depth + "]"


class _Rows(Generic[Row]):
    """The rows of one iterated queryset, taken group after group in its order."""

    def __init__(self, rows: Iterator[Row], group: Callable[[Row], tuple[int, ...]]) -> None:
        self._rows = rows
        self._group = group
        self._next = next(rows, None)

    def take(self, group: tuple[int, ...]) -> Iterator[Row]:
        """Yield the rows of `group`, dropping those of earlier groups left untaken.

        Rows are left untaken when they belong to what another query of the
        export did not see (a proposal posted between two queries): the
        document stays whole, without them.
        """
        while self._next is not None and self._group(self._next) < group:
            self._next = next(self._rows, None)
        while self._next is not None and self._group(self._next) == group:
            yield self._next
            self._next = next(self._rows, None)


def _author_ids(consultation: Consultation) -> QuerySet[Any]:
    proposals = Proposal.objects.of_consultation(consultation)
    arguments = Argument.objects.of_consultation(consultation)
    sources = Source.objects.of_consultation(consultation)
    return (
        proposals.order_by()
        .values("author")
        .union(arguments.order_by().values("author"), sources.order_by().values("author"))
    )


def _export_pieces(
    consultation: Consultation, author_key: AuthorKey, blank_hidden: bool, with_answers: bool
) -> Iterator[str]:
    """Yield the text of the interchange document in small pieces (six queries; five without
    answers)."""
    # Authors come first in the document: all of them, in one query, before the rest.
    users = list(User.objects.filter(pk__in=_author_ids(consultation)))
    keys = {user.pk: author_key(user) for user in users}
    authors = sorted((_author_entry(user, keys[user.pk]) for user in users), key=lambda a: a["key"])
    debates = list(consultation.debates.order_by("position", "pk"))

    # Proposals, arguments and sources are each read by one query, grouped in
    # the order of the debates just read (their place in that list, whatever
    # positions may have changed since), then by proposal number and number.
    def debate_rank(debate_field: str) -> Case:
        rank = [
            When(**{debate_field: debate.pk}, then=Value(i)) for i, debate in enumerate(debates)
        ]
        return Case(*rank, default=Value(len(debates)))

    proposals = _Rows(
        Proposal.objects.of_consultation(consultation)
        .select_related("answer")
        .annotate(place=debate_rank("debate_id"))
        .order_by("place", "number")
        .iterator(chunk_size=FETCH_SIZE),
        lambda proposal: (proposal.place,),
    )

    def replies(model: type[Argument] | type[Source]) -> _Rows[Any]:
        return _Rows(
            model.objects.of_consultation(consultation)
            .annotate(
                place=debate_rank("proposal__debate_id"), proposal_number=F("proposal__number")
            )
            .order_by("place", "proposal_number", "number")
            .iterator(chunk_size=FETCH_SIZE),
            lambda reply: (reply.place, reply.proposal_number),
        )

    lists: list[tuple[str, _Rows[Any], Callable[[Any, str, bool], dict[str, Any]]]] = [
        ("arguments", replies(Argument), _argument_entry),
        ("sources", replies(Source), _source_entry),
    ]

    def proposal_pieces(proposal: Proposal) -> Iterator[str]:
        entry = _proposal_entry(proposal, keys[proposal.author_id], blank_hidden, with_answers)
        yield _open(entry, 4)
        for name, rows, entry in lists:
            yield _key(name, 4)
            yield from _array(
                (
                    _block(entry(row, keys[row.author_id], blank_hidden), 6)
                    for row in rows.take((proposal.place, proposal.number))
                    # An author unknown to the first query posted after it: left out.
                    if row.author_id in keys
                ),
                5,
            )
        yield _close(4)

    def debate_pieces(place: int, debate: Debate) -> Iterator[str]:
        yield _open(_debate_entry(debate), 2)
        yield _key("proposals", 2)
        yield from _array(
            (
                proposal_pieces(proposal)
                for proposal in proposals.take((place,))
                if proposal.author_id in keys
            ),
            3,
        )
        yield _close(2)

    yield _open(_head(consultation, with_answers), 0)
    yield _key("authors", 0)
    yield from _array((_block(author, 2) for author in authors), 1)
    yield _key("debates", 0)
    yield from _array((debate_pieces(place, debate) for place, debate in enumerate(debates)), 1)
    yield _close(0) + "\n"


def iter_export_consultation(
    consultation: Consultation,
    *,
    author_key: AuthorKey = username_key,
    blank_hidden: bool = False,
    with_answers: bool = True,
) -> Iterator[bytes]:
    """Yield `dumps(export_consultation(…))` with the same arguments, UTF-8, in chunks.

    Six queries whatever the size (five without answers), run when the first
    chunk is asked for: the results text, the
    authors, the debates, then proposals, arguments and sources each iterated
    FETCH_SIZE rows at a time (a server-side cursor on PostgreSQL). Memory holds
    one fetch of each, one chunk of text and the list of authors: it grows with
    the number of authors, not of contributions.
    """
    pieces: list[str] = []
    size = 0
    for piece in _export_pieces(consultation, author_key, blank_hidden, with_answers):
        pieces.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(pieces).encode()
            pieces.clear()
            size = 0
    yield "".join(pieces).encode()


def load_file(path: str | Path) -> dict[str, Any]:
    """Return the document stored at `path`; refuse unreadable files and invalid JSON."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InterchangeError(f"{path} : fichier introuvable") from exc
    except UnicodeDecodeError as exc:
        raise InterchangeError(
            f"{path} : le fichier n'est pas du texte UTF-8 (octet {exc.start})"
        ) from exc
    except OSError as exc:
        raise InterchangeError(f"{path} : lecture impossible ({exc.strerror})") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InterchangeError(
            f"{path}, ligne {exc.lineno}, colonne {exc.colno} : JSON invalide "
            f"({JSON_MESSAGES.get(exc.msg, exc.msg)})"
        ) from exc
    if not isinstance(document, dict):
        raise InterchangeError(
            f"{path} : un objet JSON était attendu à la racine, pas {_describe(document)}"
        )
    return document


# --------------------------------------------------------------------------- reading


def _describe(value: object) -> str:
    """Return a short French description of a JSON value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "…"
        return f"« {shown} »"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "une liste"
    return "un objet"


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _fault(path: str, message: str) -> InterchangeError:
    return InterchangeError(f"{path or '(racine)'}: {message}")


class _Fields:
    """The fields of one JSON object, read with its path named in every refusal."""

    def __init__(
        self,
        value: object,
        path: str,
        *,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> None:
        if not isinstance(value, dict):
            raise _fault(path, f"un objet JSON était attendu, pas {_describe(value)}")
        allowed = required + optional
        for key in value:
            if key not in allowed:
                raise _fault(_at(path, key), f"clé inconnue (clés permises : {', '.join(allowed)})")
        for key in required:
            if key not in value:
                raise _fault(_at(path, key), "clé obligatoire absente")
        self.data: dict[str, object] = value
        self.path = path

    def where(self, key: str) -> str:
        return _at(self.path, key)

    def _raw(self, key: str) -> object:
        return self.data.get(key)

    def text(
        self,
        key: str,
        *,
        max_length: int | None = None,
        blank: bool = False,
        empty: bool = False,
    ) -> str:
        """Return a text; `blank`: optional, may be empty; `empty`: required, may be ""."""
        value = self._raw(key)
        if value is None and blank:
            # An optional text may be absent or null: it is then empty.
            value = ""
        if not isinstance(value, str):
            raise _fault(
                self.where(key), f"une chaîne de caractères était attendue, pas {_describe(value)}"
            )
        if not (blank or empty) and not value.strip():
            raise _fault(self.where(key), "ne doit pas être vide")
        if max_length is not None and len(value) > max_length:
            raise _fault(
                self.where(key), f"trop long ({len(value)} caractères, {max_length} au plus)"
            )
        return value

    def slug(self, key: str, *, max_length: int) -> str:
        value = self.text(key, max_length=max_length)
        if not SLUG_RE.match(value):
            raise _fault(
                self.where(key),
                f"{_describe(value)} n'est pas une adresse valide "
                "(lettres non accentuées, chiffres, tirets et soulignés)",
            )
        return value

    def optional_integer(self, key: str, *, minimum: int) -> int | None:
        value = self._raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fault(self.where(key), f"un nombre entier était attendu, pas {_describe(value)}")
        if value < minimum:
            raise _fault(self.where(key), f"{value} est trop petit ({minimum} au moins)")
        return value

    def integer(self, key: str, *, minimum: int) -> int:
        value = self.optional_integer(key, minimum=minimum)
        if value is None:
            raise _fault(self.where(key), "un nombre entier était attendu, pas null")
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise _fault(self.where(key), f"true ou false était attendu, pas {_describe(value)}")
        return value

    def optional_moment(self, key: str) -> datetime | None:
        value = self._raw(key)
        if value is None:
            return None
        example = "par exemple 2014-10-29T13:17:00+01:00"
        if not isinstance(value, str):
            raise _fault(
                self.where(key),
                f"une date ISO 8601 était attendue ({example}), pas {_describe(value)}",
            )
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise _fault(
                self.where(key), f"{_describe(value)} n'est pas une date ISO 8601 ({example})"
            ) from exc
        if timezone.is_naive(moment):
            raise _fault(
                self.where(key),
                f"{_describe(value)} n'indique pas son décalage horaire ({example})",
            )
        return moment

    def moment(self, key: str) -> datetime:
        moment = self.optional_moment(key)
        if moment is None:
            raise _fault(self.where(key), "une date était attendue, pas null")
        return moment

    def items(self, key: str, *, required: bool = False) -> Iterator[tuple[str, object]]:
        """Yield (path, value) for each element of a list (an optional one may be null)."""
        value = self._raw(key)
        if value is None and not required:
            return
        if not isinstance(value, list):
            raise _fault(self.where(key), f"une liste était attendue, pas {_describe(value)}")
        for index, item in enumerate(value):
            yield _at(self.where(key), index), item


# --------------------------------------------------------------------------- parsed


@dataclass(frozen=True)
class _ResultsIn:
    text: str
    publish_at: datetime


@dataclass(frozen=True)
class _ConsultationIn:
    slug: str
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    results: _ResultsIn | None = None


@dataclass(frozen=True)
class _AnswerIn:
    state: str
    text: str
    answered_on: date
    link: str
    publish_at: datetime


@dataclass(frozen=True)
class _AuthorIn:
    key: str
    name: str
    verified_at: datetime | None
    verification_method: str


@dataclass(frozen=True)
class _HiddenIn:
    at: datetime
    reason: str
    note: str


class _Stamp(TypedDict):
    """What every contribution of a document has, read and checked."""

    path: str
    number: int
    original_number: int | None
    author: str
    created_at: datetime
    updated_at: datetime
    hidden: _HiddenIn | None


@dataclass(frozen=True, kw_only=True)
class _ContributionIn:
    path: str
    number: int
    original_number: int | None
    author: str
    created_at: datetime
    updated_at: datetime
    # Set when moderation hid it; its text may then be empty (a published file).
    hidden: _HiddenIn | None


@dataclass(frozen=True, kw_only=True)
class _ArgumentIn(_ContributionIn):
    stance: str
    body: str
    original_rank: int | None


@dataclass(frozen=True, kw_only=True)
class _SourceIn(_ContributionIn):
    title: str
    url: str
    description: str


@dataclass(frozen=True, kw_only=True)
class _ProposalIn(_ContributionIn):
    title: str
    body: str
    arguments: list[_ArgumentIn]
    sources: list[_SourceIn]
    answer: _AnswerIn | None = None


@dataclass(frozen=True)
class _DebateIn:
    slug: str
    title: str
    introduction: str
    position: int
    proposals: list[_ProposalIn]


@dataclass
class _Document:
    consultation: _ConsultationIn
    authors: list[_AuthorIn]
    debates: list[_DebateIn]
    # Every contribution of the document, whatever its kind.
    contributions: list[_ContributionIn] = field(default_factory=list)


def _field_max(model: type[Any], name: str) -> int:
    return int(model._meta.get_field(name).max_length)


class _Parser:
    """Validate a whole document before anything is written."""

    def __init__(self) -> None:
        self.author_keys: set[str] = set()
        self.numbers: dict[int, str] = {}
        self.contributions: list[_ContributionIn] = []
        # The keys every contribution may have besides its own: `hidden` from version 2.
        self.shared_keys: tuple[str, ...] = ("original_number", "updated_at")
        self.version = VERSION

    def document(self, data: object) -> _Document:
        top = _Fields(
            data, "", required=("format", "version", "consultation", "authors", "debates")
        )
        if top.data["format"] != FORMAT:
            raise _fault(
                "format", f"{_describe(top.data['format'])} n'est pas ce format ({FORMAT} attendu)"
            )
        version = top.data["version"]
        if (
            isinstance(version, bool)
            or not isinstance(version, int)
            or version not in READABLE_VERSIONS
        ):
            raise _fault(
                "version",
                f"version {_describe(version)} non prise en charge "
                f"(versions lues : {', '.join(map(str, READABLE_VERSIONS))})",
            )
        if version >= 2:
            self.shared_keys += ("hidden",)
        self.version = version
        consultation = self.consultation(top.data["consultation"])
        authors = [
            self.author(path, item, consultation)
            for path, item in top.items("authors", required=True)
        ]
        debates: list[_DebateIn] = []
        slugs: dict[str, str] = {}
        for index, (path, item) in enumerate(top.items("debates", required=True)):
            debate = self.debate(path, item, index)
            if debate.slug in slugs:
                raise _fault(
                    _at(path, "slug"),
                    f"{_describe(debate.slug)} est déjà l'adresse de {slugs[debate.slug]}",
                )
            slugs[debate.slug] = path
            debates.append(debate)
        return _Document(consultation, authors, debates, self.contributions)

    def consultation(self, value: object) -> _ConsultationIn:
        fields = _Fields(
            value,
            "consultation",
            required=("slug", "title", "opens_at", "closes_at"),
            optional=("description", "results") if self.version >= 3 else ("description",),
        )
        opens_at = fields.moment("opens_at")
        closes_at = fields.moment("closes_at")
        if closes_at <= opens_at:
            raise _fault(
                fields.where("closes_at"),
                f"la clôture ({closes_at.isoformat()}) doit être postérieure à l'ouverture "
                f"({opens_at.isoformat()})",
            )
        return _ConsultationIn(
            slug=fields.slug("slug", max_length=_field_max(Consultation, "slug")),
            title=fields.text("title", max_length=_field_max(Consultation, "title")),
            description=fields.text("description", blank=True),
            opens_at=opens_at,
            closes_at=closes_at,
            results=self.results(fields),
        )

    def results(self, fields: _Fields) -> _ResultsIn | None:
        """Read the consultation's `results` (version 3); None when absent."""
        value = fields.data.get("results")
        if value is None:
            return None
        results = _Fields(value, fields.where("results"), required=("text", "publish_at"))
        return _ResultsIn(text=results.text("text"), publish_at=results.moment("publish_at"))

    def answer(self, fields: _Fields) -> _AnswerIn | None:
        """Read a proposal's `answer` (version 3); None when absent."""
        value = fields.data.get("answer")
        if value is None:
            return None
        answer = _Fields(
            value,
            fields.where("answer"),
            required=("state", "text", "answered_on", "publish_at"),
            optional=("link",),
        )
        state = answer.data["state"]
        if not isinstance(state, str) or state not in AnswerState.values:
            raise _fault(
                answer.where("state"),
                f"{_describe(state)} n'est pas un état de réponse "
                f"({', '.join(AnswerState.values)})",
            )
        day = answer.data["answered_on"]
        try:
            answered_on = date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            answered_on = None
        if answered_on is None:
            raise _fault(
                answer.where("answered_on"),
                f"{_describe(day)} n'est pas une date ISO 8601 (par exemple 2015-11-30)",
            )
        link = answer.text("link", blank=True, max_length=_field_max(Answer, "link"))
        if link:
            try:
                URLValidator(schemes=["http", "https"])(link)
            except ValidationError as exc:
                raise _fault(
                    answer.where("link"),
                    f"{_describe(link)} n'est pas une adresse web (http ou https)",
                ) from exc
        return _AnswerIn(
            state=state,
            text=answer.text("text"),
            answered_on=answered_on,
            link=link,
            publish_at=answer.moment("publish_at"),
        )

    def author(self, path: str, value: object, consultation: _ConsultationIn) -> _AuthorIn:
        fields = _Fields(
            value,
            path,
            required=("key", "name"),
            optional=("verified", "verified_at", "verification_method"),
        )
        key = fields.text("key", max_length=USERNAME_MAX)
        try:
            if not DELETED_KEY.fullmatch(key):
                UnicodeUsernameValidator()(key)
        except ValidationError as exc:
            raise _fault(
                fields.where("key"),
                f"{_describe(key)} n'est pas une clé d'auteur valide "
                "(lettres, chiffres et les signes . @ + - _)",
            ) from exc
        if key in self.author_keys:
            raise _fault(fields.where("key"), f"{_describe(key)} est déjà la clé d'un autre auteur")
        self.author_keys.add(key)
        name = fields.text("name", max_length=DISPLAY_NAME_MAX)
        verified = fields.boolean("verified", default=False)
        verified_at = fields.optional_moment("verified_at")
        method = fields.data.get("verification_method")
        if not verified:
            for key_name, given in (("verified_at", verified_at), ("verification_method", method)):
                if given is not None:
                    raise _fault(
                        fields.where(key_name),
                        "donné pour un auteur non vérifié (verified : false)",
                    )
            return _AuthorIn(key=key, name=name, verified_at=None, verification_method="")
        if method is None:
            method = VerificationMethod.IMPORTED.value
        if method not in VerificationMethod.values:
            raise _fault(
                fields.where("verification_method"),
                f"{_describe(method)} n'est pas une méthode de vérification "
                f"({', '.join(VerificationMethod.values)})",
            )
        return _AuthorIn(
            key=key,
            name=name,
            verified_at=verified_at or consultation.opens_at,
            verification_method=str(method),
        )

    def debate(self, path: str, value: object, index: int) -> _DebateIn:
        fields = _Fields(
            value,
            path,
            required=("slug", "title"),
            optional=("introduction", "position", "proposals"),
        )
        position = fields.optional_integer("position", minimum=0)
        return _DebateIn(
            slug=fields.slug("slug", max_length=_field_max(Debate, "slug")),
            title=fields.text("title", max_length=_field_max(Debate, "title")),
            introduction=fields.text("introduction", blank=True),
            position=index if position is None else position,
            proposals=[self.proposal(p, item) for p, item in fields.items("proposals")],
        )

    def stamp(self, fields: _Fields) -> _Stamp:
        """Read and check what every contribution has: number, author, dates."""
        number = fields.integer("number", minimum=1)
        if number in self.numbers:
            raise _fault(
                fields.where("number"),
                f"le numéro {number} est déjà celui de {self.numbers[number]}",
            )
        self.numbers[number] = fields.path
        author = fields.text("author")
        if author not in self.author_keys:
            raise _fault(
                fields.where("author"),
                f"{_describe(author)} n'est pas la clé d'un auteur déclaré dans « authors »",
            )
        created_at = fields.moment("created_at")
        updated_at = fields.optional_moment("updated_at") or created_at
        if updated_at < created_at:
            raise _fault(
                fields.where("updated_at"),
                f"la modification ({updated_at.isoformat()}) précède la publication "
                f"({created_at.isoformat()})",
            )
        return _Stamp(
            path=fields.path,
            number=number,
            original_number=fields.optional_integer("original_number", minimum=1),
            author=author,
            created_at=created_at,
            updated_at=updated_at,
            hidden=self.hidden(fields, created_at),
        )

    def hidden(self, fields: _Fields, created_at: datetime) -> _HiddenIn | None:
        """Read the `hidden` object of a contribution (version 2); None when visible."""
        value = fields.data.get("hidden")
        if value is None:
            return None
        hidden = _Fields(
            value, fields.where("hidden"), required=("at", "reason"), optional=("note",)
        )
        at = hidden.moment("at")
        if at < created_at:
            raise _fault(
                hidden.where("at"),
                f"le masquage ({at.isoformat()}) précède la publication ({created_at.isoformat()})",
            )
        reason = hidden.data["reason"]
        if not isinstance(reason, str) or reason not in HideReason.values:
            raise _fault(
                hidden.where("reason"),
                f"{_describe(reason)} n'est pas un motif de masquage "
                f"({', '.join(HideReason.values)})",
            )
        return _HiddenIn(at=at, reason=reason, note=hidden.text("note", blank=True))

    def proposal(self, path: str, value: object) -> _ProposalIn:
        fields = _Fields(
            value,
            path,
            required=("number", "author", "created_at", "title", "body"),
            optional=(*self.shared_keys, "arguments", "sources")
            + (("answer",) if self.version >= 3 else ()),
        )
        stamp = self.stamp(fields)
        # The text of a hidden contribution may be blanked (a published file).
        empty = stamp["hidden"] is not None
        title = fields.text("title", max_length=_field_max(Proposal, "title"), empty=empty)
        body = fields.text("body", empty=empty)
        proposal = _ProposalIn(
            **stamp,
            title=title,
            body=body,
            arguments=[self.argument(p, item) for p, item in fields.items("arguments")],
            sources=[self.source(p, item) for p, item in fields.items("sources")],
            answer=self.answer(fields),
        )
        self.contributions.append(proposal)
        return proposal

    def argument(self, path: str, value: object) -> _ArgumentIn:
        fields = _Fields(
            value,
            path,
            required=("number", "stance", "author", "created_at", "body"),
            optional=(*self.shared_keys, "original_rank"),
        )
        stamp = self.stamp(fields)
        stance = fields.data["stance"]
        if stance not in Stance.values:
            raise _fault(
                fields.where("stance"),
                f"{_describe(stance)} n'est pas une position (for ou against)",
            )
        argument = _ArgumentIn(
            **stamp,
            stance=str(stance),
            body=fields.text("body", empty=stamp["hidden"] is not None),
            original_rank=fields.optional_integer("original_rank", minimum=0),
        )
        self.contributions.append(argument)
        return argument

    def source(self, path: str, value: object) -> _SourceIn:
        fields = _Fields(
            value,
            path,
            required=("number", "author", "created_at", "title", "url"),
            optional=(*self.shared_keys, "description"),
        )
        stamp = self.stamp(fields)
        empty = stamp["hidden"] is not None
        url = fields.text("url", max_length=_field_max(Source, "url"), empty=empty)
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError as exc:
                raise _fault(
                    fields.where("url"),
                    f"{_describe(url)} n'est pas une adresse web (http ou https)",
                ) from exc
        source = _SourceIn(
            **stamp,
            title=fields.text("title", max_length=_field_max(Source, "title"), empty=empty),
            url=url,
            description=fields.text("description", blank=True),
        )
        self.contributions.append(source)
        return source


# --------------------------------------------------------------------------- import


def _taken_numbers(numbers: list[int]) -> set[int]:
    taken: set[int] = set()
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        taken.update(Contribution.objects.filter(number__in=chunk).values_list("number", flat=True))
    return taken


def _refuse_collisions(document: _Document) -> None:
    taken = _taken_numbers([c.number for c in document.contributions])
    if not taken:
        return
    colliding = [c for c in document.contributions if c.number in taken]
    colliding.sort(key=lambda c: c.number)
    shown = ", ".join(f"{c.number} ({c.path})" for c in colliding[:SHOWN_COLLISIONS])
    more = len(colliding) - SHOWN_COLLISIONS
    rest = f" … et {more} autre(s)" if more > 0 else ""
    raise NumberCollision(
        f"{colliding[0].path}.number: numéros déjà pris dans la base : {shown}{rest}. "
        "Importez avec renumber=True (commande : --renumber) pour donner de nouveaux numéros "
        "et garder ceux du fichier dans original_number.",
        [c.number for c in colliding],
    )


def _authors(document: _Document) -> tuple[dict[str, User], int]:
    """Return users by key, creating the missing ones, and how many were created."""
    keys = [author.key for author in document.authors]
    users = {user.username: user for user in User.objects.filter(username__in=keys)}
    created = 0
    for author in document.authors:
        if author.key in users:
            # An existing account keeps its name and its verification untouched.
            continue
        user = User(
            username=author.key,
            display_name=author.name,
            verified_at=author.verified_at,
            verification_method=author.verification_method,
        )
        if DELETED_KEY.fullmatch(author.key):
            # An account deleted on the exporting site stays a deleted account here.
            user.display_name, user.is_active = "", False
            user.verified_at, user.verification_method = None, ""
            user.deleted_at = timezone.now()
        user.set_unusable_password()
        user.save()
        users[author.key] = user
        created += 1
    return users, created


def import_consultation(data: dict[str, Any], *, renumber: bool = False) -> ImportResult:
    """Create the consultation a document describes; refuse the whole document on any fault.

    Contributions keep their numbers, and a number already taken refuses the
    import, unless `renumber`: then each takes a fresh number from the sequence,
    in the order of the document's numbers, and the document's number is kept in
    `original_number` (unless the document already gives one).
    """
    document = _Parser().document(data)
    try:
        with transaction.atomic():
            return _write(document, renumber=renumber)
    except IntegrityError as exc:
        raise InterchangeError(f"(base de données): l'import a été refusé ({exc})") from exc


def _write(document: _Document, *, renumber: bool) -> ImportResult:
    spec = document.consultation
    if Consultation.objects.filter(slug=spec.slug).exists():
        raise InterchangeError(
            f"consultation.slug: la consultation {_describe(spec.slug)} existe déjà ; "
            "l'import ne remplace ni ne complète une consultation existante"
        )
    if renumber:
        # Fresh numbers follow the order of the document's numbers, so the
        # replies keep their order relative to one another and to proposals.
        in_order = sorted(document.contributions, key=lambda c: c.number)
        fresh = {c.number: NumberSequence.next_number() for c in in_order}
    else:
        _refuse_collisions(document)
        fresh = {c.number: c.number for c in document.contributions}

    users, created = _authors(document)

    def numbering(item: _ContributionIn) -> dict[str, Any]:
        """Return what every contribution stores: number, author, dates, hiding."""
        original = item.original_number
        if renumber and original is None:
            original = item.number
        hidden = item.hidden
        return {
            "number": fresh[item.number],
            "original_number": original,
            "author": users[item.author],
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            # Who hid it is not in the file: hidden_by stays empty.
            "hidden_at": hidden.at if hidden else None,
            "hidden_reason": hidden.reason if hidden else "",
            "hidden_note": hidden.note if hidden else "",
        }

    consultation = Consultation.objects.create(
        slug=spec.slug,
        title=spec.title,
        description=spec.description,
        opens_at=spec.opens_at,
        closes_at=spec.closes_at,
    )
    if spec.results is not None:
        Results.objects.create(
            consultation=consultation, text=spec.results.text, publish_at=spec.results.publish_at
        )
    counts = {"proposals": 0, "arguments": 0, "sources": 0}
    for debate_spec in document.debates:
        debate = Debate.objects.create(
            consultation=consultation,
            slug=debate_spec.slug,
            title=debate_spec.title,
            introduction=debate_spec.introduction,
            position=debate_spec.position,
        )
        for item in debate_spec.proposals:
            proposal = Proposal.objects.create(
                debate=debate, title=item.title, body=item.body, **numbering(item)
            )
            counts["proposals"] += 1
            if item.answer is not None:
                Answer.objects.create(
                    proposal=proposal,
                    state=item.answer.state,
                    text=item.answer.text,
                    answered_on=item.answer.answered_on,
                    link=item.answer.link,
                    publish_at=item.answer.publish_at,
                )
            for argument in item.arguments:
                Argument.objects.create(
                    proposal=proposal,
                    stance=argument.stance,
                    body=argument.body,
                    original_rank=argument.original_rank,
                    **numbering(argument),
                )
                counts["arguments"] += 1
            for source in item.sources:
                Source.objects.create(
                    proposal=proposal,
                    title=source.title,
                    # The database takes http(s) addresses only; the export writes "" again.
                    url=source.url or BLANKED_URL,
                    description=source.description,
                    **numbering(source),
                )
                counts["sources"] += 1
    if not renumber and document.contributions:
        NumberSequence.reserve_through(max(c.number for c in document.contributions))
    # The rows were written without their counters: count them once, in bulk.
    rebuild(consultation)
    return ImportResult(
        consultation=consultation,
        debates=len(document.debates),
        authors_created=created,
        authors_found=len(document.authors) - created,
        renumbered=renumber,
        **counts,
    )
