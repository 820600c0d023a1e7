"""Runs every benchmark runner for several rounds against one release sandbox and prints the
figures: medians over rounds; ratios computed within each round, then their median."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
CHECKOUTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
THREADS = 8
RUST = str(ROOT / "target/release/examples/bench")
LIB = next(p for p in (ROOT / "target/release/libstorefront_checkout.so", ROOT / "target/release/deps/libstorefront_checkout.so") if p.exists())
ENV = {**os.environ, "STOREFRONT_CHECKOUT_LIB": str(LIB)}


def post(base, path, body, headers=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    return json.loads(urllib.request.urlopen(req).read())


def counters(base):
    return json.loads(urllib.request.urlopen(base + "/__sandbox/counters").read())


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def runners(base, pm, n, threads):
    """(key, command) for each runner; `threads` > 1 gives the concurrent variants."""
    py, php, node = sys.executable, ["php", "-d", "zend.assertions=-1", "bench/flow.php"], ["node", "bench/flow.js"]
    common = [base, pm, str(n)]
    rows = [
        ("bare", [RUST, "bare", *common, str(threads)]),
        ("rlib", [RUST, "rlib", *common, str(threads)]),
        ("cabi", [RUST, "cabi", *common, str(threads)]),
        ("py_library", [py, "bench/flow.py", "library", *common, str(threads)]),
        ("py_requests", [py, "bench/flow.py", "requests", *common, str(threads)]),
        ("py_httpx", [py, "bench/flow.py", "httpx", *common, str(threads)]),
        ("py_library_per_checkout", [py, "bench/flow.py", "library_per_checkout", *common, str(threads)]),
        ("py_requests_per_checkout", [py, "bench/flow.py", "requests_per_checkout", *common, str(threads)]),
        ("node_async", [*node, "async", *common, str(threads)]),
        ("node_fetch", [*node, "fetch", *common, str(threads)]),
    ]
    if threads == 1:
        rows += [("node_sync", [*node, "sync", *common, "1"]), ("php_library", [*php, "library", *common]),
                 ("php_curl", [*php, "curl", *common])]
    return rows


def php_workers(base, pm, mode, n, workers):
    """`workers` PHP processes side by side, as PHP-FPM runs them: their total throughput."""
    procs = [subprocess.Popen(["php", "-d", "zend.assertions=-1", "bench/flow.php", mode, base, pm, str(n // workers)],
                              stdout=subprocess.PIPE, text=True, env=ENV, cwd=ROOT) for _ in range(workers)]
    results = [json.loads(p.communicate()[0].strip()) for p in procs]
    return {"per_sec": sum(r["checkouts"] for r in results) / max(r["elapsed_s"] for r in results),
            "median_us": statistics.median(r["median_us"] for r in results)}


def main():
    sandbox = subprocess.Popen([str(ROOT / "target/release/checkout-sandbox"), "--port", "0"], stdout=subprocess.PIPE, text=True)
    base = sandbox.stdout.readline().strip().rsplit(" ", 1)[1]
    token = post(base, "/oauth/token", {"client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret"})
    pm = post(base, "/v1/payment_methods", {"payment_method": {"card": {"number": "4242424242424242"}}},
              {"Authorization": "Bearer " + token["access_token"], "Sub-Account": "acc_5Et9iXrSSAZR2KSouQGAWi"})["data"]["id"]
    single, multi, usage, ratios = {}, {}, {}, {}
    try:
        for r in range(ROUNDS):
            got = {}
            for key, cmd in runners(base, pm, CHECKOUTS, 1):
                before = counters(base)
                got[key] = run(cmd)
                after = counters(base)
                usage.setdefault(key, []).append((after["token_grants"] - before["token_grants"],
                                                  after["connections"] - before["connections"] - 1))
                single.setdefault(key, []).append(got[key])
            concurrent = {}
            for key, cmd in runners(base, pm, CHECKOUTS * 2, THREADS):
                before = counters(base)
                concurrent[key] = run(cmd)
                concurrent[key]["connections"] = counters(base)["connections"] - before["connections"] - 1
            for mode in ("library", "curl"):
                concurrent[f"php_{mode}"] = php_workers(base, pm, mode, CHECKOUTS * 2, THREADS)
            for key, figures in concurrent.items():
                multi.setdefault(key, []).append(figures)
            rate = lambda k, d=got: d[k]["per_sec"]  # noqa: E731
            round_ratios = {
                "C ABI added cost per call (µs)": (got["cabi"]["median_us"] - got["bare"]["median_us"]) / 2,
                "Rust API added cost per call (µs)": (got["rlib"]["median_us"] - got["bare"]["median_us"]) / 2,
                "Python library ÷ requests.Session": rate("py_library") / rate("py_requests"),
                "Python library ÷ httpx.Client": rate("py_library") / rate("py_httpx"),
                "Python library, new Client per checkout ÷ reused Client": rate("py_library_per_checkout") / rate("py_library"),
                "Python library ÷ requests, each new per checkout": rate("py_library_per_checkout") / rate("py_requests_per_checkout"),
                "PHP library ÷ curl": rate("php_library") / rate("php_curl"),
                "Node async ÷ fetch": rate("node_async") / rate("node_fetch"),
                "Node async ÷ fetch, 8 in flight": concurrent["node_async"]["per_sec"] / concurrent["node_fetch"]["per_sec"],
                "Python library ÷ requests, 8 threads": concurrent["py_library"]["per_sec"] / concurrent["py_requests"]["per_sec"],
                "PHP library ÷ curl, 8 workers": concurrent["php_library"]["per_sec"] / concurrent["php_curl"]["per_sec"],
            }
            for k, v in round_ratios.items():
                ratios.setdefault(k, []).append(v)
            print(f"round {r + 1}/{ROUNDS} done", file=sys.stderr)
        ceiling = run([RUST, "bare", base, pm, str(CHECKOUTS * 4), "16"])
        cold = statistics.median(run([RUST, "cold", base, pm])["ms"] for _ in range(7))
        rss = run([RUST, "rss", base, pm, "100000"])
        with tempfile.TemporaryDirectory() as tmp:
            stripped = Path(tmp) / "lib.so"
            subprocess.run(["strip", "--strip-all", "-o", str(stripped), str(LIB)], check=True)
            size = stripped.stat().st_size
    finally:
        sandbox.terminate()

    med = lambda rows, f: statistics.median(x[f] for x in rows)  # noqa: E731
    print(f"\n{ROUNDS} rounds × {CHECKOUTS} checkouts per runner (create + complete each; a run is one process: "
          f"100 warm-up checkouts, then {CHECKOUTS} measured); medians over rounds\n")
    print(f"| route | median µs / checkout | p99 µs | checkouts/s | checkouts/s, {THREADS} threads or in flight | "
          f"token fetches per run | connections per run | connections per run, {THREADS} threads |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, rows in single.items():
        name = rows[0]["runner"]
        tokens = statistics.median(u[0] for u in usage[key])
        conns = statistics.median(u[1] for u in usage[key])
        m = f"{med(multi[key], 'per_sec'):,.0f}" if key in multi else "–"
        mc = f"{med(multi[key], 'connections'):.0f}" if key in multi and "connections" in multi[key][0] else "–"
        print(f"| {name} | {med(rows, 'median_us'):,.0f} | {med(rows, 'p99_us'):,.0f} | {med(rows, 'per_sec'):,.0f} | {m} "
              f"| {tokens:.0f} | {conns:.0f} | {mc} |")
    print("\n| ratio (within a round; median of rounds) | value |\n|---|---:|")
    for k, v in ratios.items():
        print(f"| {k} | {statistics.median(v):.2f} |")
    print(f"\n- sandbox ceiling (Rust bare client, 16 threads): {ceiling['per_sec']:,.0f} checkouts/s = {2 * ceiling['per_sec']:,.0f} requests/s")
    print(f"- cold start (dlopen + client + first checkout, median of 7 processes): {cold:.2f} ms")
    print(f"- stripped {LIB.name}: {size / 1024 / 1024:.2f} MiB ({size:,} bytes)")
    print(f"- RSS after 100,000 calls through the C ABI: {rss['rss_kib'] / 1024:.1f} MiB (growth over the 100,000: {rss['growth_kib']} KiB)")


main()
