#!/usr/bin/env python3
"""Helper for bench/keys-page.sh: seeds an organization with many API keys and
times the organization API keys page against a running monkeyci-server.

Standard library only. Sub-commands:

  free-port                      print a free TCP port on 127.0.0.1
  wait  --base-url URL           wait until GET /healthz answers
  run   --label L --base-url URL --db-url URL --server-log FILE --out FILE
                                 sign in, create orgs "small", "full" and "big", insert the
                                 keys with SQL, check the pages, time them, and
                                 write the results as JSON
  summary FILE...                print the summary table of one or more runs

The keys are inserted straight into the database (sqlite3 module for SQLite,
psql for PostgreSQL) once the server has migrated it: creating 10,000 keys
through the form would hash 10,000 secrets with Argon2 for nothing, since the
list never reads the hash.
"""

import argparse
import http.client
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Any PHC-looking string: the list page never reads it.
FAKE_HASH = "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2htYXJrc2FsdA$YmVuY2htYXJrLW5vdC1hLXJlYWwtaGFzaC0wMDAwMDA"
ADMIN_NAME = "Bench Admin"
COOKIE_NAME = "monkeyci_session"
PER_PAGE = 50
TARGET_RATIO = 1.5


# --------------------------------------------------------------------------- HTTP


class Client:
    """A keep-alive HTTP/1.1 client with a one-cookie jar (the session)."""

    def __init__(self, base_url):
        u = urllib.parse.urlsplit(base_url)
        self.origin = f"{u.scheme}://{u.netloc}"
        self.host, self.port = u.hostname, u.port
        self.cookies = {}
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.conn.connect()
        # Small requests, sequential: do not let Nagle delay them.
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, method, path, form=None, extra_headers=None):
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        if extra_headers:
            headers.update(extra_headers)
        for attempt in (1, 2):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                k, _, v = pair.partition("=")
                if "max-age=0" in value.lower() or not v:
                    self.cookies.pop(k.strip(), None)
                else:
                    self.cookies[k.strip()] = v.strip()
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return resp.status, resp, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def csrf_token(html):
    m = re.search(rb'name="csrf_token" value="([^"]+)"', html)
    if not m:
        raise SystemExit("no csrf_token in the page")
    return m.group(1).decode()


def sign_in_and_create_orgs(client):
    status, _, html = client.request("GET", "/login")
    if status != 200:
        raise SystemExit(f"GET /login: {status}")
    status, resp, _ = client.request(
        "POST", "/auth/dev/login", form={"name": ADMIN_NAME, "csrf_token": csrf_token(html), "return_to": "/"}
    )
    if status != 303:
        raise SystemExit(f"POST /auth/dev/login: {status} (is development sign-in on?)")
    for name, slug in (("Small", "small"), ("Full", "full"), ("Big", "big")):
        status, _, html = client.request("GET", "/orgs/new")
        if status != 200:
            raise SystemExit(f"GET /orgs/new: {status}")
        status, resp, body = client.request(
            "POST", "/orgs", form={"name": name, "slug": slug, "csrf_token": csrf_token(html)}
        )
        if status != 303 or resp.getheader("Location") != f"/o/{slug}":
            raise SystemExit(f"POST /orgs {slug}: {status} {resp.getheader('Location')} {body[:300]!r}")


# --------------------------------------------------------------------------- seeding


def public_ids(rng, n, taken):
    out = []
    while len(out) < n:
        pid = "".join(rng.choice(BASE62) for _ in range(16))
        if pid not in taken:
            taken.add(pid)
            out.append(pid)
    return out


def key_rows(rng, org_id, user_id, n, taken, now):
    """n keys, oldest first (so ids grow with created_at), with a realistic mix of
    expiry dates (none, future, past) and last-used times."""
    ids = public_ids(rng, n, taken)
    purposes = ["deploys", "nightly build", "release pipeline", "staging smoke tests", "docs publisher",
                "infra bot", "mirror sync", "benchmark runner"]
    rows = []
    for i, pid in enumerate(ids):
        created = now - timedelta(minutes=(n - i) * 37 + rng.randint(0, 30))
        r = rng.random()
        if r < 0.3:
            valid_until = None
        elif r < 0.8:
            valid_until = (now + timedelta(days=rng.randint(1, 365))).date().isoformat()
        else:
            valid_until = (now - timedelta(days=rng.randint(1, 90))).date().isoformat()
        last_used = None
        if rng.random() < 0.6:
            last_used = (now - timedelta(seconds=rng.randint(30, 60 * 86400))).strftime("%Y-%m-%d %H:%M:%S")
        description = f"{rng.choice(purposes)} #{i + 1}"
        rows.append((pid, "org", org_id, None, FAKE_HASH, description, valid_until,
                     created.strftime("%Y-%m-%d %H:%M:%S"), user_id, last_used))
    return rows


