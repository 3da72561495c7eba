"""The production shape under load and faults (make test-cluster).

Two gunicorn app servers behind nginx (TLS), one PostgreSQL, Redis, one
db_worker and an SMTP server, all started on 127.0.0.1 by the harness. Each
scenario prints its figures and fails on any loss. The scenarios run in file
order on one cluster; each leaves it whole for the next.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from http.cookies import SimpleCookie
from typing import Any

import pytest
import requests

from tests.cluster.harness import Cluster, wait_until
from tests.cluster.load import Citizen, Ledger, Stats, run_load

pytestmark = pytest.mark.cluster

LOAD_SECONDS = 60


def figures(name: str, stats: Stats, ledger: Ledger, stored: int, **extra: Any) -> None:
    acknowledged = len(ledger.acknowledged_arguments())
    line = (
        f"\n[{name}] requests={stats.requests} statuses={dict(sorted(stats.statuses.items()))} "
        f"first-try={dict(sorted(stats.first_try_statuses.items()))} "
        f"final={dict(sorted(stats.final_statuses.items()))} retries={stats.retries} "
        f"cut={stats.connection_errors} arguments acknowledged={acknowledged} stored={stored} "
        f"votes={len(ledger.votes)} reports={len(ledger.reports)}"
    )
    line += "".join(f" {key}={value}" for key, value in extra.items())
    print(line)


def stored_writes(cluster: Cluster, tag: str) -> dict[str, Any]:
    """Return what the database holds of the writes tagged `tag`."""
    return cluster.django(
        f"""
