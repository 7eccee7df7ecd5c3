#!/usr/bin/env python3
"""Helper of bench/many-keys.sh: many distinct keys against one instance (issue #16,
targets 2, 4 and 5). See bench/README.md.

  seed      signs in, makes the organization and one key through the form, then copies
            that key's row N times in SQL with new public ids: every copy has the same
            secret (so the same argon2 hash is valid for all), which the server cannot
            know; each copy's first use still costs a database read and a full argon2
            check. Writes the tokens, one a line.
  run       with the seeded tokens: one key vs N keys (whoami), the first use of all N
            while a hot key keeps calling, memory per cached key, introspection of one
            key vs N keys.
  warm      throughput of a warm instance rotating over a token file (for the cold start)
  cold      throughput second by second of an instance that has just started
  summary   the table for the README

Python 3 standard library only; wrk runs the load (bench/api_auth.lua)."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_auth import (  # noqa: E402
    INTROSPECTION_ID, INTROSPECTION_SECRET, ORG_SLUG, Sampler, api_client, api_get, create_key, crc_base62,
    proc_cpu_seconds, proc_status, sign_in_and_create_org, wrk,
)
from keys_page import Client  # noqa: E402

ONE_KEY_TARGET = 0.70
RSS_LIMIT_MIB = 200
INTROSPECT_TARGET = 0.80
COLD_TARGET = 0.90


def log(text):
    print(f"==> {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- seeding


def public_id(n):
    """16 base62 characters, distinct per n, never one the server makes by chance
    (its ids are random)."""
    return f"BenchKey{n:08d}"


def columns_sqlite(path):
    import sqlite3
    conn = sqlite3.connect(path, timeout=30)
    cols = [row[1] for row in conn.execute("PRAGMA table_info(api_keys)")]
    conn.close()
    return cols


def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"psql failed: {r.stderr.strip()}")
    return r.stdout


def seed_copies(db_url, source_public_id, n):
    """N copies of the key `source_public_id`, as one INSERT … SELECT over a series."""
    if db_url.startswith("sqlite://"):
        import sqlite3
        path = db_url[len("sqlite://"):]
        cols = [c for c in columns_sqlite(path) if c not in ("id", "public_id")]
        listed = ", ".join(cols)
        sql = (f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "
               f"INSERT INTO api_keys (public_id, {listed}) "
               f"SELECT 'BenchKey' || printf('%08d', i), {listed} FROM api_keys, n "
               f"WHERE api_keys.public_id = ?")
        conn = sqlite3.connect(path, timeout=30)
        with conn:
            conn.execute(sql, (source_public_id,))
        conn.close()
    else:
        cols = [c for c in psql(db_url, "SELECT column_name FROM information_schema.columns "
                                        "WHERE table_name = 'api_keys' ORDER BY ordinal_position").split()
                if c not in ("id", "public_id")]
        listed = ", ".join(cols)
        psql(db_url, f"INSERT INTO api_keys (public_id, {listed}) "
                     f"SELECT 'BenchKey' || lpad(i::text, 8, '0'), {listed} "
                     f"FROM api_keys, generate_series(1, {n}) AS i WHERE api_keys.public_id = '{source_public_id}'")
        psql(db_url, "VACUUM ANALYZE api_keys")


def cmd_seed(args):
    ui = Client(args.base_url)
    log(f"[{args.label}] signing in, creating {ORG_SLUG} and a key through the form")
    sign_in_and_create_org(ui)
    token = create_key(ui, "many keys")
    ui.close()
    source_id, secret = token[8:24], token[24:56]
    t0 = time.monotonic()
    seed_copies(args.db_url, source_id, args.keys)
    log(f"[{args.label}] copied the key {args.keys} times in {time.monotonic() - t0:.1f}s")
    tokens = []
    for n in range(1, args.keys + 1):
        body = "mci_org_" + public_id(n) + secret
        tokens.append(body + crc_base62(body))
    with open(args.tokens, "w") as f:
        f.write("\n".join(tokens) + "\n")
    with open(args.hot_token, "w") as f:
        f.write(token + "\n")
    # The seeded keys work (one check, which also shows the copy is a real key).
    api = api_client(args.base_url)
    status, _, body = api_get(api, "/api/v1/whoami", tokens[-1])
    api.close()
    if status != 200:
        raise SystemExit(f"a seeded key was refused: {status} {body[:300]!r}")


# --------------------------------------------------------------------------- load


def read_tokens(path, limit=None):
    with open(path) as f:
        tokens = [line.strip() for line in f if line.strip()]
    return tokens[:limit] if limit else tokens


def write_tokens(path, tokens):
    with open(path, "w") as f:
        f.write("\n".join(tokens) + "\n")
    return path


def rotating(args, url, tokens_file, duration, connections=None, introspect=False, timeline=False):
    """wrk over the tokens of `tokens_file`, round-robin (the Lua request/response mode)."""
    how = {"tokens_file": tokens_file}
    if introspect:
        how.update(form="1", basic=(INTROSPECTION_ID, INTROSPECTION_SECRET))
    old = os.environ.get("WRK_TIMELINE")
    os.environ["WRK_TIMELINE"] = "1" if timeline else ""
    try:
        run = wrk(url, args.threads, connections or args.connections, duration, **how)
    finally:
        os.environ["WRK_TIMELINE"] = old or ""
    return run


def checked(result, name):
    bad = {code: n for code, n in result.get("codes", {}).items() if not code.startswith("2")}
    result["bad_codes"] = bad
    print(f"    {name:24} {result['rps']:9.0f} req/s  p50 {result['p50_us'] / 1000:6.2f} ms  "
          f"p99 {result['p99_us'] / 1000:6.2f} ms{f'  non-2xx {bad}' if bad else ''}", file=sys.stderr, flush=True)
    return result


def interleaved(args, cases):
    """cases: {name: callable(duration) -> WrkRun}; a short warm-up of each, then
    `rounds` rounds in turn. Returns {name: {median_rps, min_rps, max_rps, runs}}."""
    for name, start in cases.items():
        start(args.warmup).result()
    runs = {name: [] for name in cases}
    for rnd in range(args.rounds):
        for name, start in cases.items():
            cpu0 = proc_cpu_seconds(args.pid)
            r = checked(start(args.duration).result(), f"{name} round {rnd + 1}")
            r["server_cpu_us_per_request"] = (proc_cpu_seconds(args.pid) - cpu0) * 1e6 / max(r["requests"], 1)
            runs[name].append(r)
    return {name: {"median_rps": statistics.median(r["rps"] for r in rs), "min_rps": min(r["rps"] for r in rs),
                   "max_rps": max(r["rps"] for r in rs), "median_p99_ms": statistics.median(r["p99_us"] for r in rs) / 1000,
                   "cpu_us_per_request": statistics.median(r["server_cpu_us_per_request"] for r in rs),
                   "bad_codes": [r["bad_codes"] for r in rs if r["bad_codes"]], "runs": rs}
            for name, rs in runs.items()}


def ratio(a, b):
    rounds = [x["rps"] / y["rps"] for x, y in zip(a["runs"], b["runs"])]
    return {"median": statistics.median(rounds), "min": min(rounds), "max": max(rounds)}


def first_use_of_all(args, tokens, hot_token, sampler):
    """Every token once, by `args.first_use_clients` sequential clients, while wrk
    keeps a hot key busy in 5-second slices; 503/429 answers are retried after a pause."""
    done = threading.Event()
    slices = []

    def hot_caller():
        while not done.is_set():
            r = wrk(f"{args.base_url}/api/v1/whoami", 1, args.hot_connections, 5, token=hot_token).result()
            slices.append({"rps": r["rps"], "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
                           "max_ms": r["max_us"] / 1000, "non_2xx": r["non_2xx_3xx"],
                           "errors": r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]})

    counts, retries, lock = {}, {"n": 0}, threading.Lock()
    shares = [tokens[i::args.first_use_clients] for i in range(args.first_use_clients)]
    latencies = []

    def caller(share):
        api = api_client(args.base_url)
        for token in share:
            while True:
                t0 = time.perf_counter()
                status, resp, _ = api_get(api, "/api/v1/whoami", token)
                ms = (time.perf_counter() - t0) * 1000
                if status in (429, 503):
                    with lock:
                        retries["n"] += 1
                    time.sleep(min(float(resp.getheader("Retry-After") or 1), 1.0) / 4)
                    continue
                with lock:
                    counts[status] = counts.get(status, 0) + 1
                    latencies.append(ms)
                break
        api.close()

    hot_rps_before = wrk(f"{args.base_url}/api/v1/whoami", 1, args.hot_connections, 5, token=hot_token).result()["rps"]
    hot = threading.Thread(target=hot_caller, daemon=True)
    sampler.phase = "first-use"
    cpu0 = proc_cpu_seconds(args.pid)
    t0 = time.monotonic()
    hot.start()
    threads = [threading.Thread(target=caller, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    cpu = proc_cpu_seconds(args.pid) - cpu0
    done.set()
    hot.join()
    sampler.phase = "after-first-use"
    return {"keys": len(tokens), "seconds": elapsed, "per_key_ms": elapsed * 1000 / len(tokens),
            "server_cpu_ms_per_key": cpu * 1000 / len(tokens), "codes": {str(k): v for k, v in counts.items()},
            "retries": retries["n"], "latency_median_ms": statistics.median(latencies),
            "latency_p99_ms": sorted(latencies)[int(len(latencies) * 0.99) - 1],
            "clients": args.first_use_clients, "hot_rps_before": hot_rps_before, "hot_slices": slices}


def cmd_run(args):
    tokens = read_tokens(args.tokens)
    hot_token = read_tokens(args.hot_token)[0]
    one_file = write_tokens(os.path.join(args.work, "one-token.txt"), [hot_token])
    sampler = Sampler(args.pid)
    sampler.phase = "one-key"
    sampler.start()
    whoami = f"{args.base_url}/api/v1/whoami"
    introspect = f"{args.base_url}/api/v1/introspect"

    log(f"[{args.label}] the one-key figure: whoami rotating over 1 token, {args.rounds} rounds")
    one = interleaved(args, {"healthz": lambda d: wrk(f"{args.base_url}/healthz", args.threads, args.connections, d),
                             "whoami 1 key": lambda d: rotating(args, whoami, one_file, d)})
    rss_one_kb = proc_status(args.pid)["VmRSS"]

    log(f"[{args.label}] first use of all {len(tokens)} keys ({args.first_use_clients} clients) "
        f"while a hot key keeps calling ({args.hot_connections} connections)")
    first = first_use_of_all(args, tokens, hot_token, sampler)
    log(f"    {first['keys']} keys in {first['seconds']:.1f}s ({first['per_key_ms']:.2f} ms a key, "
        f"server CPU {first['server_cpu_ms_per_key']:.1f} ms a key), codes {first['codes']}, retries {first['retries']}")
    time.sleep(1)
    rss_all_kb = proc_status(args.pid)["VmRSS"]

    log(f"[{args.label}] all {len(tokens)} keys cached: whoami rotating over them vs 1 key, {args.rounds} rounds")
    sampler.phase = "many-keys"
    many = interleaved(args, {"whoami 1 key": lambda d: rotating(args, whoami, one_file, d),
                              f"whoami {len(tokens)} keys": lambda d: rotating(args, whoami, args.tokens, d)})
    log(f"[{args.label}] introspection: 1 key vs {len(tokens)} keys vs healthz, {args.rounds} rounds")
    sampler.phase = "introspection"
    intro = interleaved(args, {
        "healthz": lambda d: wrk(f"{args.base_url}/healthz", args.threads, args.connections, d),
        "introspect 1 key": lambda d: rotating(args, introspect, one_file, d, introspect=True),
        f"introspect {len(tokens)} keys": lambda d: rotating(args, introspect, args.tokens, d, introspect=True)})
    sampler.stop.set()
    sampler.join()
    n = len(tokens)
    result = {
        "kind": "run", "label": args.label, "keys": n, "cores": os.cpu_count(),
        "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration,
                "rounds": args.rounds},
        "one_key": one, "first_use": first, "many": many, "introspection": intro,
        "many_vs_one": ratio(many[f"whoami {n} keys"], many["whoami 1 key"]),
        "introspect_one_vs_healthz": ratio(intro["introspect 1 key"], intro["healthz"]),
        "introspect_many_vs_healthz": ratio(intro[f"introspect {n} keys"], intro["healthz"]),
        "rss_one_key_kb": rss_one_kb, "rss_all_cached_kb": rss_all_kb,
        "rss_peak_kb": max(s[2] for s in sampler.samples), "hwm_kb": proc_status(args.pid)["VmHWM"],
        "bytes_per_cached_key": (rss_all_kb - rss_one_kb) * 1024 / n,
        "memory": {p: sampler.phase_stats(p) for p in ("one-key", "first-use", "many-keys", "introspection")},
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


# --------------------------------------------------------------------------- cold start


def per_second(result):
    """Responses per whole second, in order, without the first and last (partial) seconds."""
    seconds = sorted((int(s), n) for s, n in result.get("per_second", {}).items())
    return [n for _, n in seconds[1:-1]]


def cmd_warm(args):
    tokens = read_tokens(args.tokens, args.limit)
    path = write_tokens(os.path.join(args.work, f"tokens-{len(tokens)}.txt"), tokens)
    url = f"{args.base_url}/api/v1/whoami"
    log(f"[{args.label}] warming {len(tokens)} keys, then measuring the warm instance")
    rotating(args, url, path, max(5, len(tokens) // 40)).result()
    runs = [checked(rotating(args, url, path, args.duration, timeline=True).result(), f"warm round {i + 1}")
            for i in range(args.rounds)]
    out = {"keys": len(tokens), "tokens_file": path, "median_rps": statistics.median(r["rps"] for r in runs),
           "min_rps": min(r["rps"] for r in runs), "max_rps": max(r["rps"] for r in runs)}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


def cmd_cold(args):
    with open(args.warm) as f:
        warm = json.load(f)
    url = f"{args.base_url}/api/v1/whoami"
    log(f"[{args.label}] cold instance: {args.duration}s rotating over {warm['keys']} keys, second by second")
    r = checked(rotating(args, url, warm["tokens_file"], args.duration, timeline=True).result(), "cold")
    timeline = per_second(r)
    goal = COLD_TARGET * warm["median_rps"]
    reached = next((i + 1 for i, n in enumerate(timeline) if n >= goal), None)
    out = {"kind": "cold", "label": args.label, "keys": warm["keys"], "warm": warm, "timeline": timeline,
           "seconds_to_90": reached, "started_after_s": args.started_after, "codes": r["codes"],
           "errors": r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


# --------------------------------------------------------------------------- summary


def spread(x):
    return f"{x['median']:.0%} [{x['min']:.0%}-{x['max']:.0%}]"


def rps(case):
    return f"{case['median_rps'] / 1000:.1f}k [{case['min_rps'] / 1000:.1f}-{case['max_rps'] / 1000:.1f}]"


def cmd_summary(args):
    results = []
    for path in args.files:
        with open(path) as f:
            results.append(json.load(f))
    runs = [r for r in results if r["kind"] == "run"]
    colds = [r for r in results if r["kind"] == "cold"]
    lines = []
    if runs:
        w = runs[0]["wrk"]
        lines.append(f"2. {runs[0]['keys']} distinct keys: wrk -t{w['threads']} -c{w['connections']} "
                     f"-d{w['duration_s']}s, Lua round-robin over the tokens (1 token for the one-key figure), "
                     f"{w['rounds']} interleaved rounds: median [min-max]. {runs[0]['cores']} cores shared by wrk "
                     "and the server.")
        lines.append(f"{'database':10} {'1 key req/s':>18} {'N keys req/s':>18} {'N/1':>15} "
                     f"{'RSS 1 key':>9} {'N cached':>9} {'peak':>7} {'per key':>8}  targets >= {ONE_KEY_TARGET:.0%}, "
                     f"< {RSS_LIMIT_MIB} MiB")
        for r in runs:
            n = r["keys"]
            ok = ("met" if r["many_vs_one"]["median"] >= ONE_KEY_TARGET
                  and r["rss_peak_kb"] / 1024 < RSS_LIMIT_MIB else "NOT MET")
            lines.append(f"{r['label']:10} {rps(r['many']['whoami 1 key']):>18} {rps(r['many'][f'whoami {n} keys']):>18} "
                         f"{spread(r['many_vs_one']):>15} {r['rss_one_key_kb'] / 1024:7.1f}Mi "
                         f"{r['rss_all_cached_kb'] / 1024:7.1f}Mi {r['rss_peak_kb'] / 1024:5.0f}Mi "
                         f"{r['bytes_per_cached_key'] / 1024:6.1f}Ki  {ok}")
        lines.append("")
        lines.append("   first use of every key: sequential clients, one request per key (503/429 retried), "
                     "while wrk -t1 keeps one hot key busy in 5 s slices")
        lines.append(f"{'database':10} {'keys':>6} {'clients':>7} {'total s':>8} {'ms/key':>7} {'CPU ms/key':>10} "
                     f"{'retries':>7}  hot key req/s before -> during (min) ; worst p99 ; errors")
        for r in runs:
            f = r["first_use"]
            s = f["hot_slices"]
            during = statistics.median(x["rps"] for x in s) if s else float("nan")
            lowest = min((x["rps"] for x in s), default=float("nan"))
            worst = max((x["p99_ms"] for x in s), default=float("nan"))
            errors = sum(x["errors"] + x["non_2xx"] for x in s)
            lines.append(f"{r['label']:10} {f['keys']:6} {f['clients']:7} {f['seconds']:8.1f} {f['per_key_ms']:7.2f} "
                         f"{f['server_cpu_ms_per_key']:10.1f} {f['retries']:7}  {f['hot_rps_before']:.0f} -> "
                         f"{during:.0f} ({lowest:.0f}) ; {worst:.1f} ms ; {errors}")
        lines.append("")
        lines.append("4. Introspection (POST /api/v1/introspect, HTTP Basic), same rounds as healthz: median [min-max]")
        lines.append(f"{'database':10} {'healthz req/s':>18} {'1 key req/s':>18} {'1 key/healthz':>15} "
                     f"{'N keys req/s':>18} {'N keys/healthz':>15}  target >= {INTROSPECT_TARGET:.0%}")
        for r in runs:
            n, i = r["keys"], r["introspection"]
            ok = "met" if r["introspect_one_vs_healthz"]["median"] >= INTROSPECT_TARGET else "NOT MET"
            lines.append(f"{r['label']:10} {rps(i['healthz']):>18} {rps(i['introspect 1 key']):>18} "
                         f"{spread(r['introspect_one_vs_healthz']):>15} {rps(i[f'introspect {n} keys']):>18} "
                         f"{spread(r['introspect_many_vs_healthz']):>15}  {ok}")
        lines.append("")
    if colds:
        lines.append("5. Cold start: a new process on the same database, load at once rotating over the keys; "
                     "responses per second against the warm instance's median")
        lines.append(f"{'database':10} {'keys':>5} {'ready after':>11} {'warm req/s':>18} {'to 90 %':>8}  "
                     "first seconds (req/s)")
        for r in colds:
            t = r["seconds_to_90"]
            lines.append(f"{r['label']:10} {r['keys']:5} {r['started_after_s']:10.2f}s {rps(r['warm']):>18} "
                         f"{(f'{t} s' if t else 'never'):>8}  {' '.join(str(n) for n in r['timeline'][:15])}")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write(text + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(required=True)

    def common(c):
        c.add_argument("--label", required=True)
        c.add_argument("--base-url", required=True)
        c.add_argument("--pid", type=int)
        c.add_argument("--work", default="/tmp")
        c.add_argument("--threads", type=int, default=2)
        c.add_argument("--connections", type=int, default=64)
        c.add_argument("--duration", type=int, default=10)
        c.add_argument("--warmup", type=int, default=3)
        c.add_argument("--rounds", type=int, default=3)

    s = sub.add_parser("seed")
    common(s)
    s.add_argument("--db-url", required=True)
    s.add_argument("--keys", type=int, default=10000)
    s.add_argument("--tokens", required=True)
    s.add_argument("--hot-token", required=True)
    s.set_defaults(func=cmd_seed)

    r = sub.add_parser("run")
    common(r)
    r.add_argument("--tokens", required=True)
    r.add_argument("--hot-token", required=True)
    r.add_argument("--first-use-clients", type=int, default=8)
    r.add_argument("--hot-connections", type=int, default=8)
    r.add_argument("--out", required=True)
    r.set_defaults(func=cmd_run)

    w = sub.add_parser("warm")
    common(w)
    w.add_argument("--tokens", required=True)
    w.add_argument("--limit", type=int, default=1000)
    w.add_argument("--out", required=True)
    w.set_defaults(func=cmd_warm)

    c = sub.add_parser("cold")
    common(c)
    c.add_argument("--warm", required=True)
    c.add_argument("--started-after", type=float, default=0.0, help="seconds from exec to the first answer")
    c.add_argument("--out", required=True)
    c.set_defaults(func=cmd_cold)

    m = sub.add_parser("summary")
    m.add_argument("files", nargs="+")
    m.add_argument("--write")
    m.set_defaults(func=cmd_summary)

    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
