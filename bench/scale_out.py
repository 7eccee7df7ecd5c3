#!/usr/bin/env python3
"""Helper for bench/scale-out.sh: several monkeyci-server instances on one PostgreSQL
behind a round-robin proxy, and what they ask of the database.

Standard library only, plus `wrk` and `psql` on the PATH. Every measuring command writes
one JSON file (--out); `summary` reads them. Sub-commands:

  free-port, wait                as in bench/keys_page.py
  setup    --base-url URL --state FILE --keys N --tokens FILE
                                 sign in, create the organization api-bench and an admin
                                 organization key through the UI (reliability.py setup),
                                 then N organization keys through the API; their tokens go
                                 to --tokens (one a line, for wrk), ids and tokens to --state
  cold     --proxy URL --metrics URL... --db-url URL --tokens FILE --out FILE
                                 every key's first use through the proxy at once (wrk): the
                                 responses, the key checks and the rows written
  warm     --instances URL... --tokens FILE
                                 every key used once on every instance (its argon2 check)
  writes   --proxy URL --instances URL... --metrics URL... --db-url URL --tokens FILE --out FILE
                                 --runs timed wrk runs through the proxy, each followed by a
                                 wait of --settle seconds (so the usage flush of its requests
                                 lands); PostgreSQL's counters of the throwaway database read
                                 before and after each run; pg_stat_activity per instance
                                 sampled every second
  revoke   --instances URL... --state FILE --db-url URL --out FILE
                                 --rounds revocations: a new key cached by every instance,
                                 polled on each instance directly, revoked through one of them
                                 (DELETE /api/v1/orgs/api-bench/keys/{id}); per instance the
                                 time from the DELETE's response to the first refusal; the
                                 notifications counted by a LISTEN of our own
  throughput --proxy URL --direct URL --tokens FILE --out FILE
                                 wrk through the proxy and to one instance, alternating
  summary  FILE... [--write F]   the tables of a run

See bench/README.md.
"""

import argparse
import collections
import json
import math
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_auth import ORG_KEYS_API, codes_text, wrk  # noqa: E402
from keys_page import PostgresDb, cmd_free_port, cmd_wait, percentile  # noqa: E402
from reliability import Conn, cmd_setup, load_json, say, write_json  # noqa: E402

# The code's periods (src/auth/key_auth/last_used.rs, usage.rs, cache.rs).
LAST_USE_EVERY_S = 60
FLUSH_EVERY_S = 60
REVALIDATE_AFTER_S = 30
CHANNEL = "monkeyci_access"


# --------------------------------------------------------------------------- setup


def cmd_setup_keys(args):
    cmd_setup(args)  # sign-in, organization, the admin key in --state
    state = load_json(args.state)
    conn = Conn(args.base_url)
    keys = []
    for i in range(args.keys):
        r = conn.request("POST", ORG_KEYS_API, token=state["token"],
                         json_body={"description": f"scale-out {i}"})
        if r.status != 201:
            raise SystemExit(f"creating key {i}: {r.outcome} {r.body[:200]!r}")
        body = json.loads(r.body)
        keys.append({"id": body["id"], "token": body["token"]})
    conn.close()
    state["keys"] = keys
    write_json(args.state, state)
    with open(args.tokens, "w") as f:
        f.write("".join(k["token"] + "\n" for k in keys))
    say(f"==> created {len(keys)} organization keys through the API")


