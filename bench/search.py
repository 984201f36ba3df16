#!/usr/bin/env python3
"""Search at scale (issue 18): fills a database with `qiyeshao seed-load --tickets N` (timed;
the loader fills the search index too), then, as the demo's dispatcher, asks the ticket list
for a common word (用电), two words in either order (路灯 门前), a rare word (危化品) and a ticket
number, each by relevance and newest first: one request at a time on one keep-alive connection
after a warm-up, --runs times, the median time to the last byte in milliseconds. A release
build on loopback, on SQLite and on PostgreSQL. The query plans are printed after the figures.

Usage: python3 bench/search.py [--tickets 1000000] [--backends sqlite,postgres] [--runs 7]
                               [--keep DIR] [--binary PATH] [--postgres-url URL]

--keep DIR keeps the loaded databases (SQLite: DIR/sqlite-N/search.db; PostgreSQL: the database
qiyeshao_search_N) and reuses them on the next run with the same --tickets.
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import PASSWORD, Server, build  # noqa: E402

QUERIES = [
    ("高新技术", "a long word inside longer ones (none in the load)"),
    ("用电", "common word"),
    ("路灯 门前", "two words"),
    ("危化品", "rare word"),
]


def timed(conn, token, path):
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    resp = conn.getresponse()
    body = resp.read()
    ms = (time.perf_counter() - start) * 1000
    if resp.status != 200:
        raise RuntimeError("%s: %d %s" % (path, resp.status, body[:300]))
    return ms, json.loads(body)


def login(port, username):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("POST", "/api/v1/auth/login", body=json.dumps({"username": username, "password": PASSWORD}),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    if resp.status != 200:
        raise RuntimeError("login %s: %s" % (username, body))
    return body["access_token"]


def repeat(conn, token, path, runs):
    """The median, min and max ms of `runs` requests after a warm-up, and the last answer."""
    timed(conn, token, path)  # warm-up
    times = []
    body = None
    for _ in range(runs):
        ms, body = timed(conn, token, path)
        times.append(ms)
    return statistics.median(times), min(times), max(times), body


def seed_user(db, backend, role_pattern):
    """A seed-load user's name: the cadre (`cadre`) or enterprise user (`ent`) whose department
    or enterprise has the most tickets in waiting or handling, from the database itself."""
    if role_pattern == "cadre":
        sql = ("SELECT u.username FROM users u JOIN tickets t ON t.department_id = u.department_id "
               "WHERE u.username LIKE 'seed-%-cadre-%' GROUP BY u.username ORDER BY count(*) DESC LIMIT 1")
    else:
        sql = ("SELECT u.username FROM users u JOIN tickets t ON t.enterprise_id = u.enterprise_id "
               "WHERE u.username LIKE 'seed-%-ent-%' AND t.status IN ('submitted', 'accepted', 'assigned', 'in_progress') "
               "GROUP BY u.username ORDER BY count(*) DESC LIMIT 1")
    if backend == "sqlite":
        import sqlite3
        return sqlite3.connect(db).execute(sql).fetchone()[0]
    return subprocess.run(["psql", db, "-X", "-A", "-t", "-c", sql], capture_output=True, text=True,
                          check=True).stdout.strip()


def measure(server, runs, db, backend):
    token = login(server.port, "dispatcher")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    _, first = timed(conn, token, "/api/v1/tickets?limit=1")
    number = first["items"][0]["number"]
    rows = []
    for q, what in QUERIES + [(number, "ticket number")]:
        for sort in ("relevance", "newest"):
            path = "/api/v1/tickets?limit=20&sort=%s&q=%s" % (sort, urllib.parse.quote(q))
            median, lo, hi, body = repeat(conn, token, path, runs)
            rows.append((q, what, sort, median, lo, hi, len(body["items"])))
    # A page deep in a common word's matches by relevance (past the ranked window).
    path = "/api/v1/tickets?limit=20&q=%s&cursor=%s" % (urllib.parse.quote("用电"), offset_cursor(2000))
    median, lo, hi, body = repeat(conn, token, path, runs)
    rows.append(("用电", "common word, page 101", "relevance", median, lo, hi, len(body["items"])))
    # A department's cadre: the scope narrows the matches.
    cadre = seed_user(db, backend, "cadre")
    cadre_token = login(server.port, cadre)
    # The keep-alive connection may have been closed while the database was asked.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    for q in ("用电", "路灯 门前", "危化品"):
        for sort in ("relevance", "newest"):
            path = "/api/v1/tickets?limit=20&sort=%s&q=%s" % (sort, urllib.parse.quote(q))
            median, lo, hi, body = repeat(conn, cadre_token, path, runs)
            rows.append((q, "a cadre (%s)" % cadre, sort, median, lo, hi, len(body["items"])))
    # Similar requests (相似诉求) of the 20 newest waiting requests, as the dispatcher: each once
    # after a warm-up of the first, the median over the 20.
    _, waiting = timed(conn, token, "/api/v1/tickets?status=submitted&limit=20")
    ids = [t["id"] for t in waiting["items"]]
    times = []
    found = 0
    if ids:
        timed(conn, token, "/api/v1/tickets/%s/similar?limit=3" % ids[0])
    for i in ids:
        ms, body = timed(conn, token, "/api/v1/tickets/%s/similar?limit=3" % i)
        times.append(ms)
        found += len(body["items"])
    if times:
        rows.append(("(a waiting request)", "similar requests, %d requests" % len(ids), "score",
                     statistics.median(times), min(times), max(times), found))
    # The filing page's hint, as the enterprise user with the most open requests.
    ent = seed_user(db, backend, "ent")
    ent_token = login(server.port, ent)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    path = "/api/v1/tickets/similar?title=%s&description=%s" % (
        urllib.parse.quote("用电报装进度慢"), urllib.parse.quote("新厂房申请专变一个月了还没人来勘查"))
    median, lo, hi, body = repeat(conn, ent_token, path, runs)
    rows.append(("用电报装进度慢 …", "the filing hint (%s)" % ent, "score", median, lo, hi, len(body["items"])))
    return rows


def offset_cursor(offset):
    """The list's cursor of a position in a relevance order (`service::encode_offset_cursor`)."""
    import base64
    return base64.urlsafe_b64encode(("@%d" % offset).encode()).decode().rstrip("=")


