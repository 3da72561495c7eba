"""The README's commands, in its order, succeed on the database `make run` leaves.

`make run` migrates and loads the demo (`load_demo`); the README then imports
the workspace's two real consultations. The import lines are read from the
README itself, so the test follows the README when it changes. The demo's
#694 and its arguments hold numbers that République numérique's ids also
use: those contributions keep theirs and the imported ones take fresh numbers,
their ids kept in `original_number`.
"""

from __future__ import annotations

import re
import shlex
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from debates.models import Consultation, Contribution, Proposal
from tests.conftest import require_shared_data

ROOT = Path(__file__).resolve().parent.parent
COMMAND = re.compile(r"^\.venv/bin/python manage\.py (import_capcollectif_\w+ .*)$", re.M)


def readme_imports() -> list[list[str]]:
    """Return the import commands the README gives with the workspace's data, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [shlex.split(line) for line in COMMAND.findall(text) if "../shared/data" in line]


@pytest.mark.django_db
def test_the_readme_imports_succeed_after_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    require_shared_data("data")
    commands = readme_imports()
    assert [c[0] for c in commands] == ["import_capcollectif_csv", "import_capcollectif_api"]
    monkeypatch.chdir(ROOT)  # the README's paths are relative to the clone
    call_command("load_demo", stdout=StringIO())
    demo_consultations = Consultation.objects.count()
    demo_694 = Proposal.objects.get(number=694)
    outputs = []
    for name, *arguments in commands:
        out = StringIO()
        call_command(name, *arguments, stdout=out)
        outputs.append(out.getvalue())

    assert Consultation.objects.count() == demo_consultations + 2
    # The demo keeps its numbers; République numérique's opinion 694 is renumbered.
    assert Proposal.objects.get(number=694) == demo_694
    rn = Proposal.objects.get(
        debate__consultation__slug="republique-numerique-2015", original_number=694
    )
    assert rn.number > 694
    assert "parce que leur numéro était déjà pris dans la base (694," in outputs[1]
    assert (
        Proposal.objects.filter(debate__consultation__slug="republique-numerique-2015").count()
        == 696
    )
    assert Contribution.objects.filter(number=rn.number).count() == 1