def read_tokens(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def cmd_warm(args):
    """Each key once on each instance: its first use (a read and one argon2 check)."""
    tokens = read_tokens(args.tokens)
    codes = collections.Counter()

    def work(url):
        conn = Conn(url)
        for token in tokens:
            for _ in range(30):
                r = conn.request("GET", "/api/v1/whoami", token=token)
                if r.status != 429:
                    break
                time.sleep(float(r.headers.get("retry-after", "1")))
            codes[r.outcome] += 1
        conn.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in args.instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if set(codes) != {"200"}:
        raise SystemExit(f"warm-up: {codes_text(codes)}")
    say(f"==> warm-up: {len(tokens)} keys on {len(args.instances)} instances: {codes_text(codes)}")


def cmd_cold(args):
    """Every key's first use on every instance at once, through the proxy: wrk with
    --connections, each request the next key, for --duration seconds."""
    db = PostgresDb(args.db_url)
    time.sleep(2)  # PostgreSQL's counters of the set-up's work are flushed
    before = pg_stats(db)
    scrapes_before = [scrape(m) for m in args.metrics]
    run = wrk(args.proxy + "/api/v1/whoami", 2, args.connections, args.duration, tokens_file=args.tokens).result()
    time.sleep(3)  # the checks still running finish; PostgreSQL's counters are flushed
    after = pg_stats(db)
    checks = collections.Counter()
    for b, m in zip(scrapes_before, args.metrics):
        c, _ = checks_and_requests(b, scrape(m))
        checks.update(c)
    refused = collections.Counter()
    for m in args.metrics:
        for (name, labels), v in scrape(m).items():
            if name == "monkeyci_api_key_checks_total" and 'outcome="refused"' in labels and v:
                refused[re.search(r'reason="([^"]+)"', labels).group(1)] += round(v)
    result = {"part": "cold", "keys": len(read_tokens(args.tokens)), "instances": len(args.metrics),
              "connections": args.connections, "duration": args.duration, "wrk": run, "checks": dict(checks),
              "refused_reasons": dict(refused), "pg": diff_stats(before, after)}
    write_json(args.out, result)
    say(f"==> cold start through the proxy: codes {run['codes']}, checks {dict(checks)}")


# --------------------------------------------------------------------------- PostgreSQL


STATS_SQL = """
SELECT json_build_object(
  'at', extract(epoch FROM clock_timestamp()),
  'db', (SELECT row_to_json(d) FROM (
          SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated,
                 tup_deleted FROM pg_stat_database WHERE datname = current_database()) d),
  'tables', (SELECT json_object_agg(relname, json_build_object(
               'ins', n_tup_ins, 'upd', n_tup_upd, 'hot_upd', n_tup_hot_upd, 'del', n_tup_del,
               'seq_scan', seq_scan, 'idx_scan', coalesce(idx_scan, 0)))
             FROM pg_stat_user_tables))
"""


def pg_stats(db):
    return json.loads(db.psql(STATS_SQL))


def diff_stats(before, after):
    db = {k: after["db"][k] - before["db"][k] for k in after["db"]}
    tables = {}
    for name, a in after["tables"].items():
        b = before["tables"].get(name, {})
        d = {k: v - b.get(k, 0) for k, v in a.items()}
        if any(d.values()):
            tables[name] = d
    return {"seconds": after["at"] - before["at"], "db": db, "tables": tables}


def statements_available(db):
    """Whether pg_stat_statements can be read here (it needs shared_preload_libraries)."""
    preload = db.psql("SHOW shared_preload_libraries").strip()
    available = db.psql("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_stat_statements'").strip()
    return {"shared_preload_libraries": preload, "extension_available": available == "1",
            "usable": "pg_stat_statements" in preload}


class ActivitySampler(threading.Thread):
    """pg_stat_activity of the throwaway database every second: connections per
    application_name (one per instance) and how many are active."""

    SQL = ("SELECT coalesce(nullif(application_name, ''), '?'), state, count(*) FROM pg_stat_activity "
           "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1, 2")

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db, self.stop = db, threading.Event()
        self.samples = []

    def run(self):
        while not self.stop.is_set():
            sample = collections.defaultdict(lambda: {"total": 0, "active": 0})
            for line in self.db.psql(self.SQL).splitlines():
                app, state, n = line.split("|")
                sample[app]["total"] += int(n)
                if state == "active":
                    sample[app]["active"] += int(n)
            self.samples.append(dict(sample))
            self.stop.wait(1.0)

    def report(self):
        apps = sorted({a for s in self.samples for a in s})
        out = {}
        for app in apps:
            totals = [s.get(app, {"total": 0})["total"] for s in self.samples]
            active = [s.get(app, {"active": 0})["active"] for s in self.samples]
            out[app] = {"max": max(totals), "median": statistics.median(totals), "max_active": max(active)}
        all_totals = [sum(v["total"] for v in s.values()) for s in self.samples]
        return {"per_app": out, "max_total": max(all_totals) if all_totals else 0, "samples": len(self.samples)}


# --------------------------------------------------------------------------- metrics


METRIC_LINE = re.compile(r'^(monkeyci_[a-z_]+)(?:\{([^}]*)\})? ([0-9.eE+-]+)$')


def scrape(url):
    """{(name, labels): value} of one instance's /metrics."""
    with urllib.request.urlopen(url.rstrip("/") + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out = {}
    for line in text.splitlines():
        m = METRIC_LINE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def checks_and_requests(before, after):
    """Key checks by outcome and whoami requests answered, between two scrapes."""
    checks, whoami = collections.Counter(), 0
    for (name, labels), value in after.items():
        delta = value - before.get((name, labels), 0)
        if name == "monkeyci_api_key_checks_total":
            outcome = re.search(r'outcome="([^"]+)"', labels).group(1)
            checks[outcome] += round(delta)
        elif name == "monkeyci_http_requests_total" and 'route="/api/v1/whoami"' in labels:
            whoami += round(delta)
    return dict(checks), whoami


# --------------------------------------------------------------------------- 1. writes


def cmd_writes(args):
    db = PostgresDb(args.db_url)
    runs = []
    say(f"==> writes: {args.runs} runs of {args.duration}s through the proxy, {args.settle}s after each; "
        f"first {args.settle}s for the warm-up's writes to land")
    time.sleep(args.settle)
    for i in range(args.runs):
        scrapes_before = [scrape(m) for m in args.metrics]
        before = pg_stats(db)
        sampler = ActivitySampler(db)
        sampler.start()
        run = wrk(args.proxy + "/api/v1/whoami", args.threads, args.connections, args.duration,
                  tokens_file=args.tokens).result()
        sampler.stop.set()
        sampler.join()
        scrapes_loaded = [scrape(m) for m in args.metrics]
        say(f"    run {i + 1}: {run['requests']} requests ({run['rps']:.0f}/s), codes {run['codes']}; "
            f"waiting {args.settle}s for the usage flush")
        time.sleep(args.settle)
        after = pg_stats(db)
        scrapes_after = [scrape(m) for m in args.metrics]
        per_instance = []
        for b, loaded, a in zip(scrapes_before, scrapes_loaded, scrapes_after):
            checks, whoami = checks_and_requests(b, a)
            _, whoami_loaded = checks_and_requests(b, loaded)
            per_instance.append({"checks": checks, "whoami": whoami, "whoami_during_run": whoami_loaded})
        delta = diff_stats(before, after)
        runs.append({"run": i + 1, "wrk": run, "pg": delta, "instances": per_instance,
                     "activity": sampler.report()})
        t = delta["tables"]
        say(f"    run {i + 1}: api_keys upd {t.get('api_keys', {}).get('upd', 0)}, api_key_daily_uses "
            f"ins+upd {t.get('api_key_daily_uses', {}).get('ins', 0) + t.get('api_key_daily_uses', {}).get('upd', 0)}, "
            f"commits {delta['db']['xact_commit']}")
    result = {"part": "writes", "keys": len(read_tokens(args.tokens)), "instances": len(args.metrics),
              "duration": args.duration, "settle": args.settle, "connections": args.connections,
              "statements": statements_available(db), "pool_max": pool_max(args.metrics), "runs": runs}
    write_json(args.out, result)


def pool_max(metrics_urls):
    out = []
    for m in metrics_urls:
        values = [v for (name, _), v in scrape(m).items() if name == "monkeyci_db_pool_max_connections"]
        out.append(values[0] if values else None)
    return out


# --------------------------------------------------------------------------- 2. revocation


class Poller(threading.Thread):
    """Asks one instance directly, again and again, with one key; remembers every answer
    until the first refusal (or until --wait seconds have passed)."""

    def __init__(self, url, token, interval, deadline):
        super().__init__(daemon=True)
        self.conn, self.token, self.interval, self.deadline = Conn(url), token, interval, deadline
        self.replies = []
        self.polling = threading.Event()

    def run(self):
        while time.time() < self.deadline():
            r = self.conn.request("GET", "/api/v1/whoami", token=self.token)
            self.replies.append((r.t0, r.t1, r.outcome))
            self.polling.set()
            if r.status is not None and r.status != 200:
                break
            time.sleep(self.interval)
        self.conn.close()


def listen_for_notifications(db_url):
    """A psql session that LISTENs on the servers' channel; `notifications(proc)` reads what it got."""
    proc = subprocess.Popen(["psql", "-X", "-q", db_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    proc.stdin.write(f"LISTEN {CHANNEL};\n")
    proc.stdin.flush()
    return proc


def notifications(proc):
    out, _ = proc.communicate("SELECT 1;\n\\q\n", timeout=30)
    return re.findall(r'Asynchronous notification "' + CHANNEL + r'" with payload "([^"]*)"', out)


def cmd_revoke(args):
    state = load_json(args.state)
    admin = state["token"]
    instances = args.instances
    listener = listen_for_notifications(args.db_url)
    time.sleep(0.5)
    load = None
    if args.load_connections:
        load = wrk(args.load_proxy + "/api/v1/whoami", 1, args.load_connections,
                   math.ceil(args.rounds * 3 + 10), tokens_file=args.tokens)
        time.sleep(1)
    rounds = []
    for i in range(args.rounds):
        via = i % len(instances)
        a = Conn(instances[via])
        r = a.request("POST", ORG_KEYS_API, token=admin, json_body={"description": f"revoked {args.label} {i}"})
        if r.status != 201:
            raise SystemExit(f"creating the key to revoke: {r.outcome}")
        victim = json.loads(r.body)
        for url in instances:  # every instance verifies it (argon2) and caches it
            c = Conn(url)
            for _ in range(2):
                w = c.request("GET", "/api/v1/whoami", token=victim["token"])
                if w.status != 200:
                    raise SystemExit(f"warming the victim on {url}: {w.outcome}")
            c.close()
        t_ack = [None]
        pollers = [Poller(url, victim["token"], args.interval,
                          lambda: t_ack[0] + args.wait if t_ack[0] else time.time() + 60)
                   for url in instances]
        for p in pollers:
            p.start()
        for p in pollers:
            p.polling.wait(10)
        time.sleep(0.2)
        deleted = a.request("DELETE", f"{ORG_KEYS_API}/{victim['id']}", token=admin)
        t_ack[0] = deleted.t1
        for p in pollers:
            p.join()
        a.close()
        per = []
        for n, p in enumerate(pollers):
            refused = next(((t0, t1, o) for t0, t1, o in p.replies if o != "200"), None)
            accepted_after = sum(1 for t0, _, o in p.replies if o == "200" and t0 > deleted.t1)
            last_ok = max((t1 for _, t1, o in p.replies if o == "200"), default=None)
            per.append({
                "instance": n + 1, "revoked_through": n == via,
                "refused_after_s": None if refused is None else refused[1] - deleted.t1,
                "refusal": None if refused is None else refused[2],
                # the change reached it after the last 200's request started and before the 401 ended
                "last_200_end_after_s": None if last_ok is None else last_ok - deleted.t1,
                "accepted_after_ack": accepted_after, "polls": len(p.replies),
            })
        rounds.append({"round": i + 1, "via": via + 1, "delete": deleted.outcome,
                       "delete_ms": deleted.ms, "instances": per})
        say(f"    revocation {i + 1} through instance {via + 1} ({deleted.outcome}): "
            + ", ".join(f"#{x['instance']} " + ("-" if x['refused_after_s'] is None else
                                                 f"{x['refused_after_s'] * 1000:.0f} ms {x['refusal']}")
                        for x in per))
        time.sleep(args.pause)
    load_result = None
    if load is not None:
        load.proc.terminate()
        try:
            load.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            load.proc.kill()
        load_result = {"connections": args.load_connections}
    payloads = notifications(listener)
    result = {"part": "revoke", "label": args.label, "instances": len(instances), "interval_s": args.interval,
              "load": load_result, "rounds": rounds, "notifications": len(payloads),
              "notification_payloads": collections.Counter(p.split(":")[0] for p in payloads),
              "listeners": len(instances)}
    write_json(args.out, result)


# --------------------------------------------------------------------------- 3. throughput


def cmd_throughput(args):
    rounds = []
    for i in range(args.rounds):
        for name, url in (("proxy", args.proxy), ("direct", args.direct)):
            r = wrk(url + "/api/v1/whoami", args.threads, args.connections, args.duration,
                    tokens_file=args.tokens).result()
            rounds.append({"round": i + 1, "target": name, "rps": r["rps"], "p50_us": r["p50_us"],
                           "p99_us": r["p99_us"], "codes": r["codes"], "errors": r["read_errors"] + r["write_errors"]
                           + r["connect_errors"] + r["timeouts"]})
            say(f"    {name}: {r['rps']:.0f} req/s, p99 {r['p99_us'] / 1000:.1f} ms, codes {r['codes']}")
    write_json(args.out, {"part": "throughput", "connections": args.connections, "duration": args.duration,
                          "rounds": rounds})


# --------------------------------------------------------------------------- summary


def spread(values, fmt="{:.0f}"):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def summary_writes(r, lines):
    k, n, d = r["keys"], r["instances"], r["duration"]
    lines.append(f"1. Database writes: {k} keys rotating through the proxy to {n} instances, wrk "
                 f"-c{r['connections']}, {len(r['runs'])} runs of {d} s, counters read before each run and "
                 f"{r['settle']} s after it (so each run's last usage flush is in its window)")
    lines.append(f"   pg_stat_statements: {'used' if r['statements']['usable'] else 'not loaded (shared_preload_libraries=' + repr(r['statements']['shared_preload_libraries']) + '); per-table counters instead'}")
    rows = collections.defaultdict(list)
    per_k = collections.defaultdict(list)
    requests, rps = [], []
    for run in r["runs"]:
        reqs = run["wrk"]["requests"]
        requests.append(reqs)
        rps.append(run["wrk"]["rps"])
        t = run["pg"]["tables"]
        keys_t = t.get("api_keys", {})
        uses_t = t.get("api_key_daily_uses", {})
        own = ("api_keys", "api_key_daily_uses", "api_failure_buckets")
        # /readyz reads __diesel_schema_migrations once (plus the pool's SELECT 1 at check-out).
        probes = t.get("__diesel_schema_migrations", {}).get("seq_scan", 0)
        commits = run["pg"]["db"]["xact_commit"]
        figures = {
            "api_keys UPDATE (last use)": keys_t.get("upd", 0),
            "api_key_daily_uses INSERT+UPDATE (usage flush)": uses_t.get("ins", 0) + uses_t.get("upd", 0),
            "api_failure_buckets writes (first uses)": sum(t.get("api_failure_buckets", {}).get(k, 0)
                                                          for k in ("ins", "upd", "del")),
            "other tables' rows written": sum(v.get("ins", 0) + v.get("upd", 0) + v.get("del", 0)
                                              for name, v in t.items() if name not in own),
            "transactions committed (all, reads too)": commits,
            "  of which /readyz probes (2 each)": 2 * probes,
            "  of which this benchmark's psql sampler": run["activity"]["samples"] + 1,
            "rows read (tup_fetched)": run["pg"]["db"]["tup_fetched"],
            "key checks: revalidated (row re-read)": sum(i["checks"].get("revalidated", 0) for i in run["instances"]),
            "key checks: verified (argon2)": sum(i["checks"].get("verified", 0) for i in run["instances"]),
        }
        for name, v in figures.items():
            rows[name].append(v)
            per_k[name].append(v * 1000 / reqs if reqs else None)
    lines.append(f"   requests per run: {spread(requests)}; req/s {spread(rps)}")
    lines.append(f"   {'':48} {'per run':>26} {'per 1,000 requests':>28}")
    for name in rows:
        lines.append(f"   {name:48} {spread(rows[name]):>26} {spread(per_k[name], '{:.3f}'):>28}")
    cycles = math.ceil(d / LAST_USE_EVERY_S)
    lines.append(f"   expected from the code: last use ≤ keys × instances × ⌈{d}/60⌉ = {k * n * cycles}; "
                 f"usage flush ≈ keys × instances × flushes in {d}+{r['settle']} s "
                 f"({k * n * cycles}–{k * n * (cycles + 1)}); revalidations ≈ keys × instances × {d}/30 = "
                 f"{k * n * d // REVALIDATE_AFTER_S}")
    split = collections.defaultdict(list)
    for run in r["runs"]:
        total = sum(i["whoami_during_run"] for i in run["instances"]) or 1
        for j, inst in enumerate(run["instances"]):
            split[j + 1].append(100 * inst["whoami_during_run"] / total)
    lines.append("   share of the requests per instance: "
                 + ", ".join(f"#{j} {spread(v, '{:.1f}')} %" for j, v in split.items()))
    acts = collections.defaultdict(lambda: collections.defaultdict(list))
    for run in r["runs"]:
        for app, a in run["activity"]["per_app"].items():
            acts[app]["max"].append(a["max"])
            acts[app]["active"].append(a["max_active"])
    lines.append(f"   PostgreSQL connections per instance during the runs (pool max {r['pool_max']} + 1 listener): "
                 + "; ".join(f"{app} max {spread(v['max'])}, active max {spread(v['active'])}"
                             for app, v in sorted(acts.items())))
    lines.append(f"   all connections of the database at once: max {spread([run['activity']['max_total'] for run in r['runs']])}")


def summary_cold(r, lines):
    run = r["wrk"]
    lines.append(f"0. Cold start: {r['keys']} keys never used, all at once through the proxy (wrk -c{r['connections']} "
                 f"-d{r['duration']}s, each request the next key, one client address): every instance "
                 f"verifies every key once")
    lines.append(f"   responses: {codes_text(collections.Counter({k: v for k, v in run['codes'].items()}))}; "
                 f"key checks: {dict(sorted(r['checks'].items()))}; refusals by reason so far: "
                 f"{r['refused_reasons'] or 'none'}")
    t = r["pg"]["tables"]
    lines.append("   rows written: " + ", ".join(
        f"{name} {v.get('ins', 0) + v.get('upd', 0) + v.get('del', 0)}" for name, v in sorted(t.items())
        if v.get("ins", 0) + v.get("upd", 0) + v.get("del", 0)) + f"; commits {r['pg']['db']['xact_commit']}")


def summary_revoke(r, lines):
    load = f"under load (wrk -c{r['load']['connections']} through the proxy)" if r["load"] else "without other load"
    lines.append(f"2. Revocation lag, {load}: {len(r['rounds'])} revocations, each instance polled directly "
                 f"every {r['interval_s'] * 1000:.0f} ms; time from the DELETE's response to the first refusal")
    lines.append("   refused by: the first refusal's response; accepted until: the last 200's response (the "
                 "change reached the instance in between); both from the DELETE's response, in ms")
    by = collections.defaultdict(list)
    until = collections.defaultdict(list)
    by_role = collections.defaultdict(list)
    until_role = collections.defaultdict(list)
    refusals = collections.Counter()
    late = collections.Counter()
    for rnd in r["rounds"]:
        for x in rnd["instances"]:
            v = x["refused_after_s"]
            role = "the revoking instance" if x["revoked_through"] else "the other instances"
            late[role] += x["accepted_after_ack"]
            if v is None:
                refusals["never"] += 1
                continue
            refusals[x["refusal"]] += 1
            by[x["instance"]].append(v * 1000)
            by_role[role].append(v * 1000)
            if x["last_200_end_after_s"] is not None:
                until[x["instance"]].append(x["last_200_end_after_s"] * 1000)
                until_role[role].append(x["last_200_end_after_s"] * 1000)
    for inst, v in sorted(by.items()):
        lines.append(f"   instance {inst}: refused by median {statistics.median(v):.0f} ms, max {max(v):.0f} ms; "
                     f"accepted until median {statistics.median(until[inst]):.0f} ms, max {max(until[inst]):.0f} ms "
                     f"(n={len(v)})")
    for role, v in sorted(by_role.items()):
        u = until_role[role]
        lines.append(f"   {role}: refused by median {statistics.median(v):.0f} ms, p90 {percentile(v, 90):.0f} ms, "
                     f"max {max(v):.0f} ms; accepted until median {statistics.median(u):.0f} ms, max {max(u):.0f} ms; "
                     f"requests sent after the DELETE's response and accepted: {late[role]}")
    lines.append(f"   refusals: {codes_text(refusals)}")
    per_rev = r["notifications"] / len(r["rounds"]) if r["rounds"] else 0
    lines.append(f"   notifications on {CHANNEL}: {r['notifications']} for {len(r['rounds'])} revocations "
                 f"({per_rev:.1f} each; payload kinds {dict(r['notification_payloads'])}), each delivered to "
                 f"{r['listeners']} listeners (one per instance) plus ours")


def summary_throughput(r, lines):
    by = collections.defaultdict(list)
    for x in r["rounds"]:
        by[x["target"]].append(x["rps"])
    lines.append(f"3. Throughput (informational: wrk, HAProxy and all 4 instances share 2 cores), wrk "
                 f"-c{r['connections']} -d{r['duration']}s with rotating keys, {len(by['proxy'])} rounds:")
    for target, v in by.items():
        lines.append(f"   {target:>6}: {spread(v)} req/s")
    errors = sum(x["errors"] for x in r["rounds"])
    non200 = sum(n for x in r["rounds"] for c, n in x["codes"].items() if c != "200")
    lines.append(f"   socket errors {errors}, non-200 {non200}")


def cmd_summary(args):
    lines = []
    for path in args.files:
        r = load_json(path)
        {"cold": summary_cold, "writes": summary_writes, "revoke": summary_revoke,
         "throughput": summary_throughput}[r["part"]](r, lines)
        lines.append("")
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
    c = sub.add_parser("setup")
    c.add_argument("--base-url", required=True)
    c.add_argument("--state", required=True)
    c.add_argument("--keys", type=int, default=100)
    c.add_argument("--tokens", required=True)
    c.set_defaults(func=cmd_setup_keys)
    c = sub.add_parser("warm")
    c.add_argument("--instances", nargs="+", required=True)
    c.add_argument("--tokens", required=True)
    c.set_defaults(func=cmd_warm)
    c = sub.add_parser("cold")
    c.add_argument("--proxy", required=True)
    c.add_argument("--metrics", nargs="+", required=True)
    c.add_argument("--db-url", required=True)
    c.add_argument("--tokens", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--duration", type=int, default=10)
    c.add_argument("--connections", type=int, default=64)
    c.set_defaults(func=cmd_cold)
    c = sub.add_parser("writes")
    c.add_argument("--proxy", required=True)
    c.add_argument("--metrics", nargs="+", required=True, help="each instance's metrics base URL")
    c.add_argument("--db-url", required=True)
    c.add_argument("--tokens", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--runs", type=int, default=3)
    c.add_argument("--duration", type=int, default=120)
    c.add_argument("--settle", type=int, default=65)
    c.add_argument("--threads", type=int, default=2)
    c.add_argument("--connections", type=int, default=64)
    c.set_defaults(func=cmd_writes)
    c = sub.add_parser("revoke")
    c.add_argument("--label", default="idle")
    c.add_argument("--instances", nargs="+", required=True)
    c.add_argument("--state", required=True)
    c.add_argument("--db-url", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--rounds", type=int, default=10)
    c.add_argument("--interval", type=float, default=0.005, help="seconds between two polls of one instance")
    c.add_argument("--wait", type=float, default=5, help="seconds to wait for a refusal")
    c.add_argument("--pause", type=float, default=0.5, help="seconds between revocations")
    c.add_argument("--load-proxy", help="with --load-connections: wrk through this proxy meanwhile")
    c.add_argument("--load-connections", type=int, default=0)
    c.add_argument("--tokens")
    c.set_defaults(func=cmd_revoke)
    c = sub.add_parser("throughput")
    c.add_argument("--proxy", required=True)
    c.add_argument("--direct", required=True)
    c.add_argument("--tokens", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--rounds", type=int, default=3)
    c.add_argument("--duration", type=int, default=15)
    c.add_argument("--threads", type=int, default=2)
    c.add_argument("--connections", type=int, default=64)
    c.set_defaults(func=cmd_throughput)
    c = sub.add_parser("summary")
    c.add_argument("files", nargs="+")
    c.add_argument("--write")
    c.set_defaults(func=cmd_summary)
    args = p.parse_args()
    try:
        args.func(args)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
