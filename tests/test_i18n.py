"""Translation catalogs: compiled, up to date, and French plurals in French."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.template import Context, Template
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_committed_compiled_catalog_matches_its_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    source = {
        (e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural))
        for e in polib.pofile(str(folder / "django.po")).translated_entries()
    }
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural))
        for e in polib.mofile(str(folder / "django.mo"))
        if e.msgid
    }
    assert compiled == source, "run `make messages` to recompile the catalogs"


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 contribution"), (1, "1 contribution"), (2, "2 contributions")]
)
def test_french_counts_follow_the_french_plural_rule(count: int, expected: str) -> None:
    template = Template(
        "{% load i18n %}{% blocktranslate trimmed count n=n %}{{ n }} contribution"
        "{% plural %}{{ n }} contributions{% endblocktranslate %}"
    )
    with translation.override("fr"):
        assert template.render(Context({"n": count})) == expected
