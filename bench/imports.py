"""Time the imports of the two real consultations, then a few pages on their real text.

    .venv/bin/python bench/imports.py [--database sqlite|URL] [--runs 3] [--data FOLDER]

The data stay where they are (../shared/data by default, see its README);
nothing is copied into the repository. Each run imports into a fresh copy of
a migrated throwaway database: the time of the import, then of the same
command run again (which finds everything already there and writes nothing).
Imports are one-off operations: they are reported as times, not ratios.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import support

DATA = support.ROOT.parent / "shared" / "data"
IMPORTS = [
    (
        "RUA 2019 (CSV export)",
        "rua",
        "import_capcollectif_csv",
        "consultation-rua-2019-capcollectif-export/rua-fonctionnement.csv",
    ),
    (
        "République numérique 2015 (API folder)",
        "rn",
        "import_capcollectif_api",
        "republique-numerique-2015-api-opinions",
    ),
]


def run_import(command: str, path: Path) -> tuple[float, str]:
    """Run an import command; return its time and what it printed."""
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command(command, str(path), stdout=out, stderr=io.StringIO())
    return time.perf_counter() - started, out.getvalue()


def page_operations() -> list[tuple[str, support.Run]]:
    """Return a few pages of the consultation just imported, on its real text."""
    from django.db.models import F
    from django.test import Client

    from debates.models import Consultation, Debate, Proposal

    consultation = Consultation.objects.get()
    debate = (
        Debate.objects.filter(consultation=consultation)
        .for_consultation_page()
        .order_by("-proposal_count")
        .first()
    )
    proposal = (
        Proposal.objects.filter(debate__consultation=consultation)
        .select_related("debate__consultation")
        .with_counts()
        .order_by(F("arguments_for") + F("arguments_against"))
        .reverse()
        .first()
    )
    client = Client()
    base = f"/consultations/{consultation.slug}/"

    def get(url: str) -> support.Run:
        def run() -> tuple[int, int]:
            response = client.get(url)
            if response.streaming:
                size = sum(len(chunk) for chunk in response.streaming_content)
            else:
                size = len(response.content)
            response.close()
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code}")
            return response.status_code, size

        return run

    return [
        ("consultation", get(base)),
        ("biggest debate, page 1", get(debate.get_absolute_url())),
        (
            f"biggest proposal ({proposal.arguments_for}+{proposal.arguments_against} arguments)",
            get(proposal.get_page_url()),
        ),
        ("search « numérique »", get(f"{base}recherche/?q=numérique")),
        ("statistics", get(f"{base}statistiques/")),
        ("arguments.csv (frozen after the close)", get(f"{base}arguments.csv")),
        ("consultation.json (frozen after the close)", get(f"{base}consultation.json")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        help="sqlite, or a postgres:// URL whose server gets throwaway databases "
        "(default: DATABASE_URL when it is PostgreSQL, else sqlite)",
    )
    parser.add_argument("--runs", type=int, default=3, help="imports of each source (3)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the data folder ({DATA})")
    args = parser.parse_args(argv)
    missing = [path for *_, path in IMPORTS if not (args.data / path).exists()]
    if missing:
        support.log(f"imports: data not found in {args.data} ({', '.join(missing)}): skipped")
        return 0

    started = time.perf_counter()
    throwaway = support.setup(args.database, "imports")
    try:
        results: dict[str, Any] = {}
        rows = []
        page_rows = []
        for title, label, command, path in IMPORTS:
            first, again, summary = [], [], ""
            for index in range(args.runs):
                throwaway.use(throwaway.clone(f"{label}{index}"))
                seconds, summary = run_import(command, args.data / path)
                first.append(seconds)
                seconds, _ = run_import(command, args.data / path)
                again.append(seconds)
                support.log(f"{title}: import {first[-1]:.1f} s, again {again[-1]:.1f} s")
            support.analyze()
            support.settle()
            pages = {}
            for name, run in page_operations():
                first_request = time.perf_counter()
                run()
                first_request = time.perf_counter() - first_request
                (measure,) = support.interleaved([(lambda: None, run)], runs=5, budget=3)
                pages[name] = {"first_s": first_request, **measure.as_dict()}
                page_rows.append(
                    [
                        f"{label}: {name}",
                        str(measure.queries),
                        support.human(first_request),
                        support.human(measure.median),
                    ]
                )
            results[title] = {
                "command": command,
                "data": path,
                "import_s": first,
                "again_s": again,
                "summary": summary,
                "pages": pages,
            }
            rows.append(
                [
                    title,
                    support.human(statistics.median(first)),
                    f"{support.human(min(first))} – {support.human(max(first))}",
                    support.human(statistics.median(again)),
                ]
            )
        elapsed = time.perf_counter() - started
        print(f"\n{throwaway.server}: imports, {args.runs} runs each into a fresh database\n")
        print(support.table(["import", "median", "range", "run again (no-op)"], rows))
        print("\nPages of the imported consultations (closed: exports are frozen files)\n")
        print(
            support.table(
                ["page", "queries", "first request", "median after"],
                page_rows,
            )
        )
        for title, item in results.items():
            print(f"\n{title}:\n{item['summary'].rstrip()}")
        print(f"\nTotal {elapsed:.0f} s.")
        document = {
            "machine": support.machine(),
            "database": throwaway.server,
            "runs": args.runs,
            "total_s": elapsed,
            "imports": results,
        }
        path = support.write_results("imports", throwaway.vendor, document)
        print(f"Results: {path.relative_to(support.ROOT)}")
    finally:
        throwaway.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
