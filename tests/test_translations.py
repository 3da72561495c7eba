"""The English catalog: every UI string translated, placeholders kept, pages in English.

The source strings are French (LANGUAGE_CODE = "fr"); English is the second
locale. A string added to a template or to the code without an English
translation fails here: either it is missing from the catalogs (run
`make messages`) or its English `msgstr` is empty or fuzzy.
"""

from __future__ import annotations

import ast
import html
import io
import os
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from debates.models import Consultation
from tests.conftest import proposal_of

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
FRENCH = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"

# What `make messages` leaves out of the extraction (plus hidden folders).
IGNORED_FOLDERS = {".venv", "staticfiles", "node_modules", "__pycache__"}

# The gettext functions makemessages extracts from, and where their strings sit:
# (context argument or None, singular argument, plural argument or None).
GETTEXT_ARGUMENTS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}

NAMED_FORMAT = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
POSITIONAL_FORMAT = re.compile(r"%(?!\()[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
FRENCH_TYPOGRAPHY = re.compile(r"[«»]|(?:\s|&nbsp;)[:;?!]")

Message = tuple[str | None, str, str | None]  # (msgctxt, msgid, msgid_plural)


@pytest.fixture(scope="module")
def english() -> polib.POFile:
    return polib.pofile(str(ENGLISH))


@pytest.fixture(scope="module")
def english_by_key(english: polib.POFile) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(e.msgctxt, e.msgid): e for e in english if not e.obsolete}


@pytest.fixture(autouse=True)
def _restore_the_active_language() -> Iterator[None]:
    """LocaleMiddleware leaves « en » active on the thread after an English request."""
    language = translation.get_language()
    yield
    if language:
        translation.activate(language)
    else:
        translation.deactivate_all()


def translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """Return each (source, translation) pair of an entry, one per plural form."""
    if entry.msgid_plural:
        forms = entry.msgstr_plural
        return [(entry.msgid, forms.get(0, "")), (entry.msgid_plural, forms.get(1, ""))]
    return [(entry.msgid, entry.msgstr)]


def is_translated(entry: polib.POEntry) -> bool:
    if entry.obsolete or "fuzzy" in entry.flags:
        return False
    if entry.msgid_plural and sorted(entry.msgstr_plural) != [0, 1]:
        return False
    return all(text.strip() for _, text in translations(entry))


def placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """Return the named and positional %-placeholders and the {{ variables }} of `text`."""
    text = text.replace("%%", "")
    named = frozenset(NAMED_FORMAT.findall(text))
    positional = tuple(m.group(0) for m in POSITIONAL_FORMAT.finditer(text))
    variables = frozenset(TEMPLATE_VARIABLE.findall(text))
    return named, positional, variables


def _strings_of_call(call: ast.Call) -> Message | None:
    function = call.func
    name = (
        function.id
        if isinstance(function, ast.Name)
        else function.attr
        if isinstance(function, ast.Attribute)
        else None
    )
    if name not in GETTEXT_ARGUMENTS:
        return None
    context_at, singular_at, plural_at = GETTEXT_ARGUMENTS[name]
    args = call.args

    def literal(index: int | None) -> str | None:
        if index is None or index >= len(args):
            return None
        arg = args[index]
        return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None

    msgid = literal(singular_at)
    if msgid is None:
        return None
    return literal(context_at), msgid, literal(plural_at)


def _python_messages(source: str) -> Iterator[Message]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and (message := _strings_of_call(node)) is not None:
            yield message


GETTEXT_CALL = re.compile(r"\b(?:n?p?gettext)\(")


def _template_messages(source: str, origin: str) -> Iterator[Message]:
    """Read the gettext calls Django's templatize writes for xgettext (the rest is X/B/F)."""
    code = templatize(source, origin=origin)
    for match in GETTEXT_CALL.finditer(code):
        tokens: list[str] = []
        depth = 0
        for token in tokenize.generate_tokens(io.StringIO(code[match.start() :]).readline):
            tokens.append(token.string if token.string.strip() else " ")
            if token.string == "(":
                depth += 1
            elif token.string == ")":
                depth -= 1
                if depth == 0:
                    break
        call = ast.parse("".join(tokens), mode="eval").body
        assert isinstance(call, ast.Call)
        if (message := _strings_of_call(call)) is not None:
            yield message


def _project_files(*suffixes: str) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not name.startswith(".")
            and name not in IGNORED_FOLDERS
            and not name.endswith(".egg-info")
        )
        for name in sorted(files):
            if name.endswith(suffixes):
                yield Path(folder) / name


def messages_in_the_code() -> dict[Message, str]:
    """Return every translatable string of the Python code and templates, with a file using it."""
    found: dict[Message, str] = {}
    for path in _project_files(".py"):
        for message in _python_messages(path.read_text(encoding="utf-8")):
            found.setdefault(message, str(path.relative_to(ROOT)))
    for path in _project_files(".html", ".txt"):
        name = str(path.relative_to(ROOT))
        for message in _template_messages(path.read_text(encoding="utf-8"), name):
            found.setdefault(message, name)
    return found


