#!/usr/bin/env python3
"""Helper for bench/reliability.sh: load and faults against running monkeyci-servers.

Standard library only (plus `wrk` on the PATH for `idle`). Every load command writes one
JSON file (--out); `verdict` and `summary` read them. Sub-commands:

  free-port, wait                as in bench/keys_page.py
  setup   --base-url URL --state FILE
                                 sign in (development sign-in), create the organization
                                 api-bench and an organization key through the UI; the key
                                 (an admin's key for that organization) goes to --state
  mixed   --base-url URL --state FILE --server-log FILE --out FILE
                                 signed-in page views, key creations through the form, API
                                 creations and deletions, whoami: --clients at once for
                                 --duration seconds
  kill    --base-url URL --pid PID --state FILE --out FILE
                                 concurrent API key creations; SIGKILL to PID after
                                 --kill-after seconds; writes every acknowledged creation
  verify  --base-url URL --state FILE --acks FILE... --out FILE [--sqlite PATH]
                                 after the restart: every acknowledged key is listed and its
                                 token works (the last --acks file's keys); integrity_check
  pgload  --a URL --b URL --state FILE --events FILE --out FILE
                                 whoami and a signed-in page on two instances while
                                 bench/reliability.sh stops and starts PostgreSQL; the times
                                 of the stop and start are read from --events at the end
  revoke  --a URL --b URL --state FILE --out FILE
                                 a new key used on A and B (so both cache it), deleted
                                 through A: how long B goes on accepting it
  idle    --base-url URL --pid PID --state FILE --out FILE
                                 whoami traffic (wrk, plus one client opening a connection per
                                 request) without, then with, --connections idle connections
  sigterm --base-url URL --pid PID --state FILE --out FILE
                                 new and keep-alive connections sending whoami and healthz;
                                 SIGTERM to PID; what each request saw, how long the exit took
  annotate FILE NAME=JSON...     add fields to a result file (the exit code, from the script)
  verdict FILE...                one line per experiment and database: ok, or FAIL and why
  summary FILE... [--write F] [--enforce]
                                 the tables and verdicts of a run; --enforce: exit 1 on a FAIL

See bench/README.md.
"""

import argparse
import collections
import errno
import http.client
import json
import os
import random
import re
import selectors
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_auth import (  # noqa: E402
    KEYS_URL, ORG_KEYS_API, ORG_SLUG, TOKEN_FIELD, codes_text, create_key, log_problems, log_size, mib, sign_in,
    sign_in_and_create_org, wrk,
)
from keys_page import Client, cmd_free_port, cmd_wait, percentile  # noqa: E402

ORG_PAGE = f"/o/{ORG_SLUG}"
# Targets (see bench/README.md).
OUTAGE_P99_S = 1.5  # a request while PostgreSQL is away: answered (503) within ~1 s
RECOVERY_S = 2.0  # PostgreSQL back: a page that needs it answers 200 within this
REVOKE_S = 2.0  # a key deleted on A is refused by B within this
FLOOD_PEAK_MIB = 200
IDLE_ESTABLISHED_SHARE = 0.95


def say(text):
    print(text, file=sys.stderr, flush=True)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


# --------------------------------------------------------------------------- HTTP


class Reply:
    """What one request saw: a status, or the error and where it happened.

    error: `refused` (connect refused), `connect-error:<errno>`, `connect-timeout`,
    `send-error` (the request could not be written: the server is known not to have it),
    `reset` (written, then the connection was closed or reset before a whole response),
    `timeout` (written, no response in time)."""

    __slots__ = ("t0", "ms", "status", "error", "reused", "headers", "body")

    def __init__(self, t0, ms, status=None, error=None, reused=False, headers=None, body=b""):
        self.t0, self.ms, self.status, self.error, self.reused = t0, ms, status, error, reused
        self.headers, self.body = headers or {}, body

    @property
    def outcome(self):
        return str(self.status) if self.status is not None else self.error

    @property
    def t1(self):
        return self.t0 + self.ms / 1000


class Conn:
    """One HTTP/1.1 connection, opened again when needed, with a cookie jar. Unlike
    keys_page.Client it never retries: every failure is reported, with its phase."""

    def __init__(self, base_url, timeout=30.0, keep_alive=True):
        u = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.origin = u.hostname, u.port, f"{u.scheme}://{u.netloc}"
        self.timeout, self.keep_alive = timeout, keep_alive
        self.conn = None
        self.cookies = {}

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, token=None, form=None, json_body=None, accept="text/html"):
        headers = {"Accept": "application/json" if token else accept}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if self.cookies and not token:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        elif json_body is not None:
            body = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        # One clock for both ends (wall time, to compare with the script's timestamps): a
        # second clock read after the first may come late, when the thread waits for the GIL.
        t0 = time.time()

        def done(**kw):
            return Reply(t0, (time.time() - t0) * 1000, **kw)

        reused = self.conn is not None
        if self.conn is None:
            try:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.conn.connect()
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except ConnectionRefusedError:
                self.close()
                return done(error="refused")
            except socket.timeout:
                self.close()
                return done(error="connect-timeout")
            except OSError as e:
                self.close()
                return done(error=f"connect-error:{errno_name(e)}")
        try:
            self.conn.request(method, path, body=body, headers=headers)
        except (OSError, http.client.HTTPException):
            self.close()
            return done(error="send-error", reused=reused)
        try:
            resp = self.conn.getresponse()
            data = resp.read()
        except socket.timeout:
            self.close()
            return done(error="timeout", reused=reused)
        except (OSError, http.client.HTTPException):
            # RemoteDisconnected, ConnectionResetError, BadStatusLine, IncompleteRead:
            # the request was written, no whole response came back.
            self.close()
            return done(error="reset", reused=reused)
        hdrs = {}
        for name, value in resp.getheaders():
            lname = name.lower()
            if lname == "set-cookie":
                pair = value.split(";", 1)[0]
                k, _, v = pair.partition("=")
                if "max-age=0" in value.lower() or not v:
                    self.cookies.pop(k.strip(), None)
                else:
                    self.cookies[k.strip()] = v.strip()
            else:
                hdrs[lname] = value
        if not self.keep_alive or hdrs.get("connection", "").lower() == "close":
            self.close()
        return done(status=resp.status, reused=reused, headers=hdrs, body=data)


def errno_name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


def conn_sign_in(conn):
    """Development sign-in (api_auth.sign_in: a new session of the benchmark's admin),
    its cookies handed to `conn`; returns the session's CSRF token, read from the keys page."""
    ui = Client(conn.origin)
    sign_in(ui)
    ui.close()
    conn.cookies = dict(ui.cookies)
    r = conn.request("GET", KEYS_URL)
    m = re.search(rb'name="csrf_token" value="([^"]+)"', r.body)
    if r.status != 200 or not m:
        raise SystemExit(f"GET {KEYS_URL} after sign-in: {r.outcome}")
    return m.group(1).decode()


class Tally:
    """Outcomes and latencies by kind of request (one per thread, merged at the end)."""

    def __init__(self):
        self.codes = collections.defaultdict(collections.Counter)
        self.ms = collections.defaultdict(list)

    def add(self, kind, reply, outcome=None):
        self.codes[kind][outcome or reply.outcome] += 1
        if reply.status is not None:
            self.ms[kind].append(reply.ms)

    def merge(self, other):
        for kind, c in other.codes.items():
            self.codes[kind].update(c)
        for kind, v in other.ms.items():
            self.ms[kind].extend(v)

    def to_json(self):
        out = {}
        for kind in sorted(self.codes):
            ms = self.ms.get(kind) or []
            out[kind] = {"n": sum(self.codes[kind].values()), "codes": dict(self.codes[kind]),
                         "p50_ms": statistics.median(ms) if ms else None,
                         "p99_ms": percentile(ms, 99) if ms else None, "max_ms": max(ms) if ms else None}
        return out