import json
from collections import Counter
from debates.models import Argument, Report, Vote
bodies = Argument.objects.filter(body__startswith="Argument de charge {tag}-")
markers = Counter(
    b.removeprefix("Argument de charge ") for b in bodies.values_list("body", flat=True)
)
votes = [
    [e, n, v] for e, n, v in Vote.objects.values_list("user__email", "proposal__number", "value")
]
reports = [[e, n] for e, n in Report.objects.values_list("reporter__email", "contribution__number")]
orphans = Argument.objects.filter(proposal__isnull=True).count()
print(json.dumps({{"markers": markers, "votes": votes, "reports": reports, "orphans": orphans}}))
"""
    )


def check_ledger(cluster: Cluster, ledger: Ledger, tag: str) -> int:
    """Fail unless every acknowledged write is stored exactly once; return arguments stored."""
    stored = stored_writes(cluster, tag)
    markers: dict[str, int] = stored["markers"]
    acknowledged = ledger.acknowledged_arguments()
    missing = [m for m in acknowledged if m not in markers]
    doubled = {m: n for m, n in markers.items() if n != 1}
    unknown = [m for m in markers if m not in ledger.arguments]
    assert not missing, f"{len(missing)} acknowledged arguments are not stored: {missing[:5]}"
    assert not doubled, f"arguments stored more than once: {list(doubled.items())[:5]}"
    assert not unknown, f"arguments stored that the client never sent: {unknown[:5]}"
    # A write the client never saw acknowledged may be stored (its answer was
    # lost) but then once only, which `doubled` checks.
    votes = {(e, n): v for e, n, v in stored["votes"]}
    for key, value in ledger.votes.items():
        assert votes.get(key) == value, f"vote {key}: acknowledged {value}, stored {votes.get(key)}"
    reports = {(e, n) for e, n in stored["reports"]}
    assert ledger.reports <= reports, f"reports lost: {sorted(ledger.reports - reports)[:5]}"
    assert stored["orphans"] == 0
    return sum(markers.values())


def page_is_french_503(body: str) -> bool:
    return (
        '<html lang="fr">' in body
        and "Service momentanément indisponible" in body
        and "Traceback" not in body
    )


# --------------------------------------------------------------------------- the load


def test_mixed_load_through_nginx_loses_nothing_and_answers_no_5xx(cluster: Cluster) -> None:
    stats, ledger = run_load(
        base=cluster.url, verify=cluster.cert, seed=cluster.seed, seconds=LOAD_SECONDS, users=8,
        max_iterations=2000, tag="load",
    )  # fmt: skip
    stored = check_ledger(cluster, ledger, "load")
    figures("load", stats, ledger, stored, seconds=LOAD_SECONDS)
    assert stats.requests > 200, "the load did not run"
    assert len(ledger.acknowledged_arguments()) > 20
    assert stats.server_errors == 0, f"5xx answers under load: {stats.statuses}"
    assert stats.connection_errors == 0
    # Both app servers served: nginx balances them.
    served = [
        sum(1 for line in (cluster.folder / f"app{i}.log").read_text().splitlines()
            if '"consultation.request"' in line)
        for i in range(2)
    ]  # fmt: skip
    print(f"[load] requests logged per app server: {served}")
    assert all(count > 0 for count in served)


# --------------------------------------------------------------------------- throttling


def direct_sign_in(cluster: Cluster, port: int, email: str, password: str) -> requests.Response:
    """Sign in on one app server directly, as nginx would forward it (same client address)."""
    base = f"http://127.0.0.1:{port}"
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7",
               "Host": "127.0.0.1"}  # fmt: skip
    page = requests.get(f"{base}/comptes/login/", headers=headers, timeout=30)
    # The cookies are Secure (they are over TLS through nginx): sent by hand here.
    jar = SimpleCookie()
    for header in page.raw.headers.getlist("Set-Cookie"):
        jar.load(header)
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
    token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    return requests.post(
        f"{base}/comptes/login/",
        data={"csrfmiddlewaretoken": token, "login": email, "password": password},
        headers={**headers, "Cookie": cookie, "Referer": f"{cluster.url}/comptes/login/"},
        allow_redirects=False,
        timeout=30,
    )


def throttled_across_servers(cluster: Cluster, email: str) -> bool:
    """Five wrong passwords on the first server; is the right one then refused on the second?"""
    for _ in range(5):
        wrong = direct_sign_in(cluster, cluster.app_ports[0], email, "not the password")
        assert wrong.status_code == 200, wrong.status_code
    sixth = direct_sign_in(cluster, cluster.app_ports[1], email, cluster.seed["password"])
    assert sixth.status_code in (200, 302, 429), sixth.status_code
    return sixth.status_code != 302


def test_throttling_counts_across_both_app_servers(cluster: Cluster) -> None:
    email = cluster.seed["citizens"][12]
    assert (
        direct_sign_in(cluster, cluster.app_ports[1], email, cluster.seed["password"]).status_code
        == 302
    )
    refused = throttled_across_servers(cluster, email)
    print(f"\n[throttling] 6th sign-in on the other app server refused: {refused}")
    assert refused


# --------------------------------------------------------------------------- an app server killed


def test_an_app_server_killed_mid_run_the_other_serves_on(cluster: Cluster) -> None:
    watcher = Citizen(cluster.url, cluster.cert, cluster.seed["citizens"][10],
                      cluster.seed["password"], Stats())  # fmt: skip
    assert watcher.sign_in().status_code == 302
    assert watcher.signed_in()

    stop = threading.Event()
    result: dict[str, Any] = {}

    def load() -> None:
        result["stats"], result["ledger"] = run_load(
            base=cluster.url, verify=cluster.cert, seed=cluster.seed, seconds=20, users=6,
            tag="kill", stop=stop,
        )  # fmt: skip

    try:
        thread = threading.Thread(target=load)
        thread.start()
        time.sleep(6)
        killed = cluster.services["app0"]
        killed.kill(signal.SIGKILL)
        killed_at = time.monotonic()
        after_kill = [watcher.signed_in() for _ in range(10)]
        thread.join(timeout=180)
        stats, ledger = result["stats"], result["ledger"]
        stored = check_ledger(cluster, ledger, "kill")
        figures("app server killed", stats, ledger, stored,
                watcher_signed_in_after=sum(after_kill))  # fmt: skip
        assert not killed.alive
        assert all(after_kill), "a session was lost with the app server"
        assert stats.server_errors == 0, f"5xx after retries: {stats.statuses}"
        assert time.monotonic() - killed_at < 180

    finally:
        if not cluster.services["app0"].alive:
            cluster.start_app_server(0)


# --------------------------------------------------------------------------- Redis


def test_redis_stopped_pages_answer_degraded_and_throttling_recovers(cluster: Cluster) -> None:
    stop = threading.Event()
    result: dict[str, Any] = {}

    def load() -> None:
        result["stats"], result["ledger"] = run_load(
            base=cluster.url, verify=cluster.cert, seed=cluster.seed, seconds=20, users=6,
            tag="redis", stop=stop,
        )  # fmt: skip

    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(4)
    redis = cluster.services["redis"]
    redis.stop()
    # During the outage: pages answer, a citizen signs in.
    down = Citizen(cluster.url, cluster.cert, cluster.seed["citizens"][11],
                   cluster.seed["password"], Stats())  # fmt: skip
    home = down.get("/")
    signed = down.sign_in()
    try:
        ready = requests.get(f"{cluster.url}/readyz", verify=cluster.cert, timeout=30)
        time.sleep(4)
    finally:
        cluster.start_redis()
    recovery = wait_until(
        lambda: requests.get(f"{cluster.url}/readyz", verify=cluster.cert, timeout=10).ok,
        timeout=60, what="readyz after Redis",
    )  # fmt: skip
    thread.join(timeout=180)
    stats, ledger = result["stats"], result["ledger"]
    stored = check_ledger(cluster, ledger, "redis")
    email = cluster.seed["citizens"][13]
    refused = throttled_across_servers(cluster, email)
    figures("redis restarted", stats, ledger, stored, readyz_during=ready.status_code,
            readyz_recovery_s=round(recovery, 2),
            throttling_after=refused)  # fmt: skip
    assert home is not None and home.status_code == 200
    # allauth takes a lock in the cache before it counts a sign-in: without
    # Redis it cannot, and answers 429 (« too many attempts ») rather than
    # letting sign-ins through unthrottled.
    assert signed is not None and signed.status_code in (302, 429)
    print(f"[redis restarted] a sign-in during the outage answered {signed.status_code}")
    assert ready.status_code == 503  # the balancer is told the cache is gone
    assert stats.server_errors == 0, f"5xx while Redis was down: {stats.statuses}"
    assert refused, "throttling did not recover after Redis came back"


# --------------------------------------------------------------------------- PostgreSQL


def test_postgres_restarted_mid_run_answers_503_in_french_and_recovers(cluster: Cluster) -> None:
    stop = threading.Event()
    result: dict[str, Any] = {}

    def load() -> None:
        result["stats"], result["ledger"] = run_load(
            base=cluster.url, verify=cluster.cert, seed=cluster.seed, seconds=25, users=6,
            tag="pg", stop=stop,
        )  # fmt: skip

    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(5)
    outage_pages: list[str] = []
    cluster.pg_ctl("stop", "-m", "fast")
    stopped_at = time.monotonic()
    try:
        for _ in range(10):  # bounded: ten probes of the page during the outage
            page = requests.get(f"{cluster.url}/", verify=cluster.cert, timeout=30)
            outage_pages.append(f"{page.status_code} {page.headers.get('Retry-After')} {page.text}")
            time.sleep(0.2)
    finally:
        cluster.pg_ctl("start")
    back_at = time.monotonic()
    recovery = wait_until(
        lambda: requests.get(f"{cluster.url}/", verify=cluster.cert, timeout=10).status_code == 200,
        timeout=60, what="the home page after PostgreSQL",
    )  # fmt: skip
    thread.join(timeout=180)
    worker = cluster.services["worker"]
    if not worker.alive:
        # db_worker exits on a lost database; systemd restarts it
        # (deploy/systemd, Restart=always): so does the harness.
        print("\n[postgres restarted] the worker exited with the database; restarted")
        cluster.start_worker()
    stats, ledger = result["stats"], result["ledger"]
    stored = check_ledger(cluster, ledger, "pg")
    figures("postgres restarted", stats, ledger, stored,
            outage_s=round(back_at - stopped_at, 1), recovery_s=round(recovery, 2),
            pages_503=stats.statuses.get(503, 0))  # fmt: skip
    assert all(p.startswith("503 10 ") for p in outage_pages), outage_pages[0][:300]
    assert all(page_is_french_503(p) for p in outage_pages)
    assert all(page_is_french_503(body) for body in stats.unavailable_pages)
    assert stats.server_errors == 0, f"5xx other than the outage's, after retries: {stats.statuses}"
    assert recovery < 30


# --------------------------------------------------------------------------- the worker


def test_a_worker_killed_mid_email_sends_it_once(cluster: Cluster) -> None:
    assert cluster.smtp is not None
    email = cluster.seed["citizens"][14]
    cluster.smtp.stall.set()
    try:
        citizen = Citizen(cluster.url, cluster.cert, email, "", Stats())
        citizen.get("/comptes/password/reset/")
        response = citizen.post("/comptes/password/reset/", {"email": email})
        assert response is not None and response.status_code == 302  # queued, not sent
        assert cluster.smtp.stalled.wait(timeout=60), "the worker never reached the mail server"
        cluster.services["worker"].kill(signal.SIGKILL)
    finally:
        cluster.smtp.stall.clear()
    assert cluster.smtp.to(email) == []
    cluster.start_worker()
    waited = wait_until(lambda: cluster.smtp.to(email), timeout=90, what="the reset email")
    time.sleep(3)  # time for a second copy, if any, to arrive
    received = cluster.smtp.to(email)
    delivered = cluster.django(
        "import json; from consultation.models import DeliveredEmail; "
        "print(json.dumps(DeliveredEmail.objects.count()))"
    )
    print(f"\n[worker killed mid-email] messages received={len(received)} "
          f"delivered keys={delivered} re-run after {waited:.1f} s")  # fmt: skip
    assert len(received) == 1
    assert "/comptes/password/reset/key/" in received[0].body


def test_a_worker_killed_mid_freeze_leaves_one_file_of_each(cluster: Cluster) -> None:
    cluster.services["worker"].stop()  # the freezing starts when we watch
    closed = cluster.django(
        """
