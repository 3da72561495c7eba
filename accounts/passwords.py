"""Refuse the passwords attackers try first, French favourites included.

Django's CommonPasswordValidator refuses an exact match only: « soleil » and
« motdepasse » are on its list, « Soleil123 » and « motdepasse2024! » are
not. This validator looks at the core of the password (without case,
accents, digits and symbols at either end, spaces, or the usual 4→a, 0→o,
3→e substitutions) and refuses it when that core is on one of two lists:

- Django's own list (django/contrib/auth/common-passwords.txt.gz, 20,000
  passwords from public breaches, compiled by Royce Williams; Django's BSD
  licence), which holds the French favourites (soleil, motdepasse, azerty,
  jetaime, doudou, marseille, chouchou…);
- accounts/data/common-passwords.txt.gz: the 36,220 entries of zxcvbn-ts's
  common password list that Django's lacks (npm package
  @zxcvbn-ts/language-common 4.1.3, https://github.com/zxcvbn-ts/zxcvbn,
  MIT licence, © 2012-2016 Dan Wheeler and Dropbox, Inc., © 2021 zxcvbn-ts);
  rebuilt by scripts/build-common-passwords.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from functools import cache
from pathlib import Path

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LIST = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
# A core shorter than this is mostly digits and symbols; the length rule judges it.
SHORTEST_CORE = 3


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(LIST, "rt", encoding="utf-8") as lines:
        extra = {line.strip() for line in lines if line.strip()}
    return frozenset(CommonPasswordValidator().passwords | extra)


def cores(password: str) -> set[str]:
    """Return the forms of `password` an attacker's list would hold."""
    plain = unicodedata.normalize("NFKD", password.casefold())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    plain = re.sub(r"\s+", "", plain)
    forms = {plain, plain.translate(LEET)}
    forms |= {EDGES.sub("", form) for form in list(forms)}
    forms |= {EDGES.sub("", form).translate(LEET) for form in list(forms)}
    return {form for form in forms if len(form) >= SHORTEST_CORE}


class CommonPasswordCoreValidator:
    def validate(self, password: str, user: object = None) -> None:
        if cores(password) & common_passwords():
            raise ValidationError(
                _(
                    "Ce mot de passe est trop courant : sans ses chiffres, ses symboles et ses "
                    "majuscules, il figure parmi les mots de passe les plus utilisés (comme "
                    "« soleil123 » ou « motdepasse »). Choisissez plutôt une phrase de "
                    "plusieurs mots."
                ),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return _(
            "Votre mot de passe ne peut pas être un mot de passe courant, même suivi de "
            "chiffres ou de symboles."
        )
