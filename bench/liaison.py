#!/usr/bin/env python3
"""The liaison program at scale (千名干部进千企, issue 19): fills a database with `qiyeshao
seed-load --tickets N` (or reuses one kept by --keep, as bench/search.py does), starts the
server and, as the administrator, pairs every enterprise with a cadre (`PATCH /enterprises/{id}`,
every third with a deputy), records --visits visits over the last four weeks (`POST /visits`,
every tenth with a request filed on it), opens a campaign, then times, one request at a time:

- `GET /stats/liaison` by department, area and industry chain (the month, the year);
- `GET /campaigns/{id}` (the progress by department, area and chain);
- `GET /enterprises/{id}/profile` of 20 enterprises;
- `GET /tickets?limit=20` as a cadre who is the liaison cadre of some enterprises and the
  deputy of others (the cadre scope's new branch).

The median time to the last byte in milliseconds (min–max). Release build, loopback.

Usage: python3 bench/liaison.py [--tickets 1000000] [--backends sqlite,postgres] [--visits 2000]
                                [--keep DIR] [--binary PATH] [--postgres-url URL]
"""
import argparse
import datetime
import http.client
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bulletin import call  # noqa: E402
from load import PASSWORD, Server, build  # noqa: E402
from search import database, login  # noqa: E402

CHINA = datetime.timezone(datetime.timedelta(hours=8))
RUNS = 20


def everything(conn, token, path):
    """Every item of a paged list."""
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        page = path + sep + "limit=100" + ("&cursor=" + cursor if cursor else "")
        body = call(conn, token, "GET", page)[1]
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def prepare(conn, token, visits):
    """Pairs every enterprise, records the visits, opens a campaign; returns what was made."""
    cadres = [u for u in everything(conn, token, "/api/v1/users?role=cadre") if not u.get("disabled")]
    enterprises = everything(conn, token, "/api/v1/enterprises")
    for i, e in enumerate(enterprises):
        lead = cadres[i % len(cadres)]
        body = {"liaison_cadre_id": lead["id"]}
        if i % 3 == 0:
            body["deputy_ids"] = [cadres[(i + 1) % len(cadres)]["id"]]
        call(conn, token, "PATCH", "/api/v1/enterprises/%s" % e["id"], body)
        e["lead"] = lead["id"]
    categories = call(conn, token, "GET", "/api/v1/categories")[1]["items"]
    today = datetime.datetime.now(CHINA).date()
    for n in range(visits):
        e = enterprises[(n * 7) % len(enterprises)]
        body = {"enterprise_id": e["id"], "cadre_id": e["lead"],
                "visited_on": (today - datetime.timedelta(days=n % 28)).isoformat(),
                "method": "on_site", "people": "总经理", "findings": "走访基准 %d" % n}
        if n % 10 == 0:
            body["requests"] = [{"kind": "problem", "category_id": categories[n % len(categories)]["id"],
                                 "title": "走访收集的诉求 %d" % n, "description": "基准测试在走访中提交的诉求。"}]
        call(conn, token, "POST", "/api/v1/visits", body)
    campaign = call(conn, token, "POST", "/api/v1/campaigns", {
        "title": "基准专项行动", "starts_on": (today - datetime.timedelta(days=27)).isoformat(),
        "ends_on": today.isoformat()})[1]
    # A cadre who leads some enterprises and is the deputy of others.
    deputy = cadres[1 % len(cadres)]
    return enterprises, campaign["id"], deputy


def timed(conn, token, path):
    call(conn, token, "GET", path)  # warm-up
    return [call(conn, token, "GET", path)[0] for _ in range(RUNS)]


def measure(server, visits):
    token = login(server.port, "admin")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    enterprises, campaign, deputy = prepare(conn, token, visits)
    today = datetime.datetime.now(CHINA).date()
    month = "from=%s&to=%s" % (today.replace(day=1).isoformat(), (today + datetime.timedelta(days=1)).isoformat())
    times = {}
    for by in ("department", "area", "industry_chain"):
        times["stats/liaison month by " + by] = timed(conn, token, "/api/v1/stats/liaison?%s&by=%s" % (month, by))
    times["stats/liaison year"] = timed(conn, token, "/api/v1/stats/liaison")
    times["campaign progress"] = timed(conn, token, "/api/v1/campaigns/%s" % campaign)
    times["profile"] = [call(conn, token, "GET", "/api/v1/enterprises/%s/profile" % e["id"])[0]
                        for e in enterprises[:RUNS]]
    cadre = login(server.port, deputy["username"])
    times["cadre's list (with deputies)"] = timed(conn, cadre, "/api/v1/tickets?limit=20")
    shape = "%d enterprises paired, %d visits" % (len(enterprises), visits)
    return times, shape


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=1_000_000)
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--visits", type=int, default=2000)
    p.add_argument("--keep")
    p.add_argument("--binary")
    p.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = p.parse_args()
    binary = args.binary or build()
    print("%d tickets; median (min–max) ms, one request at a time (password %s)" % (args.tickets, PASSWORD))
    for backend in args.backends.split(","):
        data_dir, url, _, loaded = database(args, backend)
        env = {"QIYESHAO__SCHEDULER__ENABLED": "false"}
        server = Server(binary, url, data_dir, os.path.join(data_dir, "server.log"), env,
                        tickets=0 if loaded else args.tickets)
        try:
            times, shape = measure(server, args.visits)
        finally:
            server.stop()
        print("\n%s (%s)" % (backend, shape))
        for what, ms in times.items():
            print("  %-32s %8.1f  (%.1f–%.1f)" % (what, statistics.median(ms), min(ms), max(ms)))


if __name__ == "__main__":
    main()
