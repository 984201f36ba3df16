#!/usr/bin/env python3
"""Load benchmark: files tickets and reads them with wrk at a fixed concurrency, on SQLite
and on PostgreSQL, against a release build on loopback. Bounded in time: each run lasts
--duration seconds; the whole benchmark takes about
  backends x builds x scenarios x runs x (duration + ~1 s), plus the loads of --tickets.

Usage: python3 bench/load.py [--backends sqlite,postgres] [--runs 3] [--duration 10]
                             [--connections 16] [--threads 2] [--postgres-url URL]
                             [--notifications on|off] [--tickets N]
                             [--binary PATH] [--baseline GIT_REV_OR_BINARY]

With notifications on (the default, as the service runs out of the box) every filing queues
an e-mail and an SMS to the demo enterprise's liaison cadre in its transaction; the hourly
per-recipient limit refuses all but the first ones, so the filing scenario measures the
queueing of a storm. --notifications off turns both channels off, for comparison.

--tickets N loads N tickets with `qiyeshao seed-load` (after the demo data) before the
server starts, so that indexes and pages are those of a district's database rather than of
the demo's few tickets (the figures of issue 16 were taken at 100,000).

--baseline compares two builds in one run, since this machine's speed moves through the day:
the build under test (--binary, or the release build of this tree) and the baseline (a
binary, or a git revision, built once in a worktree of its own under the cache directory and
kept there) each serve a database of their own, both running at once, and the runs of each
scenario alternate between them (new, baseline, baseline, new, …) so that drift hits both.

Server CPU per request is the server process's utime + stime (/proc/PID/stat) over a run,
divided by the requests wrk counted: steadier than throughput on a shared machine. Peak
resident memory is the server's VmHWM at the end.

Prints a Markdown table of medians (requests/s, p50, p90, p99, non-2xx, server CPU µs per
request) over the runs — with --baseline one row per build and their ratio new/baseline —
and writes the raw wrk output and the table under bench/results/.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
CACHE = os.path.expanduser("~/.cache/qiyeshao")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(CACHE, "target"))
PASSWORD = "Qiyeshao@2026"
KEYS = ("rps", "p50", "p90", "p99", "non2xx", "cpu_us")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def ensure_wrk():
    if shutil.which("wrk"):
        return
    print("installing wrk (apt-get install -y wrk)", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)


def build():
    print("building the release binary", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True,
                   env=dict(os.environ, CARGO_TARGET_DIR=TARGET))
    return os.path.join(TARGET, "release", "qiyeshao")


def baseline_binary(spec):
    """The baseline's binary: `spec` itself when it is an executable file, else the release
    build of the git revision `spec`, built once in a worktree of its own and kept under
    ~/.cache/qiyeshao/baselines/ by commit."""
    if os.path.isfile(spec) and os.access(spec, os.X_OK):
        return os.path.abspath(spec)
    sha = subprocess.run(["git", "rev-parse", "--verify", spec + "^{commit}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    kept = os.path.join(CACHE, "baselines", "qiyeshao-" + sha[:12])
    if os.path.exists(kept):
        return kept
    os.makedirs(os.path.dirname(kept), exist_ok=True)
    tree = tempfile.mkdtemp(prefix="qys-baseline-")
    target = os.environ.get("BASELINE_TARGET_DIR", os.path.join(CACHE, "target-baseline"))
    print("building the baseline %s in %s (target %s)" % (sha[:12], tree, target), file=sys.stderr)
    subprocess.run(["git", "worktree", "add", "--detach", tree, sha], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    try:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=tree, check=True,
                       env=dict(os.environ, CARGO_TARGET_DIR=target))
        shutil.copy2(os.path.join(target, "release", "qiyeshao"), kept)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT)
    return kept


def describe_binary(path):
    """A binary as the report names it: its path and the start of its hash."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "%s (sha256 %s)" % (path, h.hexdigest()[:10])


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(out):
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "90", "99"):
        result["p" + pct] = to_ms(re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    result["non2xx"] = int(errors.group(1)) if errors else 0
    result["socket_errors"] = socket_errors.group(0) if socket_errors else ""
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return result


class Server:
    def __init__(self, binary, database_url, data_dir, log_path, extra_env, tickets=0):
        self.binary = binary
        self.database_url = database_url
        self.data_dir = data_dir
        self.env = dict(os.environ, DATABASE_URL=database_url, QIYESHAO__DATA__DIR=data_dir, **extra_env)
        self.env.setdefault("QIYESHAO__LOG__LEVEL", "warn")
        # The server's log goes to a file: a pipe nobody reads would fill and stall it.
        self.log = open(log_path, "w")
        self.start()
        if tickets > 0:
            # The demo data first (its accounts are the benchmark's), then the load, with the
            # server stopped: one writer at a time.
            self.stop()
            print("  loading %d tickets into %s" % (tickets, database_url), file=sys.stderr)
            subprocess.run([binary, "seed-load", "--tickets", str(tickets)], env=self.env, check=True,
                           stdout=self.log, stderr=self.log)
            self.start()

    def start(self):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen([self.binary, "serve", "--demo", "--bind", "127.0.0.1:%d" % self.port],
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(300):
            try:
                if http("GET", self.base + "/readyz")["status"] == "ready":
                    return
            except Exception:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError("the server did not become ready; see " + self.log.name)

    def memory_mib(self, field):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def rss_mib(self):
        return self.memory_mib("VmRSS")

    def peak_rss_mib(self):
        return self.memory_mib("VmHWM")

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wrk(args, script, env, duration, label, results_dir, url, server=None):
    cpu_before = server.cpu_seconds() if server else 0.0
    cmd = ["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % duration,
           "--latency", "-s", os.path.join(BENCH, script), url]
    out = subprocess.run(cmd, env=dict(os.environ, **env), capture_output=True, text=True, check=True).stdout
    with open(os.path.join(results_dir, label + ".txt"), "w") as f:
        f.write(out)
    result = parse_wrk(out)
    if server:
        # Server CPU time per request: steadier than throughput on a shared machine.
        result["cpu_us"] = (server.cpu_seconds() - cpu_before) * 1e6 / max(result["requests"], 1)
    return result


class Target:
    """One build serving one database, with what the scenarios need of it."""

    def __init__(self, args, name, binary, backend, results_dir, db_suffix):
        self.name = name
        self.backend = backend
        self.data_dir = tempfile.mkdtemp(prefix="qys-bench-")
        self.pg_db = None
        if backend == "sqlite":
            url = "sqlite://" + os.path.join(self.data_dir, "bench.db")
        else:
            self.pg_db = "qiyeshao_bench" + db_suffix
            base = args.postgres_url.rsplit("/", 1)[0]
            subprocess.run(["psql", args.postgres_url, "-qc", "DROP DATABASE IF EXISTS " + self.pg_db], check=True)
            subprocess.run(["psql", args.postgres_url, "-qc", "CREATE DATABASE " + self.pg_db], check=True)
            url = base + "/" + self.pg_db
        extra_env = {}
        if args.notifications == "off":
            extra_env = {"QIYESHAO__NOTIFICATIONS__EMAIL__TRANSPORT": "off",
                         "QIYESHAO__NOTIFICATIONS__SMS__PROVIDER": "off"}
        log = os.path.join(results_dir, "%s-%s-server.log" % (backend, name))
        self.server = None
        self.server = Server(binary, url, self.data_dir, log, extra_env, args.tickets)
        base = self.server.base
        enterprise = http("POST", base + "/api/v1/auth/login", body={"username": "enterprise", "password": PASSWORD})
        token = enterprise["access_token"]
        category = http("GET", base + "/api/v1/categories", token)["items"][0]["id"]
        ticket = http("GET", base + "/api/v1/tickets?limit=100", token)["items"][-1]["id"]
        file_env = {"TOKEN": token, "CATEGORY": category}
        self.scenarios = {
            "file": ("file.lua", file_env, "/api/v1/tickets"),
            "read": ("read.lua", {"TOKEN": token, "READ_PATH": "/api/v1/tickets/" + ticket},
                     "/api/v1/tickets/" + ticket),
            "list": ("read.lua", {"TOKEN": token, "READ_PATH": "/api/v1/tickets?limit=20"},
                     "/api/v1/tickets?limit=20"),
        }
        self.file_env = file_env

    def warm_up(self, args, results_dir):
        # Caches, pool, SQLite pages.
        wrk(args, "file.lua", self.file_env, 3, "%s-%s-warmup" % (self.backend, self.name), results_dir,
            self.server.base + "/api/v1/tickets")

    def run(self, args, key, i, results_dir):
        script, env, path = self.scenarios[key]
        label = "%s-%s-%s-%d" % (self.backend, self.name, key, i + 1)
        return wrk(args, script, env, args.duration, label, results_dir, self.server.base + path, self.server)

    def close(self, args):
        try:
            if self.server:
                self.server.stop()
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            if self.pg_db:
                subprocess.run(["psql", args.postgres_url, "-qc", "DROP DATABASE IF EXISTS " + self.pg_db])


SCENARIOS = [
    ("file", "file a ticket (POST /api/v1/tickets)"),
    ("read", "read a ticket with its timeline (GET /api/v1/tickets/{id})"),
    ("list", "list a page of 20 (GET /api/v1/tickets?limit=20)"),
]


def run_backend(args, builds, backend, results_dir):
    """Runs every scenario on every build; returns {(scenario, build): (medians, runs)} and
    {build: (rss after, peak rss)}."""
    targets = []
    results = {}
    memory = {}
    try:
        for n, (name, binary) in enumerate(builds):
            targets.append(Target(args, name, binary, backend, results_dir, "" if n == 0 else "_" + name))
        for t in targets:
            t.warm_up(args, results_dir)
        for key, title in SCENARIOS:
            runs = {t.name: [] for t in targets}
            for i in range(args.runs):
                # new, baseline, baseline, new, …: each build goes first as often.
                order = targets if i % 2 == 0 else list(reversed(targets))
                for t in order:
                    runs[t.name].append(t.run(args, key, i, results_dir))
            for t in targets:
                med = {k: statistics.median(r[k] for r in runs[t.name]) for k in KEYS}
                med["requests"] = sum(r["requests"] for r in runs[t.name])
                results[(key, t.name)] = (med, runs[t.name])
                print("  %s / %s / %s: %.0f req/s, p99 %.2f ms, %.0f us CPU/request" % (
                    backend, t.name, title, med["rps"], med["p99"], med["cpu_us"]), file=sys.stderr)
        for t in targets:
            memory[t.name] = (t.server.rss_mib(), t.server.peak_rss_mib())
    finally:
        for t in targets:
            t.close(args)
    return results, memory


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--notifications", choices=["on", "off"], default="on")
    p.add_argument("--tickets", type=int, default=0,
                   help="tickets to load with seed-load before serving (default: the demo's only)")
    p.add_argument("--binary", help="the build under test (default: build this tree's release binary)")
    p.add_argument("--baseline", help="a git revision or a binary to compare with, side by side")
    args = p.parse_args()
    ensure_wrk()
    binary = os.path.abspath(args.binary) if args.binary else build()
    builds = [("new", binary)]
    if args.baseline:
        builds.append(("baseline", baseline_binary(args.baseline)))
    results_dir = os.path.join(BENCH, "results", time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(results_dir, exist_ok=True)
    lines = ["| backend | scenario | build | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | server CPU µs/request |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for backend in args.backends.split(","):
        results, memory = run_backend(args, builds, backend, results_dir)
        for key, title in SCENARIOS:
            for name, _ in builds:
                med = results[(key, name)][0]
                lines.append("| %s | %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %.0f |" % (
                    backend, title, name, med["rps"], med["p50"], med["p90"], med["p99"], med["non2xx"],
                    med["cpu_us"]))
            if len(builds) == 2:
                new, base = results[(key, "new")][0], results[(key, "baseline")][0]
                ratio = lambda k: new[k] / base[k] if base[k] else float("nan")
                lines.append("| %s | %s | new/baseline | %.2f | %.2f | %.2f | %.2f | | %.2f |" % (
                    backend, title, ratio("rps"), ratio("p50"), ratio("p90"), ratio("p99"), ratio("cpu_us")))
        for name, _ in builds:
            rss, peak = memory[name]
            lines.append("| %s | server resident memory after the runs (peak) | %s | %.0f MiB (%.0f MiB) | | | | | |" % (
                backend, name, rss, peak))
    table = "\n".join(lines)
    header = "Medians of %d runs of %d s each, %d connections, wrk -t%d, on %d CPUs (%s), notifications %s, %s:\n" % (
        args.runs, args.duration, args.connections, args.threads, os.cpu_count(), time.strftime("%Y-%m-%d %H:%M"),
        args.notifications, "%d tickets loaded" % args.tickets if args.tickets else "the demo data")
    builds_text = "\n".join("- %s: %s" % (name, describe_binary(path)) for name, path in builds)
    print("\n" + header)
    print(builds_text + "\n")
    print(table)
    with open(os.path.join(results_dir, "summary.md"), "w") as f:
        f.write(header + "\n" + builds_text + "\n\n" + table + "\n")


if __name__ == "__main__":
    main()
