#!/usr/bin/env python3
"""Helper for bench/keys-page.sh: seeds an organization with many API keys and
times the organization API keys page and its API list (`GET /api/v1/orgs/{slug}/keys`),
first page and a deep page reached by following the cursors, against a running
monkeyci-server.

Standard library only. Sub-commands:

  free-port                      print a free TCP port on 127.0.0.1
  wait  --base-url URL           wait until GET /healthz answers
  run   --label L --base-url URL --db-url URL --server-log FILE --out FILE
                                 sign in, create orgs "small", "full" and "big" and a user
                                 key (through the forms), insert the keys with SQL, walk
                                 to the deep page, check the pages, time them, and write
                                 the results as JSON
  summary FILE...                print the summary table of one or more runs

The keys are inserted straight into the database (sqlite3 module for SQLite,
psql for PostgreSQL) once the server has migrated it: creating 10,000 keys
through the form would hash 100,000 secrets with Argon2 for nothing, since the
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




ACTIVE = ("(api_keys.revoked_at IS NULL OR api_keys.revoked_at > {now}) "
          "AND (api_keys.valid_until IS NULL OR api_keys.valid_until > {today})")


def keyset_queries(db, org_id, deep_page, now):
    """The list's page queries as the app sends them for the default filter (the
    working keys), each sort's first page and its page `deep_page` (cursor: the
    row before it, found here by OFFSET once), one query per segment (see
    src/db/api_keys/listing.rs: keys with a value, then those without)."""
    active = ACTIVE.format(now=f"'{now.strftime('%Y-%m-%d %H:%M:%S')}'", today=f"'{now.date().isoformat()}'")
    base = f"SELECT api_keys.id FROM api_keys WHERE api_keys.organization_id = {org_id} AND {active} AND "
    limit = PER_PAGE + 1
    out = {}
    sorts = {
        "created": ("1 = 1", "api_keys.id DESC", None),
        "last_used": ("api_keys.last_used_at IS NOT NULL", "api_keys.last_used_at DESC, api_keys.id DESC",
                      ("last_used_at", "<")),
        "valid_until": (f"api_keys.valid_until > '{now.date().isoformat()}'", "api_keys.valid_until ASC, api_keys.id DESC",
                        ("valid_until", ">")),
    }
    for sort, (has_value, order, column) in sorts.items():
        out[f"{sort}, first page"] = f"{base}{has_value} ORDER BY {order} LIMIT {limit}"
        # Page `deep_page`, or the middle of the keys with a value when they make fewer pages.
        (with_value,) = db.query(f"SELECT COUNT(*) FROM api_keys WHERE api_keys.organization_id = {org_id} "
                                 f"AND {active} AND {has_value}")[0]
        with_value = int(with_value)
        page = deep_page if with_value > deep_page * PER_PAGE else max(2, with_value // PER_PAGE // 2)
        offset = (page - 1) * PER_PAGE - 1
        row = db.query(f"SELECT api_keys.id{', api_keys.' + column[0] if column else ''} FROM api_keys "
                       f"WHERE api_keys.organization_id = {org_id} AND {active} "
                       f"AND {has_value} ORDER BY {order} LIMIT 1 OFFSET {offset}")
        if not row:
            continue
        cursor_id = int(row[0][0])
        if column is None:
            out[f"{sort}, page {page}"] = f"{base}api_keys.id < {cursor_id} ORDER BY {order} LIMIT {limit}"
        else:
            name, beyond = column
            value = row[0][1]
            # The two segments that hold the next page: the same value, older ids;
            # then the values beyond (the third, keys without a value, is not reached).
            out[f"{sort}, page {page} (ties)"] = (
                f"{base}api_keys.{name} = '{value}' AND api_keys.id < {cursor_id} ORDER BY api_keys.id DESC LIMIT {limit}")
            out[f"{sort}, page {page}"] = (
                f"{base}api_keys.{name} {beyond} '{value}' ORDER BY {order} LIMIT {limit}")
    out["count (up to 1,001)"] = f"{base}1 = 1 LIMIT 1001"
    return out


def query_breakdown(db, org_id, deep_page, now, reps):
    """Times each of the list's queries directly in the database, with its plan."""
    queries = keyset_queries(db, org_id, deep_page, now)
    times = db.time_queries(queries, reps)
    return {name: {"median_ms": times[name], "plan": db.plan(sql)} for name, sql in queries.items()}


