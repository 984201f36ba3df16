#!/usr/bin/env python3
"""Bounded soak test of qiyeshao: the whole workflow from several clients for a fixed time,
while the server's memory, threads and open files are watched (issue 7).

Usage:
    python3 tools/soak.py [--binary PATH] [--minutes 10] [--clients 8]
                          [--postgres URL] [--out report.json]

The script starts ``PATH serve --demo`` on a free port of 127.0.0.1 over a fresh database: a
SQLite file in a new temporary directory, or with ``--postgres URL`` (a server this user may
create databases on, e.g. postgres://postgres@127.0.0.1:5432/postgres) a new database
``qiyeshao_soak_<timestamp>``, dropped at the end. The sign-in limits, the per-recipient
notification limits and the hourly upload limit are lifted through the environment, since the
clients sign in, upload and are notified far more often than people do. The server's output
goes to ``server.log`` in the temporary directory; the server is stopped at the end however the
run ends (also on Ctrl-C).

Each client thread signs in as the four demo roles and goes round the loop, ticket after
ticket, until the time is up: the enterprise files a ticket (sometimes with a PNG uploaded
first), reads it and adds a comment; the dispatcher lists the queue, accepts and assigns it to
the demo cadre's department and the cadre; the cadre signs, notes progress and resolves; the
enterprise rates it, sometimes unsatisfied, which sends it back to the cadre. Between the steps
come other requests: lists and counts, the administrator's statistics, a chart, a small ledger,
the notifications and the audit log, a dispatcher accepting a ticket of the shared queue (a
race with the other clients), token refreshes and fresh sign-ins, and requests that must be
refused (422, 404, 401, 403, 413). Every kind of request has the statuses it may get (see
EXPECTED); anything else is counted as unexpected, with examples in the report.

Every 5 s the server process is sampled (VmRSS, VmHWM, threads, open files, the SQLite file and
its WAL); every 30 s a progress line is printed. The run passes when there was no 5xx and no
unexpected status, the server is still alive, memory is flat (after a warm-up of the first 20%,
the least-squares line through the RSS samples grows by at most max(10% of their median,
16 MiB)) and open files are flat (the last count at most the warm-up's last + 20). A summary
table is printed and, with ``--out``, the whole report written as JSON. After a failure the
temporary directory (server log, database) is kept.

On SQLite the server runs with a page cache of ``--sqlite-cache-kib`` (500) a connection: at
the default 8000, the caches of its connections (up to ~125 MiB) fill for longer than a
10-minute run, which would read as growth.

The default binary is $CARGO_TARGET_DIR/release/qiyeshao if it exists, else the debug one
(CARGO_TARGET_DIR defaults to ~/.cache/qiyeshao/target).

Exit code: 0 pass, 1 fail (or interrupted), 2 when the run could not be set up (no binary, no
psql, the server not ready, the demo accounts missing). Standard library only.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zlib
from collections import Counter
from pathlib import Path

PASSWORD = "Qiyeshao@2026"
ROLES = ("enterprise", "dispatcher", "cadre", "admin")
LIMITS_LIFTED = {
    "QIYESHAO__AUTH__MAX_FAILURES_PER_IP": "1000000",
    "QIYESHAO__AUTH__MAX_FAILURES_PER_ACCOUNT": "1000000",
    "QIYESHAO__AUTH__SMS_CODES_PER_IP_PER_HOUR": "1000000",
    "QIYESHAO__NOTIFICATIONS__SMS_PER_RECIPIENT_PER_HOUR": "1000000",
    "QIYESHAO__NOTIFICATIONS__EMAIL_PER_RECIPIENT_PER_HOUR": "1000000",
    "QIYESHAO__ATTACHMENTS__UPLOADS_PER_HOUR": "1000000",
}
SAMPLE_EVERY = 5
PROGRESS_EVERY = 30
WARMUP_FRACTION = 0.2
RSS_GROWTH_FRACTION = 0.10
RSS_GROWTH_MIN_MIB = 16
FD_SLACK = 20
REQUEST_TIMEOUT = 60
READY_TIMEOUT = 120
# actix closes a keep-alive connection idle for 5 s; reconnect before that to avoid the race.
IDLE_RECONNECT = 3.0
# Each client refreshes a role's tokens every REFRESH_EVERY s and signs in afresh (logging the
# old sign-in out) every SIGN_IN_EVERY s, both with jitter; access tokens live 900 s.
REFRESH_EVERY = 60
SIGN_IN_EVERY = 240
JSON_LIMIT = 65536
MAX_EXAMPLES = 20

# The statuses each kind of request may get; anything else fails the run. The only 409s
# allowed are races between clients (body `illegal_transition` or `concurrent_update`): every
# client's dispatcher sometimes accepts the first ticket of the shared queue, so the ticket's
# own client may find it accepted already (its accept: 409) or changed under it (its assign:
# 409 concurrent_update, then tried again), and the queue taker may come second (409).
EXPECTED = {
    "auth.login": {200},
    "auth.refresh": {200},
    "auth.logout": {204},
    "setup.categories": {200},
    "enterprise.upload": {201},
    "enterprise.file": {201},
    "enterprise.list": {200},
    "enterprise.counts": {200},
    "enterprise.detail": {200},
    "enterprise.comment": {201},
    "enterprise.attachment": {200},
    "enterprise.revisit": {200},
    "dispatcher.queue": {200},
    "dispatcher.accept_queued": {200, 409},
    "dispatcher.accept": {200, 409},
    "dispatcher.assign": {200, 409},
    "dispatcher.urge": {200},
    "cadre.workbench": {200},
    "cadre.detail": {200},
    "cadre.sign": {200},
    "cadre.progress": {200},
    "cadre.resolve": {200},
    "admin.summary": {200},
    "admin.chart": {200},
    "admin.ledger": {200},
    "admin.notifications": {200},
    "admin.audit": {200},
    "bad.validation": {422},
    "bad.unknown_id": {404},
    "bad.no_token": {401},
    "bad.wrong_role": {403},
    "bad.wrong_password": {401},
    "bad.oversize": {413},
}
RACE_CODES = {"illegal_transition", "concurrent_update"}
QUEUE = "/api/v1/tickets?status=submitted&limit=20"
CHARTS = ("trend.svg", "departments.svg", "categories.svg", "satisfaction.svg")
KINDS = ("problem", "problem", "suggestion", "inquiry")
RATINGS = ("satisfied", "satisfied", "basically_satisfied", "unsatisfied")


def log(msg: str) -> None:
    print(msg, flush=True)


class SetupError(Exception):
    """The run could not be set up (exit code 2)."""


def default_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/qiyeshao/target"))
    release = target / "release" / "qiyeshao"
    return release if release.exists() else target / "debug" / "qiyeshao"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG of one random colour."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    pixel = bytes(random.randrange(256) for _ in range(3))
    rows = b"".join(b"\0" + pixel * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def multipart(file_name: str, data: bytes) -> tuple[str, bytes]:
    boundary = "soak-" + uuid.uuid4().hex
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n"
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    return f"multipart/form-data; boundary={boundary}", head + data + f"\r\n--{boundary}--\r\n".encode()


def utc_iso(seconds_ago: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


# ---------------------------------------------------------------------------------------------
# The database and the server


class Database:
    """A fresh SQLite file in the data directory, or a fresh PostgreSQL database."""

    def __init__(self, data_dir: Path, postgres_url: str | None):
        self.data_dir = data_dir
        self.admin_url = postgres_url
        self.name = None
        if postgres_url:
            if not shutil.which("psql"):
                raise SetupError("--postgres needs psql on PATH")
            self.name = "qiyeshao_soak_" + time.strftime("%Y%m%d%H%M%S")
            self.psql(f"CREATE DATABASE {self.name}")
            parts = urllib.parse.urlsplit(postgres_url)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))
            self.backend = "postgresql"
        else:
            self.url = f"sqlite://{data_dir / 'qiyeshao.db'}"
            self.backend = "sqlite"

    def psql(self, sql: str) -> str:
        out = subprocess.run(["psql", self.admin_url, "-qAtc", sql], capture_output=True, text=True)
        if out.returncode != 0:
            raise SetupError(f"psql {sql!r} failed: {out.stderr.strip()}")
        return out.stdout.strip()

    def sizes(self) -> dict:
        """SQLite: the file and its WAL in bytes (PostgreSQL: nothing, sampled at the end)."""
        if self.name:
            return {}
        db = self.data_dir / "qiyeshao.db"
        wal = self.data_dir / "qiyeshao.db-wal"
        return {
            "db_bytes": db.stat().st_size if db.exists() else 0,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        }

    def final_sizes(self) -> dict:
        if not self.name:
            return self.sizes()
        try:
            return {"db_bytes": int(self.psql(f"SELECT pg_database_size('{self.name}')"))}
        except (SetupError, ValueError) as err:
            log(f"warning: could not read the database size: {err}")
            return {}

    def drop(self) -> None:
        if self.name:
            try:
                self.psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            except SetupError as err:
                log(f"warning: {err}")


class Server:
    def __init__(self, binary: Path, db: Database, data_dir: Path, sqlite_cache_kib: int):
        self.port = free_port()
        self.host = "127.0.0.1"
        env = dict(os.environ, QIYESHAO__DATA__DIR=str(data_dir), DATABASE_URL=db.url, **LIMITS_LIFTED,
                   QIYESHAO__DATABASE__SQLITE_CACHE_KIB=str(sqlite_cache_kib))
        self.log_path = data_dir / "server.log"
        self.log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--demo", "--bind", f"{self.host}:{self.port}"],
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.pid = self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive():
                raise SetupError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SetupError(f"/readyz did not answer 200 within {READY_TIMEOUT}s; see {self.log_path}")

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 15 s; returns the exit code (None if it had to be killed)."""
        code = None
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        else:
            code = self.proc.returncode
        self.log_file.close()
        return code

    def sample(self) -> dict:
        status = {}
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                status[key] = value.split()
        return {
            "rss_kib": int(status["VmRSS"][0]),
            "hwm_kib": int(status["VmHWM"][0]),
            "anon_kib": int(status["RssAnon"][0]),
            "file_kib": int(status["RssFile"][0]),
            "threads": int(status["Threads"][0]),
            "fds": len(os.listdir(f"/proc/{self.pid}/fd")),
        }