def latency(values):
    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    return {"n": len(values), "p50_ms": statistics.median(values), "p99_ms": percentile(values, 99),
            "max_ms": max(values)}


def is_5xx(outcome):
    return outcome.isdigit() and outcome.startswith("5")


# --------------------------------------------------------------------------- setup


def cmd_setup(args):
    ui = Client(args.base_url)
    sign_in_and_create_org(ui)
    token = create_key(ui, "reliability benchmark")
    ui.close()
    write_json(args.state, {"token": token, "public_id": token[8:24]})


def admin_token(args):
    return load_json(args.state)["token"]


# --------------------------------------------------------------------------- 1. mixed


# Kinds of request and their weights; the status each one should get.
MIXED = (("page-org", 3), ("page-keys", 3), ("form-create", 1), ("api-create", 2), ("api-delete", 2),
         ("whoami", 3), ("whoami-new-key", 1))
EXPECTED = {"page-org": 200, "page-keys": 200, "form-create": 303, "form-show": 200, "api-create": 201,
            "api-delete": 204, "whoami": 200, "whoami-new-key": 200}


class MixedShared:
    def __init__(self):
        self.lock = threading.Lock()
        self.deletable = collections.deque()
        self.pool = []  # tokens made through the API and never deleted: used by whoami-new-key


def mixed_worker(i, args, token, shared, ready, go, tally, failures):
    rng = random.Random(i)
    conn = Conn(args.base_url)
    try:
        csrf = conn_sign_in(conn)
    except SystemExit as e:
        failures.append(f"client {i} could not sign in: {e}")
        ready.wait()
        return
    ready.wait()
    go.wait()
    kinds, weights = zip(*MIXED)
    deadline = time.monotonic() + args.duration
    n = 0
    while time.monotonic() < deadline:
        n += 1
        kind = rng.choices(kinds, weights)[0]
        if kind == "api-delete":
            with shared.lock:
                key_id = shared.deletable.popleft() if shared.deletable else None
            if key_id is None:
                kind = "api-create"
        if kind == "whoami-new-key":
            with shared.lock:
                pick = rng.choice(shared.pool) if shared.pool else None
            if pick is None:
                kind = "whoami"
        if kind == "page-org":
            tally.add(kind, conn.request("GET", ORG_PAGE))
        elif kind == "page-keys":
            tally.add(kind, conn.request("GET", KEYS_URL))
        elif kind == "form-create":
            valid_until = (datetime.now(timezone.utc) + timedelta(days=90)).date().isoformat()
            r = conn.request("POST", KEYS_URL, form={"description": f"form {i}-{n}", "valid_until": valid_until,
                                                     "csrf_token": csrf})
            tally.add(kind, r)
            if r.status == 303:
                shown = conn.request("GET", r.headers.get("location", KEYS_URL))
                missing = shown.status == 200 and not TOKEN_FIELD.search(shown.body)
                tally.add("form-show", shown, "200-without-token" if missing else None)
        elif kind == "api-create":
            r = conn.request("POST", ORG_KEYS_API, token=token, json_body={"description": f"api {i}-{n}"})
            tally.add(kind, r)
            if r.status == 201:
                created = json.loads(r.body)
                with shared.lock:
                    if len(shared.pool) < 100 and rng.random() < 0.5:
                        shared.pool.append(created["token"])
                    else:
                        shared.deletable.append(created["id"])
        elif kind == "api-delete":
            tally.add(kind, conn.request("DELETE", f"{ORG_KEYS_API}/{key_id}", token=token))
        elif kind == "whoami":
            tally.add(kind, conn.request("GET", "/api/v1/whoami", token=token))
        else:
            tally.add(kind, conn.request("GET", "/api/v1/whoami", token=pick))
    conn.close()


def cmd_mixed(args):
    token = admin_token(args)
    shared = MixedShared()
    ready = threading.Barrier(args.clients + 1)
    go = threading.Event()
    tallies = [Tally() for _ in range(args.clients)]
    failures = []
    threads = [threading.Thread(target=mixed_worker, args=(i, args, token, shared, ready, go, tallies[i], failures),
                                daemon=True) for i in range(args.clients)]
    say(f"==> [{args.label}] mixed: {args.clients} clients sign in")
    for t in threads:
        t.start()
    ready.wait()
    if failures:
        raise SystemExit("; ".join(failures[:3]))
    log_start = log_size(args.server_log)
    say(f"==> [{args.label}] mixed: {args.duration}s of pages, form posts, API creations and deletions, whoami")
    t0 = time.monotonic()
    go.set()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    tally = Tally()
    for t in tallies:
        tally.merge(t)
    time.sleep(0.5)  # let the log catch up
    locked, problems = 0, log_problems(args.server_log, log_start)
    with open(args.server_log, "rb") as f:
        f.seek(log_start)
        for line in f:
            if b"database is locked" in line.lower():
                locked += 1
    kinds = tally.to_json()
    total = sum(k["n"] for k in kinds.values())
    fivexx = sum(n for k in kinds.values() for o, n in k["codes"].items() if is_5xx(o))
    transport = sum(n for k in kinds.values() for o, n in k["codes"].items() if not o.isdigit())
    unexpected = {kind: {o: n for o, n in k["codes"].items() if o != str(EXPECTED[kind])}
                  for kind, k in kinds.items()}
    unexpected = {k: v for k, v in unexpected.items() if v}
    result = {"part": "mixed", "label": args.label, "duration_s": args.duration, "wall_s": wall,
              "clients": args.clients, "requests": total, "rps": total / wall, "kinds": kinds,
              "5xx": fivexx, "transport_errors": transport, "unexpected": unexpected,
              "db_locked_lines": locked, "log_problems": len(problems), "log_problem_examples": problems[:5]}
    write_json(args.out, result)
    say(f"    {total} requests ({total / wall:.0f}/s), 5xx {fivexx}, transport errors {transport}, "
        f"'database is locked' lines {locked}")


# --------------------------------------------------------------------------- 2. kill


def cmd_kill(args):
    token = admin_token(args)
    conns = [Conn(args.base_url, timeout=30) for _ in range(args.clients)]
    for c in conns:  # open every connection before the timing starts
        r = c.request("GET", "/healthz")
        if r.status != 200:
            raise SystemExit(f"GET /healthz: {r.outcome}")
    stop, killed = threading.Event(), threading.Event()
    in_flight = [False] * args.clients
    acks = [[] for _ in conns]
    outcomes = [collections.Counter() for _ in conns]
    rnd = args.round

    def work(i):
        n = 0
        while not stop.is_set():
            n += 1
            in_flight[i] = True
            r = conns[i].request("POST", ORG_KEYS_API, token=token,
                                 json_body={"description": f"kill round {rnd} {i}-{n}"})
            in_flight[i] = False
            outcomes[i][r.outcome] += 1
            if r.status == 201:
                created = json.loads(r.body)
                acks[i].append({"id": created["id"], "token": created["token"], "round": rnd,
                                "after_kill": killed.is_set()})
            elif r.status is None and killed.is_set():
                break
        conns[i].close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(args.clients)]
    for t in threads:
        t.start()
    time.sleep(args.kill_after)
    busy = sum(in_flight)
    os.kill(args.pid, signal.SIGKILL)
    killed.set()
    stop.set()
    for t in threads:
        t.join(timeout=60)
    all_acks = [a for per in acks for a in per]
    total = collections.Counter()
    for c in outcomes:
        total.update(c)
    write_json(args.out, {"part": "kill", "label": args.label, "round": rnd, "kill_after_s": args.kill_after,
                          "clients": args.clients, "in_flight_at_kill": busy, "outcomes": dict(total),
                          "acks": all_acks})
    say(f"    round {rnd}: SIGKILL after {args.kill_after:.2f}s with {busy} creations in flight; "
        f"{len(all_acks)} acknowledged; outcomes {codes_text(total)}")


