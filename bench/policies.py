#!/usr/bin/env python3
"""送政策 at scale (issue 20): matching one new policy over --enterprises enterprises.

Starts the server once on a fresh database (the demo data and the schema), stops it, writes
--enterprises enterprises with their information (`enterprise_traits`: scale, size,
qualifications, founding date, each unknown for some) straight into the database (SQLite with
Python's sqlite3, PostgreSQL with psql's COPY), starts the server again and, as the
administrator, times:

- publishing a policy (`POST /policies/{id}/publish`) and its push to every enterprise that fits,
  from the publication to `push_state = done` (the push records one row per enterprise told;
  these enterprises have no users, so no messages are queued);
- `GET /policies/{id}/enterprises?limit=50`: matching the policy against every enterprise, with
  the counts and the first page (20 runs);
- `GET /stats/policies` with five policies in force (10 runs);
- `GET /me/policies` as the demo enterprise (20 runs).

Medians in milliseconds (min–max), release build, loopback, one request at a time.

Usage: python3 bench/policies.py [--enterprises 100000] [--backends sqlite,postgres]
                                 [--binary PATH] [--postgres-url URL]
"""
import argparse
import http.client
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bulletin import call  # noqa: E402
from load import Server, build  # noqa: E402
from search import login  # noqa: E402

CHAINS = ["绿色食品", "先进储能材料", "智能终端", "医药医疗器械", "新型合金", "文化旅游", None]
AREAS = ["望城经开区", "铜官片区", "滨江南", "滨江北", "河东", "大泽湖", "靖港", None]
SCALES = ["above", "below", None]
SIZES = ["large", "medium", "small", "micro", None]
QUALS = ["0193f000-0000-7000-8000-00000000020%d" % i for i in range(1, 7)]
FIELD = "0193f000-0000-7000-8000-000000000101"
NOW = "2026-12-01T00:00:00.000Z"


def rows(n):
    """The enterprises and their traits, the same on every run."""
    rng = random.Random(20261207)
    for i in range(n):
        eid = str(uuid.UUID(int=rng.getrandbits(128)))
        name = "基准企业%06d有限公司" % i
        code = "91430112%010d" % i
        quals = rng.choice([None, [], [rng.choice(QUALS)], rng.sample(QUALS, 2)])
        founded = rng.choice([None, "%d-%02d-15" % (rng.randint(1995, 2025), rng.randint(1, 12))])
        yield (eid, name, code, rng.choice(CHAINS), rng.choice(AREAS), rng.choice(SCALES),
               rng.choice(SIZES), None if quals is None else json.dumps(quals), founded)


def fill_sqlite(path, n):
    db = sqlite3.connect(path)
    with db:
        for (eid, name, code, chain, area, scale, size, quals, founded) in rows(n):
            db.execute("INSERT INTO enterprises (id, name, credit_code, industry_chain, area, address, "
                       "contact_name, contact_phone, liaison_cadre_id, search_text, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, ?)",
                       (eid, name, code, chain, area, name + " " + code.lower(), NOW, NOW))
            db.execute("INSERT INTO enterprise_traits (enterprise_id, scale, size, qualification_ids, "
                       "employees, revenue_band, founded_on, verified, updated_by, updated_at, verified_by, "
                       "verified_at, recheck) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1, NULL, ?, NULL, NULL, 0)",
                       (eid, scale, size, quals, founded, NOW))
    db.close()


def fill_postgres(url, n):
    def copy(table, columns, lines):
        data = "\n".join(lines) + "\n"
        subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                        "COPY %s (%s) FROM STDIN" % (table, columns)],
                       input=data.encode(), check=True)
    esc = lambda v: "\\N" if v is None else str(v).replace("\\", "\\\\")  # noqa: E731
    ents, traits = [], []
    for (eid, name, code, chain, area, scale, size, quals, founded) in rows(n):
        ents.append("\t".join(esc(v) for v in (eid, name, code, chain, area, name + " " + code.lower(), NOW, NOW)))
        traits.append("\t".join(esc(v) for v in (eid, scale, size, quals, founded, "t", NOW, "f")))
    copy("enterprises", "id, name, credit_code, industry_chain, area, search_text, created_at, updated_at", ents)
    copy("enterprise_traits", "enterprise_id, scale, size, qualification_ids, founded_on, verified, updated_at, recheck",
         traits)