def open_db(url):
    if url.startswith("sqlite://"):
        return SqliteDb(url[len("sqlite://"):])
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        return PostgresDb(url)
    raise SystemExit(f"unsupported DATABASE_URL {url!r}")


# --------------------------------------------------------------------------- measuring


def count_rows(html):
    return html.count(b'<tr role="row" id="key-')


NEXT_LINK = re.compile(rb'<a class="button" href="([^"]+)" rel="next">')
TOKEN_FIELD = re.compile(rb'id="new-key-token" class="token-field" type="text" value="([^"]+)"')


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


def check_api(client, path, want_rows, headers):
    status, _, body = client.request("GET", path, extra_headers=headers)
    if status != 200:
        raise SystemExit(f"GET {path}: {status} {body[:300]!r}")
    rows = len(json.loads(body)["keys"])
    if rows != want_rows:
        raise SystemExit(f"GET {path}: {rows} keys in the answer, expected {want_rows}")
    return len(body)


def create_user_key(client):
    """A user key of the admin (full access, reaching all their organizations),
    made through the form; its token read from the one-time dialog."""
    status, _, html = client.request("GET", "/settings/api-keys")
    if status != 200:
        raise SystemExit(f"GET /settings/api-keys: {status}")
    form = {"csrf_token": csrf_token(html), "description": "bench API caller", "valid_until": "",
            "permissions": "full_access", "reach": "all", "allowed_networks": ""}
    status, resp, body = client.request("POST", "/settings/api-keys", form=form)
    if status != 303:
        raise SystemExit(f"POST /settings/api-keys: {status} {body[:300]!r}")
    status, _, html = client.request("GET", resp.getheader("Location"))
    m = TOKEN_FIELD.search(html)
    if status != 200 or not m:
        raise SystemExit("the new key's token is not on the page")
    return m.group(1).decode()


def walk_page(client, path, pages):
    """The URL of page `pages` of the keys page, following its Next links."""
    for n in range(1, pages):
        status, _, html = client.request("GET", path)
        m = NEXT_LINK.search(html)
        if status != 200 or not m:
            raise SystemExit(f"page {n} ({path}): {status}, no Next link")
        path = m.group(1).decode().replace("&amp;", "&")
    return path


def walk_api(client, path, pages, headers):
    """The URL of page `pages` of the API list, following `next_cursor`."""
    url = path
    for n in range(1, pages):
        status, _, body = client.request("GET", url, extra_headers=headers)
        cursor = json.loads(body).get("next_cursor") if status == 200 else None
        if not cursor:
            raise SystemExit(f"API page {n} ({url}): {status}, no next_cursor")
        url = f"{path}{'&' if '?' in path else '?'}cursor={cursor}"
    return url