COLUMNS = ("public_id", "kind", "organization_id", "user_id", "secret_hash", "description",
           "valid_until", "created_at", "created_by", "last_used_at")

COUNT_SQL = "SELECT COUNT(*) FROM api_keys WHERE api_keys.kind = {k} AND api_keys.organization_id = {o}"
PAGE_SQL = (
    "SELECT api_keys.id, api_keys.public_id, api_keys.kind, api_keys.organization_id, api_keys.user_id, "
    "api_keys.description, api_keys.valid_until, api_keys.created_at, api_keys.created_by, "
    "api_keys.last_used_at, users.display_name FROM (api_keys LEFT OUTER JOIN users ON "
    "(users.id = api_keys.created_by)) WHERE ((api_keys.kind = {k}) AND (api_keys.organization_id = {o})) "
    "ORDER BY api_keys.id DESC LIMIT {l} OFFSET {f}"
)


class SqliteDb:
    def __init__(self, path):
        self.path = path

    def _conn(self):
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def ids(self):
        with self._conn() as conn:
            orgs = dict(conn.execute("SELECT slug, id FROM organizations WHERE slug IN ('small','full','big')"))
            (user_id,) = conn.execute("SELECT id FROM users WHERE display_name = ?", (ADMIN_NAME,)).fetchone()
        return orgs, user_id

    def insert(self, rows):
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                f"INSERT INTO api_keys ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows
            )
            conn.execute("COMMIT")
        finally:
            conn.close()

    def finish_seeding(self):
        # Nothing: the app never runs ANALYZE on SQLite, so neither does the benchmark.
        pass

    def query(self, sql):
        conn = self._conn()
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def plan(self, sql):
        return [r[3] for r in self.query("EXPLAIN QUERY PLAN " + sql)]

    def time_queries(self, queries, reps):
        """Median ms of each query, in-process (Python's sqlite3 links its own SQLite,
        so this shows where the time goes rather than the server's exact numbers)."""
        conn = self._conn()
        out = {}
        try:
            for name, sql in queries.items():
                conn.execute(sql).fetchall()
                times = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    conn.execute(sql).fetchall()
                    times.append((time.perf_counter() - t0) * 1000)
                out[name] = statistics.median(times)
        finally:
            conn.close()
        return out


