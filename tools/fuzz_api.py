#!/usr/bin/env python3
"""API fuzzing of a running qiyeshao with schemathesis, once per demo role (issue 7).

Usage:
    python3 tools/fuzz_api.py --base-url http://127.0.0.1:18089 --seconds 240 --out fuzz.json

The server must be running with demo data (``qiyeshao serve --demo``). For each role (enterprise,
cadre, dispatcher, admin — least privileged first, so that what an administrator changes cannot
get in the way of the others) the script signs in with the demo password and runs
``schemathesis run`` against ``/api/openapi.json`` with that bearer token and the checks
``not_a_server_error``, ``status_code_conformance``, ``content_type_conformance`` and
``response_schema_conformance``. The time budget is divided evenly across the roles.

Operations that would end the fuzzing session are left out: ``POST /api/v1/auth/logout`` and
``POST /api/v1/auth/refresh`` (they revoke the sign-in's refresh tokens). ``--exclude`` leaves
out more (e.g. ``--exclude 'GET /api/v1/ledger.csv'``).

The report (``--out``) is JSON: cases per role, and every distinct failure (operation, check,
failure title, status) with how often and by which roles it was seen, one reproducing request
(as curl, with ``$TOKEN`` standing for the role's access token) and the response. The exit code
is 0 when nothing failed, 1 on any failure (or a schemathesis error), 2 when the run could not be
set up (server unreachable, sign-in refused, schemathesis missing).

Needs schemathesis pinned to the version below (``pip install schemathesis==4.32.5``). It is run
through its command line, the interface schemathesis keeps stable, and its NDJSON event report is
read for the details. A fixed ``--seed`` keeps the generated data the same from run to run; the
number of cases still depends on the machine's speed, since the budget is in seconds.
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

SCHEMATHESIS_VERSION = "4.32.5"
ROLES = ("enterprise", "cadre", "dispatcher", "admin")
PASSWORD = "Qiyeshao@2026"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# Operations that revoke the session the fuzzer signs in with.
DEFAULT_EXCLUDES = (
    "POST /api/v1/auth/logout",
    "POST /api/v1/auth/refresh",
)
DEFAULT_SEED = 20261122
# Access tokens live 900 s by default; sign in again before each role's run anyway.
MAX_BODY_SHOWN = 2000


def log(msg: str) -> None:
    print(msg, flush=True)


def http_json(method: str, url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, {"raw": raw.decode("utf-8", "replace")}


def sign_in(base_url: str, role: str) -> str:
    status, body = http_json(
        "POST", f"{base_url}/api/v1/auth/login", {"username": role, "password": PASSWORD}
    )
    if status != 200 or "access_token" not in body:
        raise RuntimeError(f"sign-in as {role} answered {status}: {body}")
    return body["access_token"]


def find_schemathesis() -> list[str]:
    """The schemathesis command: the one installed beside this Python, else on PATH."""
    for name in ("schemathesis", "st"):
        beside = Path(sys.executable).with_name(name)
        if beside.exists():
            return [str(beside)]
    found = shutil.which("schemathesis")
    if found:
        return [found]
    raise RuntimeError(
        f"schemathesis not found; install it with: pip install schemathesis=={SCHEMATHESIS_VERSION}"
    )


def schemathesis_version(cmd: list[str]) -> str:
    out = subprocess.run(cmd + ["--version"], capture_output=True, text=True, timeout=60)
    m = re.search(r"(\d+\.\d+\.\d+)", out.stdout + out.stderr)
    return m.group(1) if m else "unknown"


# ---------------------------------------------------------------------------------------------
# Reading the NDJSON events


def decode_body(container: dict | None) -> bytes | None:
    if not container:
        return None
    if "$base64" in container:
        return base64.b64decode(container["$base64"])
    if "string" in container:
        return container["string"].encode()
    return None


def scrub(text: str, token: str) -> str:
    return text.replace(token, "$TOKEN") if token else text


def shell_body(body: bytes) -> tuple[str, bool]:
    """(argument, piped): a curl --data-binary argument, or a printf to pipe into curl."""
    try:
        text = body.decode("utf-8")
        if "\x00" not in text and text.isprintable():
            return shlex.quote(text), False
    except UnicodeDecodeError:
        pass
    out = []
    for b in body:
        c = chr(b)
        if c == "%":
            out.append("%%")
        elif c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("\\047")
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append(f"\\{b:03o}")
    return "printf '" + "".join(out) + "'", True


def curl_for(request: dict, token: str) -> str:
    method = request.get("method", "GET")
    uri = request.get("uri", "")
    parts = ["curl", "-sS", "-i", "-X", method]
    for name, values in (request.get("headers") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            header = f"{name}: {value}"
            if token and token in header:
                # Keep $TOKEN expandable: double quotes around the header.
                parts.append('-H "' + header.replace('"', '\\"').replace(token, "$TOKEN") + '"')
            else:
                parts.append("-H " + shlex.quote(header))
    body = decode_body(request.get("body"))
    prefix = ""
    if body is not None:
        arg, piped = shell_body(body)
        if piped:
            prefix = arg + " | "
            parts.append("--data-binary @-")
        else:
            parts.append("--data-binary " + arg)
    parts.append(shlex.quote(uri))
    return prefix + " ".join(parts)


def response_summary(response: dict | None, token: str) -> dict:
    if not response:
        return {"status": None}
    headers = response.get("headers") or {}
    ctype = headers.get("content-type") or headers.get("Content-Type") or [""]
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    body = decode_body(response.get("content")) or b""
    try:
        text = body.decode("utf-8")
        binary = "\x00" in text
    except UnicodeDecodeError:
        binary = True
    if binary:
        text = f"<{len(body)} bytes of {ctype or 'binary data'}>"
    else:
        text = printable(text)
        if len(text) > MAX_BODY_SHOWN:
            text = text[:MAX_BODY_SHOWN] + f"… ({len(body)} bytes)"
    return {"status": response.get("status_code"), "content_type": ctype, "body": scrub(text, token)}


def printable(text: str) -> str:
    """Control characters escaped, so that a terminal or CI log shows them safely."""
    return "".join(
        c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def failure_key(info: dict, check: str, response: dict | None) -> tuple:
    failure = info.get("failure", {})
    operation = failure.get("operation") or "?"
    title = failure.get("title") or failure.get("type") or check
    message = failure.get("message") or ""
    status = (response or {}).get("status_code")
    # Messages like "Received: 401\nDocumented: 200, 404" or a JSON-schema error: the first line
    # (without the values that change from case to case) tells distinct failures apart.
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "…", first)[:160]
    return (operation, check, title, status, first)


class RoleResult:
    def __init__(self, role: str):
        self.role = role
        self.requests = 0
        self.cases = 0
        self.failing_cases = 0
        self.scenarios = 0
        self.per_phase: Counter = Counter()
        self.errors: list[str] = []
        self.failures: dict[tuple, dict] = {}
        self.elapsed = 0.0
        self.exit_code: int | None = None
        self.summary: dict = {}


def read_events(path: Path, result: RoleResult, token: str, offset: int = 0) -> int:
    """Reads events from `offset` on (whole lines only), folds them into `result`."""
    if not path.exists():
        return offset
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read()
    end = data.rfind(b"\n")
    if end < 0:
        return offset
    for line in data[: end + 1].splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for kind, payload in event.items():
            if kind == "ScenarioFinished":
                fold_scenario(payload, result, token)
            elif kind == "NonFatalError":
                result.errors.append(scrub(str(payload.get("info", payload))[:1000], token))
            elif kind == "FatalError":
                result.errors.append(scrub(str(payload.get("exception", payload))[:1000], token))
    return offset + end + 1


def fold_scenario(s: dict, result: RoleResult, token: str) -> None:
    rec = s.get("recorder") or {}
    checks = rec.get("checks") or {}
    interactions = rec.get("interactions") or {}
    cases = rec.get("cases") or {}
    result.scenarios += 1
    result.cases += len(checks)
    result.requests += len(interactions)
    result.per_phase[s.get("phase", "?")] += len(checks)
    for case_id, case_checks in checks.items():
        failed = [c for c in case_checks if c.get("status") == "failure"]
        if failed:
            result.failing_cases += 1
        interaction = interactions.get(case_id) or {}
        case = (cases.get(case_id) or {}).get("value") or {}
        meta = case.get("meta") or {}
        for c in failed:
            info = c.get("failure_info") or {}
            key = failure_key(info, c.get("name", "?"), interaction.get("response"))
            request = interaction.get("request") or {}
            curl = curl_for(request, token)
            entry = result.failures.get(key)
            if entry is None:
                failure = info.get("failure") or {}
                entry = result.failures[key] = {
                    "operation": key[0],
                    "check": key[1],
                    "title": key[2],
                    "status": key[3],
                    "message": printable(scrub(failure.get("message") or "", token)),
                    "count": 0,
                    "phase": s.get("phase"),
                    "scenario": ((meta.get("phase") or {}).get("data") or {}).get("description"),
                    "generation_mode": (meta.get("generation") or {}).get("mode"),
                    "curl": curl,
                    "response": response_summary(interaction.get("response"), token),
                }
            entry["count"] += 1
            # Keep the shortest reproduction seen (shrinking makes later ones smaller).
            if len(curl) < len(entry["curl"]):
                entry["curl"] = curl
                entry["response"] = response_summary(interaction.get("response"), token)
                entry["message"] = printable(scrub((info.get("failure") or {}).get("message") or "", token))


# ---------------------------------------------------------------------------------------------


def run_role(args, st_cmd: list[str], role: str, token: str, seconds: int, workdir: Path) -> RoleResult:
    result = RoleResult(role)
    rdir = workdir / role
    rdir.mkdir(parents=True, exist_ok=True)
    ndjson = rdir / "events.ndjson"
    report = rdir / "report.json"
    cmd = st_cmd + [
        "run",
        f"{args.base_url}/api/openapi.json",
        "--url",
        args.base_url,
        "-H",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--mode",
        args.mode,
        "--max-time",
        str(seconds),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
        "--output-sanitize",
        "false",
        "--no-color",
        "--report",
        "ndjson,json",
        "--report-ndjson-path",
        str(ndjson),
        "--report-json-path",
        str(report),
    ]
    for op in list(DEFAULT_EXCLUDES) + list(args.exclude):
        # An operation's name is its label, "METHOD /path" as written in the document.
        method, _, path = op.strip().partition(" ")
        cmd += ["--exclude-name", f"{method.upper()} {path.strip()}"]
    shown = " ".join(shlex.quote(scrub(c, token)) for c in cmd)
    log(f"[{role}] {shown}")
    started = time.monotonic()
    with (rdir / "schemathesis.log").open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=rdir)
        offset = 0
        last = 0.0
        hard_limit = seconds + 300
        while True:
            try:
                proc.wait(timeout=2)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic() - started
            if now > hard_limit:
                proc.kill()
                proc.wait()
                result.errors.append(f"schemathesis did not stop within {hard_limit}s; killed")
                break
            if now - last >= 15:
                last = now
                offset = read_events(ndjson, result, token, offset)
                log(
                    f"[{role}] {now:5.0f}s/{seconds}s: {result.cases} cases, "
                    f"{result.failing_cases} failing, {len(result.failures)} distinct failures"
                )
    read_events(ndjson, result, token, offset)
    result.elapsed = time.monotonic() - started
    result.exit_code = proc.returncode
    if report.exists():
        try:
            rep = json.loads(report.read_text())
            result.summary = {
                "generated": rep.get("test_cases", {}).get("generated"),
                "stop_reason": rep.get("stop_reason"),
                "operations": rep.get("operations"),
                "warnings": {k: v for k, v in (rep.get("warnings") or {}).items() if v},
            }
            for err in rep.get("errors") or []:
                result.errors.append(scrub(json.dumps(err, ensure_ascii=False)[:1000], token))
        except ValueError:
            pass
    # A non-zero exit without any failure found means schemathesis itself went wrong.
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not result.failures and not result.errors):
        tail = (rdir / "schemathesis.log").read_text(errors="replace")[-3000:]
        result.errors.append(f"schemathesis exited {proc.returncode}: {scrub(tail, token)}")
    log(
        f"[{role}] done in {result.elapsed:.0f}s: {result.cases} cases "
        f"({result.requests} requests), {result.failing_cases} failing, "
        f"{len(result.failures)} distinct failures, {len(result.errors)} errors"
    )
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", required=True, help="a running qiyeshao with demo data")
    ap.add_argument("--seconds", type=int, default=240, help="time budget for all roles (default 240)")
    ap.add_argument("--out", required=True, help="where to write the JSON report")
    ap.add_argument("--roles", default=",".join(ROLES), help="comma-separated, in run order")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--mode", choices=("positive", "negative", "all"), default="all",
                    help="schemathesis data generation mode (default all)")
    ap.add_argument("--workers", type=int, default=1, help="concurrent schemathesis workers (default 1)")
    ap.add_argument("--exclude", action="append", default=[], metavar="'METHOD /path'",
                    help="leave an operation out as well (repeatable)")
    ap.add_argument("--keep-artifacts", metavar="DIR",
                    help="keep schemathesis' logs and event reports in DIR")
    args = ap.parse_args()
    args.base_url = args.base_url.rstrip("/")
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]

    try:
        st_cmd = find_schemathesis()
    except RuntimeError as err:
        log(f"error: {err}")
        return 2
    version = schemathesis_version(st_cmd)
    if version != SCHEMATHESIS_VERSION:
        log(f"warning: schemathesis {version} installed, this script is written for {SCHEMATHESIS_VERSION}")

    try:
        status, doc = http_json("GET", f"{args.base_url}/api/openapi.json")
    except OSError as err:
        log(f"error: {args.base_url} does not answer: {err}")
        return 2
    if status != 200 or "paths" not in doc:
        log(f"error: GET /api/openapi.json answered {status}")
        return 2
    n_ops = sum(1 for p in doc["paths"].values() for m in p if m in ("get", "put", "post", "patch", "delete"))
    log(f"schemathesis {version}; {n_ops} operations in the document; roles {', '.join(roles)}; "
        f"{args.seconds}s budget; seed {args.seed}; mode {args.mode}")

    # Sign every role in first: a later sign-in could be refused if a privileged role's fuzzing
    # changed that account, and tokens carry the role, so an early token keeps working.
    tokens: dict[str, str] = {}
    for role in roles:
        try:
            tokens[role] = sign_in(args.base_url, role)
        except (RuntimeError, OSError) as err:
            log(f"error: {err}")
            return 2

    if args.keep_artifacts:
        workdir = Path(args.keep_artifacts)
        workdir.mkdir(parents=True, exist_ok=True)
        cleanup = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="fuzz_api-"))
        cleanup = True

    started = time.monotonic()
    results: list[RoleResult] = []
    for i, role in enumerate(roles):
        remaining = args.seconds - (time.monotonic() - started)
        seconds = max(5, int(remaining / (len(roles) - i)) - 2)
        token = tokens[role]
        try:
            token = sign_in(args.base_url, role)  # a fresh token for long budgets
        except (RuntimeError, OSError) as err:
            log(f"[{role}] sign-in again refused ({err}); using the token from the start")
        results.append(run_role(args, st_cmd, role, token, seconds, workdir))
    total = time.monotonic() - started

    # Merge failures across roles.
    merged: dict[tuple, dict] = {}
    for res in results:
        for key, entry in res.failures.items():
            m = merged.get(key)
            if m is None:
                m = merged[key] = dict(entry, roles={}, count=0)
                m["role"] = res.role
            m["roles"][res.role] = entry["count"]
            m["count"] += entry["count"]
    failures = sorted(merged.values(), key=lambda e: (e["operation"], e["check"], str(e["status"])))
    errors = {r.role: r.errors for r in results if r.errors}

    report = {
        "base_url": args.base_url,
        "schemathesis": version,
        "seed": args.seed,
        "mode": args.mode,
        "checks": list(CHECKS),
        "excluded": list(DEFAULT_EXCLUDES) + list(args.exclude),
        "seconds_budget": args.seconds,
        "seconds_taken": round(total, 1),
        "roles": {
            r.role: {
                "seconds": round(r.elapsed, 1),
                "cases": r.cases,
                "requests": r.requests,
                "cases_per_phase": dict(r.per_phase),
                "failing_cases": r.failing_cases,
                "distinct_failures": len(r.failures),
                "schemathesis_exit_code": r.exit_code,
                "schemathesis": r.summary,
            }
            for r in results
        },
        "failures": failures,
        "errors": errors,
        "ok": not failures and not errors,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")

    # Summary.
    log("")
    log("=" * 78)
    log(f"API fuzzing: {sum(r.cases for r in results)} cases in {total:.0f}s")
    for r in results:
        log(f"  {r.role:<11} {r.cases:>6} cases {r.requests:>6} requests {r.elapsed:>5.0f}s "
            f"{r.failing_cases:>5} failing  {len(r.failures):>3} distinct failures")
    if failures:
        log("")
        log(f"{len(failures)} distinct failures (operation / check / status); $TOKEN is the role's access token:")
        by_op: dict[str, list[dict]] = {}
        for f in failures:
            by_op.setdefault(f["operation"], []).append(f)
        for op, entries in by_op.items():
            log("")
            log(f"{op}")
            for f in entries:
                roles_seen = ", ".join(f"{k}×{v}" for k, v in f["roles"].items())
                log(f"  - {f['check']}: {f['title']} — got {f['status']} ({roles_seen})")
                for line in f["message"].strip().splitlines()[:6]:
                    log(f"      {line[:200]}")
                log(f"      as {f['role']}: {f['curl'][:1500]}")
                resp = f["response"]
                log(f"      → {resp.get('status')} {resp.get('content_type', '')} {resp.get('body', '')[:300]}")
    if failures:
        log("")
        log("by check and status:")
        classes = Counter((f["check"], f["title"], f["status"]) for f in failures)
        for (check, title, status), n in sorted(classes.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            log(f"  {n:>4} operations  {check}: {title} — {status}")
    for role, errs in errors.items():
        for e in errs:
            log(f"[{role}] error: {e[:1000]}")
    log("")
    log(f"report: {args.out}")
    if cleanup:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        log(f"artifacts: {workdir}")
    n_cases = sum(r.cases for r in results)
    n_fail = sum(r.failing_cases for r in results)
    log(f"fuzz_api: {n_cases - n_fail} passed, {n_fail} failed")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
