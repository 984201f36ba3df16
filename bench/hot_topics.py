#!/usr/bin/env python3
"""Hot topics at scale (热点诉求, issue 18): fills a database with `qiyeshao seed-load --tickets N`
(or reuses one kept by --keep, as bench/search.py does), starts the server and times its first
background count of every day's words (`service::hot_topics::count_due`), then, as the demo's
dispatcher, asks `GET /api/v1/stats/hot-topics` for the last 30 days with no filter and with
each filter the counts slice by, for the year so far, and with filters they do not (counted
from the requests), and the chart: one request at a time on one keep-alive connection after a
warm-up, --runs times, the median time to the last byte in milliseconds. Release build,
loopback, SQLite and PostgreSQL. The plan of the counts' query is printed after the figures.

Usage: python3 bench/hot_topics.py [--tickets 1000000] [--backends sqlite,postgres] [--runs 7]
                                   [--keep DIR] [--binary PATH] [--postgres-url URL]
"""
import argparse
import datetime
import http.client
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import Server, build  # noqa: E402
from search import database, login, timed  # noqa: E402

CHINA = datetime.timezone(datetime.timedelta(hours=8))


def today_cn():
    return datetime.datetime.now(CHINA).date()


def sql(backend, target, query):
    """One value of `query`."""
    if backend == "sqlite":
        con = sqlite3.connect(target)
        try:
            return con.execute(query).fetchone()[0]
        finally:
            con.close()
    out = subprocess.run(["psql", target, "-X", "-q", "-A", "-t", "-c", query],
                         capture_output=True, text=True, check=True).stdout.strip()
    return out


def wait_for_count(backend, target, started, timeout=3600):
    """Seconds from `started` until every day from the first filing to today is counted."""
    first = sql(backend, target, "SELECT created_at FROM tickets ORDER BY id LIMIT 1")
    first_day = (datetime.datetime.fromisoformat(first.replace("Z", "+00:00")).astimezone(CHINA).date())
    days = (today_cn() - first_day).days + 1
    while time.perf_counter() - started < timeout:
        try:
            n = int(sql(backend, target, "SELECT COUNT(*) FROM hot_days"))
        except Exception:
            n = 0
        if n >= days:
            return time.perf_counter() - started, days
        time.sleep(1)
    raise RuntimeError("the count did not finish in %d s" % timeout)


def measure(server, runs):
    token = login(server.port, "dispatcher")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    _, depts = timed(conn, token, "/api/v1/departments")
    _, cats = timed(conn, token, "/api/v1/categories")
    today = today_cn()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    month = (today - datetime.timedelta(days=29)).isoformat()
    year = today.replace(month=1, day=1).isoformat()
    cases = [
        ("30 days", {"from": month, "to": tomorrow}),
        ("30 days, a department", {"from": month, "to": tomorrow, "department_id": depts["items"][0]["id"]}),
        ("30 days, a category", {"from": month, "to": tomorrow, "category_id": cats["items"][0]["id"]}),
        ("30 days, a kind", {"from": month, "to": tomorrow, "kind": "suggestion"}),
        ("the year so far", {"from": year, "to": tomorrow}),
        ("7 days, a status (from the requests)", {"from": (today - datetime.timedelta(days=6)).isoformat(),
                                                 "to": tomorrow, "status": "submitted"}),
        ("30 days, a status (from the requests)", {"from": month, "to": tomorrow, "status": "closed"}),
    ]
    rows = []
    for what, query in cases:
        path = "/api/v1/stats/hot-topics?" + urllib.parse.urlencode(query)
        timed(conn, token, path)  # warm-up
        times = []
        body = None
        for _ in range(runs):
            ms, body = timed(conn, token, path)
            times.append(ms)
        top = body["words"][0] if body["words"] else {}
        rows.append((what, statistics.median(times), min(times), max(times), body["tickets"],
                     "%s %s" % (top.get("text", "—"), top.get("count", ""))))
    # The chart (SVG), the 30 days.
    path = "/api/v1/stats/charts/hot-topics.svg?" + urllib.parse.urlencode(cases[0][1])
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": "Bearer " + token})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError("%s: %d" % (path, resp.status))
        if i:
            times.append((time.perf_counter() - start) * 1000)
    rows.append(("the chart, 30 days", statistics.median(times), min(times), max(times), None, ""))
    return rows


def plans(backend, target):
    today = today_cn()
    frm = (today - datetime.timedelta(days=29)).isoformat()
    to = (today + datetime.timedelta(days=1)).isoformat()
    year = today.replace(month=1, day=1).isoformat()
    out = []
    for label, lo in [("30 days", frm), ("the year", year)]:
        q = ("SELECT word, SUM(tickets) AS n FROM hot_words WHERE dim = '' AND value IN ('') "
             "AND day >= '%s' AND day < '%s' GROUP BY word ORDER BY n DESC, word LIMIT 300" % (lo, to))
        if backend == "sqlite":
            con = sqlite3.connect(target)
            plan = "\n".join("  " + r[3] for r in con.execute("EXPLAIN QUERY PLAN " + q))
            start = time.perf_counter()
            con.execute(q).fetchall()
            plan += "\n  (%.1f ms in sqlite3)" % ((time.perf_counter() - start) * 1000)
            con.close()
        else:
            plan = subprocess.run(["psql", target, "-X", "-q", "-A", "-t", "-c", "EXPLAIN ANALYZE " + q],
                                  capture_output=True, text=True, check=True).stdout
            plan = "\n".join("  " + line for line in plan.splitlines())
        out.append("%s:\n%s" % (label, plan))
    rows = sql(backend, target, "SELECT COUNT(*) FROM hot_words")
    out.append("hot_words rows: %s" % rows)
    return "\n".join(out)


def run_backend(args, binary, backend):
    data_dir, url, target, loaded = database(args, backend)
    env = {"QIYESHAO__SCHEDULER__ENABLED": "false"}
    log_path = os.path.join(data_dir, "server.log")
    started = time.perf_counter()
    server = Server(binary, url, data_dir, log_path, env, tickets=0 if loaded else args.tickets)
    load_s = time.perf_counter() - started
    try:
        count_started = time.perf_counter()
        count_s, days = wait_for_count(backend, target, count_started)
        cpu = server.cpu_seconds()
        rows = measure(server, args.runs)
        rss = server.rss_mib()
    finally:
        server.stop()
    return {"rows": rows, "load_s": None if loaded else load_s, "count_s": count_s, "days": days,
            "cpu_s": cpu, "rss": rss, "plans": plans(backend, target)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--keep")
    p.add_argument("--binary")
    p.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = p.parse_args()
    binary = args.binary or build()
    print("%d tickets; median (min–max) ms of %d requests, one at a time, after a warm-up; "
          "load average %s" % (args.tickets, args.runs, os.getloadavg()))
    for backend in args.backends.split(","):
        r = run_backend(args, binary, backend)
        load = "" if r["load_s"] is None else " (load and start %.0f s)" % r["load_s"]
        print("\n### %s%s\n" % (backend, load))
        print("The first count after the start: %d days in %.0f s (the server's CPU by then %.0f s); "
              "resident memory after the requests %.0f MiB.\n" % (r["days"], r["count_s"], r["cpu_s"], r["rss"]))
        print("| request | median | min–max | requests in the period | top word |")
        print("|---|---|---|---|---|")
        for what, median, lo, hi, tickets, top in r["rows"]:
            print("| %s | %.1f | %.1f–%.1f | %s | %s |" % (what, median, lo, hi,
                                                        "" if tickets is None else tickets, top))
        print("\n```\n%s\n```" % r["plans"])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