# ---------------------------------------------------------------------------------------------
# Counting requests


class Tally:
    """Per kind of request: statuses and latencies; unexpected answers with examples."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: dict[str, Counter] = {}
        self.latencies: dict[str, list[float]] = {}
        self.total = 0
        self.server_errors = 0
        self.unexpected = 0
        self.examples: list[dict] = []

    def record(self, kind: str, method: str, path: str, status, seconds: float, body: bytes) -> bool:
        """Counts one answer (status an int, or the name of a transport error); True if expected."""
        ok = status in EXPECTED[kind] and (status != 409 or error_code(body) in RACE_CODES)
        with self.lock:
            self.total += 1
            self.statuses.setdefault(kind, Counter())[status] += 1
            self.latencies.setdefault(kind, []).append(seconds)
            if isinstance(status, int) and status >= 500:
                self.server_errors += 1
            if not ok:
                self.unexpected += 1
                if len(self.examples) < MAX_EXAMPLES:
                    self.examples.append({
                        "kind": kind,
                        "request": f"{method} {path}",
                        "status": status,
                        "body": body[:500].decode("utf-8", "replace"),
                        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    })
        return ok

    def per_kind(self) -> dict:
        with self.lock:
            return {
                kind: {
                    "count": sum(self.statuses[kind].values()),
                    "statuses": {str(s): n for s, n in sorted(self.statuses[kind].items(), key=str)},
                    "median_ms": round(statistics.median(lat) * 1000, 1),
                    "p99_ms": round(percentile(lat, 99) * 1000, 1),
                    "max_ms": round(max(lat) * 1000, 1),
                }
                for kind, lat in sorted(self.latencies.items())
            }


def error_code(body: bytes) -> str | None:
    try:
        return json.loads(body).get("error")
    except (ValueError, AttributeError):
        return None


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


# ---------------------------------------------------------------------------------------------
# HTTP as one client


class Connection:
    """One keep-alive connection to the server, reopened when it was idle or broken."""

    def __init__(self, host: str, port: int, tally: Tally):
        self.host, self.port, self.tally = host, port, tally
        self.conn: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, kind: str, method: str, path: str, token: str | None = None,
                body=None, content_type: str | None = None) -> tuple[int | str, bytes]:
        """Sends a request (body: a dict for JSON, or bytes with content_type), tallies the answer."""
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False).encode()
            content_type = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        if self.conn is None or time.monotonic() - self.last_used > IDLE_RECONNECT:
            self.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
        started = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
            status: int | str = resp.status
            if resp.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as err:
            self.close()
            status, data = type(err).__name__, str(err).encode()
        self.last_used = time.monotonic()
        self.tally.record(kind, method, path, status, self.last_used - started, data)
        return status, data


def as_json(data: bytes) -> dict:
    try:
        return json.loads(data)
    except ValueError:
        return {}


class Session:
    """One sign-in of a demo role: refreshed now and then, replaced by a fresh sign-in now and then."""

    def __init__(self, http: Connection, role: str):
        self.http, self.role = http, role
        self.access = self.refresh_token = None
        self.user: dict = {}
        self.sign_in()

    def sign_in(self) -> None:
        status, data = self.http.request(
            "auth.login", "POST", "/api/v1/auth/login", body={"username": self.role, "password": PASSWORD}
        )
        if status != 200:
            raise SetupError(f"sign-in as {self.role} answered {status}: {data[:300]!r}")
        old = self.refresh_token
        self.take(as_json(data))
        self.signed_in_at = time.monotonic()
        self.sign_in_after = SIGN_IN_EVERY * random.uniform(0.5, 1.5)
        if old:
            self.http.request("auth.logout", "POST", "/api/v1/auth/logout", body={"refresh_token": old})

    def take(self, session: dict) -> None:
        self.access = session["access_token"]
        self.refresh_token = session["refresh_token"]
        self.user = session["user"]
        self.refreshed_at = time.monotonic()
        self.refresh_after = REFRESH_EVERY * random.uniform(0.5, 1.5)

    def token(self) -> str:
        now = time.monotonic()
        if now - self.signed_in_at > self.sign_in_after:
            self.sign_in()
        elif now - self.refreshed_at > self.refresh_after:
            status, data = self.http.request(
                "auth.refresh", "POST", "/api/v1/auth/refresh", body={"refresh_token": self.refresh_token}
            )
            if status == 200:
                self.take(as_json(data))
            else:
                self.sign_in()
        return self.access


# ---------------------------------------------------------------------------------------------
# The traffic of one client


class Client(threading.Thread):
    def __init__(self, number: int, server: Server, tally: Tally, stop: threading.Event,
                 categories: list[str]):
        super().__init__(name=f"client-{number}", daemon=True)
        self.number, self.stop, self.categories = number, stop, categories
        self.http = Connection(server.host, server.port, tally)
        self.sessions: dict[str, Session] = {}
        self.tickets = 0
        self.error: str | None = None
        self.side_requests = [
            (3, self.enterprise_list), (2, self.enterprise_counts), (3, self.queue_take),
            (2, self.cadre_workbench), (2, self.admin_summary), (1, self.admin_chart),
            (1, self.admin_ledger), (1, self.admin_notifications), (1, self.admin_audit),
            (1, self.bad_validation), (1, self.bad_unknown_id), (1, self.bad_no_token),
            (1, self.bad_wrong_role), (1, self.bad_oversize),
        ]

    def run(self) -> None:
        try:
            self.sessions = {role: Session(self.http, role) for role in ROLES}
            while not self.stop.is_set():
                self.go_round()
        except Exception as err:  # noqa: BLE001 - a client's crash is reported, not hidden
            self.error = f"{type(err).__name__}: {err}"
            self.stop.set()
        finally:
            self.http.close()

    def call(self, kind: str, role: str | None, method: str, path: str, body=None,
             content_type: str | None = None) -> tuple[int | str, dict]:
        token = self.sessions[role].token() if role else None
        status, data = self.http.request(kind, method, path, token, body, content_type)
        return status, as_json(data)

    def act(self, kind: str, role: str, ticket: str, action: str, body: dict) -> int | str:
        return self.call(kind, role, "POST", f"/api/v1/tickets/{ticket}/{action}", body)[0]

    def between(self) -> None:
        """Other traffic between the steps of the loop: none to three requests."""
        weights, requests = zip(*self.side_requests)
        for request in random.choices(requests, weights, k=random.choice((0, 1, 1, 2, 3))):
            request()
        if random.random() < 0.01:  # rare: a failed sign-in costs a full password hash
            self.bad_wrong_password()

    # -- the loop, one ticket --

    def go_round(self) -> None:
        ticket, kind = self.file()
        if ticket is None:
            return
        steps = (self.read_and_comment, self.dispatch, self.handle, self.resolve_and_rate)
        for step in steps:
            self.between()
            if self.stop.is_set() or not step(ticket, kind):
                return
        self.tickets += 1

    def file(self) -> tuple[str | None, str]:
        attachment_ids = []
        if random.random() < 0.3:
            for i in range(random.choice((1, 1, 2))):
                content_type, form = multipart(f"现场照片{i + 1}.png", png())
                status, body = self.call("enterprise.upload", "enterprise", "POST", "/api/v1/attachments",
                                         form, content_type)
                if status == 201:
                    attachment_ids.append(body["id"])
        kind = random.choice(KINDS)
        status, body = self.call("enterprise.file", "enterprise", "POST", "/api/v1/tickets", {
            "kind": kind,
            "category_id": random.choice(self.categories),
            "title": f"浸泡测试诉求 {self.number}-{self.tickets}",
            "description": "二号厂房用电报装两周仍未现场勘查，影响设备调试。" * random.randint(1, 5),
            "attachment_ids": attachment_ids,
        })
        if status != 201:
            return None, kind
        if attachment_ids and random.random() < 0.5:
            self.call("enterprise.attachment", "enterprise", "GET", f"/api/v1/attachments/{attachment_ids[0]}")
        return body["id"], kind

    def read_and_comment(self, ticket: str, kind: str) -> bool:
        status, _ = self.call("enterprise.detail", "enterprise", "GET", f"/api/v1/tickets/{ticket}")
        if status == 200 and random.random() < 0.5:
            status, _ = self.call("enterprise.comment", "enterprise", "POST", f"/api/v1/tickets/{ticket}/comments",
                                  {"body": "补充说明：现场联系人电话已更新，请联系周经理。"})
            return status == 201
        return status == 200

    def dispatch(self, ticket: str, kind: str) -> bool:
        self.call("dispatcher.queue", "dispatcher", "GET", QUEUE)
        self.act("dispatcher.accept", "dispatcher", ticket, "accept", {"note": "受理"})
        cadre = self.sessions["cadre"].user
        body = {"department_id": cadre["department_id"], "assignee_id": cadre["id"]}
        for _ in range(3):  # a queue taker's accept at the same moment: 409 concurrent_update
            status = self.act("dispatcher.assign", "dispatcher", ticket, "assign", body)
            if status != 409:
                return status == 200
        return False

    def handle(self, ticket: str, kind: str) -> bool:
        self.call("cadre.detail", "cadre", "GET", f"/api/v1/tickets/{ticket}")
        if self.act("cadre.sign", "cadre", ticket, "sign", {}) != 200:
            return False
        for _ in range(random.randint(1, 2)):
            note = {"note": "已约定现场勘查", "public": random.random() < 0.5}
            if self.act("cadre.progress", "cadre", ticket, "progress", note) != 200:
                return False
        if random.random() < 0.2:
            return self.act("dispatcher.urge", "dispatcher", ticket, "urge", {"note": "请加快办理"}) == 200
        return True

    def resolve(self, ticket: str, kind: str) -> bool:
        body = {"resolution": "已出具供电方案，预计五个工作日内送电。"}
        if kind == "suggestion":
            body["adopted"] = random.random() < 0.5
        return self.act("cadre.resolve", "cadre", ticket, "resolve", body) == 200

    def rate(self, ticket: str, rating: str) -> bool:
        body = {"rating": rating, "comment": "谢谢" if rating != "unsatisfied" else "问题没有解决"}
        return self.act("enterprise.revisit", "enterprise", ticket, "revisit", body) == 200

    def resolve_and_rate(self, ticket: str, kind: str) -> bool:
        if not self.resolve(ticket, kind):
            return False
        rating = random.choice(RATINGS)
        if not self.rate(ticket, rating):
            return False
        if rating == "unsatisfied":  # back to in_progress: rework, then a second rating
            self.between()
            return self.resolve(ticket, kind) and self.rate(ticket, "satisfied")
        return True

    # -- traffic between the steps --

    def enterprise_list(self) -> None:
        self.call("enterprise.list", "enterprise", "GET", "/api/v1/tickets?limit=20")

    def enterprise_counts(self) -> None:
        self.call("enterprise.counts", "enterprise", "GET", "/api/v1/tickets/counts")

    def queue_take(self) -> None:
        """The dispatcher accepts a ticket of the shared queue: races with the other clients."""
        status, body = self.call("dispatcher.queue", "dispatcher", "GET", QUEUE)
        items = body.get("items") or []
        if status == 200 and items:
            self.act("dispatcher.accept_queued", "dispatcher", random.choice(items)["id"], "accept", {})

    def cadre_workbench(self) -> None:
        cadre = self.sessions["cadre"].user["id"]
        path = f"/api/v1/tickets?status=assigned,in_progress&assignee_id={cadre}"
        self.call("cadre.workbench", "cadre", "GET", path)

    def admin_summary(self) -> None:
        self.call("admin.summary", "admin", "GET", "/api/v1/stats/summary")

    def admin_chart(self) -> None:
        self.call("admin.chart", "admin", "GET", f"/api/v1/stats/charts/{random.choice(CHARTS)}")

    def admin_ledger(self) -> None:
        """The ledger of the last minute's filings (a small, bounded export)."""
        self.call("admin.ledger", "admin", "GET", f"/api/v1/ledger.csv?created_from={utc_iso(60)}")

    def admin_notifications(self) -> None:
        self.call("admin.notifications", "admin", "GET", "/api/v1/notifications?limit=20")

    def admin_audit(self) -> None:
        self.call("admin.audit", "admin", "GET", "/api/v1/audit?limit=20")

    def bad_validation(self) -> None:
        body = random.choice((
            {"kind": "problem", "category_id": random.choice(self.categories), "title": " ", "description": "x"},
            {"kind": "complaint", "category_id": random.choice(self.categories), "title": "t", "description": "x"},
            {"kind": "problem", "title": "t", "description": "x", "colour": "red"},
        ))
        self.call("bad.validation", "enterprise", "POST", "/api/v1/tickets", body)

    def bad_unknown_id(self) -> None:
        path = random.choice((f"/api/v1/tickets/{uuid.uuid4()}", "/api/v1/tickets/not-a-uuid",
                              f"/api/v1/attachments/{uuid.uuid4()}"))
        self.call("bad.unknown_id", random.choice(("enterprise", "dispatcher")), "GET", path)

    def bad_no_token(self) -> None:
        self.call("bad.no_token", None, "GET", random.choice(("/api/v1/tickets", "/api/v1/stats/summary")))

    def bad_wrong_role(self) -> None:
        """A cadre may not file, an enterprise may not read the statistics: 403."""
        if random.random() < 0.5:
            body = {"kind": "problem", "category_id": random.choice(self.categories), "title": "t",
                    "description": "x"}
            self.call("bad.wrong_role", "cadre", "POST", "/api/v1/tickets", body)
        else:
            self.call("bad.wrong_role", "enterprise", "GET", "/api/v1/stats/summary")

    def bad_oversize(self) -> None:
        body = {"kind": "problem", "category_id": random.choice(self.categories), "title": "t",
                "description": "长" * (JSON_LIMIT // 3 + 100)}
        self.call("bad.oversize", "enterprise", "POST", "/api/v1/tickets", body)
        self.http.close()  # the server answered without reading the body: start afresh

    def bad_wrong_password(self) -> None:
        self.call("bad.wrong_password", None, "POST", "/api/v1/auth/login",
                  {"username": random.choice(ROLES), "password": "Wrong-pass-1"})


# ---------------------------------------------------------------------------------------------
# Watching the server, judging the run


def watch(server: Server, db: Database, tally: Tally, stop: threading.Event, seconds: float) -> list[dict]:
    """Samples the server every SAMPLE_EVERY s until the time is up, the clients stop or it dies."""
    samples: list[dict] = []
    started = time.monotonic()
    next_progress = PROGRESS_EVERY
    while True:
        elapsed = time.monotonic() - started
        if not server.alive():
            log(f"{elapsed:6.0f}s  the server exited with {server.proc.returncode}")
            break
        try:
            sample = dict(server.sample(), t=round(elapsed, 1), requests=tally.total, **db.sizes())
        except OSError:  # it exited between the check and the sample
            continue
        samples.append(sample)
        if elapsed >= next_progress:
            next_progress += PROGRESS_EVERY
            log(f"{elapsed:6.0f}s  {tally.total:>7} requests  {tally.total / elapsed:6.1f} req/s  "
                f"RSS {sample['rss_kib'] / 1024:6.1f} MiB  fds {sample['fds']:>4}  "
                f"threads {sample['threads']:>3}  5xx {tally.server_errors}  unexpected {tally.unexpected}")
        if elapsed >= seconds or stop.is_set():
            break
        stop.wait(min(SAMPLE_EVERY, seconds - elapsed))
    return samples


def judge_memory(samples: list[dict], seconds: float) -> dict:
    warm = [s for s in samples if s["t"] <= WARMUP_FRACTION * seconds]
    after = [s for s in samples if s["t"] > WARMUP_FRACTION * seconds]
    result = {
        "warmup_end_mib": mib(warm[-1]["rss_kib"]) if warm else None,
        "median_mib": mib(statistics.median(s["rss_kib"] for s in after)) if after else None,
        "max_mib": mib(max(s["rss_kib"] for s in samples)),
        "end_mib": mib(samples[-1]["rss_kib"]),
        "hwm_end_mib": mib(samples[-1]["hwm_kib"]),
        "post_warmup_samples": len(after),
    }
    if len(after) < 3:
        return dict(result, ok=False, reason="fewer than 3 samples after the warm-up")
    ts = [s["t"] for s in after]
    rss = [s["rss_kib"] / 1024 for s in after]
    slope, _ = statistics.linear_regression(ts, rss)
    growth = slope * (ts[-1] - ts[0])
    limit = max(RSS_GROWTH_FRACTION * statistics.median(rss), RSS_GROWTH_MIN_MIB)
    return dict(result, slope_mib_per_hour=round(slope * 3600, 1), fitted_growth_mib=round(growth, 1),
                limit_mib=round(limit, 1), ok=growth <= limit)


def judge_fds(samples: list[dict], seconds: float) -> dict:
    warm = [s for s in samples if s["t"] <= WARMUP_FRACTION * seconds] or samples[:1]
    warm_fds, end_fds = warm[-1]["fds"], samples[-1]["fds"]
    return {"warmup_end": warm_fds, "max": max(s["fds"] for s in samples), "end": end_fds,
            "limit": warm_fds + FD_SLACK, "ok": end_fds <= warm_fds + FD_SLACK}


def mib(kib: float) -> float:
    return round(kib / 1024, 1)


def criteria(tally: Tally, alive: bool, memory: dict, fds: dict, client_errors: list[str]) -> list[dict]:
    growth = memory.get("fitted_growth_mib")
    return [
        {"name": "no 5xx", "ok": tally.server_errors == 0, "detail": f"{tally.server_errors} answers 5xx"},
        {"name": "no unexpected status", "ok": tally.unexpected == 0,
         "detail": f"{tally.unexpected} unexpected of {tally.total}"},
        {"name": "clients ran to the end", "ok": not client_errors,
         "detail": "; ".join(client_errors) or "every client ran to the end"},
        {"name": "server alive", "ok": alive, "detail": "alive at the end" if alive else "exited during the run"},
        {"name": "memory flat", "ok": memory["ok"],
         "detail": memory.get("reason") or f"fitted growth {growth} MiB after the warm-up "
                   f"(limit {memory['limit_mib']} MiB; {memory['slope_mib_per_hour']} MiB/h)"},
        {"name": "fds flat", "ok": fds["ok"],
         "detail": f"{fds['end']} at the end, {fds['warmup_end']} after the warm-up (limit {fds['limit']})"},
    ]


def print_summary(report: dict) -> None:
    r = report
    log("")
    log("=" * 92)
    log(f"soak: {r['backend']}, {r['binary_profile']} binary, {r['clients']} clients, "
        f"{r['seconds_run']:.0f}s, {r['requests']} requests, {r['requests_per_second']} req/s, "
        f"{r['tickets_round_the_loop']} tickets round the loop")
    log("")
    log(f"{'kind':<26} {'count':>7} {'median ms':>10} {'p99 ms':>9}  statuses")
    for kind, k in r["per_kind"].items():
        statuses = " ".join(f"{s}×{n}" for s, n in k["statuses"].items())
        log(f"{kind:<26} {k['count']:>7} {k['median_ms']:>10} {k['p99_ms']:>9}  {statuses}")
    m, f = r["memory"], r["fds"]
    log("")
    log(f"RSS MiB: warm-up end {m['warmup_end_mib']}, median {m['median_mib']}, max {m['max_mib']}, "
        f"end {m['end_mib']} (VmHWM {m['hwm_end_mib']}); fitted slope {m.get('slope_mib_per_hour')} MiB/h, "
        f"growth {m.get('fitted_growth_mib')} MiB (limit {m.get('limit_mib')})")
    last = r["samples"][-1] if r["samples"] else {}
    log(f"fds: warm-up end {f['warmup_end']}, max {f['max']}, end {f['end']}; threads {last.get('threads')}; "
        f"database {fmt_bytes(r['database_size'].get('db_bytes'))}"
        + (f", WAL {fmt_bytes(r['database_size']['wal_bytes'])}" if "wal_bytes" in r["database_size"] else ""))
    log(f"server exit code after SIGTERM: {r['server_exit_code']}")
    for example in r["unexpected_examples"]:
        log(f"unexpected: {example['kind']} {example['request']} → {example['status']} {example['body'][:200]}")
    log("")
    for c in r["criteria"]:
        log(f"  [{'PASS' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}")
    log(f"soak: {'PASS' if r['ok'] else 'FAIL'}")


def fmt_bytes(n: int | None) -> str:
    return "?" if n is None else f"{n / 1048576:.1f} MiB"


def warnings_in_log(path: Path) -> list[str]:
    with path.open(errors="replace") as fh:
        return [line.rstrip() for line in fh if " ERROR " in line or " WARN " in line][:20]


# ---------------------------------------------------------------------------------------------


def demo_categories(server: Server, tally: Tally) -> list[str]:
    conn = Connection(server.host, server.port, tally)
    token = Session(conn, "enterprise").access
    status, data = conn.request("setup.categories", "GET", "/api/v1/categories", token)
    conn.close()
    ids = [c["id"] for c in as_json(data).get("items", []) if not c.get("disabled")]
    if status != 200 or not ids:
        raise SetupError(f"GET /api/v1/categories answered {status} with no category")
    return ids


def run(args, data_dir: Path) -> int:
    seconds = args.minutes * 60
    db = Database(data_dir, args.postgres)
    server = None
    try:
        server = Server(args.binary, db, data_dir, args.sqlite_cache_kib)
        cache = f", SQLite page cache {args.sqlite_cache_kib} KiB a connection" if db.backend == "sqlite" else ""
        log(f"soak: {args.binary} on {db.backend} (pid {server.pid}, port {server.port}), "
            f"{args.clients} clients for {args.minutes:g} min{cache}; log {server.log_path}")
        server.wait_ready()
        tally = Tally()
        categories = demo_categories(server, tally)
        stop = threading.Event()
        started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        clients = [Client(i + 1, server, tally, stop, categories) for i in range(args.clients)]
        for c in clients:
            c.start()
        started = time.monotonic()
        samples = watch(server, db, tally, stop, seconds)
        stop.set()
        if not samples:
            log(f"soak: FAIL, the server exited before the first sample; see {server.log_path}")
            return 1
        for c in clients:
            c.join(timeout=REQUEST_TIMEOUT + 5)
        elapsed = time.monotonic() - started
        alive = server.alive()
        sizes = db.final_sizes()
        exit_code = server.stop()
        client_errors = [f"{c.name}: {c.error}" for c in clients if c.error]
        profile = args.binary.parent.name if args.binary.parent.name in ("debug", "release") else "unknown"
        memory, fds = judge_memory(samples, seconds), judge_fds(samples, seconds)
        checks = criteria(tally, alive, memory, fds, client_errors)
        report = {
            "binary": str(args.binary),
            "binary_profile": profile,
            "backend": db.backend,
            "clients": args.clients,
            "minutes": args.minutes,
            "seconds_run": round(elapsed, 1),
            "started": started_at,
            "requests": tally.total,
            "requests_per_second": round(tally.total / elapsed, 1),
            "tickets_round_the_loop": sum(c.tickets for c in clients),
            "server_errors": tally.server_errors,
            "unexpected": tally.unexpected,
            "unexpected_examples": tally.examples,
            "per_kind": tally.per_kind(),
            "memory": memory,
            "fds": fds,
            "database_size": sizes,
            "server_exit_code": exit_code,
            "server_log_warnings": warnings_in_log(server.log_path),
            "samples": samples,
            "criteria": checks,
            "ok": all(c["ok"] for c in checks),
        }
        print_summary(report)
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
            log(f"report: {args.out}")
        if not report["ok"]:
            for line in report["server_log_warnings"]:
                log(f"server log: {line}")
        return 0 if report["ok"] else 1
    finally:
        if server is not None:
            server.stop()
        db.drop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", type=Path, default=default_binary(),
                    help="the qiyeshao binary (default: $CARGO_TARGET_DIR/release/qiyeshao, else debug)")
    ap.add_argument("--minutes", type=float, default=10, help="how long the traffic runs (default 10)")
    ap.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    ap.add_argument("--postgres", metavar="URL", help="run on a fresh database of this PostgreSQL server")
    ap.add_argument("--out", help="write the report as JSON here")
    ap.add_argument("--sqlite-cache-kib", type=int, default=500,
                    help="SQLite's page cache per connection for the run (default 500; the "
                         "server's own default, 8000, takes longer than a 10-minute run to fill, "
                         "which would hide a leak behind caches filling or fail a run without one)")
    args = ap.parse_args()
    if not args.binary.is_file() or not os.access(args.binary, os.X_OK):
        log(f"error: no executable binary at {args.binary} (build it, or give --binary)")
        return 2
    if args.minutes <= 0 or args.clients < 1:
        log("error: --minutes must be positive and --clients at least 1")
        return 2
    # SIGTERM ends the run like Ctrl-C: the finally clauses stop the server and drop the database.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    data_dir = Path(tempfile.mkdtemp(prefix="qiyeshao-soak-"))
    code = 1
    try:
        code = run(args, data_dir)
    except SetupError as err:
        log(f"error: {err}")
        code = 2
    except KeyboardInterrupt:
        log("soak: interrupted")
    finally:
        if code == 0 or not any(data_dir.iterdir()):
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            log(f"kept for a look: {data_dir}")
    return code


if __name__ == "__main__":
    sys.exit(main())
