"""What a display name may be: visible, with a letter, and not one of the platform's own words.

Every place that sets a display name (signup, social signup, the account
page) calls `validate_display_name`.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control (Cc), format (Cf: the right-to-left override U+202E, zero-width
# spaces and joiners, the BOM), private-use, unassigned and surrogate code
# points, and the line and paragraph separators: none has a place in a name.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
# Letters and symbols that draw nothing (Hangul fillers, the blank Braille
# pattern): names made of them look empty.
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

# The names the platform itself shows: « Compte supprimé » on a deleted
# account's contributions, and the teams that sign moderation and answers.
RESERVED_NAMES = (
    "Compte supprimé",
    "Modération",
    "Modérateur",
    "Modérateurs",
    "Organisateurs",
    "Organisateur",
    "Administration",
    "Administrateur",
    "Administrateurs",
    "Deleted account",
    "Moderation",
    "Moderator",
    "Moderators",
    "Organisers",
    "Organizers",
    "Administrator",
)


def _words(value: str) -> list[str]:
    """Return the words of `value` without case, accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value).casefold())
    kept = "".join(
        char if char.isalnum() else " " for char in decomposed if not unicodedata.combining(char)
    )
    return kept.split()


_RESERVED_WORDS = [tuple(_words(name)) for name in RESERVED_NAMES]
_RESERVED_SQUASHED = frozenset("".join(words) for words in _RESERVED_WORDS)


def is_reserved(value: str) -> bool:
    """Return whether `value` is, or contains as whole words, one of the platform's names.

    « compte  SUPPRIME », « C.o.m.p.t.e supprimé » and « Équipe Modération » are.
    """
    words = _words(value)
    if "".join(words) in _RESERVED_SQUASHED:
        return True
    for reserved in _RESERVED_WORDS:
        size = len(reserved)
        if any(tuple(words[i : i + size]) == reserved for i in range(len(words) - size + 1)):
            return True
    return False


def validate_display_name(value: str) -> None:
    """Raise ValidationError when `value` cannot be shown as someone's name."""
    if any(
        unicodedata.category(char) in FORBIDDEN_CATEGORIES or char in BLANK_CHARACTERS
        for char in value
    ):
        raise ValidationError(
            _(
                "Le nom affiché ne peut pas contenir de caractères de contrôle ou invisibles "
                "(inversion du sens d'écriture, espace sans largeur…)."
            ),
            code="invisible_character",
        )
    if not any(unicodedata.category(char).startswith("L") for char in value):
        raise ValidationError(
            _("Le nom affiché doit contenir au moins une lettre."), code="no_letter"
        )
    if is_reserved(value):
        raise ValidationError(
            _(
                "« %(name)s » est un nom que la plateforme utilise elle-même "
                "(comptes supprimés, modération, organisateurs) : choisissez-en un autre."
            ),
            code="reserved",
            params={"name": value.strip()},
        )


def is_valid_display_name(value: str) -> bool:
    try:
        validate_display_name(value)
    except ValidationError:
        return False
    return True