def list_key_ids(conn, token):
    ids, page = set(), 1
    while page:
        for attempt in range(20):
            r = conn.request("GET", f"{ORG_KEYS_API}?per_page=100&page={page}", token=token)
            if r.status == 200:
                break
            time.sleep(0.25)
        else:
            raise SystemExit(f"GET {ORG_KEYS_API} page {page}: {r.outcome}")
        body = json.loads(r.body)
        ids.update(k["id"] for k in body["keys"])
        page = body["next_page"]
    return ids


def cmd_verify(args):
    token = admin_token(args)
    admin_id = load_json(args.state)["public_id"]
    rounds = [load_json(p) for p in args.acks]
    all_acks = [a for r in rounds for a in r["acks"]]
    this_round = rounds[-1]["acks"]
    conn = Conn(args.base_url)
    listed = list_key_ids(conn, token)
    conn.close()
    missing = [a["id"] for a in all_acks if a["id"] not in listed]
    # Every key acknowledged in this round must still authenticate (its first use: argon2).
    codes, refused, unchecked = collections.Counter(), [], []
    lock = threading.Lock()
    queue = list(this_round)

    def check():
        c = Conn(args.base_url)
        while True:
            with lock:
                if not queue:
                    break
                a = queue.pop()
            r = c.request("GET", "/api/v1/whoami", token=a["token"])
            with lock:
                codes[r.outcome] += 1
                if r.status == 401:
                    refused.append(a["id"])
                elif r.status != 200:
                    unchecked.append(a["id"])  # no answer about the key itself (e.g. the server went away)
        c.close()

    threads = [threading.Thread(target=check, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    integrity = None
    if args.sqlite:
        db = sqlite3.connect(args.sqlite, timeout=30)
        integrity = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check").fetchall())
        db.close()
    acked_ids = {a["id"] for a in all_acks}
    landed = len(listed - acked_ids - {admin_id})
    lost = sorted(set(missing) | set(refused))
    result = {"part": "kill-verify", "label": args.label, "round": rounds[-1]["round"],
              "acked": len(this_round), "acked_total": len(all_acks), "listed": len(listed),
              "missing_in_list": missing, "whoami": dict(codes), "whoami_refused": refused,
              "whoami_unchecked": unchecked, "lost": lost,
              "landed_without_ack_total": landed, "integrity": integrity}
    write_json(args.out, result)
    say(f"    after restart: {len(all_acks)} acknowledged so far, {len(missing)} missing from the list; "
        f"this round's {len(this_round)} tokens: whoami {codes_text(codes)}; "
        f"{landed} keys landed without an acknowledgement"
        + (f"; integrity_check: {integrity}" if integrity is not None else ""))


# --------------------------------------------------------------------------- 3. pgrestart


def cmd_pgload(args):
    token = admin_token(args)
    bases = {"A": args.a, "B": args.b}
    records = []  # (instance, kind, t0, ms, outcome, retry_after)
    lock = threading.Lock()
    ready = threading.Barrier(2 * args.clients + 1)
    failures = []

    def work(instance):
        conn = Conn(bases[instance], timeout=30)
        try:
            conn_sign_in(conn)
        except SystemExit as e:
            failures.append(str(e))
        ready.wait()
        mine = []
        deadline = time.monotonic() + args.duration
        while time.monotonic() < deadline:
            for kind, path, tok in (("whoami", "/api/v1/whoami", token), ("page", ORG_PAGE, None)):
                r = conn.request("GET", path, token=tok)
                mine.append((instance, kind, r.t0, r.ms, r.outcome, "retry-after" in r.headers))
        conn.close()
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=work, args=(inst,), daemon=True)
               for inst in bases for _ in range(args.clients)]
    for t in threads:
        t.start()
    ready.wait()
    if failures:
        raise SystemExit("; ".join(failures[:3]))
    with open(args.started, "w") as f:
        f.write("ok\n")
    for t in threads:
        t.join()
    # The script writes the times of the stop and of the start while the load runs.
    for _ in range(600):
        try:
            events = load_json(args.events)
            if "start_done" in events:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    else:
        raise SystemExit(f"no PostgreSQL start time in {args.events}")
    write_json(args.out, {"part": "pgload", "label": args.label, "clients_per_instance": args.clients,
                          "events": events, "records": records})


def outage_report(load, revokes):
    ev = load["events"]
    recs = load["records"]  # (instance, kind, t0, ms, outcome, retry-after sent)
    # Windows by the time a request was answered: "down" holds what clients got while
    # PostgreSQL was stopped; a request that waited into the restart counts where it ended
    # (and is listed on its own as "spanning").
    windows = {"before": (0, ev["stop_begin"]), "stopping": (ev["stop_begin"], ev["stop_done"]),
               "down": (ev["stop_done"], ev["start_begin"]), "starting": (ev["start_begin"], ev["start_done"]),
               "after": (ev["start_done"], float("inf"))}
    out = {"part": "pgrestart", "label": load["label"], "clients_per_instance": load["clients_per_instance"],
           "down_s": ev["start_begin"] - ev["stop_done"], "stop_s": ev["stop_done"] - ev["stop_begin"],
           "start_s": ev["start_done"] - ev["start_begin"], "windows": {}}

    def end(r):
        return r[2] + r[3] / 1000

    def stats(sel):
        return {"codes": dict(collections.Counter(r[4] for r in sel)),
                **latency([r[3] for r in sel if r[4].isdigit()])}

    for name, (lo, hi) in windows.items():
        sel = [r for r in recs if lo <= end(r) < hi]
        w = {kind: stats([r for r in sel if r[1] == kind]) for kind in ("whoami", "page")}
        w.update({f"{inst} {kind}": stats([r for r in sel if r[0] == inst and r[1] == kind])
                  for inst in ("A", "B") for kind in ("whoami", "page")})
        w["all"] = stats(sel)
        out["windows"][name] = w
    # Latency target: every request started during the outage (from the stop command to the
    # start command), wherever it ended.
    started = [r for r in recs if ev["stop_begin"] <= r[2] < ev["start_begin"]]
    out["started_in_outage"] = {**{kind: stats([r for r in started if r[1] == kind]) for kind in ("whoami", "page")},
                                 "all": stats(started)}
    out["5xx_not_503"] = sum(1 for r in recs if is_5xx(r[4]) and r[4] != "503")
    out["transport_errors"] = sum(1 for r in recs if not r[4].isdigit())
    out["503_without_retry_after"] = sum(1 for r in recs if r[4] == "503" and not r[5])
    # Recovery: the first 200 on a page (session read: needs the database) answered after
    # the start began, measured from the moment PostgreSQL accepted connections again.
    rec = {}
    for inst in ("A", "B"):
        for kind in ("page", "whoami"):
            ends = sorted(r[2] + r[3] / 1000 for r in recs
                          if r[0] == inst and r[1] == kind and r[4] == "200" and r[2] + r[3] / 1000 > ev["start_begin"])
            rec[f"{inst} {kind}"] = ends[0] - ev["start_done"] if ends else None
    out["recovery_s"] = rec
    out["revoke"] = {r["phase"]: r for r in revokes}
    return out


