#!/usr/bin/env python3
"""Statistics at scale: fills a database with `qiyeshao seed-load --tickets N` (timed), then
times the statistics endpoints over the last year against a release build on loopback, on
SQLite and on PostgreSQL, and the ledger download with the server's peak memory.

Usage: python3 bench/stats.py [--tickets 1000000] [--backends sqlite,postgres] [--runs 30]
                              [--postgres-url URL] [--skip-ledger]

Each request is sent --runs times one after another on one keep-alive connection (after
three warm-up requests); the table gives the median and the 90th percentile of the time to
the last byte, in milliseconds. Prints a Markdown table.
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import PASSWORD, Server, build  # noqa: E402


def peak_rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Client:
    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.token = token

    def json(self, path):
        self.conn.request("GET", path, headers={"Authorization": "Bearer " + self.token})
        return json.loads(self.conn.getresponse().read())

    def get(self, path):
        start = time.perf_counter()
        self.conn.request("GET", path, headers={"Authorization": "Bearer " + self.token})
        r = self.conn.getresponse()
        size = 0
        while True:
            chunk = r.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
        elapsed = (time.perf_counter() - start) * 1000
        if r.status != 200:
            raise RuntimeError("%s: %d" % (path, r.status))
        return elapsed, size


def login(port, username):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": username, "password": PASSWORD})
    conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())["access_token"]


def run_backend(args, binary, backend):
    data_dir = tempfile.mkdtemp(prefix="qys-stats-")
    if backend == "sqlite":
        url = "sqlite://" + os.path.join(data_dir, "bench.db")
    else:
        base = args.postgres_url.rsplit("/", 1)[0]
        subprocess.run(["psql", args.postgres_url, "-qc", "DROP DATABASE IF EXISTS qiyeshao_stats"], check=True)
        subprocess.run(["psql", args.postgres_url, "-qc", "CREATE DATABASE qiyeshao_stats"], check=True)
        url = base + "/qiyeshao_stats"
    env = dict(os.environ, DATABASE_URL=url, QIYESHAO__DATA__DIR=data_dir, QIYESHAO__LOG__LEVEL="warn")
    results = {}
    try:
        print("  %s: seed-load --tickets %d" % (backend, args.tickets), file=sys.stderr)
        start = time.perf_counter()
        subprocess.run([binary, "seed-load", "--tickets", str(args.tickets)], env=env, check=True,
                       stderr=subprocess.DEVNULL)
        results["seed_s"] = time.perf_counter() - start
        subprocess.run([binary, "user", "add", "--role", "admin", "--username", "bench-admin",
                        "--password", PASSWORD], env=env, check=True, stdout=subprocess.DEVNULL)
        if backend == "sqlite":
            results["db_mib"] = os.path.getsize(os.path.join(data_dir, "bench.db")) / 2**20
        server = Server(binary, url, data_dir, os.path.join(data_dir, "server.log"), {})
        try:
            client = Client(server.port, login(server.port, "bench-admin"))
            year = "from=%s&to=%s" % (args.year_from, args.year_to)
            paths = [
                ("summary, a year", "/api/v1/stats/summary?" + year),
                ("summary, a year, one department", None),
                ("breakdown by department, a year", "/api/v1/stats/breakdown?by=department&" + year),
                ("trend by month, a year", "/api/v1/stats/trend?interval=month&" + year),
                ("ranking, a year", "/api/v1/stats/ranking?" + year),
                ("chart trend.svg, a year", "/api/v1/stats/charts/trend.svg?" + year),
                ("summary, a month, kind=problem (counted ticket by ticket)",
                 "/api/v1/stats/summary?kind=problem&from=%s&to=%s" % (args.month_from, args.month_to)),
                ("breakdown by category, a month (counted ticket by ticket)",
                 "/api/v1/stats/breakdown?by=category&from=%s&to=%s" % (args.month_from, args.month_to)),
            ]
            dept = client.json("/api/v1/departments")["items"][0]["id"]
            paths[1] = (paths[1][0], "/api/v1/stats/summary?department_id=%s&%s" % (dept, year))
            for name, path in paths:
                for _ in range(3):
                    client.get(path)
                times = [client.get(path)[0] for _ in range(args.runs)]
                times.sort()
                results[name] = (statistics.median(times), times[int(len(times) * 0.9) - 1])
                print("  %s / %s: median %.1f ms, p90 %.1f ms" % ((backend, name) + results[name]),
                      file=sys.stderr)
            if not args.skip_ledger:
                for fmt in ("csv", "xlsx"):
                    elapsed, size = client.get("/api/v1/ledger.%s?created_from=%s&created_to=%s" % (
                        fmt, args.year_from, args.year_to))
                    results["ledger." + fmt] = (elapsed / 1000, size / 2**20)
                    print("  %s / ledger.%s (a year): %.1f s, %.0f MiB" % (
                        backend, fmt, elapsed / 1000, size / 2**20), file=sys.stderr)
            results["peak_rss_mib"] = peak_rss_mib(server.proc.pid)
        finally:
            server.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if backend == "postgres":
            subprocess.run(["psql", args.postgres_url, "-qc", "DROP DATABASE IF EXISTS qiyeshao_stats"])
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--skip-ledger", action="store_true")
    today = time.strftime("%Y-%m-%d")
    last_year = "%d%s" % (int(today[:4]) - 1, today[4:])
    p.add_argument("--year-from", default=last_year)
    p.add_argument("--year-to", default=today)
    p.add_argument("--month-from", default=today[:8] + "01" if today[8:] > "01" else last_year)
    p.add_argument("--month-to", default=today)
    args = p.parse_args()
    if args.month_from >= args.month_to:
        args.month_from = last_year
    binary = build()
    all_results = {}
    for backend in args.backends.split(","):
        all_results[backend] = run_backend(args, binary, backend)
    backends = list(all_results)
    print("\n%d tickets (`seed-load`), a year = %s to %s.\n" % (args.tickets, args.year_from, args.year_to))
    print("| | " + " | ".join(backends) + " |")
    print("|---|" + "---|" * len(backends))
    print("| seed-load | " + " | ".join("%.0f s" % all_results[b]["seed_s"] for b in backends) + " |")
    names = [k for k in all_results[backends[0]] if isinstance(all_results[backends[0]][k], tuple)
             and not k.startswith("ledger")]
    for name in names:
        print("| %s | " % name + " | ".join(
            "%.1f ms (p90 %.1f)" % all_results[b][name] for b in backends) + " |")
    for fmt in ("csv", "xlsx"):
        key = "ledger." + fmt
        if key in all_results[backends[0]]:
            print("| %s, a year | " % key + " | ".join(
                "%.1f s, %.0f MiB" % all_results[b][key] for b in backends) + " |")
    print("| server peak RSS | " + " | ".join("%.0f MiB" % all_results[b]["peak_rss_mib"] for b in backends) + " |")
    if "db_mib" in all_results.get("sqlite", {}):
        print("\nSQLite database: %.0f MiB." % all_results["sqlite"]["db_mib"])


if __name__ == "__main__":
    main()
