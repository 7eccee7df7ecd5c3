#!/usr/bin/env python3
"""Helper for bench/api-auth.sh: what an API key costs on a running monkeyci-server.

Standard library only, plus `wrk` (the load generator) on the PATH. Sub-commands:

  free-port                      print a free TCP port on 127.0.0.1
  wait  --base-url URL           wait until GET /healthz answers
  run   --label L --base-url URL --pid PID --server-log FILE --state FILE --out FILE
                                 sign in (development sign-in), create an organization and
                                 an organization key through the UI, then measure
                                 1. GET /healthz against GET /api/v1/whoami side by side (wrk)
                                 2. the first use of fresh keys against a hot key (sequential)
                                 writes the token and its public id to --state
  flood --label L --variant V --base-url URL --pid PID --server-log FILE --state FILE --out FILE
                                 valid whoami requests (wrk) while a second wrk sends bad keys;
                                 samples the server's memory every 200 ms
  create --label L --base-url URL --pid PID --server-log FILE --state FILE --out FILE
                                 key creations through the API with the organization key of
                                 --state (made through the UI first when the file is missing):
                                 a burst of N at once, then N connections creating for D seconds;
                                 samples the server's memory every 50 ms
  summary FILE...                print the summary tables of one or more result files

See bench/README.md.
"""

import argparse
import base64
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keys_page import Client, cmd_free_port, cmd_wait, csrf_token, free_port, percentile, server_times  # noqa: E402

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ADMIN_NAME = "Bench Admin"
ORG_NAME, ORG_SLUG = "API Bench", "api-bench"
KEYS_URL = f"/o/{ORG_SLUG}/settings/api-keys"
LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api_auth.lua")
TARGET_RATIO = 0.85
# Introspection of a hot key against healthz (issue #14).
INTROSPECT_TARGET_RATIO = 0.80
REFERENCE_TARGET_RATIO = 0.95
# The introspection client bench/api-auth.sh starts the server with.
INTROSPECTION_ID = "bench"
INTROSPECTION_SECRET = "bench-introspection-secret-0123456789abcdef"
SAMPLE_EVERY = 0.2


# --------------------------------------------------------------------------- tokens


def crc_base62(text):
    """The checksum of src/domain/api_key/token.rs: CRC32 as 6 base62 digits, most
    significant first."""
    value = zlib.crc32(text.encode())
    digits = []
    for _ in range(6):
        digits.append(BASE62[value % 62])
        value //= 62
    return "".join(reversed(digits))


def random_base62(rng, n):
    return "".join(rng.choice(BASE62) for _ in range(n))


def bad_tokens(kind, public_id, n, seed=1):
    """n well-formed tokens that must all be refused.

    wrong-secret: the real key's public id, a random secret, a valid checksum (a
                  database read and one argon2 check each);
    unknown-id:   random public ids, valid checksum (a database read and one argon2
                  check against the decoy hash each);
    junk:         the right shape with a wrong checksum (refused before any I/O)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pid = public_id if kind == "wrong-secret" else random_base62(rng, 16)
        body = "mci_org_" + pid + random_base62(rng, 32)
        checksum = crc_base62(body)
        if kind == "junk":
            checksum = checksum[:-1] + BASE62[(BASE62.index(checksum[-1]) + 1) % 62]
        out.append(body + checksum)
    return out


# --------------------------------------------------------------------------- UI


def sign_in(client, name=ADMIN_NAME):
    """Development sign-in: the same name is the same person, each call a new session."""
    status, _, html = client.request("GET", "/login")
    if status != 200:
        raise SystemExit(f"GET /login: {status}")
    status, _, _ = client.request(
        "POST", "/auth/dev/login", form={"name": name, "csrf_token": csrf_token(html), "return_to": "/"}
    )
    if status != 303:
        raise SystemExit(f"POST /auth/dev/login: {status} (is development sign-in on?)")


def sign_in_and_create_org(client):
    sign_in(client)
    status, _, html = client.request("GET", "/orgs/new")
    if status != 200:
        raise SystemExit(f"GET /orgs/new: {status}")
    status, resp, body = client.request(
        "POST", "/orgs", form={"name": ORG_NAME, "slug": ORG_SLUG, "csrf_token": csrf_token(html)}
    )
    if status != 303 or resp.getheader("Location") != f"/o/{ORG_SLUG}":
        raise SystemExit(f"POST /orgs: {status} {resp.getheader('Location')} {body[:300]!r}")


TOKEN_FIELD = re.compile(rb'<input id="new-key-token"[^>]*\bvalue="([^"]+)"')


def create_key(client, description):
    """Creates an organization key with full access through the form (the benchmarks
    create and delete keys with it); returns the one-time token read from the dialog
    of the page the form redirects to."""
    status, _, html = client.request("GET", KEYS_URL)
    if status != 200:
        raise SystemExit(f"GET {KEYS_URL}: {status}")
    valid_until = (datetime.now(timezone.utc) + timedelta(days=90)).date().isoformat()
    status, resp, body = client.request(
        "POST", KEYS_URL,
        form={"description": description, "valid_until": valid_until, "permissions": "full_access",
              "csrf_token": csrf_token(html)},
    )
    if status != 303:
        raise SystemExit(f"POST {KEYS_URL}: {status} {body[:300]!r}")
    status, _, html = client.request("GET", resp.getheader("Location") or KEYS_URL)
    m = TOKEN_FIELD.search(html)
    if status != 200 or not m:
        raise SystemExit(f"no one-time token on the keys page after creating a key (status {status})")
    token = m.group(1).decode()
    if len(token) != 62 or crc_base62(token[:56]) != token[56:]:
        raise SystemExit("the token on the page does not have the documented shape and checksum")
    return token


def api_client(base_url):
    return Client(base_url)


def api_get(client, path, token=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.request("GET", path, extra_headers=headers)


# --------------------------------------------------------------------------- wrk


def wrk(url, threads, connections, duration, token=None, tokens_file=None, timeout="10s", form=None, basic=None):
    """Runs wrk with bench/api_auth.lua; returns the parsed WRKJSON line plus req/s.
    `form`: a POST with this urlencoded body; `basic`: (id, secret) as HTTP Basic."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
           "--timeout", timeout, "-s", LUA]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if basic:
        credentials = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        cmd += ["-H", f"Authorization: Basic {credentials}"]
    cmd.append(url)
    return WrkRun(cmd, tokens_file, form)


