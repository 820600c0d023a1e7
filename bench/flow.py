"""The benchmark's Python runners: `flow.py MODE BASE_URL PAYMENT_TOKEN CHECKOUTS THREADS`, MODE
`library` (storefront_checkout over ctypes), `requests` (a requests.Session per thread) or
`httpx` (one httpx.Client); `library_per_checkout`, `requests_per_checkout` and
`httpx_per_checkout` make a new client or session for every checkout, as a storefront does
that builds one per web request. One checkout = create + complete; the token is fetched once.
`library_recharge` (create + charge, ReCharge) and `library_payfect` (create + read, Payfect)
run the other providers' flows through the library. Over HTTPS when BASE_URL is `https://`,
trusting the CA certificate in the PEM file `BENCH_CA_BUNDLE`. Prints one JSON line of figures."""

import json
import os
import ssl
import sys
import threading
import time
import uuid

mode, base, pm = sys.argv[1], sys.argv[2], sys.argv[3]
checkouts, threads = int(sys.argv[4]), int(sys.argv[5])
DONUT = {"amount": 1799, "description": "One Chocolate Donut", "origin_url": "http://localhost:3000"}
CREDENTIALS = {"client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret"}
SUB_ACCOUNT = "acc_5Et9iXrSSAZR2KSouQGAWi"
CA = os.environ.get("BENCH_CA_BUNDLE") or None
TLS = {"ca_bundle_path": CA} if CA else {}
SSL_CONTEXT = ssl.create_default_context(cafile=CA) if CA else None  # made once, as a careful developer would


def library(per_checkout=False):
    from storefront_checkout import Client
    config = {"provider": "justifi", "base_url": base, "sub_account": SUB_ACCOUNT, **CREDENTIALS, **TLS}
    shared = Client(config)

    def checkout_with(client):
        checkout = client.create(DONUT)
        done = client.complete({"checkout_id": checkout["id"], "payment_token": pm})
        assert done["payment_status"] == "succeeded"

    def factory():
        def one():
            if per_checkout:
                with Client(config) as client:
                    checkout_with(client)
            else:
                checkout_with(shared)
        return one
    return factory


def http_client(make_session, per_thread, per_checkout=False):
    """What a competent developer writes: one session (one per thread where it is not
    thread-safe, or one per checkout for the per-request habit), the token once, an
    Idempotency-Key on every POST as JustiFi's docs advise (and the library does), JSON in
    and out."""
    first = make_session()
    token = first.post(f"{base}/oauth/token", json=CREDENTIALS).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Sub-Account": SUB_ACCOUNT}
    unused = [first]

    def checkout_with(session):
        checkout = session.post(f"{base}/v1/checkouts", json=DONUT,
                                headers={**headers, "Idempotency-Key": str(uuid.uuid4())}).json()["data"]
        done = session.post(f"{base}/v1/checkouts/{checkout['id']}/complete",
                            json={"payment_token": pm, "payment_mode": "ecom"},
                            headers={**headers, "Idempotency-Key": str(uuid.uuid4())}).json()["data"]
        assert done["payment_status"] == "succeeded"

    def factory():
        session = (unused.pop() if unused else make_session()) if per_thread else first

        def one():
            if per_checkout:
                with make_session() as fresh:
                    checkout_with(fresh)
            else:
                checkout_with(session)
        return one
    return factory


def other_provider(provider):
    """ReCharge (seed 002: a subscription checkout, then its charge) or Payfect (seed 004: a
    USDT checkout, then reading it, as a storefront does after the shopper pays on its page)."""
    from storefront_checkout import Client
    item = {"name": "Coffee Beans", "unit_amount": 1450, "quantity": 1}
    if provider == "recharge":
        client = Client({"provider": "recharge", "base_url": base, "api_token": "test_recharge_token", **TLS})
        request = {"currency": "usd", "line_items": [{**item, "product_id": 1255183684, "variant_id": 3844924612,
                                                       "subscription": {"interval_unit": "month", "interval_frequency": 1}}]}

        def one():
            checkout = client.create(request)
            assert client.complete({"checkout_id": checkout["id"], "payment_token": "tok_visa"})["payment_status"] == "succeeded"
    else:
        client = Client({"provider": "payfect", "base_url": base, "api_key": "test_payfect_key", **TLS})
        request = {"currency": "usdt", "line_items": [{**item, "description": "Medium roast"}]}

        def one():
            checkout = client.create(request)
            assert client.get(checkout["id"])["status"] == "open"
    return lambda: one


def requests_session():
    """requests trusts REQUESTS_CA_BUNDLE, which the benchmark sets to BENCH_CA_BUNDLE (the
    variable wins over `Session.verify`)."""
    import requests
    return requests.Session()


def httpx_client():
    import httpx
    return httpx.Client(verify=SSL_CONTEXT) if CA else httpx.Client()


if mode == "library":
    factory = library()
elif mode == "library_per_checkout":
    factory = library(per_checkout=True)
elif mode == "library_recharge":
    factory = other_provider("recharge")
elif mode == "library_payfect":
    factory = other_provider("payfect")
elif mode == "requests":
    factory = http_client(requests_session, per_thread=True)
elif mode == "requests_per_checkout":
    factory = http_client(requests_session, per_thread=True, per_checkout=True)
elif mode == "httpx_per_checkout":
    factory = http_client(httpx_client, per_thread=True, per_checkout=True)
else:
    factory = http_client(httpx_client, per_thread=False)

warm = factory()
for _ in range(min(100, checkouts)):
    warm()

latencies = []
lock = threading.Lock()


def work(n, one=None):
    one = one or factory()
    mine = []
    for _ in range(n):
        t = time.perf_counter()
        one()
        mine.append(time.perf_counter() - t)
    with lock:
        latencies.extend(mine)


started = time.perf_counter()
workers = [threading.Thread(target=work, args=(checkouts // threads, warm if i == 0 else None)) for i in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
elapsed = time.perf_counter() - started
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1e6  # noqa: E731
names = {"library": "library, Python (ctypes)", "requests": "Python requests.Session", "httpx": "Python httpx.Client",
         "library_per_checkout": "library, Python, new Client per checkout",
         "requests_per_checkout": "Python, new requests.Session per checkout",
         "httpx_per_checkout": "Python, new httpx.Client per checkout",
         "library_recharge": "library, Python, ReCharge (create + charge)",
         "library_payfect": "library, Python, Payfect (create + read)"}
print(json.dumps({"runner": names[mode], "threads": threads, "checkouts": len(latencies), "median_us": pick(0.5),
                  "p99_us": pick(0.99), "per_sec": len(latencies) / elapsed}))