def cmd_revoke(args):
    token = admin_token(args)
    a, b = Conn(args.a), Conn(args.b)
    r = a.request("POST", ORG_KEYS_API, token=token, json_body={"description": f"revoked {args.phase}"})
    if r.status != 201:
        raise SystemExit(f"creating the key to revoke on A: {r.outcome}")
    victim = json.loads(r.body)
    warm = collections.Counter()
    for conn in (b, a, b, b):  # B verifies it (argon2) and caches it; A too
        warm[conn.request("GET", "/api/v1/whoami", token=victim["token"]).outcome] += 1
    deleted = a.request("DELETE", f"{ORG_KEYS_API}/{victim['id']}", token=token)
    t_ack = deleted.t1
    on_a = a.request("GET", "/api/v1/whoami", token=victim["token"])
    b_codes, accepted_after, refused_after = collections.Counter(), 0, None
    while time.time() - t_ack < args.wait:
        r = b.request("GET", "/api/v1/whoami", token=victim["token"])
        b_codes[r.outcome] += 1
        if r.status == 200:
            accepted_after += 1
        elif r.status is not None:
            refused_after = r.t1 - t_ack
            break
        time.sleep(0.02)
    a.close()
    b.close()
    result = {"part": "revoke", "label": args.label, "phase": args.phase, "warm": dict(warm),
              "delete_status": deleted.outcome, "a_after_delete": on_a.outcome, "b_codes": dict(b_codes),
              "b_accepted_after_delete": accepted_after, "b_refused_after_s": refused_after}
    write_json(args.out, result)
    say(f"    revoke ({args.phase} the restart): warm-up {codes_text(warm)}; DELETE on A {deleted.outcome}; "
        f"A then {on_a.outcome}; B {codes_text(b_codes)}, refused "
        + (f"{refused_after:.2f}s after the delete" if refused_after is not None else f"not within {args.wait}s"))


def cmd_pgreport(args):
    load = load_json(args.load)
    revokes = [load_json(p) for p in args.revoke]
    write_json(args.out, outage_report(load, revokes))


# --------------------------------------------------------------------------- 5. idle

PARTIAL_HEAD = b"GET /api/v1/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: idle-bench\r\n"


class IdleHolder(threading.Thread):
    """N idle connections: half silent, half with a partial request head. When the server
    closes one, it is recorded (after how long, what the server sent) and opened again,
    so that N stay open for as long as the holder runs."""

    def __init__(self, host, port, n):
        super().__init__(daemon=True)
        self.host, self.port, self.n = host, port, n
        self.sel = selectors.DefaultSelector()
        self.stop = threading.Event()
        self.open_errors = collections.Counter()
        self.closed = []  # (partial, lifetime s, first line the server sent)
        self.reopened = 0
        self.held_min = None
        self.opened_at_start = 0

    def open_one(self, partial):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect((self.host, self.port))
            if partial:
                s.sendall(PARTIAL_HEAD)
        except OSError as e:
            s.close()
            self.open_errors[errno_name(e) if not isinstance(e, socket.timeout) else "timeout"] += 1
            return False
        s.setblocking(False)
        self.sel.register(s, selectors.EVENT_READ, {"partial": partial, "t": time.monotonic(), "first": b""})
        return True

    def open_all(self):
        for i in range(self.n):
            self.open_one(i % 2 == 1)
        self.opened_at_start = len(self.sel.get_map())
        return self.opened_at_start

    def run(self):
        while not self.stop.is_set():
            for key, _ in self.sel.select(0.2):
                s, data = key.fileobj, key.data
                try:
                    chunk = s.recv(4096)
                except OSError:
                    chunk = b""
                if chunk:
                    data["first"] = data["first"] or chunk
                    continue
                self.sel.unregister(s)
                s.close()
                line = data["first"].split(b"\r\n", 1)[0].decode("latin-1")
                self.closed.append((data["partial"], time.monotonic() - data["t"], line))
                if not self.stop.is_set() and self.open_one(data["partial"]):
                    self.reopened += 1
            held = len(self.sel.get_map())
            self.held_min = held if self.held_min is None else min(self.held_min, held)

    def close_all(self):
        self.stop.set()
        self.join(timeout=5)
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()

    def report(self):
        by = collections.defaultdict(list)
        first_lines = collections.Counter()
        for partial, life, line in self.closed:
            by["partial" if partial else "silent"].append(life)
            first_lines[line or "(nothing)"] += 1
        return {"wanted": self.n, "established": self.opened_at_start, "open_errors": dict(self.open_errors),
                "closed_by_server": {k: {"n": len(v), "median_lifetime_s": statistics.median(v)}
                                     for k, v in by.items()},
                "server_sent_before_closing": dict(first_lines), "reopened": self.reopened,
                "held_min": self.held_min}


class Prober(threading.Thread):
    """whoami on a new connection each time, one at a time, every `every` seconds."""

    def __init__(self, base_url, token, every=0.02):
        super().__init__(daemon=True)
        self.base_url, self.token, self.every = base_url, token, every
        self.stop = threading.Event()
        self.tally = Tally()

    def run(self):
        while not self.stop.is_set():
            c = Conn(self.base_url, timeout=10, keep_alive=False)
            self.tally.add("whoami-new-connection", c.request("GET", "/api/v1/whoami", token=self.token))
            c.close()
            self.stop.wait(self.every)


class FdSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, len(os.listdir(f"/proc/{self.pid}/fd")))
            except OSError:
                pass
            self.stop.wait(0.5)


def nofile_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def idle_phase(args, token_file, token, name):
    fds = FdSampler(args.pid)
    fds.start()
    prober = Prober(args.base_url, token)
    prober.start()
    run = wrk(f"{args.base_url}/api/v1/whoami", 1, args.wrk_connections, args.duration, tokens_file=token_file)
    w = run.result()
    prober.stop.set()
    prober.join()
    fds.stop.set()
    fds.join()
    p = prober.tally.to_json().get("whoami-new-connection", {"n": 0, "codes": {}})
    errors = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"] + w["non_2xx_3xx"]
    out = {"wrk": {"requests": w["requests"], "rps": w["rps"], "ok": w["codes"].get("200", 0), "errors": errors,
                   "codes": w["codes"], "socket_errors": {k: w[k] for k in ("connect_errors", "read_errors",
                                                                             "write_errors", "timeouts")},
                   "p99_ms": w["p99_us"] / 1000, "p50_ms": w["p50_us"] / 1000},
           "new_connections": p, "server_fds_peak": fds.peak}
    say(f"    {name}: wrk {w['requests']} requests ({w['rps']:.0f}/s), {errors} errors, p99 "
        f"{w['p99_us'] / 1000:.1f} ms; new-connection whoami {codes_text(p['codes'])}, p99 "
        f"{(p.get('p99_ms') or 0):.1f} ms; server fds peak {fds.peak}")
    return out