class PostgresDb:
    def __init__(self, url):
        self.url = url

    def psql(self, sql=None, stdin=None):
        cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", self.url]
        if sql is not None:
            cmd += ["-c", sql]
        r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"psql failed: {r.stderr.strip()}")
        return r.stdout

    def ids(self):
        orgs = {}
        for line in self.psql("SELECT slug, id FROM organizations WHERE slug IN ('small','full','big')").split():
            slug, oid = line.split("|")
            orgs[slug] = int(oid)
        user_id = int(self.psql(f"SELECT id FROM users WHERE display_name = '{ADMIN_NAME}'").strip())
        return orgs, user_id

    def insert(self, rows):
        def cell(v):
            if v is None:
                return r"\N"
            return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

        lines = ["\t".join(cell(v) for v in row) for row in rows]
        script = f"COPY api_keys ({', '.join(COLUMNS)}) FROM STDIN;\n" + "\n".join(lines) + "\n\\.\n"
        self.psql(stdin=script)

    def finish_seeding(self):
        # What autovacuum does on its own a minute after a bulk insert (insert-driven
        # vacuum and analyze); done now so the run measures the steady state.
        self.psql("VACUUM ANALYZE")

    def query(self, sql):
        return [tuple(line.split("|")) for line in self.psql(sql).splitlines() if line]

    def plan(self, sql):
        return [ln for ln in self.psql("EXPLAIN " + sql).splitlines() if ln.strip()]

    def time_queries(self, queries, reps):
        """Median ms of each query as psql's \\timing sees it (one session, results
        discarded; includes a local round trip)."""
        out = {}
        for name, sql in queries.items():
            script = "\\o /dev/null\n" + sql + ";\n\\timing on\n" + (sql + ";\n") * reps
            text = self.psql(stdin=script)
            times = [float(m) for m in re.findall(r"^Time: ([0-9.]+) ms", text, re.M)]
            out[name] = statistics.median(times) if times else float("nan")
        return out


    def generic_plans(self, orgs, reps):
        """The count and the first page as diesel sends them (prepared statements with
        parameters) under the *generic* plan, which PostgreSQL switches a prepared
        statement to after five executions when its estimated cost is no worse than
        the custom plans' average. The generic plan cannot know which organization is
        asked for, so it is the same for a small organization as for a big one."""
        count = ("PREPARE bench_count(text, int4) AS SELECT COUNT(*) FROM api_keys "
                 "WHERE api_keys.kind = $1 AND api_keys.organization_id = $2")
        page = "PREPARE bench_page(text, int4, int8, int8) AS " + PAGE_SQL.format(k="$1", o="$2", l="$3", f="$4")
        out = {}
        for slug, org_id in orgs.items():
            for name, prep, execute in (
                ("count", count, f"EXECUTE bench_count('org', {org_id})"),
                ("page 1", page, f"EXECUTE bench_page('org', {org_id}, {PER_PAGE}, 0)"),
            ):
                head = "SET plan_cache_mode = force_generic_plan;\n" + prep + ";\n"
                script = head + "\\o /dev/null\n" + execute + ";\n\\timing on\n" + (execute + ";\n") * reps
                text = self.psql(stdin=script)
                times = [float(m) for m in re.findall(r"^Time: ([0-9.]+) ms", text, re.M)]
                plan = [ln for ln in self.psql(stdin=head + "EXPLAIN " + execute + ";\n").splitlines() if ln.strip()]
                out[f"{name}, {slug} org"] = {
                    "median_ms": statistics.median(times) if times else float("nan"),
                    "plan": plan,
                }
        return out


def query_breakdown(db, org_id, total, reps):
    """Times the list's two queries as the app sends them, and two alternatives that
    show what a fix would buy: counting from the index alone (no `kind` filter, which
    is implied for an organization's keys by the table's CHECK), and keyset paging
    (`id < last id of the previous page`) instead of OFFSET for the last page."""
    last_offset = max(0, total - PER_PAGE)
    queries = {
        "count": COUNT_SQL.format(k="'org'", o=org_id),
        "page 1": PAGE_SQL.format(k="'org'", o=org_id, l=PER_PAGE, f=0),
        "last page": PAGE_SQL.format(k="'org'", o=org_id, l=PER_PAGE, f=last_offset),
    }
    what_if = {}
    what_if["count, no kind filter"] = f"SELECT COUNT(*) FROM api_keys WHERE api_keys.organization_id = {org_id}"
    if last_offset > 0:
        (cursor,) = db.query(
            f"SELECT api_keys.id FROM api_keys WHERE api_keys.kind = 'org' AND api_keys.organization_id = {org_id} "
            f"ORDER BY api_keys.id DESC LIMIT 1 OFFSET {last_offset - 1}"
        )[0]
        what_if["last page, keyset"] = PAGE_SQL.format(
            k="'org'", o=f"{org_id} AND api_keys.id < {int(cursor)}", l=PER_PAGE, f=0
        ).replace(" OFFSET 0", "")
    times = db.time_queries({**queries, **what_if}, reps)
    out = {}
    for name, sql in {**queries, **what_if}.items():
        out[name] = {"median_ms": times[name], "plan": db.plan(sql), "what_if": name in what_if}
    return out


def open_db(url):
    if url.startswith("sqlite://"):
        return SqliteDb(url[len("sqlite://"):])
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        return PostgresDb(url)
    raise SystemExit(f"unsupported DATABASE_URL {url!r}")


# --------------------------------------------------------------------------- measuring


def count_rows(html):
    return html.count(b"data-delete-key")