def median(xs):
    return "%.0f (%.0f–%.0f)" % (statistics.median(xs), min(xs), max(xs))


def policy(title, criteria):
    return {"title": title, "department_id": None, "field_id": FIELD, "summary": title,
            "benefit": {"kind": "amount", "amount_fen": 10000000, "description": "最高 10 万元"},
            "criteria": criteria}


def measure(server):
    token = login(server.port, "admin")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    dept = call(conn, token, "GET", "/api/v1/departments")[1]["items"][0]["id"]
    criteria = [
        {"sizes": ["small", "micro"], "industry_chains": ["智能终端", "先进储能材料"]},
        {"qualification_ids": QUALS[:2], "founded_after": "2010-01-01"},
        {"scales": ["above"]},
        {"areas": ["靖港", "铜官片区"], "sizes": ["micro"]},
        {},
    ]
    out = {}
    first = None
    for i, c in enumerate(criteria):
        body = policy("基准政策%d" % i, c)
        body["department_id"] = dept
        draft = call(conn, token, "POST", "/api/v1/policies", body)[1]
        start = time.perf_counter()
        ms = call(conn, token, "POST", "/api/v1/policies/%s/publish" % draft["id"], {})[0]
        while call(conn, token, "GET", "/api/v1/policies/%s" % draft["id"])[1]["push_state"] != "done":
            time.sleep(0.05)
        pushed = (time.perf_counter() - start) * 1000
        counts = call(conn, token, "GET", "/api/v1/policies/%s/enterprises?limit=1" % draft["id"])[1]["counts"]
        out.setdefault("publish", []).append(ms)
        out.setdefault("publish → pushed", []).append(pushed)
        print("  policy %d %s: publish %.0f ms, pushed to %d (+%d may fit) in %.0f ms"
              % (i, json.dumps(c, ensure_ascii=False), ms, counts["fits"], counts["may_fit"], pushed),
              file=sys.stderr)
        first = first or draft["id"]
    for _ in range(20):
        out.setdefault("GET /policies/{id}/enterprises?limit=50", []).append(
            call(conn, token, "GET", "/api/v1/policies/%s/enterprises?limit=50" % first)[0])
    for _ in range(10):
        out.setdefault("GET /stats/policies (5 in force)", []).append(
            call(conn, token, "GET", "/api/v1/stats/policies")[0])
    ent = login(server.port, "enterprise")
    for _ in range(20):
        out.setdefault("GET /me/policies", []).append(call(conn, ent, "GET", "/api/v1/me/policies")[0])
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--enterprises", type=int, default=100_000)
    p.add_argument("--backends", default="sqlite")
    p.add_argument("--binary")
    p.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = p.parse_args()
    binary = args.binary or build()
    for backend in args.backends.split(","):
        work = tempfile.mkdtemp(prefix="bench-policies-")
        if backend == "sqlite":
            path = os.path.join(work, "q.db")
            url = path
        else:
            name = "bench_policies_%d" % os.getpid()
            subprocess.run(["psql", args.postgres_url, "-q", "-c", "CREATE DATABASE %s" % name], check=True)
            url = args.postgres_url.rsplit("/", 1)[0] + "/" + name
        server = Server(binary, url, os.path.join(work, "data"), os.path.join(work, "server.log"), {})
        server.stop()
        start = time.perf_counter()
        if backend == "sqlite":
            fill_sqlite(path, args.enterprises)
        else:
            fill_postgres(url, args.enterprises)
        print("%s: %d enterprises written in %.0f s" % (backend, args.enterprises, time.perf_counter() - start),
              file=sys.stderr)
        server.start()
        try:
            results = measure(server)
        finally:
            server.stop()
        print("\n%s, %d enterprises" % (backend, args.enterprises))
        print("| request | median ms (min–max) |\n|---|---:|")
        for k, v in results.items():
            print("| %s | %s |" % (k, median(v)))


if __name__ == "__main__":
    main()
