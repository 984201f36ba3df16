#!/usr/bin/env python3
"""The weekly bulletin at scale (每周通报, issue 19): fills a database with `qiyeshao seed-load
--tickets N` (or reuses one kept by --keep, as bench/search.py does), starts the server and, as
the demo's administrator, drafts the bulletins of --weeks past weeks (`POST /api/v1/bulletins`:
the week's and the year's statistics, the departments' breakdowns, the ranking, the overdue
requests, the systemic issues), recounts one (`PATCH … recount`), renders its Word document
and workbook as a draft, and publishes it (which renders and keeps both). One request at a time;
the median time to the last byte in milliseconds. Release build, loopback, SQLite and
PostgreSQL.

Usage: python3 bench/bulletin.py [--tickets 1000000] [--backends sqlite,postgres] [--weeks 7]
                                 [--keep DIR] [--binary PATH] [--postgres-url URL]
"""
import argparse
import datetime
import http.client
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import Server, build  # noqa: E402
from search import database, login  # noqa: E402

CHINA = datetime.timezone(datetime.timedelta(hours=8))


def call(conn, token, method, path, body=None):
    start = time.perf_counter()
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    ms = (time.perf_counter() - start) * 1000
    if resp.status >= 300:
        raise RuntimeError("%s %s: %d %s" % (method, path, resp.status, data[:300]))
    return ms, (json.loads(data) if resp.headers.get("Content-Type", "").startswith("application/json") else len(data))


def measure(server, weeks):
    token = login(server.port, "admin")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    today = datetime.datetime.now(CHINA).date()
    monday = today - datetime.timedelta(days=today.weekday())
    drafts = []
    times = {"draft": [], "recount": [], "docx (draft)": [], "xlsx (draft)": [], "publish": []}
    for i in range(1, weeks + 1):
        start = (monday - datetime.timedelta(days=7 * i)).isoformat()
        ms, b = call(conn, token, "POST", "/api/v1/bulletins", {"from": start})
        times["draft"].append(ms)
        drafts.append(b)
    for b in drafts:
        ms, again = call(conn, token, "PATCH", "/api/v1/bulletins/%s" % b["id"], {"version": b["version"], "recount": True})
        times["recount"].append(ms)
        b["version"] = again["version"]
        times["docx (draft)"].append(call(conn, token, "GET", "/api/v1/bulletins/%s/bulletin.docx" % b["id"])[0])
        times["xlsx (draft)"].append(call(conn, token, "GET", "/api/v1/bulletins/%s/tables.xlsx" % b["id"])[0])
    for b in drafts:
        times["publish"].append(call(conn, token, "POST", "/api/v1/bulletins/%s/publish" % b["id"], {"version": b["version"]})[0])
    first = drafts[0]["figures"]
    shape = "%d departments, %d overdue named of %d, %d systemic issues" % (
        len(first["departments"]), len(first["overdue"]), first["overdue_count"], len(first["systemic"]))
    return times, shape


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--weeks", type=int, default=7)
    p.add_argument("--keep")
    p.add_argument("--binary")
    p.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = p.parse_args()
    binary = args.binary or build()
    print("%d tickets; median (min–max) ms over %d weeks, one request at a time" % (args.tickets, args.weeks))
    for backend in args.backends.split(","):
        data_dir, url, _, loaded = database(args, backend)
        env = {"QIYESHAO__SCHEDULER__ENABLED": "false"}
        server = Server(binary, url, data_dir, os.path.join(data_dir, "server.log"), env,
                        tickets=0 if loaded else args.tickets)
        try:
            times, shape = measure(server, args.weeks)
        finally:
            server.stop()
        print("\n%s (%s)" % (backend, shape))
        for what, ms in times.items():
            print("  %-14s %8.0f  (%.0f–%.0f)" % (what, statistics.median(ms), min(ms), max(ms)))


if __name__ == "__main__":
    main()