def cmd_idle(args):
    token = admin_token(args)
    tmp = tempfile.mkdtemp(prefix="reliability-idle.")
    token_file = os.path.join(tmp, "good.txt")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    c = Conn(args.base_url)
    for _ in range(5):
        c.request("GET", "/api/v1/whoami", token=token)
    c.close()
    say(f"==> [{args.label}] idle: whoami traffic for {args.duration}s without idle connections")
    base = idle_phase(args, token_file, token, "without")
    u = urllib.parse.urlsplit(args.base_url)
    holder = IdleHolder(u.hostname, u.port, args.connections)
    t0 = time.monotonic()
    established = holder.open_all()
    say(f"==> [{args.label}] idle: {established} of {args.connections} idle connections open "
        f"({time.monotonic() - t0:.1f}s); whoami traffic for {args.duration}s beside them")
    holder.start()
    held = idle_phase(args, token_file, token, "with")
    holder.close_all()
    c = Conn(args.base_url)
    after = {"healthz": c.request("GET", "/healthz").outcome,
             "whoami": c.request("GET", "/api/v1/whoami", token=token).outcome}
    c.close()
    os.unlink(token_file)
    os.rmdir(tmp)
    result = {"part": "idle", "label": args.label, "duration_s": args.duration, "connections": args.connections,
              "wrk_connections": args.wrk_connections, "server_nofile": nofile_limit(args.pid),
              "without": base, "with": held, "idle": holder.report(), "after": after}
    write_json(args.out, result)
    rep = result["idle"]
    say(f"    idle connections: {rep['established']} established, closed by the server "
        f"{ {k: v['n'] for k, v in rep['closed_by_server'].items()} }, reopened {rep['reopened']}, "
        f"fewest held {rep['held_min']}; after: {after}")


# --------------------------------------------------------------------------- 6. sigterm