def percentile(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def measure(client, cases, warmup, requests, rounds):
    """Warm each case up, then time `requests` GETs of each, in `rounds` blocks
    interleaved (every case once per round, in turn) so that drift (CPU frequency, a
    background checkpoint or autovacuum, the other work on this machine) hits every
    case alike. requests/s is requests over the wall time of that case's blocks:
    sequential, one keep-alive connection."""
    for case in cases:
        for _ in range(warmup):
            status, _, _ = client.request("GET", case["path"], extra_headers=case.get("headers"))
            if status != 200:
                raise SystemExit(f"warm-up GET {case['path']}: {status}")
    samples = {c["name"]: [] for c in cases}
    by_round = {c["name"]: [] for c in cases}
    request_ids = {c["name"]: [] for c in cases}
    wall = {c["name"]: 0.0 for c in cases}
    per_round = [requests // rounds + (1 if i < requests % rounds else 0) for i in range(rounds)]
    for n in per_round:
        for case in cases:
            name, path = case["name"], case["path"]
            block = []
            block_start = time.perf_counter()
            for _ in range(n):
                t0 = time.perf_counter_ns()
                status, resp, _ = client.request("GET", path, extra_headers=case.get("headers"))
                block.append((time.perf_counter_ns() - t0) / 1e6)
                if status != 200:
                    raise SystemExit(f"GET {path}: {status}")
                request_ids[name].append(resp.getheader("X-Request-Id"))
            wall[name] += time.perf_counter() - block_start
            samples[name].extend(block)
            by_round[name].append(statistics.median(block))
    return samples, by_round, request_ids, wall


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


# The ratios the target is about: (name, case, baseline case).
RATIOS = [
    ("page, first", "page big", "page small"),
    ("page, deep", "page big deep", "page small"),
    ("API, first", "api big", "api small"),
    ("API, deep", "api big deep", "api small"),
]


def cmd_run(args):
    db = open_db(args.db_url)
    client = Client(args.base_url)
    sign_in_and_create_orgs(client)
    token = create_user_key(client)
    api_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    orgs, user_id = db.ids()
    rng = random.Random(args.seed)
    taken = set()
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    t0 = time.perf_counter()
    # The big organization's keys first, then the small one's: the small org's keys are
    # the newest rows, the big org's are spread over ids 1..N.
    big_rows = key_rows(rng, orgs["big"], user_id, args.big_keys, taken, now)
    for start in range(0, len(big_rows), 20_000):
        db.insert(big_rows[start:start + 20_000])
    db.insert(key_rows(rng, orgs["full"], user_id, PER_PAGE, taken, now))
    db.insert(key_rows(rng, orgs["small"], user_id, args.small_keys, taken, now))
    db.finish_seeding()
    seed_s = time.perf_counter() - t0
    # The working keys (the list's default): none expired before `now`'s date.
    today = now.date().isoformat()
    active = {slug: int(db.query(
        f"SELECT COUNT(*) FROM api_keys WHERE organization_id = {oid} "
        f"AND (valid_until IS NULL OR valid_until > '{today}')")[0][0]) for slug, oid in orgs.items()}

    t0 = time.perf_counter()
    deep_page = max(1, min(args.deep_page, -(-active["big"] // PER_PAGE)))
    deep_web = walk_page(client, "/o/big/settings/api-keys", deep_page)
    deep_api = walk_api(client, "/api/v1/orgs/big/keys", deep_page, api_headers)
    walk_s = time.perf_counter() - t0
    deep_rows = min(PER_PAGE, active["big"] - (deep_page - 1) * PER_PAGE)
    cases = [
        {"name": "page small", "path": "/o/small/settings/api-keys", "rows": min(PER_PAGE, active["small"])},
        # Informational: exactly one full page of keys, so page big minus page full is
        # the cost of the other keys and page full minus page small that of more rows.
        {"name": "page full", "path": "/o/full/settings/api-keys", "rows": min(PER_PAGE, active["full"])},
        {"name": "page big", "path": "/o/big/settings/api-keys", "rows": PER_PAGE},
        {"name": "page big deep", "path": deep_web, "rows": deep_rows},
        {"name": "api small", "path": "/api/v1/orgs/small/keys", "rows": min(PER_PAGE, active["small"]),
         "headers": api_headers},
        {"name": "api full", "path": "/api/v1/orgs/full/keys", "rows": min(PER_PAGE, active["full"]),
         "headers": api_headers},
        {"name": "api big", "path": "/api/v1/orgs/big/keys", "rows": PER_PAGE, "headers": api_headers},
        {"name": "api big deep", "path": deep_api, "rows": deep_rows, "headers": api_headers},
    ]
    totals = {"page small": args.small_keys, "page full": PER_PAGE}
    for case in cases:
        if case["name"].startswith("page"):
            case["bytes"] = check_page(client, case["path"], case["rows"],
                                       totals.get(case["name"], args.big_keys))
        else:
            case["bytes"] = check_api(client, case["path"], case["rows"], api_headers)
    samples, by_round, request_ids, wall = measure(client, cases, args.warmup, args.requests, args.rounds)
    client.close()
    srv = server_times(args.server_log, request_ids)

    result = {
        "label": args.label,
        "keys": {"small": args.small_keys, "full": PER_PAGE, "big": args.big_keys},
        "deep_page": deep_page,
        "warmup": args.warmup,
        "requests": args.requests,
        "rounds": args.rounds,
        "seed_seconds": seed_s,
        "walk_seconds": walk_s,
        "cases": [],
    }
    for case in cases:
        name = case["name"]
        entry = {
            "name": name,
            "path": case["path"][:90],
            "rows": case["rows"],
            "bytes": case["bytes"],
            "client": stats(samples[name]),
            "round_medians": by_round[name],
            "rps": len(samples[name]) / wall[name],
        }
        if name in srv:
            entry["server"] = stats(srv[name])
        result["cases"].append(entry)
    try:
        result["queries"] = query_breakdown(db, orgs["big"], deep_page, now, args.query_reps)
    except (SystemExit, sqlite3.Error) as e:  # informational only
        result["queries_error"] = str(e)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"[{args.label}] seeded {args.big_keys} + {PER_PAGE} + {args.small_keys} keys in {seed_s:.1f}s; "
          f"walked to page {deep_page} (page and API) in {walk_s:.1f}s; "
          f"timed {args.requests} GETs per case after {args.warmup} warm-up GETs", file=sys.stderr)


# --------------------------------------------------------------------------- summary


def ratio_of(run, case, base):
    """The ratio of the medians over all requests, and the per-round ratios' range."""
    cases = {c["name"]: c for c in run["cases"]}
    c, b = cases[case], cases[base]
    overall = c["client"]["median_ms"] / b["client"]["median_ms"]
    per_round = [x / y for x, y in zip(c["round_medians"], b["round_medians"])]
    return overall, statistics.median(per_round), min(per_round), max(per_round)


def cmd_summary(args):
    runs = []
    for path in args.files:
        with open(path) as f:
            runs.append(json.load(f))
    lines = []
    out = lines.append
    out("")
    out("API keys page and API list: organization with {big} keys vs {small} keys (client-side latency, "
        "sequential GETs on one keep-alive connection)".format(**runs[0]["keys"]))
    out("")
    hdr = f"{'database':<10} {'case':<14} {'rows':>4} {'KiB':>6} {'median ms':>10} {'rounds min-max':>15} " \
          f"{'p95 ms':>8} {'mean ms':>8} {'req/s':>7} {'srv med':>8}"
    out(hdr)
    out("-" * len(hdr))
    verdicts = []
    for run in runs:
        for c in run["cases"]:
            s = c["client"]
            sv = c.get("server")
            spread = f"{min(c['round_medians']):.2f}-{max(c['round_medians']):.2f}"
            out(f"{run['label']:<10} {c['name']:<14} {c['rows']:>4} {c['bytes'] / 1024:>6.1f} {s['median_ms']:>10.3f} "
                f"{spread:>15} {s['p95_ms']:>8.3f} {s['mean_ms']:>8.3f} {c['rps']:>7.0f} "
                f"{(sv['median_ms'] if sv else float('nan')):>8.2f}")
        out("-" * len(hdr))
        for name, case, base in RATIOS:
            verdicts.append((run["label"], name) + ratio_of(run, case, base))
    out("")
    out(f"deep = page {runs[0].get('deep_page')} of the big organization, reached by following the cursors.")
    out("")
    out(f"{'database':<10} {'ratio to 10 keys':<12} {'median':>8} {'per round: median':>18} {'min':>6} {'max':>6}"
        f"   target <= {TARGET_RATIO}x")
    for label, name, overall, med, lo, hi in verdicts:
        ok = overall <= TARGET_RATIO
        out(f"{label:<10} {name:<16} {overall:>7.2f}x {med:>17.2f}x {lo:>5.2f}x {hi:>5.2f}x   {'MET' if ok else 'NOT MET'}")
    out("")
    out("median: of all timed requests of the case over those of the 10-key case; per round: the same ratio "
        "within each interleaved round (its median, lowest and highest): the spread.")
    out("srv med: the server's own time per request (its `served ... ms=` log line), matched by X-Request-Id.")
    for run in runs:
        q = run.get("queries")
        if not q:
            continue
        out("")
        out(f"[{run['label']}] the list's queries for the big organization run directly in the database (median of "
            "repeats, " + ("in-process with Python's sqlite3" if run["label"].startswith("sqlite") else "psql \\timing")
            + "), with their plans:")
        for name, v in q.items():
            out(f"  {name:<34} {v['median_ms']:7.3f} ms")
            for p in v["plan"]:
                out(f"      {p}")
    text = "\n".join(lines)
    print(text)
    if args.enforce:
        if any(v[2] > TARGET_RATIO for v in verdicts):
            sys.exit(1)


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmd_free_port(_args):
    print(free_port())


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
    r.add_argument("--big-keys", type=int, default=100_000)
    r.add_argument("--small-keys", type=int, default=10)
    r.add_argument("--warmup", type=int, default=50)
    r.add_argument("--requests", type=int, default=300)
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--deep-page", type=int, default=1000)
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