class WrkRun:
    def __init__(self, cmd, tokens_file, form=None):
        env = dict(os.environ, WRK_TOKENS=tokens_file or "", WRK_FORM=form or "")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.cmd = cmd

    def result(self):
        out, err = self.proc.communicate()
        m = re.search(r"^WRKJSON (\{.*\})$", out, re.M)
        if self.proc.returncode != 0 or not m:
            raise SystemExit(f"wrk failed ({self.proc.returncode}): {' '.join(self.cmd)}\n{out}\n{err}")
        r = json.loads(m.group(1))
        r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
        return r


# --------------------------------------------------------------------------- memory


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])  # kB
            elif key == "Threads":
                out[key] = int(value)
    return out


def proc_cpu_seconds(pid):
    """User + system CPU time the server has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_schedstat_ns(pid):
    """(ns on a CPU, ns waiting for one) summed over the server's threads: finer than
    /proc/PID/stat's 10 ms ticks, for timing single requests."""
    run = wait = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                a, b, _ = f.read().split()
        except (OSError, ValueError):
            continue  # a thread that just ended
        run, wait = run + int(a), wait + int(b)
    return run, wait


class Sampler(threading.Thread):
    """VmRSS and thread count of the server every 200 ms (or `every` s), tagged with the phase."""

    def __init__(self, pid, every=SAMPLE_EVERY):
        super().__init__(daemon=True)
        self.pid, self.phase, self.samples, self.t0 = pid, "idle", [], time.monotonic()
        self.every = every
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                s = proc_status(self.pid)
            except OSError:
                break
            self.samples.append((self.phase, round(time.monotonic() - self.t0, 2), s["VmRSS"], s["Threads"]))
            self.stop.wait(self.every)

    def phase_stats(self, phase):
        rows = [s for s in self.samples if s[0] == phase]
        if not rows:
            return None
        return {"samples": len(rows), "rss_peak_kb": max(r[2] for r in rows), "rss_last_kb": rows[-1][2],
                "threads_peak": max(r[3] for r in rows)}


LOG_PROBLEMS = re.compile(r"status=5\d\d|panicked| ERROR | WARN ")


def log_problems(path, start_offset):
    """Lines logged since start_offset that show a 5xx, a panic, an error or a warning."""
    out = []
    with open(path, "rb") as f:
        f.seek(start_offset)
        for raw in f:
            line = re.sub(r"\x1b\[[0-9;]*m", "", raw.decode("utf-8", "replace")).rstrip()
            if LOG_PROBLEMS.search(line):
                out.append(line)
    return out


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# --------------------------------------------------------------------------- run


def stats_ms(values):
    return {"n": len(values), "median_ms": statistics.median(values), "p95_ms": percentile(values, 95),
            "min_ms": min(values), "max_ms": max(values)}


def timed_get(client, path, token=None):
    t0 = time.perf_counter_ns()
    status, resp, body = api_get(client, path, token)
    ms = (time.perf_counter_ns() - t0) / 1e6
    return status, ms, resp.getheader("X-Request-Id"), body


