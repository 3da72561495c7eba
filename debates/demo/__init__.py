"""Demonstration consultations in the interchange format, loaded by `manage.py load_demo`.

cnnum-2014.json reproduces the reference page (contribution #694 of the 2014
CNNum consultation, closed); budget-participatif.json is a fictional consultation
open until the end of 2036, to try participation on; budget-participatif-2025.json
is its fictional, closed predecessor, with the organisers' answers on every
proposal and a results page (« Synthèse »), to show what follows the close.
"""

from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
# The reference first; the order only matters for the log.
DEMO_FILES: list[Path] = [
    DEMO_DIR / "cnnum-2014.json",
    DEMO_DIR / "budget-participatif.json",
    DEMO_DIR / "budget-participatif-2025.json",
]
