"""Instructions per request, counted with callgrind: bench/profile.sh runs this.

The server (release build, one worker, SQLite) and the reference server
(bench/reference) run under `valgrind --tool=callgrind`. For each endpoint: a
warm-up, the counters zeroed (`callgrind_control -z`), `wrk -t1 -c2` for
--seconds, the counters dumped (`callgrind_control -d`); the instructions of
every thread of the process divided by the requests wrk completed. Unlike a
throughput figure, this count hardly depends on what else runs on the machine.
(SHA-256 runs in software under valgrind; natively it uses the CPU's SHA
instructions and costs a tenth.)

Standard library only, plus valgrind and wrk on the PATH. See bench/README.md.
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_auth import (INTROSPECTION_ID, INTROSPECTION_SECRET, api_client, api_get,  # noqa: E402
                      create_key, sign_in_and_create_org, wrk)
from keys_page import Client, free_port  # noqa: E402


def under_callgrind(out_dir, name, command, env):
    out = os.path.join(out_dir, f"{name}.%p")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no"] + command
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(url, path, token=None, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            client = api_client(url)
            status, _, body = api_get(client, path, token)
            client.close()
            if status == 200:
                return body
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url}{path} did not answer within {timeout} s")


def instructions(out_dir, name, pid):
    """Dumps the process's counters and sums the instructions of the new dump files."""
    before = set(glob.glob(os.path.join(out_dir, f"{name}.{pid}*")))
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    total = 0
    for path in set(glob.glob(os.path.join(out_dir, f"{name}.{pid}*"))) - before:
        with open(path) as f:
            for line in f:
                m = re.match(r"^(?:summary|totals): (\d+)", line)
                if m:
                    total += int(m.group(1))
                    break
    return total


def measure(out_dir, name, pid, url, seconds, **how):
    wrk(url, 1, 2, 3, **how).result()
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = wrk(url, 1, 2, seconds, **how).result()
    if r["non_2xx_3xx"] or r["requests"] == 0:
        raise SystemExit(f"{url}: {r['non_2xx_3xx']} non-2xx responses of {r['requests']}")
    ir = instructions(out_dir, name, pid)
    return ir / r["requests"], r["requests"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--reference-bin", required=True)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="monkeyci-profile.")
    port, ref_port = free_port(), free_port()
    base, ref = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ref_port}"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
           "MONKEYCI_LISTEN": f"127.0.0.1:{port}", "MONKEYCI_WORKERS": "1", "RUST_LOG": "info",
           "DATABASE_URL": f"sqlite://{work}/profile.db",
           "MONKEYCI_INTROSPECTION_CLIENTS": f"{INTROSPECTION_ID}:{INTROSPECTION_SECRET}"}
    procs = []
    try:
        print("==> starting the server under callgrind (slow: a minute or so)", file=sys.stderr, flush=True)
        server = under_callgrind(work, "server", [args.bin], env)
        procs.append(server)
        wait_for(base, "/healthz")
        ui = Client(base)
        sign_in_and_create_org(ui)
        token = create_key(ui, "profile")
        ui.close()
        body = wait_for(base, "/api/v1/whoami", token)
        body_file = os.path.join(work, "whoami-body.json")
        with open(body_file, "wb") as f:
            f.write(body)
        ref_env = {"PATH": os.environ["PATH"], "MONKEYCI_WORKERS": "1", "REFERENCE_TOKEN": token,
                   "REFERENCE_BODY_FILE": body_file}
        reference = under_callgrind(work, "reference", [args.reference_bin, f"127.0.0.1:{ref_port}"], ref_env)
        procs.append(reference)
        wait_for(ref, "/whoami", token)

        form = "token=" + urllib.parse.quote(token)
        cases = [
            ("healthz", "server", server.pid, f"{base}/healthz", {}),
            ("whoami", "server", server.pid, f"{base}/api/v1/whoami", {"token": token}),
            ("introspect", "server", server.pid, f"{base}/api/v1/introspect",
             {"form": form, "basic": (INTROSPECTION_ID, INTROSPECTION_SECRET)}),
            ("ref-healthz", "reference", reference.pid, f"{ref}/healthz", {}),
            ("ref-whoami", "reference", reference.pid, f"{ref}/whoami", {"token": token}),
        ]
        results = {}
        for label, name, pid, url, how in cases:
            per_request, requests = measure(work, name, pid, url, args.seconds, **how)
            results[label] = per_request
            print(f"    {label:12} {per_request / 1000:6.1f}k instructions/request ({requests} requests)",
                  file=sys.stderr, flush=True)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run(["rm", "-rf", work])

    lines = ["Instructions per request (callgrind, release build, one worker, SQLite; "
             f"wrk -t1 -c2 for {args.seconds} s after a warm-up)",
             f"{'':12} {'ours':>8} {'reference':>10} {'ours/ref':>9}"]
    for mine in ("healthz", "whoami", "introspect"):
        ref_value = results.get(f"ref-{mine}")
        ratio = f"{results[mine] / ref_value:8.2f}x" if ref_value else ""
        ref_text = f"{ref_value / 1000:9.1f}k" if ref_value else ""
        lines.append(f"{mine:12} {results[mine] / 1000:7.1f}k {ref_text:>10} {ratio:>9}")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