def side_by_side(args, token):
    """healthz, whoami, introspect, healthz, ...: the same wrk settings, one after the other.
    introspect: POST /api/v1/introspect of the same (hot) key, as an introspection client."""
    form = "token=" + urllib.parse.quote(token)
    cases = {"healthz": (f"{args.base_url}/healthz", {}),
             "whoami": (f"{args.base_url}/api/v1/whoami", {"token": token}),
             "introspect": (f"{args.base_url}/api/v1/introspect",
                            {"form": form, "basic": (INTROSPECTION_ID, INTROSPECTION_SECRET)})}
    if not getattr(args, "introspect", True):
        del cases["introspect"]
    # The reference (bench/reference/main.rs): a bare actix-web server checking a
    # SHA-256 digest, measured in the same rotation so that drift hits both alike.
    if getattr(args, "reference_url", None):
        cases["ref-healthz"] = (f"{args.reference_url}/healthz", {})
        cases["ref-whoami"] = (f"{args.reference_url}/whoami", {"token": token})
    # Warm-up: the key gets verified (argon2 once) and cached; wrk's connections,
    # the server's buffers and the CPU frequency settle.
    for name, (url, how) in cases.items():
        r = wrk(url, args.threads, args.connections, args.warmup_seconds, **how).result()
        if r["non_2xx_3xx"] or r["requests"] == 0:
            raise SystemExit(f"warm-up of {name}: {r['non_2xx_3xx']} non-2xx responses of {r['requests']}")
    runs = {name: [] for name in cases}
    for rnd in range(args.rounds):
        for name, (url, how) in cases.items():
            pid = args.reference_pid if name.startswith("ref-") else args.pid
            cpu0 = proc_cpu_seconds(pid)
            r = wrk(url, args.threads, args.connections, args.duration, **how).result()
            r["server_cpu_us_per_request"] = (proc_cpu_seconds(pid) - cpu0) * 1e6 / max(r["requests"], 1)
            r["round"] = rnd + 1
            runs[name].append(r)
            bad = r["non_2xx_3xx"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
            print(f"    {name:8} round {rnd + 1}: {r['rps']:9.0f} req/s  p50 {r['p50_us'] / 1000:6.2f} ms  "
                  f"p99 {r['p99_us'] / 1000:6.2f} ms  server CPU {r['server_cpu_us_per_request']:5.1f} us/req"
                  f"{f'  ({bad} errors/non-2xx)' if bad else ''}",
                  file=sys.stderr, flush=True)
            if r["non_2xx_3xx"]:
                raise SystemExit(f"{name}: {r['non_2xx_3xx']} responses were not 2xx")
    out = {}
    for name, rs in runs.items():
        best = max(rs, key=lambda r: r["rps"])
        out[name] = {"runs": rs, "best_rps": best["rps"], "best_p99_ms": best["p99_us"] / 1000,
                     "median_rps": statistics.median(r["rps"] for r in rs),
                     "min_rps": min(r["rps"] for r in rs), "max_rps": max(r["rps"] for r in rs),
                     "median_p99_ms": statistics.median(r["p99_us"] for r in rs) / 1000,
                     "cpu_us_per_request": statistics.median(r["server_cpu_us_per_request"] for r in rs)}
    out["ratio_best"] = out["whoami"]["best_rps"] / out["healthz"]["best_rps"]
    out["ratio_median"] = out["whoami"]["median_rps"] / out["healthz"]["median_rps"]
    out["cpu_ratio"] = out["whoami"]["cpu_us_per_request"] / out["healthz"]["cpu_us_per_request"]
    if "introspect" in out:
        out["introspect_ratio_best"] = out["introspect"]["best_rps"] / out["healthz"]["best_rps"]
        out["introspect_ratio_median"] = out["introspect"]["median_rps"] / out["healthz"]["median_rps"]
    if "ref-whoami" in out:
        # Per round (each round ran the pair back to back), then the median and spread.
        for mine, ref in (("whoami", "ref-whoami"), ("healthz", "ref-healthz")):
            ratios = [a["rps"] / b["rps"] for a, b in zip(runs[mine], runs[ref])]
            out[f"{mine}_vs_reference"] = {"median": statistics.median(ratios), "min": min(ratios),
                                           "max": max(ratios), "rounds": ratios}
    return out


def start_reference(args, token):
    """Starts the reference server with the benchmark's token; sets args.reference_url."""
    port = free_port()
    # The real whoami body, so that both servers send the same bytes.
    body_file = os.path.join(os.path.dirname(args.out), f"whoami-body-{args.label}.json")
    api = api_client(args.base_url)
    status, _, body = api_get(api, "/api/v1/whoami", token)
    api.close()
    if status != 200:
        raise SystemExit(f"GET /api/v1/whoami: {status}")
    with open(body_file, "wb") as f:
        f.write(body)
    env = {"PATH": os.environ.get("PATH", ""), "REFERENCE_TOKEN": token, "REFERENCE_BODY_FILE": body_file}
    if os.environ.get("MONKEYCI_WORKERS"):
        env["MONKEYCI_WORKERS"] = os.environ["MONKEYCI_WORKERS"]
    proc = subprocess.Popen([args.reference_bin, f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    args.reference_url = f"http://127.0.0.1:{port}"
    args.reference_pid = proc.pid
    client = api_client(args.reference_url)
    for _ in range(100):
        try:
            status, _, _ = api_get(client, "/whoami", token)
            if status == 200:
                return proc
        except OSError:
            client.close()
            client = api_client(args.reference_url)
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the reference server {args.reference_bin} did not answer")


def first_use_vs_hot(args, ui, token):
    """Sequential, one keep-alive connection: the first whoami of fresh keys (a
    database read and one argon2 check each) against a hot key (neither)."""
    api = api_client(args.base_url)
    first, second, ids_first, ids_second, cpu_first, wait_first = [], [], [], [], [], []
    for i in range(args.fresh_keys):
        fresh = create_key(ui, f"first use #{i + 1}")
        status, _, _ = api_get(api, "/healthz")  # the connection is open and warm
        if status != 200:
            raise SystemExit(f"GET /healthz: {status}")
        time.sleep(0.2)  # let the key creation's own work (argon2 hash, writes) settle
        run0, wait0 = proc_schedstat_ns(args.pid)
        status, ms, rid, body = timed_get(api, "/api/v1/whoami", fresh)
        run1, wait1 = proc_schedstat_ns(args.pid)
        if status != 200:
            raise SystemExit(f"first whoami with a fresh key: {status} {body[:200]!r}")
        cpu_first.append((run1 - run0) / 1e6)
        wait_first.append((wait1 - wait0) / 1e6)
        first.append(ms)
        ids_first.append(rid)
        status, ms, rid, _ = timed_get(api, "/api/v1/whoami", fresh)
        if status != 200:
            raise SystemExit(f"second whoami with a fresh key: {status}")
        second.append(ms)
        ids_second.append(rid)
    for _ in range(20):
        api_get(api, "/api/v1/whoami", token)
        api_get(api, "/healthz")
    hot, health, ids_hot, ids_health = [], [], [], []
    for _ in range(args.hot_requests):
        status, ms, rid, _ = timed_get(api, "/api/v1/whoami", token)
        if status != 200:
            raise SystemExit(f"hot whoami: {status}")
        hot.append(ms)
        ids_hot.append(rid)
        status, ms, rid, _ = timed_get(api, "/healthz")
        health.append(ms)
        ids_health.append(rid)
    api.close()
    time.sleep(0.3)  # let the log catch up
    server = server_times(args.server_log, {"first": ids_first, "second": ids_second, "hot": ids_hot})
    return {
        "first_use": stats_ms(first), "first_use_all_ms": first,
        # CPU time the server's threads used during the request, and time they spent
        # runnable but waiting for a core (the other processes on the machine, wrk...).
        "first_use_server_cpu": stats_ms(cpu_first), "first_use_server_runqueue_wait": stats_ms(wait_first),
        "second_use": stats_ms(second),
        "hot": stats_ms(hot),
        "healthz_sequential": stats_ms(health),
        "server_ms": {name: stats_ms(v) for name, v in server.items()},
    }


def cmd_run(args):
    ui = Client(args.base_url)
    print(f"==> [{args.label}] signing in, creating organization {ORG_SLUG} and a key through the UI",
          file=sys.stderr, flush=True)
    sign_in_and_create_org(ui)
    token = create_key(ui, "API benchmark")
    api = api_client(args.base_url)
    status, _, body = api_get(api, "/api/v1/whoami", token)
    if status != 200:
        raise SystemExit(f"GET /api/v1/whoami with the new key: {status} {body[:300]!r}")
    whoami = json.loads(body)
    credentials = base64.b64encode(f"{INTROSPECTION_ID}:{INTROSPECTION_SECRET}".encode()).decode()
    status, _, answer = api.request("POST", "/api/v1/introspect", form={"token": token},
                                    extra_headers={"Authorization": f"Basic {credentials}",
                                                   "Accept": "application/json"})
    # A server without introspection (an older build given as BENCH_BIN) answers 404: skip it.
    args.introspect = status != 404
    if args.introspect and (status != 200 or b'"active":true' not in answer):
        raise SystemExit(f"POST /api/v1/introspect of the new key: {status} {answer[:300]!r}"
                         " (is MONKEYCI_INTROSPECTION_CLIENTS set for the server?)")
    api.close()
    with open(args.state, "w") as f:
        json.dump({"token": token, "public_id": token[8:24]}, f)

    reference = start_reference(args, token) if args.reference_bin else None
    sampler = Sampler(args.pid)
    sampler.phase = "side-by-side"
    sampler.start()
    print(f"==> [{args.label}] healthz vs whoami side by side: wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s, {args.rounds} rounds", file=sys.stderr, flush=True)
    try:
        sbs = side_by_side(args, token)
    finally:
        if reference:
            reference.kill()
            reference.wait()
    sampler.phase = "first-use"
    print(f"==> [{args.label}] first use of {args.fresh_keys} fresh keys vs a hot key "
          f"({args.hot_requests} sequential requests)", file=sys.stderr, flush=True)
    fh = first_use_vs_hot(args, ui, token)
    ui.close()
    sampler.stop.set()
    sampler.join()
    result = {"kind": "run", "label": args.label, "wrk": {"threads": args.threads, "connections": args.connections,
              "duration_s": args.duration, "rounds": args.rounds}, "whoami_body": whoami,
              "side_by_side": sbs, "first_vs_hot": fh, "cores": os.cpu_count(),
              "rss_after_kb": proc_status(args.pid)["VmRSS"], "hwm_after_kb": proc_status(args.pid)["VmHWM"],
              "memory": {p: sampler.phase_stats(p) for p in ("side-by-side", "first-use")},
              "timeline": [{"phase": p, "t": t, "rss_kb": rss, "threads": th} for p, t, rss, th in sampler.samples]}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


# --------------------------------------------------------------------------- flood


def cmd_flood(args):
    with open(args.state) as f:
        state = json.load(f)
    token = state["token"]
    tokens = bad_tokens(args.kind, state["public_id"], args.tokens)
    tmp = tempfile.mkdtemp(prefix="api-auth-flood.")
    bad_file, good_file = os.path.join(tmp, "bad.txt"), os.path.join(tmp, "good.txt")
    with open(bad_file, "w") as f:
        f.write("\n".join(tokens) + "\n")
    with open(good_file, "w") as f:
        f.write(token + "\n")

    api = api_client(args.base_url)
    for _ in range(20):  # the key is verified once and hot from here on
        status, _, body = api_get(api, "/api/v1/whoami", token)
        if status != 200:
            raise SystemExit(f"warm-up whoami: {status} {body[:200]!r}")
    # One bad token by hand: it must be refused with JSON, not accepted, not a 500.
    status, _, body = api_get(api, "/api/v1/whoami", tokens[0])
    probe = {"status": status, "body": body[:200].decode("utf-8", "replace")}
    if status not in (401, 429, 503):
        raise SystemExit(f"a bad token got {status}: {body[:200]!r}")
    api.close()

    whoami = f"{args.base_url}/api/v1/whoami"
    log_start = log_size(args.server_log)
    sampler = Sampler(args.pid)
    hwm_start_kb = proc_status(args.pid)["VmHWM"]
    sampler.start()
    print(f"==> [{args.label}] {args.variant}: valid whoami alone for {args.before}s "
          f"(wrk -t1 -c{args.valid_connections})", file=sys.stderr, flush=True)
    sampler.phase = "before"
    before = wrk(whoami, 1, args.valid_connections, args.before, tokens_file=good_file).result()
    print(f"==> [{args.label}] {args.variant}: {args.kind} flood (wrk -t1 -c{args.connections} "
          f"-d{args.duration}s) while valid whoami runs", file=sys.stderr, flush=True)
    sampler.phase = "flood"
    flood_run = wrk(whoami, 1, args.connections, args.duration, tokens_file=bad_file)
    valid_run = wrk(whoami, 1, args.valid_connections, args.duration, tokens_file=good_file)
    valid = valid_run.result()
    flood = flood_run.result()
    sampler.phase = "after"
    time.sleep(args.after)
    sampler.stop.set()
    sampler.join()
    end = proc_status(args.pid)

    # Still serving after the flood?
    api = api_client(args.base_url)
    status_health, _, _ = api_get(api, "/healthz")
    status_valid, _, _ = api_get(api, "/api/v1/whoami", token)
    api.close()
    time.sleep(0.3)
    problems = log_problems(args.server_log, log_start)
    result = {
        "kind": "flood", "label": args.label, "variant": args.variant, "flood_kind": args.kind,
        "failures_per_minute": args.failures_per_minute, "connections": args.connections,
        "valid_connections": args.valid_connections, "duration_s": args.duration,
        "probe": probe, "valid_before": before, "valid_during": valid, "flood": flood,
        "memory": {"hwm_start_kb": hwm_start_kb, "hwm_end_kb": end["VmHWM"], "rss_end_kb": end["VmRSS"],
                   "threads_end": end["Threads"],
                   "phases": {p: sampler.phase_stats(p) for p in ("before", "flood", "after")},
                   "timeline": [{"phase": p, "t": t, "rss_kb": rss, "threads": th}
                                for p, t, rss, th in sampler.samples]},
        "after": {"healthz": status_health, "whoami": status_valid},
        "log_problems": len(problems), "log_problem_examples": problems[:5],
        "log_bytes": log_size(args.server_log) - log_start,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    m = result["memory"]["phases"]
    print(f"    RSS before {m['before']['rss_peak_kb'] / 1024:.1f} MiB, flood peak "
          f"{m['flood']['rss_peak_kb'] / 1024:.1f} MiB, VmHWM {end['VmHWM'] / 1024:.1f} MiB; valid "
          f"{before['rps']:.0f} -> {valid['rps']:.0f} req/s; flood {flood['rps']:.0f} req/s {flood['codes']}",
          file=sys.stderr, flush=True)
    for f in (bad_file, good_file):
        os.unlink(f)
    os.rmdir(tmp)


# --------------------------------------------------------------------------- create


ORG_KEYS_API = f"/api/v1/orgs/{ORG_SLUG}/keys"


def org_key_for(args):
    """The organization key of --state; made through the UI (sign-in, organization,
    key) when the state file does not exist yet."""
    if os.path.exists(args.state):
        with open(args.state) as f:
            return json.load(f)["token"]
    print(f"==> [{args.label}] signing in, creating organization {ORG_SLUG} and a key through the UI",
          file=sys.stderr, flush=True)
    ui = Client(args.base_url)
    sign_in_and_create_org(ui)
    token = create_key(ui, "API benchmark")
    ui.close()
    with open(args.state, "w") as f:
        json.dump({"token": token, "public_id": token[8:24]}, f)
    return token


class Creator:
    """One connection that creates organization keys: POST /api/v1/orgs/{org}/keys."""

    def __init__(self, base_url, token):
        u = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.token = u.hostname, u.port, token
        self.conn = None

    def create(self, description):
        """(status, ms); a socket error counts as status 0."""
        body = json.dumps({"description": description})
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                   "Accept": "application/json"}
        t0 = time.perf_counter_ns()
        try:
            if self.conn is None:
                self.connect()
            self.conn.request("POST", ORG_KEYS_API, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
            status = resp.status
            if status == 201 and not json.loads(data).get("token", "").startswith("mci_org_"):
                status = -1  # a 201 without a token
        except (OSError, http.client.HTTPException):
            self.close()
            status = 0
        return status, (time.perf_counter_ns() - t0) / 1e6

    def connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.conn.connect()

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def creations(base_url, token, connections, label, duration=None):
    """`connections` threads, each on its own open connection, released together: one
    creation each (duration None), or creations one after the other for `duration` s.
    Returns the (status, ms) of every creation and the wall time."""
    creators = [Creator(base_url, token) for _ in range(connections)]
    for c in creators:
        c.connect()
    start = threading.Barrier(connections + 1)
    results = [[] for _ in creators]

    def work(i):
        start.wait()
        until = time.monotonic() + duration if duration else None
        n = 0
        while True:
            results[i].append(creators[i].create(f"{label} {i}-{n}"))
            n += 1
            if until is None or time.monotonic() >= until:
                break

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    for c in creators:
        c.close()
    return [r for rs in results for r in rs], wall


def creation_stats(results, wall):
    codes = {}
    for status, _ in results:
        codes[str(status)] = codes.get(str(status), 0) + 1
    ms = [m for _, m in results]
    return {"requests": len(results), "wall_s": wall, "rps": len(results) / wall if wall else 0,
            "codes": codes, "latency": stats_ms(ms), "p99_ms": percentile(ms, 99)}


def cmd_create(args):
    token = org_key_for(args)
    api = api_client(args.base_url)
    status, _, body = api_get(api, "/api/v1/whoami", token)  # the key's first use: verified and cached
    if status != 200:
        raise SystemExit(f"GET /api/v1/whoami with the organization key: {status} {body[:200]!r}")
    api.close()
    time.sleep(args.settle)
    log_start = log_size(args.server_log)
    sampler = Sampler(args.pid, every=args.sample_every)
    sampler.phase = "before"
    sampler.start()
    time.sleep(1)

    print(f"==> [{args.label}] burst: {args.burst} key creations sent at once", file=sys.stderr, flush=True)
    sampler.phase = "burst"
    burst = creation_stats(*creations(args.base_url, token, args.burst, "burst"))
    sampler.phase = "after-burst"
    time.sleep(args.after)

    print(f"==> [{args.label}] sustained: {args.connections} connections creating keys for {args.duration}s",
          file=sys.stderr, flush=True)
    sampler.phase = "sustained"
    sustained = creation_stats(*creations(args.base_url, token, args.connections, "sustained", args.duration))
    sampler.phase = "after-sustained"
    time.sleep(args.after)
    sampler.stop.set()
    sampler.join()
    end = proc_status(args.pid)
    api = api_client(args.base_url)
    status_after, _, _ = api_get(api, "/api/v1/whoami", token)
    api.close()
    time.sleep(0.3)
    problems = log_problems(args.server_log, log_start)
    phases = ("before", "burst", "after-burst", "sustained", "after-sustained")
    result = {
        "kind": "create", "label": args.label, "burst_size": args.burst, "connections": args.connections,
        "duration_s": args.duration, "burst": burst, "sustained": sustained,
        "memory": {"hwm_end_kb": end["VmHWM"], "rss_end_kb": end["VmRSS"],
                   "phases": {p: sampler.phase_stats(p) for p in phases},
                   "timeline": [{"phase": p, "t": t, "rss_kb": rss, "threads": th}
                                for p, t, rss, th in sampler.samples]},
        "after": {"whoami": status_after},
        "log_problems": len(problems), "log_problem_examples": problems[:5],
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    m = result["memory"]["phases"]
    print(f"    RSS before {mib(m['before']['rss_peak_kb']):.1f} MiB; burst peak "
          f"{mib(m['burst']['rss_peak_kb']):.1f}, 2 s after {mib(m['after-burst']['rss_last_kb']):.1f}; sustained "
          f"peak {mib(m['sustained']['rss_peak_kb']):.1f}, 2 s after {mib(m['after-sustained']['rss_last_kb']):.1f}; "
          f"burst {codes_text(burst['codes'])}, sustained {sustained['rps']:.0f}/s {codes_text(sustained['codes'])}",
          file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- summary


def mib(kb):
    return kb / 1024


def codes_text(codes):
    return " ".join(f"{k}:{v}" for k, v in sorted(codes.items())) or "-"


def rss_peak(run):
    """The server's peak RSS during the side-by-side runs."""
    m = (run.get("memory") or {}).get("side-by-side")
    return f"{mib(m['rss_peak_kb']):.0f}Mi" if m else "-"


def cmd_summary(args):
    results = []
    for path in args.files:
        with open(path) as f:
            results.append(json.load(f))
    runs = [r for r in results if r["kind"] == "run"]
    floods = [r for r in results if r["kind"] == "flood"]
    lines = []
    if runs:
        w = runs[0]["wrk"]
        lines.append(f"1. Side by side: wrk -t{w['threads']} -c{w['connections']} -d{w['duration_s']}s on loopback, "
                     f"{w['rounds']} rounds each, alternating; best round (p99 of that round). "
                     f"{runs[0]['cores']} cores shared by wrk and the server.")
        lines.append("   CPU us/req: the server's user+system CPU time per request, healthz/whoami (median of rounds);")
        lines.append("   RSS peak: the server's resident memory at its highest during these runs (sampled every 200 ms).")
        lines.append(f"{'database':10} {'healthz req/s':>13} {'p99 ms':>7} {'whoami req/s':>13} {'p99 ms':>7} "
                     f"{'ratio':>6} {'(median)':>8} {'CPU us/req h/w':>15} {'RSS peak':>9}  target >= {TARGET_RATIO:.0%}")
        for r in runs:
            s = r["side_by_side"]
            ok = "met" if s["ratio_best"] >= TARGET_RATIO else "NOT MET"
            lines.append(f"{r['label']:10} {s['healthz']['best_rps']:13.0f} {s['healthz']['best_p99_ms']:7.2f} "
                         f"{s['whoami']['best_rps']:13.0f} {s['whoami']['best_p99_ms']:7.2f} "
                         f"{s['ratio_best']:6.1%} {s['ratio_median']:8.1%} "
                         f"{s['healthz']['cpu_us_per_request']:7.1f}/{s['whoami']['cpu_us_per_request']:<7.1f} "
                         f"{rss_peak(r):>9}  {ok}")
        if any("whoami_vs_reference" in r["side_by_side"] for r in runs):
            lines.append(f"   against the reference (bench/reference: bare actix-web, SHA-256 compare), same rounds: "
                         f"median of the per-round ratios [min-max]; target >= {REFERENCE_TARGET_RATIO:.0%}")
            lines.append(f"{'database':10} {'ref healthz':>11} {'ref whoami':>10} {'healthz/ref':>22} "
                         f"{'whoami/ref':>22}")
            for r in runs:
                s = r["side_by_side"]
                if "whoami_vs_reference" not in s:
                    continue

                def spread(x):
                    ok = "met" if x["median"] >= REFERENCE_TARGET_RATIO else "NOT MET"
                    return f"{x['median']:.1%} [{x['min']:.0%}-{x['max']:.0%}] {ok}"

                lines.append(f"{r['label']:10} {s['ref-healthz']['median_rps']:11.0f} "
                             f"{s['ref-whoami']['median_rps']:10.0f} {spread(s['healthz_vs_reference']):>22} "
                             f"{spread(s['whoami_vs_reference']):>22}")
        lines.append(f"   introspection of the same hot key (POST /api/v1/introspect, HTTP Basic): "
                     f"target >= {INTROSPECT_TARGET_RATIO:.0%} of healthz")
        lines.append(f"{'database':10} {'introspect req/s':>16} {'p99 ms':>7} {'ratio':>6} {'(median)':>8} "
                     f"{'CPU us/req':>10}")
        for r in runs:
            s = r["side_by_side"]
            if "introspect" not in s:
                continue
            ok = "met" if s["introspect_ratio_best"] >= INTROSPECT_TARGET_RATIO else "NOT MET"
            lines.append(f"{r['label']:10} {s['introspect']['best_rps']:16.0f} {s['introspect']['best_p99_ms']:7.2f} "
                         f"{s['introspect_ratio_best']:6.1%} {s['introspect_ratio_median']:8.1%} "
                         f"{s['introspect']['cpu_us_per_request']:10.1f}  {ok}")
        lines.append("")
        lines.append("2. First use vs hot key: sequential requests on one keep-alive connection; "
                     "client time (server time from its log).")
        lines.append("   first use CPU / wait: the server's CPU time during that request, and time its threads "
                     "waited for a core (medians).")
        lines.append(f"{'database':10} {'first use ms':>22} {'CPU / wait ms':>14} {'second use ms':>14} "
                     f"{'hot ms':>16} {'hot p95':>8} {'healthz ms':>10}")
        for r in runs:
            fh = r["first_vs_hot"]
            srv = fh.get("server_ms", {})

            def both(name, key="median_ms"):
                client = fh[{"first": "first_use", "second": "second_use", "hot": "hot"}[name]][key]
                s = srv.get(name)
                return f"{client:.2f} ({s[key]:.1f})" if s else f"{client:.2f}"

            first = both("first") + f" n={fh['first_use']['n']}"
            cpu = fh.get("first_use_server_cpu", {}).get("median_ms", float("nan"))
            waited = fh.get("first_use_server_runqueue_wait", {}).get("median_ms", float("nan"))
            cpu_wait = f"{cpu:.1f} / {waited:.1f}"
            lines.append(f"{r['label']:10} {first:>22} {cpu_wait:>14} {both('second'):>14} "
                         f"{both('hot'):>16} {fh['hot']['p95_ms']:8.2f} {fh['healthz_sequential']['median_ms']:10.3f}")
        lines.append("")
    if floods:
        lines.append("3. Flood of bad keys (wrk -t1) while valid whoami requests run (wrk -t1): server memory "
                     "sampled every 200 ms.")
        lines.append(f"{'database':10} {'variant':14} {'flood':12} {'RSS before':>10} {'flood peak':>10} "
                     f"{'VmHWM':>7} {'valid req/s':>16} {'valid p99':>9} {'flood req/s':>11}  "
                     "flood codes / valid codes during")
        for r in floods:
            m = r["memory"]["phases"]
            v0, v1, fl = r["valid_before"], r["valid_during"], r["flood"]
            lines.append(
                f"{r['label']:10} {r['variant']:14} {r['flood_kind']:12} "
                f"{mib(m['before']['rss_peak_kb']):8.1f}Mi {mib(m['flood']['rss_peak_kb']):8.1f}Mi "
                f"{mib(r['memory']['hwm_end_kb']):5.1f}Mi "
                f"{v0['rps']:7.0f} -> {v1['rps']:5.0f} {v1['p99_us'] / 1000:7.1f}ms {fl['rps']:11.0f}  "
                f"{codes_text(fl['codes'])} / {codes_text(v1['codes'])}")
        notes = []
        for r in floods:
            fl = r["flood"]
            extra = []
            if fl["timeouts"] or fl["connect_errors"] or fl["read_errors"] or fl["write_errors"]:
                extra.append(f"flood socket errors: connect {fl['connect_errors']} read {fl['read_errors']} "
                             f"write {fl['write_errors']} timeouts {fl['timeouts']}")
            v = r["valid_during"]
            if set(v["codes"]) - {"200"} or v["timeouts"]:
                extra.append(f"valid requests during the flood: {codes_text(v['codes'])}, timeouts {v['timeouts']}")
            if r["log_problems"]:
                extra.append(f"{r['log_problems']} log lines with 5xx/ERROR/WARN/panic, e.g. "
                             f"{r['log_problem_examples'][0][:160]}")
            if r["after"]["healthz"] != 200 or r["after"]["whoami"] != 200:
                extra.append(f"after the flood: healthz {r['after']['healthz']}, whoami {r['after']['whoami']}")
            threads = r["memory"]["phases"]["flood"]["threads_peak"]
            extra.append(f"server threads peak {threads}; valid p99 before {r['valid_before']['p99_us'] / 1000:.1f} ms")
            notes.append(f"  {r['label']} {r['variant']}: " + "; ".join(extra))
        lines.extend(notes)
    creates = [r for r in results if r["kind"] == "create"]
    if creates:
        if lines:
            lines.append("")
        c0 = creates[0]
        lines.append(f"4. Key creation through the API: {c0['burst_size']} creations sent at once (burst), then "
                     f"{c0['connections']} connections creating for {c0['duration_s']}s (sustained); server memory "
                     "sampled every 50 ms.")
        lines.append("   before: after the organization key's first use; after: the last sample 2 s later.")
        lines.append(f"{'database':16} {'RSS before':>10} {'burst peak':>10} {'after':>8} {'burst s':>7} "
                     f"{'sust. peak':>10} {'after':>8} {'VmHWM':>8} {'keys/s':>6} {'p99 ms':>7}  "
                     "codes burst / sustained")
        for r in creates:
            m = r["memory"]["phases"]
            b_, s_ = r["burst"], r["sustained"]
            lines.append(
                f"{r['label']:16} {mib(m['before']['rss_peak_kb']):8.1f}Mi {mib(m['burst']['rss_peak_kb']):8.1f}Mi "
                f"{mib(m['after-burst']['rss_last_kb']):6.1f}Mi {b_['wall_s']:7.2f} "
                f"{mib(m['sustained']['rss_peak_kb']):8.1f}Mi {mib(m['after-sustained']['rss_last_kb']):6.1f}Mi "
                f"{mib(r['memory']['hwm_end_kb']):6.1f}Mi {s_['rps']:6.0f} {s_['p99_ms']:7.0f}  "
                f"{codes_text(b_['codes'])} / {codes_text(s_['codes'])}")
        for r in creates:
            extra = []
            if r["log_problems"]:
                extra.append(f"{r['log_problems']} log lines with 5xx/ERROR/WARN/panic, e.g. "
                             f"{r['log_problem_examples'][0][:160]}")
            if r["after"]["whoami"] != 200:
                extra.append(f"whoami after: {r['after']['whoami']}")
            refused = {}
            for phase in ("burst", "sustained"):
                for code, n in r[phase]["codes"].items():
                    if str(code) != "201":
                        refused[code] = refused.get(code, 0) + n
            if refused:
                extra.append(f"NOT MEASURED: creations answered {codes_text(refused)}, not 201")
            threads = max(r["memory"]["phases"][p]["threads_peak"] for p in ("burst", "sustained"))
            extra.append(f"server threads peak {threads}")
            lines.append(f"  {r['label']}: " + "; ".join(extra))
    text = "\n".join(lines)
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write(text + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("free-port").set_defaults(func=cmd_free_port)
    w = sub.add_parser("wait")
    w.add_argument("--base-url", required=True)
    w.add_argument("--pid", type=int)
    w.add_argument("--timeout", type=float, default=60)
    w.set_defaults(func=cmd_wait)

    r = sub.add_parser("run")
    r.add_argument("--label", required=True)
    r.add_argument("--base-url", required=True)
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--server-log", required=True)
    r.add_argument("--state", required=True, help="where to write the token for the flood runs")
    r.add_argument("--out", required=True)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--connections", type=int, default=64)
    r.add_argument("--duration", type=int, default=10)
    r.add_argument("--rounds", type=int, default=2)
    r.add_argument("--warmup-seconds", type=int, default=2)
    r.add_argument("--fresh-keys", type=int, default=5)
    r.add_argument("--hot-requests", type=int, default=200)
    r.add_argument("--reference-bin", help="the reference server (bench/reference), measured in the same rounds")
    r.set_defaults(func=cmd_run)

    f = sub.add_parser("flood")
    f.add_argument("--label", required=True)
    f.add_argument("--variant", required=True, help="a name for the summary, e.g. default-limit")
    f.add_argument("--failures-per-minute", default="", help="for the summary: the server's setting")
    f.add_argument("--base-url", required=True)
    f.add_argument("--pid", type=int, required=True)
    f.add_argument("--server-log", required=True)
    f.add_argument("--state", required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--kind", choices=("wrong-secret", "unknown-id", "junk"), default="wrong-secret")
    f.add_argument("--tokens", type=int, default=500, help="distinct bad tokens, sent round-robin")
    f.add_argument("--connections", type=int, default=64)
    f.add_argument("--valid-connections", type=int, default=16)
    f.add_argument("--duration", type=int, default=15)
    f.add_argument("--before", type=int, default=5, help="seconds of valid requests alone first")
    f.add_argument("--after", type=float, default=2, help="seconds of sampling after the flood")
    f.set_defaults(func=cmd_flood)

    c = sub.add_parser("create")
    c.add_argument("--label", required=True)
    c.add_argument("--base-url", required=True)
    c.add_argument("--pid", type=int, required=True)
    c.add_argument("--server-log", required=True)
    c.add_argument("--state", required=True, help="the organization key (made through the UI when missing)")
    c.add_argument("--out", required=True)
    c.add_argument("--burst", type=int, default=64, help="creations sent at once")
    c.add_argument("--connections", type=int, default=64, help="connections of the sustained run")
    c.add_argument("--duration", type=int, default=30, help="seconds of the sustained run")
    c.add_argument("--after", type=float, default=2, help="seconds of sampling after each part")
    c.add_argument("--settle", type=float, default=1, help="seconds to wait before sampling starts")
    c.add_argument("--sample-every", type=float, default=0.05)
    c.set_defaults(func=cmd_create)

    s = sub.add_parser("summary")
    s.add_argument("files", nargs="+")
    s.add_argument("--write", help="also write the summary to this file")
    s.set_defaults(func=cmd_summary)
    args = p.parse_args()
    try:
        args.func(args)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