def process_gone(pid):
    """Exited (a zombie waiting for its parent counts) or gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def cmd_sigterm(args):
    token = admin_token(args)
    stop = threading.Event()
    records = []  # (mode, kind, t0, ms, outcome, reused, connection-close header)
    lock = threading.Lock()
    n_fresh = args.clients // 2
    ready = threading.Barrier(args.clients + 2)

    def work(i):
        keep_alive = i >= n_fresh
        mode = "keep-alive" if keep_alive else "new"
        conn = Conn(args.base_url, timeout=args.timeout, keep_alive=keep_alive)
        mine, n = [], 0
        ready.wait()
        while not stop.is_set():
            n += 1
            kind, path, tok = (("whoami", "/api/v1/whoami", token) if n % 2 else ("healthz", "/healthz", None))
            r = conn.request("GET", path, token=tok)
            mine.append((mode, kind, r.t0, r.ms, r.outcome, r.reused,
                         r.headers.get("connection", "").lower() == "close"))
            if r.error == "refused":
                time.sleep(0.005)
        conn.close()
        with lock:
            records.extend(mine)

    readyz = []

    def probe_readyz():
        ready.wait()
        while not stop.is_set():
            c = Conn(args.base_url, timeout=args.timeout, keep_alive=False)
            r = c.request("GET", "/readyz")
            readyz.append((r.t0, r.ms, r.outcome))
            stop.wait(0.05)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(args.clients)]
    threads.append(threading.Thread(target=probe_readyz, daemon=True))
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(args.before)
    t_sig = time.time()
    os.kill(args.pid, signal.SIGTERM)
    t_exit = None
    while time.time() - t_sig < args.max_wait:
        if process_gone(args.pid):
            t_exit = time.time()
            break
        time.sleep(0.002)
    time.sleep(args.after_exit)
    stop.set()
    for t in threads:
        t.join(timeout=args.timeout + 5)

    def phase(t0, t1):
        """Answered (or failed) before the signal; sent before the exit (including
        those on their way when the signal came); sent after the exit."""
        if t1 < t_sig:
            return "before"
        return "stopping" if t_exit is None or t0 < t_exit else "after-exit"

    classes = collections.defaultdict(collections.Counter)
    for mode, kind, t0, ms, outcome, reused, close in records:
        p = phase(t0, t0 + ms / 1000)
        label = outcome
        if outcome in ("reset", "send-error"):
            label = f"{outcome} ({'reused' if reused else 'new'} connection)"
        classes[f"{mode} {p}"][label] += 1
    after_sig = [r for r in records if r[2] + r[3] / 1000 >= t_sig]
    ok_after = [r[2] + r[3] / 1000 - t_sig for r in after_sig if r[4].isdigit()]
    refused_after = [r[2] - t_sig for r in after_sig if r[4] == "refused"]
    readyz_503 = [t0 + ms / 1000 - t_sig for t0, ms, o in readyz if o == "503" and t0 >= t_sig]
    result = {
        "part": "sigterm", "label": args.label, "setting": args.setting, "round": args.round,
        "clients": args.clients, "before_s": args.before, "t_signal": t_sig,
        "exit_s": (t_exit - t_sig) if t_exit else None, "classes": {k: dict(v) for k, v in classes.items()},
        "after_signal": {
            "responses": dict(collections.Counter(r[4] for r in after_sig if r[4].isdigit())),
            "reset_after_send": sum(1 for r in after_sig if r[4] == "reset"),
            "timeouts": sum(1 for r in after_sig if r[4] == "timeout"),
            "send_errors": sum(1 for r in after_sig if r[4] == "send-error"),
            "refused": len(refused_after),
            "other_errors": sum(1 for r in after_sig if not r[4].isdigit()
                                and r[4] not in ("reset", "timeout", "send-error", "refused")),
            "connection_close_headers": sum(1 for r in after_sig if r[6]),
            "last_response_s": max(ok_after) if ok_after else None,
            "first_refused_s": min(refused_after) if refused_after else None,
            "readyz_first_503_s": min(readyz_503) if readyz_503 else None,
        },
        "requests_before": sum(1 for r in records if r[2] + r[3] / 1000 < t_sig),
        # Every request that got no response although it was sent: when (s from the signal).
        "resets": [{"mode": r[0], "kind": r[1], "sent_s": round(r[2] - t_sig, 4),
                    "failed_s": round(r[2] + r[3] / 1000 - t_sig, 4), "reused": r[5], "error": r[4]}
                   for r in records if r[4] in ("reset", "timeout")],
    }
    write_json(args.out, result)
    a = result["after_signal"]
    say(f"    round {args.round}: exit after "
        + (f"{result['exit_s']:.2f}s" if t_exit else f"more than {args.max_wait}s")
        + f"; after SIGTERM: responses {codes_text(a['responses'])}, refused {a['refused']}, "
        f"reset after send {a['reset_after_send']}, timeouts {a['timeouts']}, send errors {a['send_errors']}, "
        f"Connection: close {a['connection_close_headers']}")


def cmd_annotate(args):
    data = load_json(args.file)
    for item in args.fields:
        name, _, value = item.partition("=")
        data[name] = json.loads(value)
    write_json(args.file, data)


# --------------------------------------------------------------------------- verdicts


def group(results):
    """{(part, label): [results]} in the order they came; kill and kill-verify together."""
    out = collections.OrderedDict()
    for r in results:
        part = r.get("part") or {"create": "flood"}.get(r.get("kind"))  # api_auth.py create: the flood
        part = {"kill-verify": "kill", "pgload": None, "revoke": None}.get(part, part)
        if part is None:
            continue
        key = (part, r["label"]) if part != "sigterm" else (part, r["label"], r["setting"])
        out.setdefault(key, []).append(r)
    return out


def verdict_mixed(rs):
    r = rs[0]
    why = []
    if r["5xx"]:
        why.append(f"{r['5xx']} responses 5xx")
    if r["db_locked_lines"]:
        why.append(f"{r['db_locked_lines']} 'database is locked' log lines")
    if r["transport_errors"]:
        why.append(f"{r['transport_errors']} transport errors")
    other = sum(n for k in r["unexpected"].values() for o, n in k.items() if o.isdigit() and not is_5xx(o))
    if other:
        why.append(f"{other} other unexpected statuses")
    return why, f"{r['requests']} requests, 5xx {r['5xx']}, 'database is locked' {r['db_locked_lines']}"


def verdict_kill(rs):
    kills = [r for r in rs if r["part"] == "kill"]
    checks = [r for r in rs if r["part"] == "kill-verify"]
    acked = sum(len(r["acks"]) for r in kills)
    lost = sorted({i for r in checks for i in r["lost"]})
    unchecked = sum(len(r.get("whoami_unchecked", [])) for r in checks)
    exited = [f"round {r['round']}: {r['server_exit']}" for r in checks if "server_exit" in r]
    bad_integrity = [r["round"] for r in checks if r["integrity"] not in (None, "ok")]
    why = []
    if len(checks) < len(kills) or not kills:
        why.append(f"{len(kills) - len(checks)} rounds not verified")
    if lost:
        why.append(f"{len(lost)} acknowledged keys lost")
    if bad_integrity:
        why.append(f"integrity_check not ok after rounds {bad_integrity}")
    if unchecked:
        why.append(f"{unchecked} acknowledged keys could not be checked")
    if exited:
        why.append(f"the restarted server exited during the check ({', '.join(exited)})")
    integrity = {r["integrity"] for r in checks} - {None}
    return why, (f"{len(kills)} rounds, {acked} acknowledged, {len(lost)} lost"
                 + (f", integrity {'/'.join(sorted(integrity))}" if integrity else ""))


def verdict_pgrestart(rs):
    r = rs[0]
    down = r["windows"]["down"]["all"]
    started = r["started_in_outage"]["all"]
    why = []
    if r["5xx_not_503"]:
        why.append(f"{r['5xx_not_503']} 5xx other than 503")
    if r["503_without_retry_after"]:
        why.append(f"{r['503_without_retry_after']} 503 without Retry-After")
    if r["transport_errors"]:
        why.append(f"{r['transport_errors']} transport errors")
    if started["p99_ms"] is not None and started["p99_ms"] > OUTAGE_P99_S * 1000:
        slow = ", ".join(f"{k} p99 {v['p99_ms']:.0f} ms" for k, v in r["started_in_outage"].items()
                         if k != "all" and v["p99_ms"])
        why.append(f"requests started during the outage: p99 {started['p99_ms']:.0f} ms > {OUTAGE_P99_S * 1000:.0f} ms "
                   f"({slow})")
    if not down["n"]:
        why.append("no request was answered while PostgreSQL was down")
    pages = [r["recovery_s"].get(f"{i} page") for i in ("A", "B")]
    if any(p is None for p in pages):
        why.append("a page never got 200 after the restart")
    elif max(pages) > RECOVERY_S:
        why.append(f"first 200 on a page {max(pages):.2f}s after PostgreSQL started (> {RECOVERY_S:.0f}s)")
    after = r["revoke"].get("after")
    if not after:
        why.append("no revocation check after the restart")
    else:
        if after["b_refused_after_s"] is None or after["b_refused_after_s"] > REVOKE_S:
            why.append(f"B still accepted the revoked key {REVOKE_S:.0f}s after the delete")
        if after["a_after_delete"] != "401":
            why.append(f"A answered {after['a_after_delete']} to the deleted key")
    rec = "/".join(f"{max(p, 0):.2f}" if p is not None else "never" for p in pages)
    b = after["b_refused_after_s"] if after else None
    return why, (f"while down {codes_text(down['codes'])}, p99 {started['p99_ms'] or 0:.0f} ms; page 200 again "
                 f"{rec}s after start; revoked key refused by B after "
                 + (f"{b:.2f}s" if b is not None else "never"))


def verdict_flood(rs):
    r = rs[0]
    m = r["memory"]["phases"]
    peak = max(m["burst"]["rss_peak_kb"], m["sustained"]["rss_peak_kb"]) / 1024
    settled = m["after-sustained"]["rss_last_kb"] / 1024
    bad = {k: v for part in ("burst", "sustained") for k, v in r[part]["codes"].items() if k != "201"}
    why = []
    if peak > FLOOD_PEAK_MIB:
        why.append(f"peak RSS {peak:.0f} MiB > {FLOOD_PEAK_MIB} MiB")
    if bad:
        why.append(f"creations not 201: {codes_text(bad)}")
    return why, f"peak {peak:.1f} MiB, settled {settled:.1f} MiB"


def verdict_idle(rs):
    r = rs[0]
    w, idle = r["with"], r["idle"]
    why = []
    if idle["established"] < IDLE_ESTABLISHED_SHARE * r["connections"]:
        why.append(f"only {idle['established']} of {r['connections']} idle connections could be opened")
    if w["wrk"]["errors"] or not w["wrk"]["ok"]:
        why.append(f"whoami beside the idle connections: {w['wrk']['ok']} ok, {w['wrk']['errors']} errors")
    bad_new = {k: v for k, v in w["new_connections"]["codes"].items() if k != "200"}
    if bad_new or not w["new_connections"]["n"]:
        why.append(f"new connections beside the idle ones: {codes_text(w['new_connections']['codes'])}")
    if r["after"] != {"healthz": "200", "whoami": "200"}:
        why.append(f"after: {r['after']}")
    return why, (f"whoami p99 {r['without']['wrk']['p99_ms']:.1f} -> {w['wrk']['p99_ms']:.1f} ms, "
                 f"{w['wrk']['ok']} ok, {w['wrk']['errors']} errors beside {idle['established']} idle")


def verdict_sigterm(rs):
    why = []
    resets = sum(r["after_signal"]["reset_after_send"] for r in rs)
    timeouts = sum(r["after_signal"]["timeouts"] for r in rs)
    codes = [r.get("exit_code") for r in rs]
    exits = [r["exit_s"] for r in rs]
    if resets:
        why.append(f"{resets} requests reset after being sent")
    if timeouts:
        why.append(f"{timeouts} requests timed out")
    if any(c != 0 for c in codes):
        why.append(f"exit codes {codes}")
    if any(e is None for e in exits):
        why.append("the server did not exit in time")
    done = [e for e in exits if e is not None]
    return why, (f"{len(rs)} rounds, reset after send {resets}, exit codes "
                 f"{'/'.join(str(c) for c in sorted(set(codes), key=str))}, exit "
                 + (f"{min(done):.2f}-{max(done):.2f}s" if done else "-"))


VERDICTS = {"mixed": verdict_mixed, "kill": verdict_kill, "pgrestart": verdict_pgrestart, "flood": verdict_flood,
            "idle": verdict_idle, "sigterm": verdict_sigterm}


def verdict_lines(results):
    lines, failed = [], False
    for key, rs in group(results).items():
        why, figures = VERDICTS[key[0]](rs)
        name = " ".join(key)
        if why:
            failed = True
            lines.append(f"{name}: FAIL: {'; '.join(why)} ({figures})")
        else:
            lines.append(f"{name}: ok ({figures})")
    return lines, failed


def cmd_verdict(args):
    results = [load_json(p) for p in args.files]
    for line in verdict_lines(results)[0]:
        say(f"    verdict {line}")


# --------------------------------------------------------------------------- summary


def ms_text(v):
    return "-" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def summary_mixed(rs, lines):
    r0 = rs[0]
    lines.append(f"1. mixed: {r0['clients']} clients at once for {r0['duration_s']}s, each on its own keep-alive "
                 "connection and session: signed-in pages, a key created through the form (POST, then the page")
    lines.append("   that shows the token once), API creations and deletions of organization keys, whoami with the "
                 "admin key (hot) and with keys made during the run.")
    lines.append(f"{'database':9} {'kind':15} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7}  codes")
    for r in rs:
        for kind, k in r["kinds"].items():
            lines.append(f"{r['label']:9} {kind:15} {k['n']:8} {ms_text(k['p50_ms']):>7} {ms_text(k['p99_ms']):>7}  "
                         f"{codes_text(k['codes'])}")
        lines.append(f"{r['label']:9} {'all':15} {r['requests']:8}  {r['rps']:.0f} req/s; 5xx {r['5xx']} (target 0); "
                     f"transport errors {r['transport_errors']}; 'database is locked' log lines "
                     f"{r['db_locked_lines']}; log lines with 5xx/ERROR/WARN {r['log_problems']}")
        for ex in r["log_problem_examples"][:2]:
            lines.append(f"          e.g. {ex[:200]}")


def summary_kill(groups, lines):
    lines.append("2. kill: concurrent API key creations, SIGKILL mid-flight, restart on the same database; every "
                 "acknowledged (201) key must be listed and authenticate.")
    lines.append(f"{'database':9} {'round':>5} {'kill at s':>9} {'in flight':>9} {'acked':>6} {'missing':>7} "
                 f"{'whoami':>14} {'landed w/o ack':>14}  integrity")
    for rs in groups:
        kills = {r["round"]: r for r in rs if r["part"] == "kill"}
        for v in (r for r in rs if r["part"] == "kill-verify"):
            k = kills[v["round"]]
            lines.append(f"{v['label']:9} {v['round']:5} {k['kill_after_s']:9.2f} {k['in_flight_at_kill']:9} "
                         f"{v['acked']:6} {len(v['missing_in_list']):7} {codes_text(v['whoami']):>14} "
                         f"{v['landed_without_ack_total']:14}  {v['integrity'] or '-'}")


def summary_pgrestart(rs, lines):
    r0 = rs[0]
    lines.append(f"3. pgrestart: two instances (A, B) on one PostgreSQL (a private cluster), {r0['clients_per_instance']} "
                 "clients on each sending whoami (a cached key) and a signed-in page in turn;")
    lines.append(f"   pg_ctl stop -m fast, {r0['down_s']:.0f} s down, pg_ctl start. Requests by when they were answered "
                 "(both instances), then those started during the outage (from the stop to the start command),")
    lines.append("   wherever they ended (the latency target: p99 within "
                 f"{OUTAGE_P99_S:.1f} s).")
    for r in rs:
        lines.append(f"   {r['label']}: stop took {r['stop_s']:.2f}s, down {r['down_s']:.1f}s, start took "
                     f"{r['start_s']:.2f}s")
        lines.append(f"{'answered':18} {'request':7} {'n':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  codes")
        rows = [(w, r["windows"][w]) for w in ("before", "stopping", "down", "starting", "after")]
        rows.append(("started in outage", r["started_in_outage"]))
        for wname, w in rows:
            for kind in ("whoami", "page"):
                s = w[kind]
                if s["n"]:
                    lines.append(f"{wname:18} {kind:7} {s['n']:6} {ms_text(s['p50_ms']):>7} {ms_text(s['p99_ms']):>7} "
                                 f"{ms_text(s['max_ms']):>7}  {codes_text(s['codes'])}")
        rec = ", ".join(f"{k} {max(v, 0):.2f}s" if v is not None else f"{k} never" for k, v in r["recovery_s"].items())
        lines.append(f"   first 200 after PostgreSQL accepted connections again (pg_ctl start -w returned): {rec}")
        lines.append(f"   5xx other than 503: {r['5xx_not_503']}; 503 without Retry-After: "
                     f"{r['503_without_retry_after']}; transport errors: {r['transport_errors']}")
        for phase in ("before", "after"):
            v = r["revoke"].get(phase)
            if v:
                b = v["b_refused_after_s"]
                lines.append(f"   revocation {phase} the restart: DELETE on A {v['delete_status']}, A then "
                             f"{v['a_after_delete']}; B accepted it {v['b_accepted_after_delete']} times more, "
                             + (f"refused it {b:.2f}s after the delete" if b is not None else "never refused it"))


def summary_flood(rs, lines):
    r0 = rs[0]
    lines.append(f"4. flood (bench/api_auth.py create, as bench/api-auth.sh part 4): {r0['burst_size']} API "
                 f"creations at once, then {r0['connections']} connections creating for {r0['duration_s']}s; "
                 "RSS sampled every 50 ms.")
    lines.append(f"{'database':9} {'RSS before':>10} {'burst peak':>10} {'sust. peak':>10} {'settled':>8} "
                 f"{'VmHWM':>8} {'keys/s':>6}  codes burst / sustained")
    for r in rs:
        m = r["memory"]["phases"]
        lines.append(f"{r['label']:9} {mib(m['before']['rss_peak_kb']):8.1f}Mi {mib(m['burst']['rss_peak_kb']):8.1f}Mi "
                     f"{mib(m['sustained']['rss_peak_kb']):8.1f}Mi {mib(m['after-sustained']['rss_last_kb']):6.1f}Mi "
                     f"{mib(r['memory']['hwm_end_kb']):6.1f}Mi {r['sustained']['rps']:6.0f}  "
                     f"{codes_text(r['burst']['codes'])} / {codes_text(r['sustained']['codes'])}")


def summary_idle(rs, lines):
    r0 = rs[0]
    lines.append(f"5. idle: whoami for {r0['duration_s']}s (wrk -t1 -c{r0['wrk_connections']}, keep-alive; plus one "
                 "client opening a connection per request), without and then beside "
                 f"{r0['connections']} idle connections")
    lines.append("   (half silent, half a partial request head; each one the server closes is opened again).")
    lines.append(f"{'database':9} {'idle':8} {'wrk ok':>8} {'errors':>6} {'req/s':>7} {'p99 ms':>7} "
                 f"{'new-conn ok/err':>15} {'p99 ms':>7} {'fds':>5}")
    for r in rs:
        for name in ("without", "with"):
            p = r[name]
            nc = p["new_connections"]
            ok = nc["codes"].get("200", 0)
            ok_err = f"{ok}/{nc['n'] - ok}"
            lines.append(f"{r['label']:9} {name:8} {p['wrk']['ok']:8} {p['wrk']['errors']:6} {p['wrk']['rps']:7.0f} "
                         f"{p['wrk']['p99_ms']:7.1f} {ok_err:>15} {ms_text(nc.get('p99_ms')):>7} "
                         f"{p['server_fds_peak']:5}")
        i = r["idle"]
        closed = ", ".join(f"{k} {v['n']} (after {v['median_lifetime_s']:.1f}s)" for k, v in i["closed_by_server"].items())
        lines.append(f"   {r['label']}: {i['established']} idle connections established (server's open-file limit "
                     f"{r['server_nofile']}); closed by the server: {closed or 'none'}; server sent "
                     f"{codes_text(i['server_sent_before_closing'])}; reopened {i['reopened']}, fewest held "
                     f"{i['held_min']}; after: healthz {r['after']['healthz']}, whoami {r['after']['whoami']}")


def summary_sigterm(groups, lines):
    r0 = groups[0][0]
    lines.append(f"6. sigterm: {r0['clients']} clients (half a new connection per request, half keep-alive) sending "
                 f"whoami and healthz; SIGTERM after {r0['before_s']}s; every request after the signal classified.")
    lines.append(f"{'database':9} {'setting':17} {'rd':>2} {'exit':>4} {'exit s':>6} {'responses':>22} {'refused':>7} "
                 f"{'reset*':>6} {'tmo':>3} {'send-err':>8} {'Conn:close':>10} {'last resp s':>11} {'readyz 503 s':>12}")
    for rs in groups:
        for r in rs:
            a = r["after_signal"]
            setting = r["setting"].removeprefix("MONKEYCI_")
            lines.append(f"{r['label']:9} {setting:17} {r['round']:2} {str(r.get('exit_code', '?')):>4} "
                         f"{ms_text(r['exit_s']) if r['exit_s'] is None else format(r['exit_s'], '.2f'):>6} "
                         f"{codes_text(a['responses']):>22} {a['refused']:7} {a['reset_after_send']:6} "
                         f"{a['timeouts']:3} {a['send_errors']:8} {a['connection_close_headers']:10} "
                         f"{'-' if a['last_response_s'] is None else format(a['last_response_s'], '.2f'):>11} "
                         f"{'-' if a['readyz_first_503_s'] is None else format(a['readyz_first_503_s'], '.2f'):>12}")
    lines.append("   reset*: connection closed or reset after the request was sent, no response (target 0); "
                 "send-err: could not even be written (a reused connection already closed).")
    for rs in groups:
        resets = [x for r in rs for x in r.get("resets", [])]
        if not resets:
            continue
        reused = sum(1 for x in resets if x["reused"])
        sent = [x["sent_s"] for x in resets]
        failed = [x["failed_s"] for x in resets]
        lines.append(f"   {rs[0]['label']} {rs[0]['setting'].removeprefix('MONKEYCI_')}: of {len(resets)} requests without "
                     f"a response, {reused} on a reused keep-alive connection, {len(resets) - reused} on a new one; "
                     f"sent {min(sent):+.3f} to {max(sent):+.3f} s from the signal, cut {min(failed):+.3f} to "
                     f"{max(failed):+.3f} s")


def cmd_summary(args):
    results = [load_json(p) for p in args.files]
    groups = group(results)
    lines = []
    by_part = collections.OrderedDict()
    for key, rs in groups.items():
        by_part.setdefault(key[0], []).append(rs)
    for part in ("mixed", "kill", "pgrestart", "flood", "idle", "sigterm"):
        if part not in by_part:
            continue
        if lines:
            lines.append("")
        if part in ("kill", "sigterm"):
            {"kill": summary_kill, "sigterm": summary_sigterm}[part](by_part[part], lines)
        else:
            {"mixed": summary_mixed, "pgrestart": summary_pgrestart, "flood": summary_flood,
             "idle": summary_idle}[part]([rs[0] for rs in by_part[part]], lines)
    verdicts, failed = verdict_lines(results)
    lines.append("")
    lines.append("Verdicts:")
    lines.extend(f"  {v}" for v in verdicts)
    text = "\n".join(lines)
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write(text + "\n")
    if failed and args.enforce:
        sys.exit(1)


# --------------------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("free-port").set_defaults(func=cmd_free_port)
    w = sub.add_parser("wait")
    w.add_argument("--base-url", required=True)
    w.add_argument("--pid", type=int)
    w.add_argument("--timeout", type=float, default=60)
    w.set_defaults(func=cmd_wait)

    def common(name, func, base=True, pid=False):
        c = sub.add_parser(name)
        c.add_argument("--label", default="")
        if base:
            c.add_argument("--base-url", required=True)
        if pid:
            c.add_argument("--pid", type=int, required=True)
        c.add_argument("--state", required=True, help="the organization key (see setup)")
        c.set_defaults(func=func)
        return c

    common("setup", cmd_setup)
    c = common("mixed", cmd_mixed)
    c.add_argument("--server-log", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--duration", type=int, default=60)
    c.add_argument("--clients", type=int, default=24)
    c = common("kill", cmd_kill, pid=True)
    c.add_argument("--out", required=True)
    c.add_argument("--round", type=int, default=1)
    c.add_argument("--clients", type=int, default=16)
    c.add_argument("--kill-after", type=float, default=1.5)
    c = common("verify", cmd_verify)
    c.add_argument("--acks", nargs="+", required=True, help="the kill results so far, this round's last")
    c.add_argument("--sqlite", help="the SQLite file, for PRAGMA integrity_check")
    c.add_argument("--out", required=True)
    c = common("pgload", cmd_pgload, base=False)
    c.add_argument("--a", required=True)
    c.add_argument("--b", required=True)
    c.add_argument("--clients", type=int, default=4, help="per instance")
    c.add_argument("--duration", type=float, required=True)
    c.add_argument("--events", required=True)
    c.add_argument("--started", required=True, help="a file written once the load runs")
    c.add_argument("--out", required=True)
    c = common("revoke", cmd_revoke, base=False)
    c.add_argument("--a", required=True)
    c.add_argument("--b", required=True)
    c.add_argument("--phase", required=True)
    c.add_argument("--wait", type=float, default=5)
    c.add_argument("--out", required=True)
    c = sub.add_parser("pgreport")
    c.add_argument("--load", required=True)
    c.add_argument("--revoke", nargs="*", default=[])
    c.add_argument("--out", required=True)
    c.set_defaults(func=cmd_pgreport)
    c = common("idle", cmd_idle, pid=True)
    c.add_argument("--out", required=True)
    c.add_argument("--connections", type=int, default=2000)
    c.add_argument("--duration", type=int, default=20)
    c.add_argument("--wrk-connections", type=int, default=16)
    c = common("sigterm", cmd_sigterm, pid=True)
    c.add_argument("--out", required=True)
    c.add_argument("--setting", default="default")
    c.add_argument("--round", type=int, default=1)
    c.add_argument("--clients", type=int, default=32)
    c.add_argument("--before", type=float, default=1.5, help="seconds of load before the signal")
    c.add_argument("--after-exit", type=float, default=0.5, help="seconds of load after the exit")
    c.add_argument("--max-wait", type=float, default=40)
    c.add_argument("--timeout", type=float, default=10, help="client timeout per request")
    c = sub.add_parser("annotate")
    c.add_argument("file")
    c.add_argument("fields", nargs="+")
    c.set_defaults(func=cmd_annotate)
    c = sub.add_parser("verdict")
    c.add_argument("files", nargs="+")
    c.set_defaults(func=cmd_verdict)
    c = sub.add_parser("summary")
    c.add_argument("files", nargs="+")
    c.add_argument("--write")
    c.add_argument("--enforce", action="store_true")
    c.set_defaults(func=cmd_summary)
    args = p.parse_args()
    try:
        args.func(args)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
