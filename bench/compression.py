#!/usr/bin/env python3
"""Does compressing the API's answers pay for its CPU? For each large answer (a page of
tickets, a ticket with its timeline, the statistics' breakdown, the ledger as CSV), asks it
with wrk at a fixed concurrency, without Accept-Encoding and with gzip and with br, and
prints the server's CPU per request (from /proc, user + system), requests/s and the bytes
of one answer in each encoding, and what those bytes cost on a 1.6 Mbit/s link. A server
that does not compress an answer sends the same bytes in every row.

Usage: python3 bench/compression.py [--binary PATH] [--tickets 20000] [--duration 8]
                                    [--connections 8] [--runs 3]

Without --binary it uses the release build in CARGO_TARGET_DIR. The server serves the demo
data plus --tickets tickets from `seed-load`, over SQLite, on loopback.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/qiyeshao/target"))
PASSWORD = "Qiyeshao@2026"
ENCODINGS = [("none", None), ("gzip", "gzip"), ("br", "br, gzip")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, token=None, body=None, accept=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if accept:
        req.add_header("Accept-Encoding", accept)
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.headers.get("Content-Encoding", ""), r.read()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(TARGET, "release", "qiyeshao"))
    ap.add_argument("--tickets", type=int, default=20000)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="qiyeshao-compress-")
    env = dict(os.environ, QIYESHAO__DATA__DIR=work, DATABASE_URL="sqlite://%s/q.db" % work,
               QIYESHAO__AUTH__MAX_FAILURES_PER_IP="1000000")
    env.pop("QIYESHAO_ASSETS_DIR", None)
    subprocess.run([args.binary, "seed-load", "--tickets", str(args.tickets)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    add = [args.binary, "user", "add", "--role", "admin", "--username", "bench-admin",
           "--password", PASSWORD]
    # --keep-password: no password change asked for (builds before 2026-12-08 know no such flag).
    if subprocess.run(add + ["--keep-password"], env=env, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(add, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    server = subprocess.Popen([args.binary, "serve", "--bind", "127.0.0.1:%d" % port], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                request(base + "/readyz")
                break
            except Exception:
                time.sleep(0.25)
        _, body = request(base + "/api/v1/auth/login", body={"username": "bench-admin", "password": PASSWORD})
        token = json.loads(body)["access_token"]
        _, body = request(base + "/api/v1/tickets?limit=1", token)
        ticket = json.loads(body)["items"][0]["id"]
        endpoints = [
            ("a page of 20 tickets", "/api/v1/tickets?limit=20"),
            ("a ticket with its timeline", "/api/v1/tickets/%s" % ticket),
            ("stats breakdown by department", "/api/v1/stats/breakdown?by=department"),
            ("the ledger, CSV, %d rows" % args.tickets, "/api/v1/ledger.csv"),
        ]
        print("| answer | Accept-Encoding | bytes | at 1.6 Mbit/s | requests/s | server CPU µs/request |")
        print("|---|---|---:|---:|---:|---:|")
        for label, path in endpoints:
            for name, accept in ENCODINGS:
                enc, body = request(base + path, token, accept=accept)
                cpu, rps = [], []
                for _ in range(args.runs):
                    headers = ["-H", "Authorization: Bearer " + token]
                    if accept:
                        headers += ["-H", "Accept-Encoding: " + accept]
                    before = cpu_seconds(server.pid)
                    out = subprocess.run(["wrk", "-t2", "-c%d" % args.connections, "-d%ds" % args.duration]
                                         + headers + [base + path], capture_output=True, text=True,
                                         check=True).stdout
                    used = cpu_seconds(server.pid) - before
                    total = int(out.split(" requests in ")[0].split()[-1])
                    cpu.append(used / total * 1e6)
                    rps.append(total / args.duration)
                print("| %s | %s | %d%s | %.0f ms | %.0f | %.0f |" % (
                    label, name, len(body), "" if enc else " (sent as is)" if accept else "",
                    len(body) * 8 / 1600, statistics.median(rps), statistics.median(cpu)))
    finally:
        server.terminate()
        server.wait(timeout=20)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
