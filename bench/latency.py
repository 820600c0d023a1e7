"""The provider-latency section's Python runners (bench/bench.py, `bench/run latency`):
`latency.py MODE BASE_URL PAYMENT_TOKEN CHECKOUTS CONCURRENCY`, against a sandbox that delays
every create and complete (the driver sets its `delay_ms` fault). MODE:

- `async_library`: one `AsyncClient` (the library's defaults: `max_in_flight` 512), CONCURRENCY
  tasks on one event loop;
- `async_httpx`: one `httpx.AsyncClient` whose pool allows CONCURRENCY connections (httpx's
  default of 100 would cap it; a developer expecting that many calls at once raises it);
- `threads_library`: one synchronous `Client` shared by CONCURRENCY threads;
- `threads_requests`: CONCURRENCY threads, a `requests.Session` each (a Session is not
  documented as thread-safe).

Each of the CONCURRENCY lanes makes checkouts (create + complete) one after another until
CHECKOUTS are made; one checkout first, before measuring, fetches the token and opens a
connection. The httpx and requests runners send an `Idempotency-Key` on every POST, as
JustiFi's docs advise and the library does. Prints one JSON line: throughput, p99, the peak
RSS growth over the RSS before the run (the kernel's high-water mark, reset first through
/proc/self/clear_refs), and the most threads the process had (sampled every 10 ms)."""

import asyncio
import json
import os
import sys
import threading
import time
import uuid

mode, base, pm = sys.argv[1], sys.argv[2], sys.argv[3]
checkouts, concurrency = int(sys.argv[4]), int(sys.argv[5])
DONUT = {"amount": 1799, "description": "One Chocolate Donut", "origin_url": "http://localhost:3000"}
CREDENTIALS = {"client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret"}
SUB_ACCOUNT = "acc_5Et9iXrSSAZR2KSouQGAWi"
CONFIG = {"provider": "justifi", "base_url": base, "sub_account": SUB_ACCOUNT, **CREDENTIALS}


def status_kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


class Watch:
    """The figures of the measured run: wall time, checkout latencies, peak RSS growth, most threads."""

    def __init__(self):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        self.rss_before = status_kib("VmRSS")
        self.threads = len(os.listdir("/proc/self/task"))
        self.latencies = []
        self.errors = 0
        self.stopped = threading.Event()
        self.sampler = threading.Thread(target=self.sample, daemon=True)
        self.sampler.start()
        self.started = time.perf_counter()

    def sample(self):
        while not self.stopped.wait(0.01):
            self.threads = max(self.threads, len(os.listdir("/proc/self/task")))

    def report(self):
        elapsed = time.perf_counter() - self.started
        self.stopped.set()
        self.sampler.join()
        lat = sorted(self.latencies)
        print(json.dumps({"mode": mode, "concurrency": concurrency, "checkouts": len(lat), "errors": self.errors,
                          "per_sec": len(lat) / elapsed, "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
                          "rss_growth_mib": (status_kib("VmHWM") - self.rss_before) / 1024,
                          "max_threads": self.threads}))


def shares(total, lanes):
    """How many checkouts each lane makes: `total` spread over `lanes`."""
    return [total // lanes + (i < total % lanes) for i in range(lanes)]


def headers(token):
    return {"Authorization": f"Bearer {token}", "Sub-Account": SUB_ACCOUNT, "Idempotency-Key": str(uuid.uuid4())}


async def run_async():
    if mode == "async_library":
        from storefront_checkout import AsyncClient
        client = AsyncClient(CONFIG)

        async def one():
            checkout = await client.create(DONUT)
            done = await client.complete({"checkout_id": checkout["id"], "payment_token": pm})
            assert done["payment_status"] == "succeeded"
    else:
        import httpx
        client = httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))
        token = (await client.post(f"{base}/oauth/token", json=CREDENTIALS)).json()["access_token"]

        async def one():
            checkout = (await client.post(f"{base}/v1/checkouts", json=DONUT, headers=headers(token))).json()["data"]
            done = (await client.post(f"{base}/v1/checkouts/{checkout['id']}/complete",
                                      json={"payment_token": pm, "payment_mode": "ecom"}, headers=headers(token))).json()["data"]
            assert done["payment_status"] == "succeeded"
    await one()
    watch = Watch()

    async def lane(n):
        for _ in range(n):
            t = time.perf_counter()
            try:
                await one()
                watch.latencies.append(time.perf_counter() - t)
            except Exception:
                watch.errors += 1
    await asyncio.gather(*(lane(n) for n in shares(checkouts, concurrency)))
    watch.report()
    await client.aclose()


def run_threads():
    if mode == "threads_library":
        from storefront_checkout import Client
        client = Client(CONFIG)

        def lane_one():
            def one():
                checkout = client.create(DONUT)
                done = client.complete({"checkout_id": checkout["id"], "payment_token": pm})
                assert done["payment_status"] == "succeeded"
            return one
    else:
        import requests
        first = requests.Session()
        token = first.post(f"{base}/oauth/token", json=CREDENTIALS).json()["access_token"]

        def lane_one():
            session = requests.Session()

            def one():
                checkout = session.post(f"{base}/v1/checkouts", json=DONUT, headers=headers(token)).json()["data"]
                done = session.post(f"{base}/v1/checkouts/{checkout['id']}/complete",
                                    json={"payment_token": pm, "payment_mode": "ecom"}, headers=headers(token)).json()["data"]
                assert done["payment_status"] == "succeeded"
            return one
    lane_one()()
    lock = threading.Lock()
    watch = Watch()

    def lane(n):
        one = lane_one()
        for _ in range(n):
            t = time.perf_counter()
            try:
                one()
                took = time.perf_counter() - t
                with lock:
                    watch.latencies.append(took)
            except Exception:
                with lock:
                    watch.errors += 1
    workers = [threading.Thread(target=lane, args=(n,)) for n in shares(checkouts, concurrency)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    watch.report()


if mode.startswith("async_"):
    asyncio.run(run_async())
else:
    run_threads()
