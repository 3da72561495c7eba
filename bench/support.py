"""What the benchmark scripts share: a throwaway database, timing, tables and results.

Import this module before anything from Django: `setup()` points Django at a
database made for the run (a temporary SQLite file, or a fresh database on
the PostgreSQL server of DATABASE_URL) and `teardown()` removes it.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    """Print progress on stderr, so stdout keeps only the tables."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- database


@dataclass
class Throwaway:
    """The databases of one run: the migrated one, its clones, and how to remove them all.

    `setup()` migrates one database; `clone()` copies it (a file copy on
    SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL) and returns a Django
    connection to the copy; `use()` makes that connection the default one, so
    that views, the ORM and transactions all talk to it. Each clone keeps its
    own open connection, so switching costs nothing and leaves caches warm.
    """

    vendor: str  # "sqlite" or "postgresql"
    url: str
    folder: Path  # temporary folder (SQLite files, MEDIA_ROOT)
    pg_admin_url: str = ""  # the server's URL we were given, to create and drop databases
    pg_name: str = ""
    server: str = ""  # server version, for the record
    clones: list[Any] = field(default_factory=list)

    def clone(self, label: str) -> Any:
        import copy

        from django.db import connections
        from django.db.utils import load_backend

        connections["default"].close()
        settings_dict = copy.deepcopy(connections.settings["default"])
        if self.vendor == "sqlite":
            target = self.folder / f"{label}.sqlite3"
            shutil.copyfile(settings_dict["NAME"], target)
            settings_dict["NAME"] = str(target)
        else:
            import psycopg

            name = f"{self.pg_name}_{label}"
            with psycopg.connect(self.pg_admin_url, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_name}"')
            settings_dict["NAME"] = name
        backend = load_backend(settings_dict["ENGINE"])
        wrapper = backend.DatabaseWrapper(settings_dict, "default")
        self.clones.append(wrapper)
        return wrapper

    @staticmethod
    def use(wrapper: Any) -> None:
        from django.db import connections

        connections["default"] = wrapper

    def drop(self) -> None:
        from django.db import connections

        for wrapper in self.clones:
            wrapper.close()
        connections.close_all()
        if self.vendor == "postgresql" and self.pg_name:
            import psycopg

            names = [self.pg_name] + [w.settings_dict["NAME"] for w in self.clones]
            with psycopg.connect(self.pg_admin_url, autocommit=True) as admin:
                for name in names:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)