def visible(page: str) -> str:
    """Return the text of a page: tags removed, entities decoded, spaces collapsed."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.sub(r"\s+", " ", text)


# The catalog itself.


def test_the_english_catalog_declares_english_and_its_plural_rule(english: polib.POFile) -> None:
    assert english.metadata["Language"] == "en"
    assert english.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert not english.metadata_is_fuzzy


def test_every_english_entry_is_translated_and_none_is_fuzzy(english: polib.POFile) -> None:
    fuzzy = [e.msgid for e in english if "fuzzy" in e.flags]
    untranslated = [e.msgid for e in english if not e.obsolete and not is_translated(e)]
    assert fuzzy == [], "fuzzy English entries: check them and remove the flag"
    assert untranslated == [], "English entries without a translation"


def test_translations_keep_the_placeholders_of_their_source(english: polib.POFile) -> None:
    mismatches = [
        (source, text)
        for entry in english
        if not entry.obsolete and "no-python-format" not in entry.flags
        for source, text in translations(entry)
        if placeholders(source) != placeholders(text)
    ]
    assert mismatches == []


def test_translations_use_english_typography(english: polib.POFile) -> None:
    """No « guillemets » and no space before a colon: that is French typography."""
    french_looking = [
        text
        for entry in english
        for _, text in translations(entry)
        if FRENCH_TYPOGRAPHY.search(text)
    ]
    assert french_looking == []


# Nothing the interface says can hide from the English catalog.


def test_every_message_of_the_french_catalog_is_translated_in_english(
    english_by_key: dict[tuple[str | None, str], polib.POEntry],
) -> None:
    french = [e for e in polib.pofile(str(FRENCH)) if not e.obsolete]
    assert len(french) > 100, "the French catalog looks empty"
    missing = [e.msgid for e in french if (e.msgctxt, e.msgid) not in english_by_key]
    untranslated = [
        e.msgid
        for e in french
        if (e.msgctxt, e.msgid) in english_by_key
        and not is_translated(english_by_key[e.msgctxt, e.msgid])
    ]
    plural_mismatch = [
        e.msgid
        for e in french
        if (e.msgctxt, e.msgid) in english_by_key
        and english_by_key[e.msgctxt, e.msgid].msgid_plural != e.msgid_plural
    ]
    assert missing == [], "in the French catalog, not in the English one"
    assert untranslated == [], "in the English catalog without a translation"
    assert plural_mismatch == [], "plural source differs between the French and English catalogs"


def test_the_extraction_finds_the_strings_of_templates_and_code() -> None:
    found = messages_in_the_code()
    assert (None, "Se connecter", None) in found  # {% translate %}
    assert (None, "Page %(n)s sur %(total)s", None) in found  # {% blocktranslate with %}
    assert (None, "%(n)s débat", "%(n)s débats") in found  # {% blocktranslate count %}
    assert (None, "Votre vote « %s » est enregistré.", None) in found  # Python _()


def test_every_string_of_the_templates_and_code_is_translated_in_english(
    english_by_key: dict[tuple[str | None, str], polib.POEntry],
) -> None:
    """A string added without `make messages`, or left untranslated, fails here."""
    problems = []
    for (context, msgid, plural), where in sorted(messages_in_the_code().items(), key=str):
        entry = english_by_key.get((context, msgid))
        if entry is None:
            problems.append(f"{where}: not in the catalogs: {msgid!r}")
        elif entry.msgid_plural != (plural or ""):
            problems.append(f"{where}: plural differs from the catalog: {msgid!r}")
        elif not is_translated(entry):
            problems.append(f"{where}: no English translation: {msgid!r}")
    assert problems == [], (
        "run `make messages`, then translate locale/en/LC_MESSAGES/django.po:\n"
        + "\n".join(problems)
    )


# The pages, asked for in English.


def test_the_home_page_is_in_english_when_the_browser_asks_for_english(
    open_consultation: Consultation,
    upcoming_consultation: Consultation,
    closed_consultation: Consultation,
    client: Client,
) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    text = visible(page)
    for english_text in (
        "Skip to content",
        "Citizen consultation",
        "Log in",
        "Create an account",
        "Open for participation",
        "Upcoming",
        "Closed: public archives",
        "1 debate",
        "About",
    ):
        assert english_text in text
    for french_text in (
        "Aller au contenu",
        "Consultation citoyenne",
        "Se connecter",
        "Créer un compte",
        "Ouvertes à la participation",
        "Fermées : archives publiques",
        "1 débat",
        "À propos",
    ):
        assert french_text not in text

    # French stays the default for a browser that does not ask for English.
    text = visible(client.get("/").content.decode())
    assert "Se connecter" in text
    assert "Log in" not in text


def test_the_proposal_page_is_in_english_when_the_browser_asks_for_english(
    open_consultation: Consultation, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    page = client.get(proposal.get_page_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    text = visible(page)
    for english_text in (
        f"You are viewing a contribution by Alice Martin in the debate “{proposal.debate.title}”.",
        "Back to the debate",
        f"Contribution #{proposal.number}",
        "Agree",
        "Mixed",
        "Disagree",
        "Log in to vote.",
        "Argument order",
        "0 arguments for",
        "0 arguments against",
        "0 sources",
        "No sources yet",
        "Log in to add a source.",
    ):
        assert english_text in text
    assert text.count("Log in to add an argument.") == 2
    for french_text in (
        "Vous êtes sur la page",
        "Retourner au débat",
        "Pas d'accord",
        "Mitigé",
        "Connectez-vous",
        "Ordre des arguments",
        "arguments pour",
        "arguments contre",
        "Aucune source déposée",
        "Se connecter",
    ):
        assert french_text not in text