def check_page(client, path, want_rows, want_total):
    status, _, html = client.request("GET", path)
    if status != 200:
        raise SystemExit(f"GET {path}: {status}")
    rows = count_rows(html)
    if rows != want_rows:
        raise SystemExit(f"GET {path}: {rows} rows on the page, expected {want_rows}")
    # The app counts at most 1,000 keys and shows "1000+" beyond that.
    label = f"{want_total}" if want_total <= 1000 else "1000+"
    if f'<span class="muted count">({label})</span>'.encode() not in html:
        raise SystemExit(f"GET {path}: the page does not say ({label}) keys")
    return len(html)


def percentile(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def measure(client, cases, warmup, requests, rounds):
    """Warm each case up, then time `requests` GETs of each, in `rounds` blocks
    interleaved small/big/deep so that drift (CPU frequency, a background checkpoint or
    autovacuum) hits every case alike. requests/s is requests over the wall time of
    that case's blocks: sequential, one keep-alive connection."""
    for case in cases:
        for _ in range(warmup):
            status, _, _ = client.request("GET", case["path"])
            if status != 200:
                raise SystemExit(f"warm-up GET {case['path']}: {status}")
    samples = {c["name"]: [] for c in cases}
    request_ids = {c["name"]: [] for c in cases}
    wall = {c["name"]: 0.0 for c in cases}
    per_round = [requests // rounds + (1 if i < requests % rounds else 0) for i in range(rounds)]
    for n in per_round:
        for case in cases:
            name, path = case["name"], case["path"]
            block_start = time.perf_counter()
            for _ in range(n):
                t0 = time.perf_counter_ns()
                status, resp, _ = client.request("GET", path)
                samples[name].append((time.perf_counter_ns() - t0) / 1e6)
                if status != 200:
                    raise SystemExit(f"GET {path}: {status}")
                request_ids[name].append(resp.getheader("X-Request-Id"))
            wall[name] += time.perf_counter() - block_start
    return samples, request_ids, wall


LOG_LINE = re.compile(r'request\{id=([^ }]+)[^}]*\}.*\bserved\b.*\bms="?([0-9.]+)')


def server_times(log_path, request_ids):
    """The server's own `ms=` of each timed request, matched by X-Request-Id."""
    by_id = {}
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = LOG_LINE.search(re.sub(r"\x1b\[[0-9;]*m", "", line))
                if m:
                    by_id[m.group(1)] = float(m.group(2))
    except OSError:
        return {}
    out = {}
    for name, ids in request_ids.items():
        vals = [by_id[i] for i in ids if i in by_id]
        if len(vals) == len(ids) and vals:
            out[name] = vals
    return out


def stats(values):
    return {
        "n": len(values),
        "median_ms": statistics.median(values),
        "p95_ms": percentile(values, 95),
        "mean_ms": statistics.fmean(values),
        "min_ms": min(values),
    }


def cmd_run(args):
    db = open_db(args.db_url)
    client = Client(args.base_url)
    sign_in_and_create_orgs(client)
    orgs, user_id = db.ids()
    rng = random.Random(args.seed)
    taken = set()
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    t0 = time.perf_counter()
    # The big organization's keys first, then the small one's: the small org's keys are
    # the newest rows, the big org's are spread over ids 1..N.
    db.insert(key_rows(rng, orgs["big"], user_id, args.big_keys, taken, now))
    db.insert(key_rows(rng, orgs["full"], user_id, PER_PAGE, taken, now))
    db.insert(key_rows(rng, orgs["small"], user_id, args.small_keys, taken, now))
    db.finish_seeding()
    seed_s = time.perf_counter() - t0

    last_page = max(1, -(-args.big_keys // PER_PAGE))
    deep_page = min(args.deep_page, last_page)
    deep_rows = args.big_keys - (deep_page - 1) * PER_PAGE if deep_page == last_page else PER_PAGE
    small = {"name": "small", "path": "/o/small/settings/api-keys", "keys": args.small_keys,
             "rows": min(PER_PAGE, args.small_keys)}
    main_cases = [
        small,
        # Informational: exactly one full page, so big minus full is the cost of the
        # other 9,950 keys and full minus small the cost of rendering 40 more rows.
        {"name": "full", "path": "/o/full/settings/api-keys", "keys": PER_PAGE, "rows": PER_PAGE},
        {"name": "big", "path": "/o/big/settings/api-keys", "keys": args.big_keys,
         "rows": min(PER_PAGE, args.big_keys)},
    ]
    # The deep page runs after the main cases, never before or between them: on
    # PostgreSQL one request with a big OFFSET raises the average cost of the list's
    # prepared statement so much that the pooled connection switches it to the
    # generic plan, which then slows every later small organization down. "small
    # again" measures exactly that, once the deep page has been viewed.
    deep_cases = [
        {"name": f"big p{deep_page}", "path": f"/o/big/settings/api-keys?page={deep_page}",
         "keys": args.big_keys, "rows": deep_rows},
        dict(small, name="small again"),
    ]
    samples, request_ids, wall = {}, {}, {}
    for phase in (main_cases, deep_cases):
        for case in phase:
            case["bytes"] = check_page(client, case["path"], case["rows"], case["keys"])
        s_, ids_, wall_ = measure(client, phase, args.warmup, args.requests, args.rounds)
        samples.update(s_)
        request_ids.update(ids_)
        wall.update(wall_)
    cases = main_cases + deep_cases
    client.close()
    srv = server_times(args.server_log, request_ids)

    result = {
        "label": args.label,
        "keys": {"small": args.small_keys, "full": PER_PAGE, "big": args.big_keys},
        "warmup": args.warmup,
        "requests": args.requests,
        "seed_seconds": seed_s,
        "cases": [],
    }
    for case in cases:
        name = case["name"]
        entry = {
            "name": name,
            "path": case["path"],
            "rows": case["rows"],
            "bytes": case["bytes"],
            "client": stats(samples[name]),
            "rps": len(samples[name]) / wall[name],
        }
        if name in srv:
            entry["server"] = stats(srv[name])
        result["cases"].append(entry)
    try:
        result["queries"] = query_breakdown(db, orgs["big"], args.big_keys, args.query_reps)
        result["queries_small"] = query_breakdown(db, orgs["small"], args.small_keys, args.query_reps)
        if isinstance(db, PostgresDb):
            result["generic_plans"] = db.generic_plans(
                {"small": orgs["small"], "big": orgs["big"]}, args.query_reps)
    except (SystemExit, sqlite3.Error) as e:  # informational only
        result["queries_error"] = str(e)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"[{args.label}] seeded {args.big_keys} + {PER_PAGE} + {args.small_keys} keys in {seed_s:.1f}s; "
          f"timed {args.requests} GETs per case after {args.warmup} warm-up GETs", file=sys.stderr)


# --------------------------------------------------------------------------- summary


def cmd_summary(args):
    runs = []
    for path in args.files:
        with open(path) as f:
            runs.append(json.load(f))
    lines = []
    out = lines.append
    out("")
    out("API keys page: organization with {big} keys vs {small} keys (client-side latency, "
        "sequential GETs on one keep-alive connection)".format(**runs[0]["keys"]))
    out("")
    hdr = f"{'database':<14} {'case':<11} {'rows':>4} {'KiB':>6} {'median ms':>10} {'p95 ms':>8} {'mean ms':>8} " \
          f"{'req/s':>8} {'+ms':>7} {'srv med':>8} {'srv mean':>8}"
    out(hdr)
    out("-" * len(hdr))
    verdicts = []
    for run in runs:
        cases = {c["name"]: c for c in run["cases"]}
        base = cases["small"]["client"]["median_ms"]
        for c in run["cases"]:
            s = c["client"]
            sv = c.get("server")
            added = f"{s['median_ms'] - base:+7.2f}" if c["name"] != "small" else f"{'':>7}"
            out(f"{run['label']:<14} {c['name']:<11} {c['rows']:>4} {c['bytes'] / 1024:>6.1f} {s['median_ms']:>10.3f} "
                f"{s['p95_ms']:>8.3f} {s['mean_ms']:>8.3f} {c['rps']:>8.0f} {added} "
                f"{(sv['median_ms'] if sv else float('nan')):>8.2f} {(sv['mean_ms'] if sv else float('nan')):>8.2f}")
        small, big = cases["small"], cases["big"]
        deep = [c for c in run["cases"] if c["name"].startswith("big p")][0]
        r_med = big["client"]["median_ms"] / small["client"]["median_ms"]
        r_mean = big["client"]["mean_ms"] / small["client"]["mean_ms"]
        r_deep = deep["client"]["median_ms"] / small["client"]["median_ms"]
        r_srv = (big["server"]["median_ms"] / small["server"]["median_ms"]
                 if "server" in big and "server" in small else float("nan"))
        again = cases.get("small again")
        r_again = again["client"]["median_ms"] / small["client"]["median_ms"] if again else float("nan")
        verdicts.append((run["label"], r_med, r_mean, r_srv, r_deep, deep["name"], r_again))
        out("-" * len(hdr))
    out("")
    out(f"{'database':<14} {'big/small median':>17} {'big/small mean':>15} {'server-side median':>19} "
        f"{'deep/small median':>18} {'again/small median':>19}  target <= {TARGET_RATIO}x")
    for label, r_med, r_mean, r_srv, r_deep, _deep_name, r_again in verdicts:
        ok = r_med <= TARGET_RATIO and r_mean <= TARGET_RATIO
        out(f"{label:<14} {r_med:>16.2f}x {r_mean:>14.2f}x {r_srv:>18.2f}x {r_deep:>17.2f}x {r_again:>18.2f}x  "
            f"{'MET' if ok else 'NOT MET'}")
    out("")
    out("full: an organization with exactly 50 keys (one full page): big - full is what the other "
        "9,950 keys cost, full - small what 40 more rows cost to render. Informational.")
    out("+ms: median minus the small organization's median (what the extra keys cost per request).")
    out("srv med / srv mean: the server's own time per request (its `served ... ms=` log line, 0.1 ms "
        "resolution), matched by X-Request-Id.")
    out("deep/small: '" + verdicts[0][5] + "' (the last page, OFFSET " +
        str((int(verdicts[0][5].split('p')[-1]) - 1) * PER_PAGE) + ") vs the small org; informational.")
    out("small again: the small organization once more, timed after the deep page (which runs after the "
        "main cases); again/small shows whether viewing a deep page slowed later small pages down "
        "(on PostgreSQL: the prepared statement's switch to the generic plan). Informational.")
    for run in runs:
        q = run.get("queries")
        if not q:
            continue
        qs = run.get("queries_small", {})
        out("")
        out(f"[{run['label']}] the list's queries run directly in the database (median of repeats, "
            + ("in-process with Python's sqlite3" if run["label"].startswith("sqlite") else "psql \\timing")
            + "); 'what if' rows are alternatives, not what the app runs:")
        for name, v in q.items():
            small_ms = qs.get(name, {}).get("median_ms")
            extra = f"   small org: {small_ms:7.3f} ms" if small_ms is not None else ""
            tag = "what if: " if v.get("what_if") else ""
            out(f"  {tag + name:<32} big org: {v['median_ms']:7.3f} ms{extra}")
            for p in v["plan"]:
                out(f"      {p}")
    for run in runs:
        g = run.get("generic_plans")
        if not g:
            continue
        out("")
        out(f"[{run['label']}] the same two queries as prepared statements under PostgreSQL's generic plan "
            "(plan_cache_mode = force_generic_plan; a pooled connection's cached statement switches to it "
            "after five executions), psql \\timing median:")
        for name, v in g.items():
            out(f"  {name:<32} {v['median_ms']:7.3f} ms")
            for p in v["plan"]:
                out(f"      {p}")
    text = "\n".join(lines)
    print(text)
    if args.enforce:
        failed = [v for v in verdicts if not (v[1] <= TARGET_RATIO and v[2] <= TARGET_RATIO)]
        if failed:
            sys.exit(1)


def cmd_free_port(_args):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def cmd_wait(args):
    deadline = time.monotonic() + args.timeout
    u = urllib.parse.urlsplit(args.base_url)
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        if args.pid and not os.path.exists(f"/proc/{args.pid}"):
            raise SystemExit("the server exited during start-up")
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer /healthz within {args.timeout}s")


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
    r.add_argument("--db-url", required=True)
    r.add_argument("--server-log", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--big-keys", type=int, default=10_000)
    r.add_argument("--small-keys", type=int, default=10)
    r.add_argument("--warmup", type=int, default=50)
    r.add_argument("--requests", type=int, default=300)
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--deep-page", type=int, default=200)
    r.add_argument("--seed", type=int, default=20261126)
    r.add_argument("--query-reps", type=int, default=30, help="repeats of each query in the breakdown")
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("summary")
    s.add_argument("files", nargs="+")
    s.add_argument("--enforce", action="store_true", help="exit 1 when a ratio is above the target")
    s.set_defaults(func=cmd_summary)
    args = p.parse_args()
    try:
        args.func(args)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