def choose_database(choice: str | None) -> str:
    """Return the URL asked for: `sqlite`, a URL, or else DATABASE_URL when it is PostgreSQL."""
    if choice and choice != "sqlite":
        return choice
    if choice == "sqlite":
        return "sqlite"
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def setup(choice: str | None, label: str) -> Throwaway:
    """Create the throwaway database, configure and set up Django on it, migrate it.

    The settings module is the project's own; only DATABASE_URL, MEDIA_ROOT
    and LOG_LEVEL are given through the environment, and DEBUG is turned off
    after loading (production renders templates without debug information;
    queries are then captured only where we ask for them).
    """
    target = choose_database(choice)
    folder = Path(tempfile.mkdtemp(prefix=f"consultation-{label}-"))
    if target == "sqlite":
        throwaway = Throwaway("sqlite", f"sqlite:///{folder / 'bench.sqlite3'}", folder)
    elif target.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"bench_{label}_{os.getpid()}_{int(time.time())}"
        with psycopg.connect(target, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            server = admin.execute("SHOW server_version").fetchone()[0]
        parts = urlsplit(target)
        url = urlunsplit(parts._replace(path=f"/{name}"))
        throwaway = Throwaway("postgresql", url, folder, target, name, f"PostgreSQL {server}")
    else:
        raise SystemExit(f"--database: « {target} » is neither sqlite nor a postgres:// URL")
    os.environ["DATABASE_URL"] = throwaway.url
    os.environ["MEDIA_ROOT"] = str(folder / "media")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")
    warnings.filterwarnings("ignore", message="No directory at")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if throwaway.vendor == "sqlite":
        throwaway.server = f"SQLite {connection.Database.sqlite_version}"
    elapsed = time.perf_counter() - started
    log(f"{throwaway.server}: migrated a throwaway database in {elapsed:.1f} s")
    return throwaway


def analyze() -> None:
    """On PostgreSQL, refresh the planner's statistics after a bulk load.

    Autovacuum would do it within a minute of such a load in production.
    SQLite is left as Django leaves it: nothing runs ANALYZE there.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --------------------------------------------------------------------------- timing


@dataclass
class Measure:
    """Timed runs of one operation at one size."""

    times: list[float] = field(default_factory=list)
    queries: int = 0
    slowest_query: float = 0.0
    slowest_sql: str = ""
    status: int = 0
    bytes: int = 0
    peak_bytes: int = 0  # Python memory at the warm-up's peak, when traced

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "times_s": self.times,
            "queries": self.queries,
            "status": self.status,
            "bytes": self.bytes,
            "peak_bytes": self.peak_bytes,
            "slowest_query_s": self.slowest_query,
            "slowest_sql": self.slowest_sql,
        }


def settle() -> None:
    """Collect garbage once, then keep what lives now out of later collections.

    Each timed run starts with a collection (so one run does not pay for the
    garbage of another); frozen objects make that collection cost little.
    """
    gc.collect()
    gc.freeze()


Run = Callable[[], tuple[int, int]]  # one request; returns its status and byte count


def _warm_up(run: Run, trace: bool) -> Measure:
    """Run once, capturing the queries (only then, so timed runs carry no capture cost).

    With `trace`, also the peak of Python memory allocated during the run.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    measure = Measure()
    with CaptureQueriesContext(connection) as captured:
        if trace:
            tracemalloc.start()
            try:
                measure.status, measure.bytes = run()
                measure.peak_bytes = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        else:
            measure.status, measure.bytes = run()
    measure.queries = len(captured.captured_queries)
    if captured.captured_queries:
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        measure.slowest_query = float(slowest["time"])
        measure.slowest_sql = slowest["sql"]
    return measure


def interleaved(
    cases: list[tuple[Callable[[], None], Run]],
    *,
    runs: int,
    budget: float,
    min_runs: int = 3,
    trace: bool = False,
) -> list[Measure]:
    """Time the same operation at every size, the sizes taking turns.

    `cases` are (activate, run) pairs, one per size: `activate` switches to
    that size's database. Each case is warmed up once, then timed in rounds
    (size A, size B, size C, then again), so a burst of load on the machine
    hits every size alike instead of one. Up to `runs` rounds; fewer when the
    rounds exceed `budget` seconds in all, but never fewer than `min_runs`.
    """
    measures = []
    for activate, run in cases:
        activate()
        measures.append(_warm_up(run, trace))
    spent = 0.0
    for index in range(runs):
        for (activate, run), measure in zip(cases, measures, strict=True):
            activate()
            gc.collect()
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
            measure.times.append(elapsed)
            spent += elapsed
        if index + 1 >= min_runs and spent > budget:
            break
    return measures


# --------------------------------------------------------------------------- output


def human(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def table(header: list[str], rows: Iterable[list[str]]) -> str:
    """Return a plain-text table, first column left-aligned, the others right-aligned."""
    rows = [header, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def machine() -> dict[str, Any]:
    """Return what identifies the run: machine, Python, commit."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": commit,
    }


def write_results(kind: str, vendor: str, document: dict[str, Any]) -> Path:
    """Write `bench/results/<date>-<db>.json` (or `<date>-<kind>-<db>.json` for others)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().astimezone().strftime("%Y-%m-%dT%H%M%S")
    name = f"{stamp}-{vendor}.json" if kind == "pages" else f"{stamp}-{kind}-{vendor}.json"
    path = RESULTS / name
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    return path
