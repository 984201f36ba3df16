#!/usr/bin/env python3
"""Load benchmark: files tickets and reads them with wrk at a fixed concurrency, on SQLite
and on PostgreSQL, against a release build on loopback. Bounded in time: each run lasts
--duration seconds; the whole benchmark takes about
  backends x scenarios x runs x (duration + ~3 s).

Usage: python3 bench/load.py [--backends sqlite,postgres] [--runs 3] [--duration 10]
                             [--connections 16] [--threads 2] [--postgres-url URL]
                             [--notifications on|off]

With notifications on (the default, as the service runs out of the box) every filing queues
an e-mail and an SMS to the demo enterprise's liaison cadre in its transaction; the hourly
per-recipient limit refuses all but the first ones, so the filing scenario measures the
queueing of a storm. --notifications off turns both channels off, for comparison.

Prints a Markdown table of medians (requests/s, p50, p90, p99, non-2xx) over the runs, and
writes the raw wrk output under bench/results/.
"""
import argparse
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
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/qiyeshao/target"))
PASSWORD = "Qiyeshao@2026"


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
    def __init__(self, binary, database_url, data_dir, log_path, extra_env):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        env = dict(os.environ, DATABASE_URL=database_url, QIYESHAO__DATA__DIR=data_dir, **extra_env)
        env.setdefault("QIYESHAO__LOG__LEVEL", "warn")
        # The server's log goes to a file: a pipe nobody reads would fill and stall it.
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([binary, "serve", "--demo", "--bind", "127.0.0.1:%d" % self.port],
                                     env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(100):
            try:
                if http("GET", self.base + "/readyz")["status"] == "ready":
                    return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError("the server did not become ready; see " + self.log.name)

    def rss_mib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

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


def run_backend(args, binary, backend, results_dir):
    data_dir = tempfile.mkdtemp(prefix="qys-bench-")
    if backend == "sqlite":
        url = "sqlite://" + os.path.join(data_dir, "bench.db")
    else:
        base = args.postgres_url.rsplit("/", 1)[0]
        subprocess.run(["psql", args.postgres_url, "-qc", "DROP DATABASE IF EXISTS qiyeshao_bench"], check=True)
        subprocess.run(["psql", args.postgres_url, "-qc", "CREATE DATABASE qiyeshao_bench"], check=True)
        url = base + "/qiyeshao_bench"
    extra_env = {}
    if args.notifications == "off":
        extra_env = {"QIYESHAO__NOTIFICATIONS__EMAIL__TRANSPORT": "off",
                     "QIYESHAO__NOTIFICATIONS__SMS__PROVIDER": "off"}
    server = Server(binary, url, data_dir, os.path.join(results_dir, backend + "-server.log"), extra_env)
    rows = []
    try:
        enterprise = http("POST", server.base + "/api/v1/auth/login", body={"username": "enterprise", "password": PASSWORD})
        token = enterprise["access_token"]
        category = http("GET", server.base + "/api/v1/categories", token)["items"][0]["id"]
        ticket = http("GET", server.base + "/api/v1/tickets?limit=100", token)["items"][-1]["id"]
        file_env = {"TOKEN": token, "CATEGORY": category}
        # Warm up: caches, pool, SQLite pages.
        wrk(args, "file.lua", file_env, 3, "%s-warmup" % backend, results_dir, server.base + "/api/v1/tickets")
        scenarios = [
            ("file a ticket (POST /api/v1/tickets)", "file.lua", file_env, "/api/v1/tickets"),
            ("read a ticket with its timeline (GET /api/v1/tickets/{id})", "read.lua",
             {"TOKEN": token, "READ_PATH": "/api/v1/tickets/" + ticket}, "/api/v1/tickets/" + ticket),
            ("list a page of 20 (GET /api/v1/tickets?limit=20)", "read.lua",
             {"TOKEN": token, "READ_PATH": "/api/v1/tickets?limit=20"}, "/api/v1/tickets?limit=20"),
        ]
        for name, script, env, path in scenarios:
            runs = []
            for i in range(args.runs):
                label = "%s-%s-%d" % (backend, script.split(".")[0] + ("-list" if "limit" in path else ""), i + 1)
                runs.append(wrk(args, script, env, args.duration, label, results_dir, server.base + path, server))
            med = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p90", "p99", "non2xx", "cpu_us")}
            med["requests"] = sum(r["requests"] for r in runs)
            rows.append((backend, name, med, runs))
            print("  %s / %s: %.0f req/s, p99 %.2f ms, %.0f us CPU/request" % (
                backend, name, med["rps"], med["p99"], med["cpu_us"]), file=sys.stderr)
        total = http("GET", server.base + "/api/v1/tickets?limit=1", token)
        rss = server.rss_mib()
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        if backend == "postgres":
            subprocess.run(["psql", args.postgres_url, "-qc", "DROP DATABASE IF EXISTS qiyeshao_bench"])
    return rows, rss


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--notifications", choices=["on", "off"], default="on")
    args = p.parse_args()
    ensure_wrk()
    binary = build()
    results_dir = os.path.join(BENCH, "results", time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(results_dir, exist_ok=True)
    lines = ["| backend | scenario | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | server CPU µs/request |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for backend in args.backends.split(","):
        rows, rss = run_backend(args, binary, backend, results_dir)
        for b, name, med, _ in rows:
            lines.append("| %s | %s | %.0f | %.2f | %.2f | %.2f | %d | %.0f |" % (
                b, name, med["rps"], med["p50"], med["p90"], med["p99"], med["non2xx"], med["cpu_us"]))
        lines.append("| %s | server resident memory after the runs | %.0f MiB | | | | | |" % (backend, rss))
    table = "\n".join(lines)
    print("\nMedians of %d runs of %d s each, %d connections, wrk -t%d, on %d CPUs (%s), notifications %s:\n" % (
        args.runs, args.duration, args.connections, args.threads, os.cpu_count(), time.strftime("%Y-%m-%d"),
        args.notifications))
    print(table)
    with open(os.path.join(results_dir, "summary.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