def sqlite_plans(db_path):
    """The plans of the two search queries' shapes, from sqlite3 (the statements the service
    sends, with the words bound by hand)."""
    import sqlite3
    con = sqlite3.connect(db_path)
    out = []
    for label, sql in [
        ("relevance", "SELECT tickets.id FROM tickets JOIN ticket_words ON ticket_words.ticket_id = tickets.id "
                      "JOIN ticket_words_fts ON ticket_words_fts.rowid = ticket_words.id "
                      "WHERE ticket_words_fts MATCH '\"用电\"' ORDER BY bm25(ticket_words_fts), tickets.id DESC LIMIT 21"),
        ("newest", "SELECT tickets.id FROM tickets WHERE tickets.id IN (SELECT ticket_words.ticket_id FROM "
                   "ticket_words_fts JOIN ticket_words ON ticket_words.id = ticket_words_fts.rowid "
                   "WHERE ticket_words_fts MATCH '\"用电\"') ORDER BY tickets.id DESC LIMIT 21"),
    ]:
        plan = con.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        out.append("%s:\n%s" % (label, "\n".join("  " + r[3] for r in plan)))
    return "\n".join(out)


def postgres_plans(url):
    out = []
    for label, sql in [
        ("relevance", "SELECT tickets.id FROM tickets JOIN ticket_words ON ticket_words.ticket_id = tickets.id "
                      "WHERE ticket_words.tsv @@ plainto_tsquery('simple', '用电') "
                      "ORDER BY ts_rank(ticket_words.tsv, plainto_tsquery('simple', '用电'), 1) DESC, tickets.id DESC LIMIT 21"),
        ("newest", "SELECT tickets.id FROM tickets WHERE tickets.id IN (SELECT ticket_words.ticket_id FROM ticket_words "
                   "WHERE ticket_words.tsv @@ plainto_tsquery('simple', '用电')) ORDER BY tickets.id DESC LIMIT 21"),
    ]:
        plan = subprocess.run(["psql", url, "-X", "-q", "-A", "-t", "-c", "EXPLAIN ANALYZE " + sql],
                              capture_output=True, text=True, check=True).stdout
        out.append("%s:\n%s" % (label, "\n".join("  " + line for line in plan.splitlines())))
    return "\n".join(out)


def database(args, backend):
    """The benchmark's database of `backend`: (its data folder, its URL, the SQLite file or the
    PostgreSQL URL, whether it holds the load already). With --keep, kept and reused by
    --tickets; otherwise fresh."""
    keep = args.keep
    data_dir = os.path.join(keep, "%s-%d" % (backend, args.tickets)) if keep else tempfile.mkdtemp(prefix="qys-search-")
    os.makedirs(data_dir, exist_ok=True)
    if backend == "sqlite":
        db_path = os.path.join(data_dir, "search.db")
        return data_dir, "sqlite://" + db_path, db_path, os.path.exists(db_path)
    name = "qiyeshao_search_%d" % args.tickets
    base = args.postgres_url.rsplit("/", 1)[0]
    url = base + "/" + name
    exists = subprocess.run(["psql", args.postgres_url, "-X", "-A", "-t", "-c",
                             "SELECT 1 FROM pg_database WHERE datname = '%s'" % name],
                            capture_output=True, text=True, check=True).stdout.strip() == "1"
    loaded = exists and bool(keep)
    if not loaded:
        subprocess.run(["psql", args.postgres_url, "-X", "-q", "-c", "DROP DATABASE IF EXISTS %s" % name], check=True)
        subprocess.run(["psql", args.postgres_url, "-X", "-q", "-c", "CREATE DATABASE %s" % name], check=True)
    return data_dir, url, url, loaded


def run_backend(args, binary, backend):
    data_dir, url, db_path, loaded = database(args, backend)
    env = {"QIYESHAO__SCHEDULER__ENABLED": "false"}
    log_path = os.path.join(data_dir, "server.log")
    started = time.perf_counter()
    server = Server(binary, url, data_dir, log_path, env, tickets=0 if loaded else args.tickets)
    load_s = time.perf_counter() - started
    try:
        rows = measure(server, args.runs, db_path, backend)
    finally:
        server.stop()
    plans = sqlite_plans(db_path) if backend == "sqlite" else postgres_plans(url)
    return {"rows": rows, "load_s": None if loaded else load_s, "plans": plans}


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
        print("| q | what | sort | median | min–max | items |")
        print("|---|---|---|---|---|---|")
        for q, what, sort, median, lo, hi, found in r["rows"]:
            print("| %s | %s | %s | %.1f | %.1f–%.1f | %d |" % (q, what, sort, median, lo, hi, found))
        print("\n```\n%s\n```" % r["plans"])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
