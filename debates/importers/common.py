"""What both Cap Collectif importers share: refusals, accounts, fingerprints, numbers, progress."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.management.base import OutputWrapper
from django.utils.text import slugify

from accounts.models import User, VerificationMethod
from debates.interchange import CHUNK, SHOWN_COLLISIONS
from debates.models import Consultation, Contribution, HideReason, ReportReason

PARIS = ZoneInfo("Europe/Paris")
USERNAME_MAX = User._meta.get_field("username").max_length or 150
DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length or 150
SLUG_MAX = Consultation._meta.get_field("slug").max_length or 100
# simple_history keeps the reason of each change in 100 characters.
CHANGE_REASON_MAX = 100


class ImportRefused(Exception):
    """An input the import refuses; the message names the line or the file at fault."""


# --------------------------------------------------------------------------- progress


class Progress:
    """A counter line on a terminal: « lignes lues : 1500 / 11831 », rewritten in place.

    Quiet when given no stream (the commands pass one only when stderr is a TTY).
    """

    def __init__(self, out: OutputWrapper | None, every: int = 500) -> None:
        self.out = out
        self.every = every
        self.shown = False

    def __call__(self, label: str, done: int, total: int) -> None:
        if self.out is None or (done % self.every and done != total):
            return
        self.out.write(f"\r{label} : {done} / {total}   ", style_func=str, ending="")
        self.out.flush()
        self.shown = True
        if done == total:
            self.out.write("", style_func=str)
            self.shown = False

    def close(self) -> None:
        if self.out is not None and self.shown:
            self.out.write("", style_func=str)
            self.shown = False


ProgressCallback = Callable[[str, int, int], None]


def quiet(label: str, done: int, total: int) -> None:
    """Report no progress."""


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class Account:
    """An author to find or create: a deterministic username, a public name, a badge."""

    username: str
    display_name: str
    verified: bool = False


def pseudonym(prefix: str, opaque_id: str) -> Account:
    """Return the stable pseudonymous account of an opaque author id.

    The username is `<prefix>-<12 hex>` of a SHA-256 of the id, the display name
    « Participant·e <first 6 of them> »: the same id gives the same account on
    every run, and neither shows the id (whose UUID would date the account).
    """
    digest = hashlib.sha256(f"capcollectif:{opaque_id}".encode()).hexdigest()
    return Account(username=f"{prefix}-{digest[:12]}", display_name=f"Participant·e {digest[:6]}")


def check_username(username: str, where: str) -> None:
    """Refuse a username the site would not accept."""
    if len(username) > USERNAME_MAX:
        raise ImportRefused(f"{where} : identifiant de compte trop long ({username!r})")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise ImportRefused(
            f"{where} : « {username} » n'est pas un identifiant de compte valide "
            "(lettres, chiffres et les signes . @ + - _)"
        ) from exc


def ensure_accounts(
    accounts: Iterable[Account], *, verified_at: datetime
) -> tuple[dict[str, User], int]:
    """Return users by username, creating the missing ones; and how many were created.

    An existing account keeps its name and verification untouched. New ones
    have an unusable password and no e-mail: nobody can sign in to them until
    an administrator decides otherwise.
    """
    wanted = {account.username: account for account in accounts}
    names = sorted(wanted)
    users: dict[str, User] = {}
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        users.update((u.username, u) for u in User.objects.filter(username__in=chunk))
    missing = []
    for name in names:
        if name in users:
            continue
        account = wanted[name]
        user = User(
            username=name,
            display_name=account.display_name[:DISPLAY_NAME_MAX],
            verified_at=verified_at if account.verified else None,
            verification_method=VerificationMethod.IMPORTED if account.verified else "",
        )
        user.set_unusable_password()
        missing.append(user)
    User.objects.bulk_create(missing, batch_size=CHUNK)
    # Read them back: not every database returns the ids of a bulk insert.
    created = [u.username for u in missing]
    for start in range(0, len(created), CHUNK):
        chunk = created[start : start + CHUNK]
        users.update((u.username, u) for u in User.objects.filter(username__in=chunk))
    return users, len(missing)


# --------------------------------------------------------------------------- fingerprints


def fingerprint(source: str, digest: str) -> str:
    """Return the change reason recorded on the consultation an import creates."""
    return f"import {source} sha256:{digest}"[:CHANGE_REASON_MAX]


def already_imported(slug: str, reason: str) -> Consultation | None:
    """Return the consultation this very input created, or None if the slug is free.

    The import records `reason` (source and SHA-256 of the input) as the change
    reason of the consultation's first history row; finding it again under the
    slug means the same input was imported: nothing is to be done. The slug
    taken by anything else refuses the import.
    """
    consultation = Consultation.objects.filter(slug=slug).first()
    if consultation is None:
        return None
    first = (
        Consultation.history.filter(id=consultation.pk, history_type="+")
        .values_list("history_change_reason", flat=True)
        .first()
    )
    if first == reason:
        return consultation
    origin = (
        f"importée d'une autre version du fichier ({first})"
        if first and first.startswith("import ")
        else "créée autrement que par cet import"
    )
    raise ImportRefused(
        f"la consultation « {slug} » existe déjà, {origin} ; l'import ne remplace ni ne "
        "complète une consultation existante (choisissez une autre adresse avec --slug)"
    )


def file_digest(chunks: Iterable[bytes]) -> str:
    """Return the SHA-256 of some bytes, fed piece by piece."""
    sha = hashlib.sha256()
    for chunk in chunks:
        sha.update(chunk)
    return sha.hexdigest()


# --------------------------------------------------------------------------- numbers


def taken_numbers(numbers: Iterable[int]) -> set[int]:
    """Return which of `numbers` contributions already hold."""
    wanted = sorted(set(numbers))
    taken: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        taken.update(Contribution.objects.filter(number__in=chunk).values_list("number", flat=True))
    return taken


def list_numbers(numbers: Iterable[int]) -> str:
    """Return « 61, 62, 63 … et 4 autre(s) » for a refusal."""
    ordered = sorted(numbers)
    shown = ", ".join(str(n) for n in ordered[:SHOWN_COLLISIONS])
    more = len(ordered) - SHOWN_COLLISIONS
    return shown + (f" … et {more} autre(s)" if more > 0 else "")


# --------------------------------------------------------------------------- places


def unique_slug(title: str, taken: set[str], fallback: str = "debat") -> str:
    """Return a slug of `title` not in `taken` (which it joins), at most SLUG_MAX long."""
    base = slugify(title)[:SLUG_MAX].strip("-") or fallback
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)].strip("-") + suffix
        n += 1
    taken.add(slug)
    return slug


def day_start(moment: datetime) -> datetime:
    """Return midnight, Paris time, of the day of `moment`."""
    local = moment.astimezone(PARIS)
    return datetime(local.year, local.month, local.day, tzinfo=PARIS)


def next_day_start(moment: datetime) -> datetime:
    """Return the midnight, Paris time, that ends the day of `moment`."""
    local = moment.astimezone(PARIS).date() + timedelta(days=1)
    return datetime(local.year, local.month, local.day, tzinfo=PARIS)


# --------------------------------------------------------------------------- moderation

# Words of a moderator's free-text reason, and the public reason they mean here.
_HIDE_WORDS: tuple[tuple[HideReason, tuple[str, ...]], ...] = (
    (HideReason.SPAM, ("spam", "publicit")),
    (HideReason.OFF_TOPIC, ("hors sujet", "hors-sujet", "hors propos", "hors-propos")),
    (HideReason.DUPLICATE, ("doublon", "en double", "déjà proposé")),
    (HideReason.PERSONAL_DATA, ("données personnelles", "donnees personnelles", "vie privée")),
    (HideReason.ILLEGAL, ("illicite", "illégal", "illegal")),
    (
        HideReason.OFFENSIVE,
        ("injur", "insult", "haine", "haineu", "violen", "offens", "diffam", "racis", "grossi"),
    ),
)


def hide_reason(text: str) -> HideReason:
    """Return the public reason a moderator's free text means, `OTHER` when unsure."""
    lowered = text.lower()
    for reason, words in _HIDE_WORDS:
        if any(word in lowered for word in words):
            return reason
    return HideReason.OTHER


# Cap Collectif's reporting types (src/Capco/AppBundle/Entity/Reporting.php).
REPORT_REASONS = {
    "SEX": ReportReason.OFFENSIVE,
    "OFF": ReportReason.OFFENSIVE,
    "SPAM": ReportReason.SPAM,
    "OFF_TOPIC": ReportReason.OFF_TOPIC,
    "ERROR": ReportReason.OTHER,
}


@dataclass(frozen=True)
class Hidden:
    """How an imported contribution is hidden: when, why (public reason), and the note."""

    at: datetime
    reason: HideReason
    note: str

    def fields(self) -> dict[str, object]:
        return {"hidden_at": self.at, "hidden_reason": self.reason, "hidden_note": self.note}


def hidden_fields(hidden: Hidden | None) -> dict[str, object]:
    """Return the model fields of a hiding, or none."""
    return hidden.fields() if hidden is not None else {}


_SPACES = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Return text with its runs of whitespace folded to one space."""
    return _SPACES.sub(" ", text).strip()