import json
from debates import moderation
from debates.models import Consultation
c = Consultation.objects.get(slug="charge")
moderation.close_now(consultation=c, by=None)
print(json.dumps(c.closes_at.isoformat()))
"""
    )
    cluster.start_worker()

    def state() -> str:
        rows = cluster.sql(
            "SELECT status FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE %s ORDER BY enqueued_at DESC LIMIT 1",
            "%freeze_exports",
        )
        return rows[0][0] if rows else ""

    wait_until(lambda: state() == "RUNNING", timeout=60, interval=0.02,
               what="the freezing task to start")  # fmt: skip
    cluster.services["worker"].kill(signal.SIGKILL)
    status_after_kill = state()
    exports = cluster.folder / "media" / "exports" / "charge"
    frozen_at_kill = [
        p.name for p in exports.rglob("*") if p.is_file() and not p.name.startswith(".")
    ]
    cluster.start_worker()
    wait_until(lambda: state() == "SUCCESSFUL", timeout=120, what="the freezing task to finish")
    result = cluster.django(
        """
import json, hashlib
from pathlib import Path
from debates.models import Consultation
from debates.opendata.exports import export_files, frozen_folder, storage
c = Consultation.objects.get(slug="charge")
folder = Path(storage().path(frozen_folder(c)))
files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
ok = all(
    hashlib.sha256((folder / e.stored_name).read_bytes()).hexdigest()
    == (folder / (e.stored_name + ".sha256")).read_text().split()[0]
    for e in export_files()
)
print(json.dumps({"files": files, "expected": len(export_files()) * 2, "checksums_ok": ok}))
"""
    )
    print(f"\n[worker killed mid-freeze] closed at {closed}; files at the kill: "
          f"{len(frozen_at_kill)} (task {status_after_kill}); "
          f"after the re-run: {len(result['files'])} (expected {result['expected']}), "
          f"checksums ok: {result['checksums_ok']}")  # fmt: skip
    assert len(result["files"]) == result["expected"]
    assert len(set(result["files"])) == len(result["files"])
    assert result["checksums_ok"]
    assert status_after_kill == "RUNNING", "the worker finished before it was killed"


# --------------------------------------------------------------------------- closing under load


def test_closing_under_load_accepts_no_write_at_or_after_the_close(cluster: Cluster) -> None:
    closing: dict[str, str] = {}

    def close_soon() -> None:
        """Once every writer is signed in: the consultation closes in 6 seconds.

        Straight in SQL, from the test process: a Django shell takes seconds
        to start on a busy machine, and the close must fall inside the run.
        """
        rows = cluster.sql(
            "UPDATE debates_consultation SET closes_at = now() + interval '6 seconds' "
            "WHERE slug = 'cloture' RETURNING closes_at"
        )
        closing["at"] = rows[0][0].isoformat()

    stats, ledger = run_load(
        base=cluster.url, verify=cluster.cert, seed=cluster.seed, seconds=10, users=8,
        tag="close", consultation="closing", on_ready=close_soon, writers=True,
    )  # fmt: skip
    closes_at = closing["at"]
    stored = check_ledger(cluster, ledger, "close")
    late = cluster.django(
        f"""
