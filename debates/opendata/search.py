"""Search of the proposals and arguments of a consultation, accent- and case-insensitive.

PostgreSQL: full-text search with the French configuration (stemming, stop
words, ranking), on text folded by `unaccent()` when the extension is installed
and otherwise by `translate()` over the accented letters of French, so that
« numeriques » finds « numérique » either way.

SQLite: every word of the query, folded and stripped of its plural mark, must
start a word of the folded text (`fold_words()`, registered as an SQL function
on the connection). No ranking: newest first. See docs/exports.md for the limits.

Hidden contributions are never searched. `highlight()` marks the words found,
in escaped text, for both databases.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Expression, F, Func, QuerySet, TextField, Value
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from debates.models import Consultation, Contribution, Kind

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
EXCERPT_LENGTH = 240

# Letters Unicode decomposition leaves whole, spelt out by fold().
LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
# The same folding for PostgreSQL without unaccent: translate() maps letter to letter.
ACCENTED = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ"
PLAIN = "".join(unicodedata.normalize("NFKD", letter)[0].lower() for letter in ACCENTED)

# Words too common to narrow a search (SQLite only: PostgreSQL's French
# configuration has its own list).
STOP_WORDS = frozenset(
    "a au aux avec ce ces d dans de des du elle en est et il je l la le les leur lui ma "
    "mais me mes n ne nos notre nous on ou par pas pour qu que qui s sa se ses son sur "
    "ta te tes toi ton tu un une vos votre vous y".split()
)
WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Return `text` in lower case without accents: « Numérique » → « numerique »."""
    decomposed = unicodedata.normalize("NFKD", text.translate(LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold_words(*texts: str | None) -> str:
    """Return the folded words of `texts` separated by single spaces, and around them."""
    words = [word for text in texts if text for word in WORD.findall(fold(text))]
    return " " + " ".join(words) + " "


def stem(word: str) -> str:
    """Return a folded word without its plural mark: « numeriques » → « numerique »."""
    if len(word) > 4 and word.endswith("aux"):
        return word[:-2]  # journaux → journa, which starts journal and journaux
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


@dataclass(frozen=True)
class Query:
    """What a reader typed, cleaned: at most MAX_QUERY_LENGTH characters and MAX_TERMS words."""

    text: str
    words: tuple[str, ...]  # as typed, in order, without repeats
    truncated: bool

    @classmethod
    def parse(cls, raw: str) -> Query:
        text = " ".join(raw.split())
        truncated = len(text) > MAX_QUERY_LENGTH
        text = text[:MAX_QUERY_LENGTH]
        words = list(dict.fromkeys(WORD.findall(text)))
        truncated = truncated or len(words) > MAX_TERMS
        return cls(text=text, words=tuple(words[:MAX_TERMS]), truncated=truncated)

    @property
    def stems(self) -> tuple[str, ...]:
        """Return the folded stems that must each start a word (stop words left out)."""
        folded = [fold(word) for word in self.words]
        kept = (stem(word) for word in folded if word and word not in STOP_WORDS)
        return tuple(dict.fromkeys(kept))

    @property
    def marked_stems(self) -> tuple[str, ...]:
        """Return the stems to highlight: all words' when they are all stop words."""
        return self.stems or tuple(dict.fromkeys(stem(fold(w)) for w in self.words if fold(w)))


def base_queryset(consultation: Consultation) -> QuerySet[Contribution]:
    """Return the visible proposals and arguments of `consultation`, with what a result shows."""
    return (
        Contribution.objects.of_consultation(consultation)
        .filter(kind__in=[Kind.PROPOSAL, Kind.ARGUMENT], hidden_at__isnull=True)
        .select_related("author", "as_proposal__debate", "as_argument__proposal__debate")
    )


def search(consultation: Consultation, query: Query) -> QuerySet[Contribution]:
    """Return the matching contributions, best first (no query runs until evaluated)."""
    if connection.vendor == "postgresql":
        return _postgresql(consultation, query)
    return _sqlite(consultation, query)


# --------------------------------------------------------------------------- PostgreSQL


@cache
def has_unaccent() -> bool:
    """Return whether the unaccent extension is installed (asked once per process)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
        return cursor.fetchone() is not None


def _pg_fold(expression: Expression | F) -> Func:
    """Return SQL folding accents of `expression`: unaccent(), else translate()."""
    if has_unaccent():
        return Func(expression, function="unaccent", output_field=TextField())
    for ligature, letters in (("œ", "oe"), ("Œ", "OE"), ("æ", "ae"), ("Æ", "AE")):
        expression = Func(
            expression,
            Value(ligature),
            Value(letters),
            function="replace",
            output_field=TextField(),
        )
    return Func(
        expression, Value(ACCENTED), Value(PLAIN), function="translate", output_field=TextField()
    )


def _postgresql(consultation: Consultation, query: Query) -> QuerySet[Contribution]:
    vector = SearchVector(_pg_fold(F("as_proposal__title")), config="french", weight="A") + (
        SearchVector(
            _pg_fold(F("as_proposal__body")),
            _pg_fold(F("as_argument__body")),
            config="french",
            weight="B",
        )
    )
    search_query = SearchQuery(_pg_fold(Value(" ".join(query.words))), config="french")
    return (
        base_queryset(consultation)
        .annotate(document=vector, rank=SearchRank(vector, search_query))
        .filter(document=search_query)
        .order_by("-rank", "-number")
    )


# --------------------------------------------------------------------------- SQLite


def _register_sqlite_function() -> None:
    # Per connection, before the query; creating it again is harmless and cheap.
    connection.ensure_connection()
    connection.connection.create_function("opendata_fold_words", -1, fold_words, deterministic=True)


def _sqlite(consultation: Consultation, query: Query) -> QuerySet[Contribution]:
    stems = query.stems
    if not stems:
        return base_queryset(consultation).none()
    _register_sqlite_function()
    words = Func(
        F("as_proposal__title"),
        F("as_proposal__body"),
        F("as_argument__body"),
        function="opendata_fold_words",
        output_field=TextField(),
    )
    matches = base_queryset(consultation).annotate(words=words)
    for word in stems:
        matches = matches.filter(words__contains=f" {word}")
    return matches.order_by("-number")


# --------------------------------------------------------------------------- highlighting


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """Return `fold(text)` and, for each of its characters, its index in `text`."""
    letters: list[str] = []
    positions: list[int] = []
    for index, character in enumerate(text):
        for letter in fold(character):
            letters.append(letter)
            positions.append(index)
    return "".join(letters), positions


def _spans(text: str, stems: tuple[str, ...]) -> list[tuple[int, int]]:
    """Return (start, end) in `text` of each word starting with one of `stems`."""
    if not stems:
        return []
    folded, positions = _folded_with_positions(text)
    longest_first = sorted(stems, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, longest_first)) + r")\w*")
    return [(positions[m.start()], positions[m.end() - 1] + 1) for m in pattern.finditer(folded)]


def highlight(text: str, query: Query) -> SafeString:
    """Return `text` escaped, each word found wrapped in `<mark>`."""
    return _marked(text, _spans(text, query.marked_stems))


def _marked(text: str, spans: list[tuple[int, int]]) -> SafeString:
    parts, last = [], 0
    for start, end in spans:
        parts.append(escape(text[last:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    parts.append(escape(text[last:]))
    # Safe: every piece of the reader's and the author's text went through escape().
    return mark_safe("".join(parts))


def excerpt(text: str, query: Query, length: int = EXCERPT_LENGTH) -> SafeString:
    """Return about `length` characters of `text` around the first word found, highlighted."""
    text = " ".join(text.split())
    spans = _spans(text, query.marked_stems)
    if len(text) <= length:
        return _marked(text, spans)
    first = spans[0][0] if spans else 0
    start = max(0, first - length // 3)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    inside = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    before = "… " if start else ""
    after = " …" if end < len(text) else ""
    return format_html("{}{}{}", before, _marked(text[start:end], inside), after)
