"""The interchange format: a whole consultation as one JSON document, out and back in.

`export_consultation()` writes a consultation, its debates, proposals, arguments,
sources and their authors; `import_consultation()` reads such a document back,
validating every field first and writing everything in one transaction, so a
faulty file writes nothing. docs/interchange-format.md describes the format field
by field; the management commands `export_consultation`, `import_consultation`
and `load_demo` are thin wrappers around these functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import User, VerificationMethod
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Debate,
    NumberSequence,
    Proposal,
    Source,
    Stance,
)

FORMAT = "consultation-interchange"
VERSION = 1

# How many colliding numbers a refusal lists before « … et N autres ».
SHOWN_COLLISIONS = 5
# Keep an IN (…) list under SQLite's limit on query parameters.
CHUNK = 500

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


def _iso(moment: datetime) -> str:
    """Return an aware datetime as ISO 8601 with the offset of the site's time zone."""
    return timezone.localtime(moment).isoformat()


def _author_entry(user: User) -> dict[str, Any]:
    verified = user.verified_at is not None
    return {
        "key": user.username,
        "name": user.public_name,
        "verified": verified,
        "verified_at": _iso(user.verified_at) if user.verified_at is not None else None,
        "verification_method": user.verification_method if verified else None,
    }


def _stamp(contribution: Contribution) -> dict[str, Any]:
    return {
        "number": contribution.number,
        "original_number": contribution.original_number,
        "author": contribution.author.username,
        "created_at": _iso(contribution.created_at),
        "updated_at": _iso(contribution.updated_at),
    }


def export_consultation(consultation: Consultation) -> dict[str, Any]:
    """Return the whole consultation as an interchange document.

    Four queries whatever the size: debates, then proposals, arguments and
    sources each with their author joined. Contributions come in number order
    and authors in key order, so exporting twice gives the same document.
    """
    debates = list(
        consultation.debates.order_by("position", "pk").prefetch_related(
            Prefetch(
                "proposals",
                queryset=Proposal.objects.select_related("author").order_by("number"),
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
    authors: dict[int, User] = {}
    debate_entries = []
    for debate in debates:
        proposal_entries = []
        for proposal in debate.proposals.all():
            authors[proposal.author_id] = proposal.author
            argument_entries = []
            for argument in proposal.arguments.all():
                authors[argument.author_id] = argument.author
                argument_entries.append(
                    _stamp(argument)
                    | {
                        "stance": argument.stance,
                        "body": argument.body,
                        "original_rank": argument.original_rank,
                    }
                )
            source_entries = []
            for source in proposal.sources.all():
                authors[source.author_id] = source.author
                source_entries.append(
                    _stamp(source)
                    | {"title": source.title, "url": source.url, "description": source.description}
                )
            proposal_entries.append(
                _stamp(proposal)
                | {
                    "title": proposal.title,
                    "body": proposal.body,
                    "arguments": argument_entries,
                    "sources": source_entries,
                }
            )
        debate_entries.append(
            {
                "slug": debate.slug,
                "title": debate.title,
                "introduction": debate.introduction,
                "position": debate.position,
                "proposals": proposal_entries,
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "consultation": {
            "slug": consultation.slug,
            "title": consultation.title,
            "description": consultation.description,
            "opens_at": _iso(consultation.opens_at),
            "closes_at": _iso(consultation.closes_at),
        },
        "authors": [
            _author_entry(user) for user in sorted(authors.values(), key=lambda u: u.username)
        ],
        "debates": debate_entries,
    }


def dumps(document: dict[str, Any]) -> str:
    """Return a document as the commands write it: UTF-8 text, indented, final newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


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

    def text(self, key: str, *, max_length: int | None = None, blank: bool = False) -> str:
        value = self._raw(key)
        if value is None and blank:
            # An optional text may be absent or null: it is then empty.
            value = ""
        if not isinstance(value, str):
            raise _fault(
                self.where(key), f"une chaîne de caractères était attendue, pas {_describe(value)}"
            )
        if not blank and not value.strip():
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
class _ConsultationIn:
    slug: str
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class _AuthorIn:
    key: str
    name: str
    verified_at: datetime | None
    verification_method: str


class _Stamp(TypedDict):
    """What every contribution of a document has, read and checked."""

    path: str
    number: int
    original_number: int | None
    author: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class _ContributionIn:
    path: str
    number: int
    original_number: int | None
    author: str
    created_at: datetime
    updated_at: datetime


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

    def document(self, data: object) -> _Document:
        top = _Fields(
            data, "", required=("format", "version", "consultation", "authors", "debates")
        )
        if top.data["format"] != FORMAT:
            raise _fault(
                "format", f"{_describe(top.data['format'])} n'est pas ce format ({FORMAT} attendu)"
            )
        version = top.data["version"]
        if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
            raise _fault(
                "version",
                f"version {_describe(version)} non prise en charge "
                f"(seule la version {VERSION} l'est)",
            )
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
            optional=("description",),
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
        )

    def proposal(self, path: str, value: object) -> _ProposalIn:
        fields = _Fields(
            value,
            path,
            required=("number", "author", "created_at", "title", "body"),
            optional=("original_number", "updated_at", "arguments", "sources"),
        )
        stamp = self.stamp(fields)
        title = fields.text("title", max_length=_field_max(Proposal, "title"))
        body = fields.text("body")
        proposal = _ProposalIn(
            **stamp,
            title=title,
            body=body,
            arguments=[self.argument(p, item) for p, item in fields.items("arguments")],
            sources=[self.source(p, item) for p, item in fields.items("sources")],
        )
        self.contributions.append(proposal)
        return proposal

    def argument(self, path: str, value: object) -> _ArgumentIn:
        fields = _Fields(
            value,
            path,
            required=("number", "stance", "author", "created_at", "body"),
            optional=("original_number", "updated_at", "original_rank"),
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
            body=fields.text("body"),
            original_rank=fields.optional_integer("original_rank", minimum=0),
        )
        self.contributions.append(argument)
        return argument

    def source(self, path: str, value: object) -> _SourceIn:
        fields = _Fields(
            value,
            path,
            required=("number", "author", "created_at", "title", "url"),
            optional=("original_number", "updated_at", "description"),
        )
        stamp = self.stamp(fields)
        url = fields.text("url", max_length=_field_max(Source, "url"))
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            raise _fault(
                fields.where("url"), f"{_describe(url)} n'est pas une adresse web (http ou https)"
            ) from exc
        source = _SourceIn(
            **stamp,
            title=fields.text("title", max_length=_field_max(Source, "title")),
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
        original = item.original_number
        if renumber and original is None:
            original = item.number
        return {
            "number": fresh[item.number],
            "original_number": original,
            "author": users[item.author],
            "created_at": item.created_at,
            "updated_at": item.updated_at,
        }

    consultation = Consultation.objects.create(
        slug=spec.slug,
        title=spec.title,
        description=spec.description,
        opens_at=spec.opens_at,
        closes_at=spec.closes_at,
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
                    url=source.url,
                    description=source.description,
                    **numbering(source),
                )
                counts["sources"] += 1
    if not renumber and document.contributions:
        NumberSequence.reserve_through(max(c.number for c in document.contributions))
    return ImportResult(
        consultation=consultation,
        debates=len(document.debates),
        authors_created=created,
        authors_found=len(document.authors) - created,
        renumbered=renumber,
        **counts,
    )