import json
from datetime import datetime
from debates.models import Argument, Vote
closes_at = datetime.fromisoformat({closes_at!r})
print(json.dumps({{
    "late_arguments": Argument.objects.filter(
        proposal__debate__consultation__slug="cloture", created_at__gte=closes_at
    ).count(),
    "late_votes": Vote.objects.filter(proposal__debate__consultation__slug="cloture")
        .filter(updated_at__gte=closes_at).count(),
    "before": Argument.objects.filter(
        proposal__debate__consultation__slug="cloture", created_at__lt=closes_at
    ).count(),
}}))
"""
    )
    figures(
        "closing under load", stats, ledger, stored, refused_after_close=ledger.refused,
        stamped_at_or_after_close=late["late_arguments"], late_votes=late["late_votes"],
    )  # fmt: skip
    assert late["before"] > 0, "no write landed before the close"
    assert ledger.refused > 0, "no write was tried after the close"
    assert late["late_arguments"] == 0
    assert late["late_votes"] == 0
    assert stats.server_errors == 0


def test_the_cluster_logs_are_json_with_request_ids(cluster: Cluster) -> None:
    lines = [
        json.loads(line)
        for line in (cluster.folder / "app1.log").read_text().splitlines()
        if line.startswith("{")
    ]
    access = [line for line in lines if line.get("logger") == "consultation.request"]
    assert access, "no request was logged"
    nginx_ids = {
        line.rsplit(" ", 1)[-1]
        for line in (cluster.folder / "nginx" / "access.log").read_text().splitlines()
    }
    assert all(len(line["request_id"]) == 32 for line in access)
    assert {line["request_id"] for line in access} & nginx_ids
