"""A bounded load client with a ledger of the writes the site acknowledged.

Each virtual citizen is a thread with its own HTTP session (cookies, CSRF),
signs in, then reads pages, posts arguments, votes and reports until a
deadline or an iteration cap, whichever comes first. A write the site
answered with its redirect is « acknowledged » and goes into the ledger; a
write answered 502/503 (or cut) is sent again with the same submission token,
as a browser's retry would be, a bounded number of times. The database is
then compared with the ledger: each acknowledged argument stored exactly once,
each acknowledged vote and report present.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RETRIABLE = {502, 503, 504}
MAX_ATTEMPTS = 10


@dataclass
class Stats:
    """What a run saw; thread-safe counters."""

    statuses: Counter[int] = field(default_factory=Counter)  # every answer, retries included
    final_statuses: Counter[int] = field(default_factory=Counter)  # the last answer of each
    first_try_statuses: Counter[int] = field(default_factory=Counter)
    connection_errors: int = 0
    retries: int = 0
    unavailable_pages: list[str] = field(default_factory=list)  # bodies of 503 answers
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int, first: bool, body: str = "") -> None:
        with self.lock:
            self.statuses[status] += 1
            if first:
                self.first_try_statuses[status] += 1
            if status == 503 and len(self.unavailable_pages) < 50:
                self.unavailable_pages.append(body)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.connection_errors

    def final(self, status: int | None) -> None:
        with self.lock:
            self.final_statuses[status or 0] += 1  # 0: no answer after every attempt

    @property
    def server_errors(self) -> int:
        """Requests whose last answer, after retries, was a 5xx or none at all."""
        return sum(n for status, n in self.final_statuses.items() if status >= 500 or status == 0)


@dataclass
class Ledger:
    arguments: dict[str, str] = field(default_factory=dict)  # marker -> state
    votes: dict[tuple[str, int], str] = field(default_factory=dict)  # (email, number) -> value
    reports: set[tuple[str, int]] = field(default_factory=set)
    refused: int = 0  # writes refused (closed consultation): 403
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged_arguments(self) -> list[str]:
        return [m for m, state in self.arguments.items() if state == "acknowledged"]


class Citizen:
    """One browser: a session, a CSRF token, retries with the same submission token."""

    def __init__(self, base: str, verify: str, email: str, password: str, stats: Stats) -> None:
        self.base, self.email, self.password, self.stats = base, email, password, stats
        self.http = requests.Session()
        # Given with each request: a session's `verify` loses to REQUESTS_CA_BUNDLE.
        self.verify = verify
        self.csrf = ""

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        """Send a request, retrying 502/503/cut connections; return the last answer."""
        headers = {"Referer": self.base + path}
        for attempt in range(MAX_ATTEMPTS):
            try:
                response = self.http.request(
                    method, self.base + path, headers=headers, allow_redirects=False,
                    timeout=30, verify=self.verify, **kwargs,
                )  # fmt: skip
            except requests.RequestException:
                with self.stats.lock:
                    self.stats.connection_errors += 1
                time.sleep(0.5)
                continue
            body = response.text if response.status_code == 503 else ""
            self.stats.count(response.status_code, attempt == 0, body)
            if response.status_code not in RETRIABLE:
                self.stats.final(response.status_code)
                return response
            with self.stats.lock:
                self.stats.retries += 1
            time.sleep(min(0.5 * (attempt + 1), 2))
        self.stats.final(None)
        return None

    def get(self, path: str) -> requests.Response | None:
        response = self.request("GET", path)
        if response is not None and response.status_code == 200:
            found = CSRF.search(response.text)
            if found:
                self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, str]) -> requests.Response | None:
        return self.request("POST", path, data={"csrfmiddlewaretoken": self.csrf, **data})

    def sign_in(self, password: str | None = None) -> requests.Response | None:
        """Sign in; a 429 is tried again a few times, as a person would.

        allauth refuses a sign-in with 429 when it cannot take its rate-limit
        lock in the cache within a second: several sign-ins at once from one
        address (every client here comes from 127.0.0.1) or the cache down.
        """
        response = None
        for _ in range(5):
            self.get("/comptes/login/")
            response = self.post(
                "/comptes/login/", {"login": self.email, "password": password or self.password}
            )
            if response is None or response.status_code != 429:
                break
            time.sleep(1)
        self.get("/")  # signing in rotates the CSRF token: take the new one
        return response

    def signed_in(self) -> bool:
        response = self.request("GET", "/compte/")
        return response is not None and response.status_code == 200


def post_argument(citizen: Citizen, proposal: dict[str, Any], ledger: Ledger, tag: str) -> None:
    marker = f"{tag}-{uuid.uuid4().hex}"
    with ledger.lock:
        ledger.arguments[marker] = "sent"
    citizen.get(proposal["url"])
    response = citizen.post(
        proposal["url"] + "arguments/",
        {
            "stance": random.choice(["for", "against"]),
            "body": f"Argument de charge {marker}",
            "submission_token": str(uuid.uuid4()),
        },
    )
    state = "lost"
    if response is not None:
        if acknowledged(response, "/contributions/"):
            state = "acknowledged"
        elif response.status_code == 403:
            state = "refused"
        else:
            state = f"answered {response.status_code}"
    with ledger.lock:
        ledger.arguments[marker] = state
        if state == "refused":
            ledger.refused += 1


def vote(citizen: Citizen, proposal: dict[str, Any], ledger: Ledger) -> None:
    value = random.choice(["agree", "mixed", "disagree"])
    key = (citizen.email, proposal["number"])
    with ledger.lock:
        ledger.votes.pop(key, None)  # unknown until acknowledged
    citizen.get(proposal["url"])
    response = citizen.post(proposal["url"] + "vote/", {"value": value})
    if acknowledged(response, "#vote"):
        with ledger.lock:
            ledger.votes[key] = value


def report(citizen: Citizen, number: int, ledger: Ledger) -> None:
    citizen.get(f"/contributions/{number}/signaler/")
    response = citizen.post(
        f"/contributions/{number}/signaler/", {"reason": "off_topic", "comment": "Charge."}
    )
    if acknowledged(response, f"/contributions/{number}/"):
        with ledger.lock:
            ledger.reports.add((citizen.email, number))


def acknowledged(response: requests.Response | None, location_part: str) -> bool:
    """Whether the site answered with the redirect of a successful write."""
    return (
        response is not None
        and response.status_code == 302
        and location_part in response.headers["Location"]
        and "/comptes/login/" not in response.headers["Location"]
    )


def run_load(
    *,
    base: str,
    verify: str,
    seed: dict[str, Any],
    seconds: float,
    users: int = 6,
    max_iterations: int = 400,
    tag: str = "charge",
    consultation: str = "load",
    stats: Stats | None = None,
    ledger: Ledger | None = None,
    stop: threading.Event | None = None,
    on_ready: Callable[[], None] | None = None,
    writers: bool = False,
) -> tuple[Stats, Ledger]:
    """Run mixed traffic for `seconds` (at most `max_iterations` rounds per user).

    Every citizen signs in first; then `on_ready` runs once and the clock
    starts. `writers`: post and vote only, no reading rounds.
    """
    stats = stats or Stats()
    ledger = ledger or Ledger()
    stop = stop or threading.Event()
    target = seed[consultation]
    deadline = [time.monotonic() + seconds]
    reportable = [p["number"] for p in target["proposals"]]
    emails = seed["citizens"][:users]

    def start_clock() -> None:
        if on_ready is not None:
            on_ready()
        deadline[0] = time.monotonic() + seconds

    barrier = threading.Barrier(len(emails), action=start_clock)

    def citizen_loop(email: str) -> None:
        citizen = Citizen(base, verify, email, seed["password"], stats)
        citizen.sign_in()
        try:
            barrier.wait(timeout=180)
        except threading.BrokenBarrierError:
            return
        for _ in range(max_iterations):
            if stop.is_set() or time.monotonic() > deadline[0]:
                return
            proposal = random.choice(target["proposals"])
            action = random.random()
            if writers:
                action = 0.45 + action * 0.47  # arguments and votes only
            if action < 0.45:
                citizen.get(random.choice(["/", target["url"], target["debate_url"]]))
                citizen.get(proposal["url"])
            elif action < 0.75:
                post_argument(citizen, proposal, ledger, tag)
            elif action < 0.92:
                vote(citizen, proposal, ledger)
            else:
                report(citizen, random.choice(reportable), ledger)

    threads = [threading.Thread(target=citizen_loop, args=(e,), daemon=True) for e in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 300)
    return stats, ledger
