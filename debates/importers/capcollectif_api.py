"""A folder of Cap Collectif API answers (`/api/opinions/<id>`, 2015), into one consultation.

The folder holds `opinions/<id>.json`, one proposal per file with its
arguments, sources, vote counts and section, and `opinions_not_found`, the ids
that answered 404 (their files are empty). `read_folder()` reads and checks
every file; `write_folder()` writes the consultation in one transaction.
docs/imports.md describes the mapping and the numbering.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from debates.counters import rebuild
from debates.importers.common import (
    Account,
    Hidden,
    ImportRefused,
    ProgressCallback,
    already_imported,
    check_username,
    ensure_accounts,
    file_digest,
    fingerprint,
    hidden_fields,
    list_numbers,
    quiet,
    taken_numbers,
    unique_slug,
)
from debates.importers.text import html_to_text, plain_text, shorten
from debates.interchange import JSON_MESSAGES
from debates.models import (
    Argument,
    Consultation,
    Debate,
    HideReason,
    NumberSequence,
    Proposal,
    Source,
    Stance,
)

SOURCE = "capcollectif-api"
OPINIONS = "opinions"
NOT_FOUND = "opinions_not_found"
FILE_NAME = re.compile(r"^([0-9]+)\.json\Z")
STANCES = {1: Stance.FOR, 0: Stance.AGAINST}
TRASHED_NOTE = "Masquée par la modération de la plateforme d'origine (motif non publié)."
DISABLED_NOTE = "Désactivée sur la plateforme d'origine."
TITLE_MAX = 300
CATEGORY_MAX = Source._meta.get_field("category").max_length or 100
URL_MAX = Source._meta.get_field("url").max_length or 2000
# Order of the kinds when two contributions share a moment and numbers are given.
KIND_RANK = {"proposal": 0, "argument": 1, "source": 2}


# --------------------------------------------------------------------------- what the folder holds


class _Stamp(TypedDict):
    """What every contribution of the folder has, read and checked."""

    where: str
    id: int
    author: str
    created_at: datetime
    updated_at: datetime
    hidden: Hidden | None


@dataclass(kw_only=True)
class _Item:
    where: str
    id: int
    author: str
    created_at: datetime
    updated_at: datetime
    hidden: Hidden | None

    KIND = ""

    @property
    def order(self) -> tuple[datetime, int, int]:
        return (self.created_at, KIND_RANK[self.KIND], self.id)


@dataclass(kw_only=True)
class ApiArgument(_Item):
    stance: str
    body: str
    endorsements: int
    rank: int

    KIND = "argument"


@dataclass(kw_only=True)
class ApiSource(_Item):
    title: str
    url: str
    category: str
    description: str

    KIND = "source"


@dataclass(kw_only=True)
class ApiOpinion(_Item):
    section: int
    title: str
    body: str
    votes_ok: int
    votes_mitige: int
    votes_nok: int
    arguments: list[ApiArgument]
    sources: list[ApiSource]

    KIND = "proposal"


@dataclass
class Dump:
    """A whole folder, read and checked, ready to write."""

    folder: Path
    digest: str
    files: int
    empty_files: int
    sections: dict[int, str]
    opinions: list[ApiOpinion]
    authors: dict[str, Account]
    warnings: list[str]

    def contributions(self) -> list[_Item]:
        items: list[_Item] = []
        for opinion in self.opinions:
            items.append(opinion)
            items.extend(opinion.arguments)
            items.extend(opinion.sources)
        return items


# --------------------------------------------------------------------------- reading


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"« {shorten(value, 40)} »"
    if isinstance(value, int | float):
        return repr(value)
    return "une liste" if isinstance(value, list) else "un objet"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Object:
    """One JSON object of a file, read with the file and path named in every refusal."""

    def __init__(self, value: object, file: str, path: str) -> None:
        self.file = file
        self.path = path
        if not isinstance(value, dict):
            raise self.fault(None, f"un objet JSON était attendu, pas {_describe(value)}")
        self.data: dict[str, object] = value

    def fault(self, key: str | None, message: str) -> ImportRefused:
        where = _join(self.path, key) if key else self.path
        return ImportRefused(f"{self.file} : {where or '(racine)'} : {message}")

    def _get(self, key: str) -> object:
        if key not in self.data:
            raise self.fault(key, "clé obligatoire absente")
        return self.data[key]

    def integer(self, key: str, *, minimum: int = 0) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fault(key, f"un nombre entier était attendu, pas {_describe(value)}")
        if value < minimum:
            raise self.fault(key, f"{value} est inférieur à {minimum}")
        return value

    def text(self, key: str, *, blank: bool = True, null: bool = False) -> str:
        value = self._get(key)
        if value is None and null:
            return ""
        if not isinstance(value, str):
            raise self.fault(key, f"une chaîne était attendue, pas {_describe(value)}")
        if not blank and not value.strip():
            raise self.fault(key, "ne doit pas être vide")
        return value

    def boolean(self, key: str, *, default: bool | None = None) -> bool:
        if default is not None and key not in self.data:
            return default
        value = self._get(key)
        if not isinstance(value, bool):
            raise self.fault(key, f"true ou false était attendu, pas {_describe(value)}")
        return value

    def moment(self, key: str) -> datetime:
        value = self.text(key, blank=False)
        try:
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError as exc:
            raise self.fault(
                key, f"{_describe(value)} n'est pas une date ISO 8601 avec son décalage horaire"
            ) from exc
        return moment

    def child(self, key: str) -> _Object:
        return _Object(self._get(key), self.file, _join(self.path, key))

    def items(self, key: str) -> list[_Object]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self.fault(key, f"une liste était attendue, pas {_describe(value)}")
        path = _join(self.path, key)
        return [_Object(item, self.file, f"{path}[{i}]") for i, item in enumerate(value)]


def _load(data: bytes, name: str) -> object:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            f"{name} : le fichier n'est pas du texte UTF-8 (octet {exc.start})"
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            f"{name}, ligne {exc.lineno}, colonne {exc.colno} : JSON invalide "
            f"({JSON_MESSAGES.get(exc.msg, exc.msg)})"
        ) from exc


class _Reader:
    def __init__(self, prefix: str, now: datetime) -> None:
        self.prefix = prefix
        self.now = now
        self.authors: dict[str, Account] = {}
        self.seen: dict[tuple[str, int], str] = {}

    def author(self, obj: _Object) -> str:
        """Return the key of an author, remembering the account it needs."""
        unique_id = obj.text("uniqueId", blank=False).strip()
        if unique_id not in self.authors:
            username = f"{self.prefix}-{unique_id}"
            check_username(username, f"{obj.file} : {obj.path}.uniqueId")
            name = obj.text("displayName", blank=True).strip() or obj.text("username").strip()
            self.authors[unique_id] = Account(
                username=username,
                display_name=name or unique_id,
                verified=obj.boolean("vip", default=False),
            )
        return unique_id

    def stamp(self, obj: _Object, kind: str, *, trashed: bool) -> _Stamp:
        number = obj.integer("id", minimum=1)
        where = f"{obj.file} : {obj.path}"
        if (kind, number) in self.seen:
            raise obj.fault("id", f"{number} est déjà l'identifiant de {self.seen[(kind, number)]}")
        self.seen[(kind, number)] = where
        created_at = obj.moment("created_at")
        updated_at = obj.moment("updated_at") if "updated_at" in obj.data else created_at
        hidden = None
        if trashed:
            hidden = Hidden(at=self.now, reason=HideReason.OTHER, note=TRASHED_NOTE)
        elif not obj.boolean("is_enabled", default=True):
            hidden = Hidden(at=created_at, reason=HideReason.UNPUBLISHED, note=DISABLED_NOTE)
        return _Stamp(
            where=where,
            id=number,
            author=self.author(obj.child("author")),
            created_at=created_at,
            updated_at=max(created_at, updated_at),
            hidden=hidden,
        )

    def argument(self, obj: _Object, rank: int) -> ApiArgument:
        kind = obj.integer("type")
        if kind not in STANCES:
            raise obj.fault("type", f"{kind} n'est ni 1 (pour) ni 0 (contre)")
        return ApiArgument(
            **self.stamp(obj, "argument", trashed=obj.boolean("is_trashed", default=False)),
            stance=STANCES[kind],
            body=plain_text(obj.text("body")),
            endorsements=obj.integer("votes_count") if "votes_count" in obj.data else 0,
            rank=rank,
        )

    def source(self, obj: _Object) -> ApiSource:
        link = obj.text("link", blank=False).strip()
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError as exc:
            raise obj.fault(
                "link", f"{_describe(link)} n'est pas une adresse web (http ou https)"
            ) from exc
        if len(link) > URL_MAX:
            raise obj.fault("link", f"adresse trop longue ({len(link)} caractères)")
        return ApiSource(
            **self.stamp(obj, "source", trashed=obj.boolean("is_trashed", default=False)),
            title=shorten(obj.text("title", blank=False), TITLE_MAX),
            url=link,
            category=shorten(
                obj.text("category", null=True) if "category" in obj.data else "", CATEGORY_MAX
            ),
            description=plain_text(obj.text("body", null=True)),
        )

    def opinion(self, obj: _Object, sections: dict[int, str]) -> tuple[ApiOpinion, list[str]]:
        section = obj.child("type")
        section_id = section.integer("id")
        title = " — ".join(
            part
            for part in (
                section.text("title", null=True).strip(),
                section.text("subtitle", null=True).strip() if "subtitle" in section.data else "",
            )
            if part
        )
        sections.setdefault(section_id, title or f"Section {section_id}")
        body = html_to_text(obj.text("body"))
        for appendix in obj.items("appendices") if "appendices" in obj.data else []:
            text = html_to_text(appendix.text("body", null=True))
            if text:
                heading = appendix.child("type").text("title", null=True).strip() or "Annexe"
                body = f"{body}\n\n{heading} :\n\n{text}" if body else f"{heading} :\n\n{text}"
        opinion = ApiOpinion(
            **self.stamp(obj, "proposal", trashed=obj.boolean("is_trashed")),
            section=section_id,
            title=shorten(obj.text("title", blank=False), TITLE_MAX),
            body=body,
            votes_ok=obj.integer("votes_ok"),
            votes_mitige=obj.integer("votes_mitige"),
            votes_nok=obj.integer("votes_nok"),
            arguments=[
                self.argument(item, rank) for rank, item in enumerate(obj.items("arguments"))
            ],
            sources=[self.source(item) for item in obj.items("sources")],
        )
        warnings = []
        stances = Counter(argument.stance for argument in opinion.arguments)
        for key, stance in (
            ("arguments_yes_count", Stance.FOR),
            ("arguments_no_count", Stance.AGAINST),
        ):
            if key in obj.data and obj.integer(key) != stances[stance]:
                warnings.append(
                    f"{obj.file} : {obj.integer(key)} argument(s) {stance} annoncé(s), "
                    f"{stances[stance]} listé(s)"
                )
        if "sources_count" in obj.data and obj.integer("sources_count") != len(opinion.sources):
            warnings.append(
                f"{obj.file} : {obj.integer('sources_count')} source(s) annoncée(s), "
                f"{len(opinion.sources)} listée(s)"
            )
        return opinion, warnings


def read_folder(folder: Path, *, author_prefix: str, progress: ProgressCallback = quiet) -> Dump:
    """Return every proposal of the folder, checked; refuse it on any fault, naming the file."""
    directory = folder / OPINIONS
    if not directory.is_dir():
        raise ImportRefused(f"{folder} : dossier « {OPINIONS}/ » introuvable")
    named: list[tuple[int, Path]] = []
    for path in directory.iterdir():
        if path.name.startswith(".") or not path.is_file():
            continue
        match = FILE_NAME.match(path.name)
        if match is None:
            raise ImportRefused(
                f"{OPINIONS}/{path.name} : nom de fichier inattendu (<numéro>.json attendu)"
            )
        named.append((int(match.group(1)), path))
    named.sort()
    if not named:
        raise ImportRefused(f"{folder} : aucun fichier dans « {OPINIONS}/ »")

    not_found: set[int] | None = None
    listing = folder / NOT_FOUND
    chunks: list[bytes] = []
    if listing.is_file():
        raw = listing.read_bytes()
        chunks.append(raw)
        not_found = set()
        for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
            if line.strip():
                if not line.strip().isdigit():
                    raise ImportRefused(
                        f"{NOT_FOUND}, ligne {number} : « {line} » n'est pas un numéro"
                    )
                not_found.add(int(line.strip()))

    reader = _Reader(author_prefix, timezone.now())
    sections: dict[int, str] = {}
    opinions: list[ApiOpinion] = []
    warnings: list[str] = []
    empty = 0
    for done, (number, path) in enumerate(named, start=1):
        name = f"{OPINIONS}/{path.name}"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImportRefused(f"{name} : lecture impossible ({exc.strerror})") from exc
        chunks.append(path.name.encode() + b"\0" + data)
        progress("fichiers lus", done, len(named))
        if not data.strip():
            # The API answered 404 for this id: an empty file, listed as not found.
            if not_found is not None and number not in not_found:
                raise ImportRefused(f"{name} : fichier vide, absent de {NOT_FOUND}")
            empty += 1
            continue
        if not_found is not None and number in not_found:
            raise ImportRefused(f"{name} : listé dans {NOT_FOUND}, mais non vide")
        obj = _Object(_load(data, name), name, "").child("opinion")
        if obj.integer("id", minimum=1) != number:
            raise obj.fault("id", f"{obj.integer('id')} ne correspond pas au nom du fichier")
        opinion, found = reader.opinion(obj, sections)
        opinions.append(opinion)
        warnings.extend(found)
    if not opinions:
        raise ImportRefused(f"{folder} : aucune proposition (tous les fichiers sont vides)")
    return Dump(
        folder=folder,
        digest=file_digest(chunks),
        files=len(named),
        empty_files=empty,
        sections=sections,
        opinions=opinions,
        authors=reader.authors,
        warnings=warnings,
    )


# --------------------------------------------------------------------------- writing


@dataclass
class ApiImportResult:
    """What an import created, or that it found the same folder already imported."""

    consultation: Consultation
    unchanged: bool
    dump: Dump
    renumber: bool = False
    kept: int = 0
    renumbered: int = 0
    accounts_created: int = 0
    accounts_found: int = 0
    hidden: int = 0
    # Contributions renumbered because another kind has their id, by kind.
    collisions: Counter[str] = field(default_factory=Counter)
    # Their ids, which contributions already in the database have as numbers.
    taken: list[int] = field(default_factory=list)

    def summary(self) -> list[str]:
        """Return French lines saying what was imported."""
        dump = self.dump
        slug = self.consultation.slug
        if self.unchanged:
            return [
                f"La consultation « {slug} » a déjà été importée de ces mêmes fichiers "
                f"(sha256 {dump.digest[:16]}…) : rien n'a changé."
            ]
        arguments = [a for o in dump.opinions for a in o.arguments]
        stances = Counter(a.stance for a in arguments)
        sources = sum(len(o.sources) for o in dump.opinions)
        votes = sum(o.votes_ok + o.votes_mitige + o.votes_nok for o in dump.opinions)
        lines = [
            f"Consultation « {slug} » importée de {dump.files} fichier(s) ({dump.empty_files} "
            f"vide(s), réponses 404) : {len(dump.sections)} débat(s), {len(dump.opinions)} "
            f"proposition(s), {len(arguments)} argument(s) ({stances[Stance.FOR]} pour, "
            f"{stances[Stance.AGAINST]} contre), {sources} source(s), {votes} vote(s) "
            "en décomptes importés (aucun vote individuel : leurs valeurs ne sont pas publiées).",
            f"Comptes : {self.accounts_created} créé(s), {self.accounts_found} existant(s) "
            "réutilisé(s).",
        ]
        if self.renumber:
            lines.append(
                f"Numéros : toutes les contributions renumérotées ({self.renumbered}), numéros "
                "d'origine dans original_number."
            )
        else:
            names = {"argument": "argument(s)", "source": "source(s)"}
            clashes = ", ".join(f"{n} {names[kind]}" for kind, n in self.collisions.items() if n)
            lines.append(
                f"Numéros : {self.kept} conservé(s) ; {self.renumbered} renuméroté(s), numéro "
                "d'origine dans original_number : "
                f"{sum(self.collisions.values())} parce que leur identifiant est aussi celui "
                f"d'une contribution d'un autre type dans ces fichiers ({clashes or 'aucun'}), "
                f"{len(self.taken)} parce que leur numéro était déjà pris dans la base"
                + (f" ({list_numbers(self.taken)})." if self.taken else ".")
            )
        lines.append(f"Masquées : {self.hidden} contribution(s).")
        if dump.warnings:
            lines.append(f"Écarts avec les décomptes annoncés ({len(dump.warnings)}) :")
            lines.extend(f"  {warning}" for warning in dump.warnings)
        return lines


def write_folder(
    dump: Dump,
    *,
    slug: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    renumber: bool = False,
    progress: ProgressCallback = quiet,
) -> ApiImportResult:
    """Create the consultation of a folder in one transaction, or find it already imported."""
    reason = fingerprint(SOURCE, dump.digest)
    try:
        with transaction.atomic():
            existing = already_imported(slug, reason)
            if existing is not None:
                return ApiImportResult(consultation=existing, unchanged=True, dump=dump)
            return _write(
                dump,
                slug=slug,
                title=title,
                opens_at=opens_at,
                closes_at=closes_at,
                renumber=renumber,
                reason=reason,
                progress=progress,
            )
    except IntegrityError as exc:
        raise ImportRefused(f"(base de données) : l'import a été refusé ({exc})") from exc


def _numbers(
    dump: Dump, *, renumber: bool, result: ApiImportResult, progress: ProgressCallback
) -> dict[tuple[str, int], tuple[int, int | None]]:
    """Return (number, original number) of every contribution, by (kind, id).

    Kept: a proposal keeps its id; an argument keeps its id unless a proposal
    has it; a source keeps its id unless a proposal or a kept argument has it.
    The others take fresh numbers, in chronological order, after the largest
    kept one, and keep their id in `original_number`. With `renumber`, every
    contribution takes a fresh number. A number already taken in the database
    is renumbered the same way (the summary lists them).
    """
    items = dump.contributions()
    chosen: dict[tuple[str, int], tuple[int, int | None]] = {}
    fresh: list[_Item] = []
    if renumber:
        fresh = list(items)
    else:
        used: set[int] = set()
        for kind in ("proposal", "argument", "source"):
            kept: list[int] = []
            for item in items:
                if item.KIND != kind:
                    continue
                if item.id in used:
                    fresh.append(item)
                    result.collisions[kind] += 1
                else:
                    chosen[(item.KIND, item.id)] = (item.id, None)
                    kept.append(item.id)
            used.update(kept)
        # A number the database already gives to another contribution (the demo's
        # #694, an earlier import) is not refused: that contribution keeps it,
        # and this one takes a fresh number, its id kept in original_number.
        taken = taken_numbers(number for number, _ in chosen.values())
        for item in items:
            if (item.KIND, item.id) in chosen and item.id in taken:
                del chosen[(item.KIND, item.id)]
                fresh.append(item)
        result.taken = sorted(taken)
        if chosen:
            # Later numbers, fresh ones of this import first, come after the kept ones.
            NumberSequence.reserve_through(max(number for number, _ in chosen.values()))
    result.kept = len(chosen)
    result.renumbered = len(fresh)
    for done, item in enumerate(sorted(fresh, key=lambda i: i.order), start=1):
        chosen[(item.KIND, item.id)] = (NumberSequence.next_number(), item.id)
        progress("numéros donnés", done, len(fresh))
    return chosen


def _write(
    dump: Dump,
    *,
    slug: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    renumber: bool,
    reason: str,
    progress: ProgressCallback,
) -> ApiImportResult:
    result = ApiImportResult(
        consultation=Consultation(slug=slug), unchanged=False, dump=dump, renumber=renumber
    )
    numbers = _numbers(dump, renumber=renumber, result=result, progress=progress)
    users_by_name, created = ensure_accounts(dump.authors.values(), verified_at=opens_at)
    users = {key: users_by_name[account.username] for key, account in dump.authors.items()}
    result.accounts_created = created
    result.accounts_found = len(users_by_name) - created

    consultation = Consultation(
        slug=slug,
        title=title,
        description=(
            "Consultation importée des réponses de l'API Cap Collectif de la plateforme "
            "d'origine. Les votes y sont des décomptes : les valeurs des votes individuels "
            "n'ont pas été publiées."
        ),
        opens_at=opens_at,
        closes_at=closes_at,
    )
    consultation._change_reason = reason  # type: ignore[attr-defined]
    consultation.save()
    result.consultation = consultation
    debate_slugs: set[str] = set()
    debates = {}
    for position, (section_id, section_title) in enumerate(dump.sections.items()):
        debate = Debate(
            consultation=consultation,
            title=section_title,
            slug=unique_slug(section_title, debate_slugs),
            position=position,
        )
        debate._change_reason = reason  # type: ignore[attr-defined]
        debate.save()
        debates[section_id] = debate

    total = len(numbers)
    done = 0

    def common(item: _Item) -> dict[str, object]:
        number, original = numbers[(item.KIND, item.id)]
        result.hidden += item.hidden is not None
        return {
            "number": number,
            "original_number": original,
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

    for opinion in dump.opinions:
        proposal = Proposal(
            debate=debates[opinion.section],
            title=opinion.title,
            body=opinion.body,
            imported_votes_agree=opinion.votes_ok,
            imported_votes_mixed=opinion.votes_mitige,
            imported_votes_disagree=opinion.votes_nok,
            **common(opinion),
        )
        save(proposal)
        for argument in opinion.arguments:
            save(
                Argument(
                    proposal=proposal,
                    stance=argument.stance,
                    body=argument.body,
                    original_rank=argument.rank,
                    imported_endorsements=argument.endorsements,
                    **common(argument),
                )
            )
        for source in opinion.sources:
            save(
                Source(
                    proposal=proposal,
                    title=source.title,
                    url=source.url,
                    category=source.category,
                    description=source.description,
                    **common(source),
                )
            )
    # The rows were written without their counters: count them once, in bulk.
    rebuild(result.consultation)
    return result
