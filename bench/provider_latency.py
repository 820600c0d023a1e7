"""Provider latency, by hand (BENCHMARKS.md): ``python bench/provider_latency.py URL after|before N`` starts N
creates at once on asyncio against the sandbox at URL, which delays each by 300 ms, and prints the wall time, p99,
the worst gap of a 5 ms ticker while they are in flight, the errors, the peak RSS growth and the threads.
``after`` is ``AsyncClient``; ``before`` is the only asyncio route until issue 19, ``asyncio.to_thread`` around
the synchronous ``Client`` (the default executor)."""
import asyncio, json, os, sys, time, urllib.request, resource
from storefront_checkout import AsyncClient, Client, CheckoutError
url, which, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cfg = {"provider": "justifi", "base_url": url, "client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret", "sub_account": "acc_5Et9iXrSSAZR2KSouQGAWi", "deadline_ms": 600000}
def rss(): return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
def fault():
    req = urllib.request.Request(f"{url}/__sandbox/faults", data=json.dumps({"route": "POST /v1/checkouts", "delay_ms": 300, "times": n}).encode(), headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req).read()
async def main():
    peak = [rss(), len(os.listdir("/proc/self/task"))]; base = peak[0]
    if which == "after":
        client = AsyncClient(cfg); call = lambda: client.create({"amount": 1799, "description": "x"})
    else:
        sync = Client(cfg); call = lambda: asyncio.to_thread(sync.create, {"amount": 1799, "description": "x"})
    try: await call() if which == "after" else None
    except Exception: pass
    fault()
    gaps = []; stop = False
    async def ticker():
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.005); now = time.perf_counter(); gaps.append(now - last); last = now
            peak[0] = max(peak[0], rss()); peak[1] = max(peak[1], len(os.listdir("/proc/self/task")))
    lat = []
    async def one():
        s = time.perf_counter()
        try: return await call()
        except CheckoutError as e: return e
        finally: lat.append(time.perf_counter() - s)
    t0 = time.perf_counter()
    tasks = [asyncio.ensure_future(one()) for _ in range(n)]
    await asyncio.sleep(0)
    tk = asyncio.ensure_future(ticker())
    out = await asyncio.gather(*tasks)
    wall = time.perf_counter() - t0; stop = True; await tk
    lat.sort(); errs = [o for o in out if isinstance(o, BaseException)]
    print(json.dumps({"which": which, "n": n, "wall_ms": round(wall * 1000), "throughput_per_s": round(n / wall), "p99_ms": round(lat[max(0, int(len(lat) * 0.99) - 1)] * 1000), "worst_tick_ms": round(max(gaps) * 1000), "errors": len(errs), "rss_growth_mib": round((peak[0] - base) / 1048576), "max_threads": peak[1]}))
asyncio.run(main())
