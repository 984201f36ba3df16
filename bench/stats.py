#!/usr/bin/env python3
"""Statistics at scale: fills a database with `qiyeshao seed-load --tickets N` (timed), then
asks every statistics request — the summary, the breakdown by each dimension, the series by
day, week and month, the ranking, each chart and the assessment workbook — with no filter
and with each single filter (status, kind, category, lead department, assignee, enterprise),
as an administrator, as a department head and as a cadre, against a release build on
loopback, on SQLite and on PostgreSQL. Then the throughput of a few of them at
--connections (wrk), and the ledger's CSV of the year: rows per second and the server's
memory while it streams.

Usage: python3 bench/stats.py [--tickets 1000000] [--backends sqlite,postgres] [--runs 9]
                              [--keep DIR] [--binary PATH] [--connections 16]
                              [--duration 5] [--postgres-url URL] [--skip-ledger]

--keep DIR keeps the loaded databases (SQLite: DIR/stats-N.db; PostgreSQL: the database
qiyeshao_stats_N) and reuses them on the next run with the same --tickets, so that a run
after a change of the readers needs no new load (after a change of the schema or the cube,
delete them). Single requests are sent --runs times one after another on one keep-alive
connection after a warm-up; the tables give the median time to the last byte in
milliseconds. The scheduler is off in the measured server (its first sweeps over a loaded
database would be measured with the readers).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import PASSWORD, Server, build, ensure_wrk  # noqa: E402

BENCH = os.path.dirname(os.path.abspath(__file__))


def rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:  # the server is gone: the request reports it
        pass
    return 0.0


class Client:
    def __init__(self, port, token):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.token = token

    def request(self, method, path, body=None):
        headers = {"Authorization": "Bearer " + self.token}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        self.conn.request(method, path, body, headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data[:200]))
        return json.loads(data or b"null")

    def get(self, path):
        start = time.perf_counter()
        self.conn.request("GET", path, headers={"Authorization": "Bearer " + self.token})
        r = self.conn.getresponse()
        size = 0
        lines = 0
        while True:
            chunk = r.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            lines += chunk.count(b"\n")
        elapsed = (time.perf_counter() - start) * 1000
        if r.status != 200:
            raise RuntimeError("%s: %d" % (path, r.status))
        return elapsed, size, lines


def login(port, username):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": username, "password": PASSWORD})
    conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())["access_token"]


REQUESTS = [
    ("summary", "/api/v1/stats/summary?"),
    ("breakdown department", "/api/v1/stats/breakdown?by=department&"),
    ("breakdown category", "/api/v1/stats/breakdown?by=category&"),
    ("breakdown industry_chain", "/api/v1/stats/breakdown?by=industry_chain&"),
    ("breakdown area", "/api/v1/stats/breakdown?by=area&"),
    ("breakdown assignee", "/api/v1/stats/breakdown?by=assignee&"),
    ("breakdown channel", "/api/v1/stats/breakdown?by=channel&"),
    ("trend day", "/api/v1/stats/trend?interval=day&"),
    ("trend week", "/api/v1/stats/trend?interval=week&"),
    ("trend month", "/api/v1/stats/trend?interval=month&"),
    ("ranking", "/api/v1/stats/ranking?"),
    ("chart trend.svg", "/api/v1/stats/charts/trend.svg?"),
    ("chart departments.svg", "/api/v1/stats/charts/departments.svg?"),
    ("chart categories.svg", "/api/v1/stats/charts/categories.svg?"),
    ("chart satisfaction.svg", "/api/v1/stats/charts/satisfaction.svg?"),
]


def seed(args, binary, backend, env, data_dir):
    """Loads the database unless a kept one is there; returns the load's seconds or None."""
    marker = os.path.join(data_dir, "loaded")
    if os.path.exists(marker):
        print("  %s: reusing the kept database" % backend, file=sys.stderr)
        return None
    print("  %s: seed-load --tickets %d" % (backend, args.tickets), file=sys.stderr)
    start = time.perf_counter()
    subprocess.run([binary, "seed-load", "--tickets", str(args.tickets)], env=env, check=True,
                   stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    add = [binary, "user", "add", "--role", "admin", "--username", "bench-admin", "--password", PASSWORD]
    # --keep-password: no password change asked for (builds before 2026-12-08 know no such flag).
    if subprocess.run(add + ["--keep-password"], env=env, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(add, env=env, check=True, stdout=subprocess.DEVNULL)
    open(marker, "w").write("%d tickets, %.0f s\n" % (args.tickets, seconds))
    return seconds


def wrk_rps(port, token, path, args):
    script = os.path.join(tempfile.mkdtemp(prefix="qys-wrk-"), "get.lua")
    with open(script, "w") as f:
        f.write('wrk.headers["Authorization"] = "Bearer %s"\n' % token)
    out = subprocess.run(["wrk", "-t2", "-c%d" % args.connections, "-d%ds" % args.duration,
                          "-s", script, "--latency", "http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, int(errors.group(1)) if errors else 0


def run_backend(args, binary, backend):
    keep = args.keep
    data_dir = os.path.join(keep, "%s-%d" % (backend, args.tickets)) if keep else \
        tempfile.mkdtemp(prefix="qys-stats-")
    os.makedirs(data_dir, exist_ok=True)
    db_name = "qiyeshao_stats_%d" % args.tickets
    if backend == "sqlite":
        url = "sqlite://" + os.path.join(data_dir, "stats.db")
    else:
        base = args.postgres_url.rsplit("/", 1)[0]
        url = base + "/" + db_name
        if not os.path.exists(os.path.join(data_dir, "loaded")):
            subprocess.run(["psql", args.postgres_url, "-qc", "DROP DATABASE IF EXISTS %s" % db_name],
                           check=True)
            subprocess.run(["psql", args.postgres_url, "-qc", "CREATE DATABASE %s" % db_name],
                           check=True)
    env = dict(os.environ, DATABASE_URL=url, QIYESHAO__DATA__DIR=data_dir,
               QIYESHAO__LOG__LEVEL="warn")
    results = {"times": {}, "rps": {}}
    try:
        results["seed_s"] = seed(args, binary, backend, env, data_dir)
        if backend == "sqlite":
            results["db_mib"] = os.path.getsize(os.path.join(data_dir, "stats.db")) / 2**20
        server = Server(binary, url, data_dir, os.path.join(data_dir, "server.log"),
                        {"QIYESHAO__SCHEDULER__ENABLED": "false"})
        try:
            admin = Client(server.port, login(server.port, "bench-admin"))
            departments = admin.request("GET", "/api/v1/departments")["items"]
            categories = admin.request("GET", "/api/v1/categories")["items"]
            cadres = admin.request("GET", "/api/v1/users?role=cadre&limit=100")["items"]
            enterprise = admin.request("GET", "/api/v1/enterprises?limit=1")["items"][0]
            dept = departments[0]["id"]
            in_dept = [c for c in cadres if c.get("department_id") == dept]
            head, cadre = in_dept[0], in_dept[1]
            admin.request("PATCH", "/api/v1/departments/%s" % dept, {"head_user_id": head["id"]})
            readers = [
                ("admin", admin),
                ("department head", Client(server.port, login(server.port, head["username"]))),
                ("cadre", Client(server.port, login(server.port, cadre["username"]))),
            ]
            year = "from=%s&to=%s" % (args.year_from, args.year_to)
            filters = [
                ("none", ""),
                ("status", "status=in_progress,resolved&"),
                ("kind", "kind=problem&"),
                ("category", "category_id=%s&" % categories[0]["id"]),
                ("department", "department_id=%s&" % dept),
                ("assignee", "assignee_id=%s&" % cadre["id"]),
                ("enterprise", "enterprise_id=%s&" % enterprise["id"]),
            ]
            results["filters"] = [f[0] for f in filters]
            for reader, client in readers:
                for name, prefix in REQUESTS + [("assessment.xlsx", None)]:
                    for fname, fquery in filters:
                        if prefix is None:
                            if fname != "none" or reader != "admin":
                                continue
                            path = "/api/v1/stats/assessment.xlsx?month=%s" % args.year_to[:7]
                        else:
                            path = prefix + fquery + year
                        client.get(path)
                        times = sorted(client.get(path)[0] for _ in range(args.runs))
                        results["times"][(reader, name, fname)] = statistics.median(times)
                    print("  %s / %s / %s: %s" % (backend, reader, name, " ".join(
                        "%.1f" % results["times"][(reader, name, f[0])] for f in filters
                        if (reader, name, f[0]) in results["times"])), file=sys.stderr)
            ensure_wrk()
            for name, path in [
                ("summary", "/api/v1/stats/summary?" + year),
                ("breakdown category, status filter",
                 "/api/v1/stats/breakdown?by=category&status=in_progress,resolved&" + year),
                ("breakdown assignee", "/api/v1/stats/breakdown?by=assignee&" + year),
                ("trend month, kind filter", "/api/v1/stats/trend?interval=month&kind=problem&" + year),
                ("ranking", "/api/v1/stats/ranking?" + year),
            ]:
                results["rps"][name] = wrk_rps(server.port, admin.token, path, args)
                print("  %s / %d connections / %s: %.0f/s" % (
                    backend, args.connections, name, results["rps"][name][0]), file=sys.stderr)
            if not args.skip_ledger:
                peak = [rss_mib(server.proc.pid)]
                done = threading.Event()

                def sample():
                    while not done.wait(0.05):
                        peak.append(rss_mib(server.proc.pid))
                sampler = threading.Thread(target=sample)
                sampler.start()
                before = peak[0]
                # A new connection: the server closes one idle for 5 s, as this one was during wrk.
                fresh = Client(server.port, admin.token)
                elapsed, size, lines = fresh.get("/api/v1/ledger.csv?created_from=%s&created_to=%s"
                                                 % (args.year_from, args.year_to))
                done.set()
                sampler.join()
                results["ledger"] = (lines - 1, elapsed / 1000, size / 2**20, before, max(peak))
                print("  %s / ledger.csv: %d rows in %.1f s, %.0f MiB; RSS %.0f -> %.0f MiB" % (
                    (backend,) + results["ledger"]), file=sys.stderr)
        finally:
            server.stop()
    finally:
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
            if backend == "postgres":
                subprocess.run(["psql", args.postgres_url, "-qc", "DROP DATABASE IF EXISTS %s" % db_name])
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--keep")
    p.add_argument("--binary")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--skip-ledger", action="store_true")
    today = time.strftime("%Y-%m-%d")
    last_year = "%d%s" % (int(today[:4]) - 1, today[4:])
    p.add_argument("--year-from", default=last_year)
    p.add_argument("--year-to", default=today)
    args = p.parse_args()
    binary = args.binary or build()
    all_results = {}
    for backend in args.backends.split(","):
        all_results[backend] = run_backend(args, binary, backend)
    print("\n%d tickets (`seed-load`), a year = %s to %s; median ms of %d requests, one at a "
          "time.\n" % (args.tickets, args.year_from, args.year_to, args.runs))
    for backend, r in all_results.items():
        filters = r["filters"]
        seed_s = "%.0f s" % r["seed_s"] if r["seed_s"] else "kept"
        print("### %s (seed-load: %s%s)\n" % (backend, seed_s, ", database %.0f MiB" % r["db_mib"]
                                              if "db_mib" in r else ""))
        print("| reader | request | " + " | ".join(filters) + " |")
        print("|---|---|" + "---:|" * len(filters))
        keys = sorted({(k[0], k[1]) for k in r["times"]}, key=lambda k: (
            ["admin", "department head", "cadre"].index(k[0]),
            [n for n, _ in REQUESTS + [("assessment.xlsx", None)]].index(k[1])))
        for reader, name in keys:
            cells = ["%.1f" % r["times"][(reader, name, f)] if (reader, name, f) in r["times"]
                     else "" for f in filters]
            print("| %s | %s | %s |" % (reader, name, " | ".join(cells)))
        worst = max(r["times"].items(), key=lambda kv: kv[1])
        print("\nSlowest: %s, %.1f ms.\n" % (" / ".join(worst[0]), worst[1]))
        print("| at %d connections | requests/s | non-2xx |" % args.connections)
        print("|---|---:|---:|")
        for name, (rps, errors) in r["rps"].items():
            print("| %s | %.0f | %d |" % (name, rps, errors))
        if "ledger" in r:
            rows, seconds, mib, before, peak = r["ledger"]
            print("\nLedger CSV of the year: %d rows, %.0f MiB in %.1f s = %.0f rows/s; server RSS "
                  "%.0f MiB before, at most %.0f MiB while streaming.\n" % (
                      rows, mib, seconds, rows / seconds, before, peak))


if __name__ == "__main__":
    main()
