"""Start the production shape on this machine, from Debian's packages, on 127.0.0.1 only.

A throwaway PostgreSQL cluster, Redis, two gunicorn app servers, one
db_worker, an SMTP server (aiosmtpd) that the worker delivers to, and nginx
in front with TLS (a self-signed certificate made here), configured from
deploy/nginx/consultation.conf. Everything lives in one temporary folder and
is stopped, each process by its own id, when the harness closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


class ServiceMissing(Exception):
    """A binary the cluster needs is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir() -> Path:
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ServiceMissing("PostgreSQL server binaries (initdb, pg_ctl)")


def require_binaries() -> dict[str, str]:
    """Return the paths of the binaries; raise ServiceMissing naming what is absent."""
    found = {"pg": str(pg_bindir())}
    for name in ("redis-server", "nginx", "openssl"):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
        if not path:
            raise ServiceMissing(name)
        found[name] = path
    return found


def wait_until(check: Any, *, timeout: float, interval: float = 0.2, what: str = "") -> float:
    """Call `check` until it is true; return the seconds waited, fail after `timeout`."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # noqa: S110 - a service still starting refuses connections
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- SMTP


@dataclass
class Received:
    message_id: str
    subject: str
    to: list[str]
    body: str


class SmtpSink:
    """A real SMTP server (aiosmtpd) keeping what it accepts; it can stall before RCPT."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.stall = threading.Event()  # set: hold every transaction at RCPT
        self.stalled = threading.Event()  # set by the server when one is held
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        deadline = time.monotonic() + 60
        while self.stall.is_set() and time.monotonic() < deadline:
            self.stalled.set()
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content)
        payload = message.get_payload(decode=True) if not message.is_multipart() else b""
        with self.lock:
            self.received.append(
                Received(
                    message_id=str(message["Message-ID"]),
                    subject=str(message["Subject"]),
                    to=list(envelope.rcpt_tos),
                    body=(payload or b"").decode("utf-8", "replace"),
                )
            )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.received if address in m.to]

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# --------------------------------------------------------------------------- processes


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = self.log.open("ab")
        # Its own process group, so a kill reaches the master and its workers.
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Cluster:
    """The whole shape; `start()` brings it up, `close()` stops every process it started."""

    folder: Path
    bins: dict[str, str]
    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    app_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    services: dict[str, Service] = field(default_factory=dict)
    smtp: SmtpSink | None = None
    seed: dict[str, Any] = field(default_factory=dict)

    # -- paths and environment

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def cert(self) -> str:
        """The self-signed certificate nginx presents (clients verify against it)."""
        return str(self.folder / "nginx" / "cert.pem")

    @property
    def database_url(self) -> str:
        return f"postgres://consultation@127.0.0.1:{self.pg_port}/consultation"

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTEST"))}
        return {
            **keep,
            "DEBUG": "false",
            "SECRET_KEY": "cluster-test-secret-key-not-for-production",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": self.url,
            "DATABASE_URL": self.database_url,
            "CONN_MAX_AGE": "60",
            "CACHE_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "BEHIND_PROXY": "true",
            "TRUSTED_PROXY_COUNT": "1",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            "DEFAULT_FROM_EMAIL": "consultation@cluster.test",
            "MEDIA_ROOT": str(self.folder / "media"),
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
            # The load posts far more than a citizen would: the per-user limit is
            # not under test here.
            "POSTING_RATE_LIMIT": "1000000",
            "STAFF_REQUIRE_2FA": "false",
            "PYTHONUNBUFFERED": "1",
        }

    def run(self, *args: str, timeout: float = 300) -> str:
        """Run manage.py with the cluster's environment; return its output."""
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def django(self, code: str, timeout: float = 120) -> Any:
        """Run Python in a Django shell of the cluster; return the JSON it prints last."""
        output = self.run("shell", "--verbosity", "0", "-c", code, timeout=timeout)
        return json.loads(output.strip().splitlines()[-1])

    # -- PostgreSQL

    def _as_postgres(self, command: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return command

    def pg(self, tool: str, *args: str, timeout: float = 120) -> None:
        command = self._as_postgres([f"{self.bins['pg']}/{tool}", *args])
        subprocess.run(command, check=True, timeout=timeout, capture_output=True)

    def start_postgres(self) -> None:
        data = self.folder / "pg"
        data.mkdir()
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
            os.chown(data, postgres.pw_uid, postgres.pw_gid)
        self.pg("initdb", "-D", str(data), "-U", "consultation", "--auth=trust", "-E", "UTF8")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.pg_port),
            "unix_socket_directories": f"'{self.folder}'",
            "max_connections": "100",
            # A throwaway cluster on a busy machine: a process crash loses
            # nothing without fsync (only an OS crash would).
            "fsync": "off",
            "full_page_writes": "off",
            "wal_level": "replica",
            "max_wal_senders": "4",
            "jit": "off",
        }
        with (data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication consultation 127.0.0.1/32 trust\n")
        self.pg_ctl("start")
        self.pg(
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.pg_port),
            "-U",
            "consultation",
            "consultation",
        )

    def pg_ctl(self, action: str, *extra: str) -> None:
        data = self.folder / "pg"
        log = self.folder / "postgres.log"
        self.pg("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", action, *extra)

    def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        """Run one query on the cluster's database from the test process itself."""
        import psycopg

        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://"),
                             connect_timeout=5) as conn:  # fmt: skip
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def postgres_ready(self) -> bool:
        done = subprocess.run(
            [f"{self.bins['pg']}/pg_isready", "-h", "127.0.0.1", "-p", str(self.pg_port)],
            capture_output=True,
        )
        return done.returncode == 0

    # -- Redis

    def start_redis(self) -> None:
        command = [
            self.bins["redis-server"], "--bind", "127.0.0.1", "--port", str(self.redis_port),
            "--save", "", "--appendonly", "no", "--dir", str(self.folder),
            "--protected-mode", "yes",
        ]  # fmt: skip
        service = Service("redis", command, self.env(), self.folder / "redis.log")
        self.services["redis"] = service
        service.start()
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.redis_port), 1),
                   timeout=30, what="redis")  # fmt: skip

    # -- the application

    def app_server(self, index: int) -> Service:
        env = {
            **self.env(),
            "GUNICORN_BIND": f"127.0.0.1:{self.app_ports[index]}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_TIMEOUT": "60",
            "GUNICORN_GRACEFUL_TIMEOUT": "10",
        }
        command = [PYTHON, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        return Service(f"app{index}", command, env, self.folder / f"app{index}.log")

    def start_app_server(self, index: int, wait: bool = True) -> None:
        service = self.app_server(index)
        self.services[service.name] = service
        service.start()
        if wait:
            self.wait_for_app_server(index)

    def wait_for_app_server(self, index: int) -> float:
        port = self.app_ports[index]
        return wait_until(
            lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).ok,
            timeout=120,
            what=f"app server {index}",
        )

    def start_worker(self) -> None:
        # What systemd's ExecStartPre does (deploy/): tasks this worker id left
        # RUNNING when it was killed go back to the queue.
        self.run("requeue_orphaned_tasks", "--worker-id", "cluster-worker")
        command = [PYTHON, "manage.py", "db_worker", "--queue-name", "*",
                   "--worker-id", "cluster-worker", "--interval", "0.2"]  # fmt: skip
        service = Service("worker", command, self.env(), self.folder / "worker.log")
        self.services["worker"] = service
        service.start()

    # -- nginx

    def start_nginx(self) -> None:
        folder = self.folder / "nginx"
        folder.mkdir()
        for sub in ("body", "proxy"):
            (folder / sub).mkdir()
            (folder / sub).chmod(0o777)
        key, cert = folder / "key.pem", folder / "cert.pem"
        subprocess.run(
            [self.bins["openssl"], "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        site = (ROOT / "deploy" / "nginx" / "consultation.conf").read_text()
        replacements = {
            "server 127.0.0.1:8001": f"server 127.0.0.1:{self.app_ports[0]}",
            "server 127.0.0.1:8002": f"server 127.0.0.1:{self.app_ports[1]}",
            "listen 443 ssl": f"listen 127.0.0.1:{self.https_port} ssl",
            "listen [::]:443 ssl http2;": "",
            "/etc/ssl/consultation/fullchain.pem": str(cert),
            "/etc/ssl/consultation/privkey.pem": str(key),
            "/srv/consultation/staticfiles/": f"{ROOT / 'staticfiles'}/",
            "consultation.example.org": "127.0.0.1",
            "/var/log/nginx/consultation.access.log": f"{folder}/access.log",
        }
        for old, new in replacements.items():
            assert old in site, f"deploy/nginx/consultation.conf no longer has {old!r}"
            site = site.replace(old, new)
        # The port-80 redirect server is not started here (no privileged port).
        site = site.split("# -- plain HTTP")[0]
        main = f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/proxy;
    uwsgi_temp_path {folder}/proxy;
    scgi_temp_path {folder}/proxy;
{site}
}}
"""
        conf = folder / "nginx.conf"
        conf.write_text(main)
        command = [self.bins["nginx"], "-e", str(folder / "error.log"), "-c", str(conf),
                   "-g", "daemon off;"]  # fmt: skip
        service = Service("nginx", command, self.env(), self.folder / "nginx.log")
        self.services["nginx"] = service
        service.start()
        wait_until(
            lambda: requests.get(f"{self.url}/healthz", timeout=10, verify=self.cert).ok,
            timeout=60,
            what="nginx",
        )

    # -- all of it

    def start(self) -> None:
        started = time.monotonic()
        steps: list[str] = []

        def step(name: str) -> None:
            steps.append(f"{name} {time.monotonic() - started:.0f} s")

        self.start_postgres()
        self.start_redis()
        self.smtp = SmtpSink(self.smtp_port)
        self.smtp.start()
        step("services")
        self.run("migrate", "--verbosity", "0", timeout=600)
        step("migrate")
        self.run("collectstatic", "--noinput", "--verbosity", "0", timeout=300)
        step("collectstatic")
        self.seed = self.django((Path(__file__).parent / "seed.py").read_text(), timeout=300)
        step("seed")
        for index in range(len(self.app_ports)):
            self.start_app_server(index, wait=False)
        self.start_worker()
        for index in range(len(self.app_ports)):
            self.wait_for_app_server(index)
        step("app servers")
        self.start_nginx()
        step("nginx")
        print(f"\n[cluster] start-up: {', '.join(steps)}")
        print(f"\n[cluster] up in {time.monotonic() - started:.0f} s: nginx {self.url}, "
              f"app servers {self.app_ports}, PostgreSQL {self.pg_port}, "
              f"Redis {self.redis_port}, SMTP {self.smtp_port}")  # fmt: skip

    def close(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()
        if self.smtp is not None:
            self.smtp.stop()
        if (self.folder / "pg" / "postmaster.pid").exists():
            try:
                self.pg_ctl("stop", "-m", "fast")
            except subprocess.SubprocessError:
                pass
