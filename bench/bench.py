"""Runs every benchmark runner for several rounds against two release sandboxes, one over HTTP
and one over HTTPS (`--tls-ca-out`, its CA trusted by every runner), and prints the figures:
medians over rounds; ratios computed within each round, then their median. Then the provider
latency section (`latency()`); `bench.py latency` runs that section alone."""

import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONLY_LATENCY = sys.argv[1:2] == ["latency"]
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 and not ONLY_LATENCY else 5
CHECKOUTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
WARM_UP = 100  # checkouts each runner makes before measuring (see the runners)
THREADS = 8
RUST = str(ROOT / "target/release/examples/bench")
LIB = next(p for p in (ROOT / "target/release/libstorefront_checkout.so", ROOT / "target/release/deps/libstorefront_checkout.so") if p.exists())


class Sandbox:
    """A release sandbox on a free port; over HTTPS with its CA written to `ca` when given."""

    def __init__(self, ca=None):
        tls = ["--tls-ca-out", str(ca)] if ca else []
        self.process = subprocess.Popen([str(ROOT / "target/release/checkout-sandbox"), "--port", "0",
                                         "--recharge-rate-limit", "off", *tls],
                                        stdout=subprocess.PIPE, text=True)
        self.base = self.process.stdout.readline().strip().rsplit(" ", 1)[1]
        self.ca = str(ca) if ca else None
        self.context = ssl.create_default_context(cafile=self.ca) if ca else None
        self.env = {**os.environ, "STOREFRONT_CHECKOUT_LIB": str(LIB)}
        if ca:
            self.env.update(BENCH_CA_BUNDLE=self.ca, NODE_EXTRA_CA_CERTS=self.ca, REQUESTS_CA_BUNDLE=self.ca)
        token = self.post("/oauth/token", {"client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret"})
        self.pm = self.post("/v1/payment_methods", {"payment_method": {"card": {"number": "4242424242424242"}}},
                            {"Authorization": "Bearer " + token["access_token"],
                             "Sub-Account": "acc_5Et9iXrSSAZR2KSouQGAWi"})["data"]["id"]

    def post(self, path, body, headers=None):
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
        return json.loads(urllib.request.urlopen(req, context=self.context).read())

    def counters(self):
        """The sandbox's counters; the read itself is one connection (and handshake) more."""
        return json.loads(urllib.request.urlopen(self.base + "/__sandbox/counters", context=self.context).read())

    def run(self, cmd):
        out = subprocess.run(cmd, capture_output=True, text=True, env=self.env, check=True, cwd=ROOT)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def measured(self, cmd, checkouts):
        """Runs `cmd`; its figures with the token fetches, connections and full TLS handshakes
        it caused, per run and per 1,000 checkouts (warm-up included)."""
        before = self.counters()
        figures = self.run(cmd)
        after = self.counters()
        made = checkouts + min(WARM_UP, checkouts)
        figures["token_grants"] = after["token_grants"] - before["token_grants"]
        figures["connections"] = after["connections"] - before["connections"] - 1
        figures["tls_handshakes"] = after["tls_handshakes"] - before["tls_handshakes"] - (1 if self.ca else 0)
        figures["connections_per_1000"] = figures["connections"] * 1000 / made
        figures["tls_handshakes_per_1000"] = figures["tls_handshakes"] * 1000 / made
        return figures

    def php_workers(self, mode, n, workers):
        """`workers` PHP processes side by side, as PHP-FPM runs them: their total throughput."""
        before = self.counters()
        procs = [subprocess.Popen(["php", "-d", "zend.assertions=-1", "bench/flow.php", mode, self.base, self.pm, str(n // workers)],
                                  stdout=subprocess.PIPE, text=True, env=self.env, cwd=ROOT) for _ in range(workers)]
        results = [json.loads(p.communicate()[0].strip()) for p in procs]
        return {"per_sec": sum(r["checkouts"] for r in results) / max(r["elapsed_s"] for r in results),
                "median_us": statistics.median(r["median_us"] for r in results),
                "connections": self.counters()["connections"] - before["connections"] - 1}

    def delay_every_call(self, ms):
        """Delays every create and complete by `ms` before the sandbox processes it: its
        `delay_ms` fault, with `times` high enough never to run out (a fault is consumed per
        request; admin.rs)."""
        for route in ("POST /v1/checkouts", "POST /v1/checkouts/{id}/complete"):
            self.post("/__sandbox/faults", {"route": route, "delay_ms": ms, "times": LATENCY_FAULT_TIMES})

    def stop(self):
        self.process.terminate()


LATENCY_MS = 300  # what the sandbox adds to every create and complete: about a real payment API's
LATENCY_FAULT_TIMES = 1_000_000_000
LATENCY_CONCURRENCY = (1, 64, 256, 1000)
LATENCY_TARGET_AT = 256
LATENCY_PAIRS = [  # (group, library runner, its peer)
    ("Node Promises", ["node", "bench/latency.js", "library"], ["node", "bench/latency.js", "fetch"], "library (Promises)", "fetch"),
    ("Python asyncio", [sys.executable, "bench/latency.py", "async_library"], [sys.executable, "bench/latency.py", "async_httpx"],
     "library (AsyncClient)", "httpx.AsyncClient"),
    ("Python threads", [sys.executable, "bench/latency.py", "threads_library"], [sys.executable, "bench/latency.py", "threads_requests"],
     "library (Client, threads)", "requests (Session per thread)"),
]


def latency_checkouts(concurrency):
    """Checkouts per run: four per lane, at least 40. Each lane makes its checkouts one after
    another, so a run lasts about 4 × 2 × the latency whatever the concurrency (1,000
    checkouts at concurrency 1 would take 10 minutes)."""
    return max(4 * concurrency, 40)


def latency():
    """The provider latency section: a release sandbox over HTTP delaying every create and
    complete by LATENCY_MS; each runner at each concurrency, once, in a process of its own."""
    s = Sandbox()
    rows = []
    try:
        s.delay_every_call(LATENCY_MS)
        for concurrency in LATENCY_CONCURRENCY:
            n = latency_checkouts(concurrency)
            for group, library, peer, library_name, peer_name in LATENCY_PAIRS:
                for name, cmd in ((library_name, library), (peer_name, peer)):
                    got = s.run([*cmd, s.base, s.pm, str(n), str(concurrency)])
                    rows.append({"group": group, "route": name, "peer": cmd is peer, **got})
                    print(f"latency: {group}, {name}, {concurrency} in flight done", file=sys.stderr)
    finally:
        s.stop()
    checkout_s = 2 * LATENCY_MS / 1000
    print(f"\n### Provider latency\n\nThe sandbox (release, HTTP) delays every create and every complete by {LATENCY_MS} ms, "
          f"so a checkout takes at least {2 * LATENCY_MS} ms and the ideal throughput is in flight ÷ {checkout_s:g} s. "
          f"Checkouts per run: max(4 × in flight, 40) (each lane makes 4 in a row; 1,000 at concurrency 1 would take "
          f"10 minutes); one run per row, after one warm-up checkout. Library defaults (`max_in_flight` 512: at 1,000 in "
          f"flight, 488 wait in its queue); httpx's pool raised to the concurrency (its default is 100). RSS growth: the "
          f"peak RSS (VmHWM) over the RSS before the run; threads: the most the process had (sampled every 10 ms; in Python, the sampling thread included).\n")
    print("| runtime | route | in flight | checkouts | checkouts/s | ÷ ideal | p99 ms | peak RSS growth MiB | threads | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ideal = r["concurrency"] / checkout_s
        print(f"| {r['group']} | {r['route']} | {r['concurrency']:,} | {r['checkouts']:,} | {r['per_sec']:,.0f} | "
              f"{r['per_sec'] / ideal:.2f} | {r['p99_ms']:,.0f} | {r['rss_growth_mib']:.0f} | {r['max_threads']} | {r['errors']} |")
    print("\n| target | runtime | figure | met |\n|---|---|---|---|")
    for group, *_ in LATENCY_PAIRS:
        mine = {(r["concurrency"], r["peer"]): r for r in rows if r["group"] == group}
        at, peer = mine[(LATENCY_TARGET_AT, False)], mine[(LATENCY_TARGET_AT, True)]
        ratio = at["per_sec"] / (LATENCY_TARGET_AT / checkout_s)
        print(f"| throughput at {LATENCY_TARGET_AT} in flight ≥ 0.9 × ideal | {group} | {ratio:.2f} × | {'yes' if ratio >= 0.9 else 'no'} |")
        versus = at["per_sec"] / peer["per_sec"]
        print(f"| throughput at {LATENCY_TARGET_AT} in flight ≥ the peer's | {group} | {versus:.2f} × {peer['route']} | "
              f"{'yes' if versus >= 1 else 'no'} |")
        growth = mine[(1000, False)]["rss_growth_mib"]
        print(f"| peak RSS growth at 1,000 in flight ≤ 64 MiB | {group} | {growth:.0f} MiB | {'yes' if growth <= 64 else 'no'} |")


def runners(s, n, threads):
    """(key, command) for each runner; `threads` > 1 gives the concurrent variants."""
    py, php, node = sys.executable, ["php", "-d", "zend.assertions=-1", "bench/flow.php"], ["node", "bench/flow.js"]
    common = [s.base, s.pm, str(n)]
    rows = [
        ("bare", [RUST, "bare", *common, str(threads)]),
        ("rlib", [RUST, "rlib", *common, str(threads)]),
        ("cabi", [RUST, "cabi", *common, str(threads)]),
        ("py_library", [py, "bench/flow.py", "library", *common, str(threads)]),
        ("py_requests", [py, "bench/flow.py", "requests", *common, str(threads)]),
        ("py_httpx", [py, "bench/flow.py", "httpx", *common, str(threads)]),
        ("py_library_per_checkout", [py, "bench/flow.py", "library_per_checkout", *common, str(threads)]),
        ("py_requests_per_checkout", [py, "bench/flow.py", "requests_per_checkout", *common, str(threads)]),
        ("py_httpx_per_checkout", [py, "bench/flow.py", "httpx_per_checkout", *common, str(threads)]),
        ("node_async", [*node, "async", *common, str(threads)]),
        ("node_async_per_checkout", [*node, "async_per_checkout", *common, str(threads)]),
        ("node_fetch", [*node, "fetch", *common, str(threads)]),
    ]
    if threads == 1:
        rows += [("node_sync", [*node, "sync", *common, "1"]),
                 ("php_library", [*php, "library", *common]), ("php_curl", [*php, "curl", *common]),
                 ("php_library_per_checkout", [*php, "library_per_checkout", *common]),
                 ("php_curl_per_checkout", [*php, "curl_per_checkout", *common]),
                 ("py_recharge", [py, "bench/flow.py", "library_recharge", *common, "1"]),
                 ("py_payfect", [py, "bench/flow.py", "library_payfect", *common, "1"])]
    return rows


def round_ratios(got, concurrent, paired):
    """The ratios of one round over one transport (targets of issue 13 where marked). The added
    costs come from the `paired` run, whose routes take turns in one process."""
    rate = lambda k: got[k]["per_sec"]  # noqa: E731
    cost = lambda k: got[k]["median_us"]  # noqa: E731
    return {
        "C ABI added cost per call (µs; target ≤ 15)": (paired["cabi_median_us"] - paired["bare_median_us"]) / 2,
        "Rust API added cost per call (µs)": (paired["rlib_median_us"] - paired["bare_median_us"]) / 2,
        "Python: new Client per checkout, cost ÷ reused Client (target ≤ 1.2)": cost("py_library_per_checkout") / cost("py_library"),
        "PHP: new Client per checkout, cost ÷ reused Client (target ≤ 1.2)": cost("php_library_per_checkout") / cost("php_library"),
        "Node: new Client per checkout, cost ÷ reused Client (target ≤ 1.2)": cost("node_async_per_checkout") / cost("node_async"),
        "Python library ÷ requests.Session, each new per checkout (target > 1)": rate("py_library_per_checkout") / rate("py_requests_per_checkout"),
        "Python library ÷ httpx.Client, each new per checkout (target > 1)": rate("py_library_per_checkout") / rate("py_httpx_per_checkout"),
        "PHP library ÷ curl, each new per checkout (target > 1)": rate("php_library_per_checkout") / rate("php_curl_per_checkout"),
        "Node library, new Client per checkout ÷ fetch (target > 1)": rate("node_async_per_checkout") / rate("node_fetch"),
        "PHP library ÷ curl, reused (target ≥ 0.9)": rate("php_library") / rate("php_curl"),
        "PHP library ÷ curl, 8 workers": concurrent["php_library"]["per_sec"] / concurrent["php_curl"]["per_sec"],
        "Python library ÷ requests.Session": rate("py_library") / rate("py_requests"),
        "Python library ÷ httpx.Client": rate("py_library") / rate("py_httpx"),
        "Python library ÷ requests, 8 threads": concurrent["py_library"]["per_sec"] / concurrent["py_requests"]["per_sec"],
        "Node async ÷ fetch": rate("node_async") / rate("node_fetch"),
        "Node async ÷ fetch, 8 in flight": concurrent["node_async"]["per_sec"] / concurrent["node_fetch"]["per_sec"],
    }


def main():
    tmp = tempfile.TemporaryDirectory()
    sandboxes = {"HTTP": Sandbox(), "HTTPS": Sandbox(Path(tmp.name) / "ca.pem")}
    single = {t: {} for t in sandboxes}
    multi = {t: {} for t in sandboxes}
    ratios = {t: {} for t in sandboxes}
    try:
        for r in range(ROUNDS):
            for transport, s in sandboxes.items():
                got = {key: s.measured(cmd, CHECKOUTS) for key, cmd in runners(s, CHECKOUTS, 1)}
                concurrent = {key: s.measured(cmd, CHECKOUTS * 2) for key, cmd in runners(s, CHECKOUTS * 2, THREADS)}
                for mode in ("library", "curl"):
                    concurrent[f"php_{mode}"] = s.php_workers(mode, CHECKOUTS * 2, THREADS)
                for key, figures in got.items():
                    single[transport].setdefault(key, []).append(figures)
                for key, figures in concurrent.items():
                    multi[transport].setdefault(key, []).append(figures)
                paired = s.run([RUST, "paired", s.base, s.pm, str(CHECKOUTS)])
                for k, v in round_ratios(got, concurrent, paired).items():
                    ratios[transport].setdefault(k, []).append(v)
            print(f"round {r + 1}/{ROUNDS} done", file=sys.stderr)
        http = sandboxes["HTTP"]
        ceiling = http.run([RUST, "bare", http.base, http.pm, str(CHECKOUTS * 4), "16"])
        cold = statistics.median(http.run([RUST, "cold", http.base, http.pm])["ms"] for _ in range(7))
        rss = http.run([RUST, "rss", http.base, http.pm, "100000"])
        stripped = Path(tmp.name) / "lib.so"
        subprocess.run(["strip", "--strip-all", "-o", str(stripped), str(LIB)], check=True)
        size = stripped.stat().st_size
    finally:
        for s in sandboxes.values():
            s.stop()
        tmp.cleanup()

    med = lambda rows, f: statistics.median(x[f] for x in rows)  # noqa: E731
    print(f"\n{ROUNDS} rounds × {CHECKOUTS} checkouts per runner (create + complete each; ReCharge create + charge; "
          f"Payfect create + read; a run is one process: {WARM_UP} warm-up checkouts, then {CHECKOUTS} measured); "
          "medians over rounds")
    for transport in sandboxes:
        print(f"\n### {transport}\n")
        print(f"| route | median µs / checkout | p99 µs | checkouts/s | checkouts/s, {THREADS} threads or in flight | "
              f"token fetches per run | connections per 1,000 checkouts | full TLS handshakes per 1,000 checkouts | "
              f"connections per run, {THREADS} threads |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, rows in single[transport].items():
            m = multi[transport].get(key)
            per_sec = f"{med(m, 'per_sec'):,.0f}" if m else "–"
            conns = f"{med(m, 'connections'):.0f}" if m else "–"
            handshakes = f"{med(rows, 'tls_handshakes_per_1000'):.1f}" if transport == "HTTPS" else "–"
            print(f"| {rows[0]['runner']} | {med(rows, 'median_us'):,.0f} | {med(rows, 'p99_us'):,.0f} | {med(rows, 'per_sec'):,.0f} "
                  f"| {per_sec} | {med(rows, 'token_grants'):.0f} | {med(rows, 'connections_per_1000'):.1f} | {handshakes} | {conns} |")
    print("\n| ratio (within a round; median of rounds) | HTTP | HTTPS |\n|---|---:|---:|")
    for k in ratios["HTTP"]:
        print(f"| {k} | {statistics.median(ratios['HTTP'][k]):.2f} | {statistics.median(ratios['HTTPS'][k]):.2f} |")
    print(f"\n- sandbox ceiling (Rust bare client, 16 threads, HTTP): {ceiling['per_sec']:,.0f} checkouts/s = {2 * ceiling['per_sec']:,.0f} requests/s")
    print(f"- cold start (dlopen + client + first checkout, median of 7 processes): {cold:.2f} ms")
    print(f"- stripped {LIB.name}: {size / 1024 / 1024:.2f} MiB ({size:,} bytes)")
    print(f"- RSS after 100,000 calls through the C ABI: {rss['rss_kib'] / 1024:.1f} MiB (growth over the 100,000: {rss['growth_kib']} KiB)")


if not ONLY_LATENCY:
    main()
latency()
