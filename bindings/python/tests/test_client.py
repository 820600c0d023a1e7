"""The Python binding against the sandbox binary: every call, every error class, threads,
and memory over 10,000 calls."""

import logging
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import storefront_checkout as sc
from conftest import http, justifi_config

SEED_002 = {"line_items": [{"charge_interval_frequency": 5, "order_interval_frequency": 5,
                            "order_interval_unit": "day", "product_id": 1255183683,
                            "variant_id": 3844924611, "quantity": 6}]}


def donut(client):
    return client.create({"amount": 1799, "description": "One Chocolate Donut", "origin_url": "http://localhost:3000"})


def test_version():
    assert sc.version() == "0.1.0"


def test_justifi_flow(justifi, tokenize, sandbox_url):
    checkout = donut(justifi)
    assert checkout["id"].startswith("cho_")
    assert (checkout["status"], checkout["amount"], checkout["currency"]) == ("open", 1799, "usd")
    assert justifi.get(checkout["id"])["id"] == checkout["id"]
    component = justifi.web_component_token(checkout["id"])
    assert component["html"].startswith('<justifi-checkout auth-token="')
    page = justifi.redirect_url({"checkout_id": checkout["id"], "success_url": "https://shop.test/ok"})
    assert page["url"].startswith(f"{sandbox_url}/hosted-checkout/{checkout['id']}?success_redirect_url=")
    request = {"checkout_id": checkout["id"], "payment_token": tokenize(), "idempotency_key": "py-1"}
    done = justifi.complete(request)
    assert (done["payment_status"], done["idempotency_key"]) == ("succeeded", "py-1")
    assert justifi.complete(request)["id"] == done["id"], "the same key replays the completion"
    assert justifi.get(checkout["id"])["payment_status"] == "paid"


def test_a_decline_is_a_result(justifi, tokenize):
    checkout = donut(justifi)
    declined = justifi.complete({"checkout_id": checkout["id"], "payment_token": tokenize("4000000000000002")})
    assert declined["payment_status"] == "failed"
    assert declined["payment_error"]["code"] == "card_declined"


def test_session_flow(justifi):
    session = justifi.redirect_url({"amount": 500, "success_url": "https://shop.test/ok"})
    assert "/r/" in session["url"]
    assert justifi.get(payment_intent_id=session["payment_intent_id"])["payment_status"] == "unpaid"


def test_recharge_flow(recharge):
    checkout = recharge.create({"provider_options": SEED_002})
    assert (checkout["amount"], checkout["status"]) == (6000, "open")
    assert "/r/checkout/" in recharge.redirect_url({"checkout_id": checkout["id"]})["url"]
    assert recharge.complete({"checkout_id": checkout["id"], "payment_token": "tok_visa"})["payment_status"] == "succeeded"
    assert recharge.get(checkout["id"])["status"] == "complete"


def test_the_readme_variables_keep_a_sandbox_checkout_on_the_sandbox(sandbox_url, monkeypatch):
    """The README's JUSTIFI_* exports name no hosted origin: a loopback base_url serves its own
    hosted pages, and *_HOSTED_BASE_URL names another origin."""
    monkeypatch.setenv("JUSTIFI_BASE_URL", sandbox_url)
    monkeypatch.setenv("JUSTIFI_CLIENT_ID", "test_sandbox_client_id")
    monkeypatch.setenv("JUSTIFI_CLIENT_SECRET", "test_sandbox_client_secret")
    monkeypatch.setenv("JUSTIFI_SUB_ACCOUNT", "acc_5Et9iXrSSAZR2KSouQGAWi")
    with sc.Client({"provider": "justifi"}) as client:
        checkout = donut(client)
        assert client.redirect_url({"checkout_id": checkout["id"]})["url"] == f"{sandbox_url}/hosted-checkout/{checkout['id']}"
    monkeypatch.setenv("RECHARGE_HOSTED_BASE_URL", "https://pay.shop.test")
    with sc.Client({"provider": "recharge", "base_url": sandbox_url, "api_token": "test_recharge_token"}) as client:
        checkout = client.create({"provider_options": SEED_002})
        assert client.redirect_url({"checkout_id": checkout["id"]})["url"].startswith("https://pay.shop.test/r/checkout/")
    monkeypatch.setenv("PAYFECT_HOSTED_BASE_URL", "https://pay.shop.test")
    with sc.Client({"provider": "payfect", "base_url": sandbox_url, "api_key": "test_payfect_key"}) as client:
        checkout = client.create({"amount": 2050, "currency": "usdt", "description": "Standard Plan"})
        assert client.redirect_url({"checkout_id": checkout["id"]})["url"].startswith(f"{sandbox_url}/payfect/")


def test_payfect_flow(payfect):
    checkout = payfect.create({"amount": 2050, "currency": "usdt", "description": "Standard Plan"})
    url = payfect.redirect_url({"checkout_id": checkout["id"]})["url"]
    assert http("POST", url)[0] == 200, "no success_url: the page itself says Paid"
    assert payfect.get(checkout["id"])["payment_status"] == "paid"


def test_error_classes_carry_the_error_object(justifi, recharge, payfect, sandbox_url):
    with pytest.raises(sc.InvalidRequestError) as e:
        justifi.create({"amount": "17.99", "description": "x"})
    assert (e.value.status, e.value.code, e.value.message) == (4, "invalid_request", "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)")
    with pytest.raises(sc.NotFoundError) as e:
        justifi.get("cho_missing")
    assert (e.value.http_status, e.value.provider_code, e.value.provider) == (404, "resource_not_found", "justifi")
    assert e.value.request_id.startswith("req_")
    with pytest.raises(sc.ConfigError, match="provider: is required"):
        sc.Client({})
    with pytest.raises(sc.AuthenticationError):
        sc.Client({**justifi_config(sandbox_url), "client_secret": "wrong"}).get("cho_x")
    with pytest.raises(sc.UnsupportedError, match="checkout_get"):
        payfect.complete({"checkout_id": "x", "payment_token": "y"})
    checkout = recharge.create({"provider_options": SEED_002})
    recharge.complete({"checkout_id": checkout["id"], "payment_token": "tok_visa"})
    with pytest.raises(sc.ConflictError, match="already been processed"):
        recharge.complete({"checkout_id": checkout["id"], "payment_token": "tok_visa"})
    other = recharge.create({"provider_options": SEED_002})
    assert http("POST", f"{sandbox_url}/__sandbox/faults", {"route": "POST /checkouts/{token}/charge", "status": 503})[0] == 200
    settled = recharge.complete({"checkout_id": other["id"], "payment_token": "tok_visa"})
    assert (settled["payment_status"], settled["confirmed_by"]) == ("pending", "checkout_get")
    assert "before charging again" in settled["pending_reason"]


MINOR_UNITS = "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)"


def test_a_decimal_amount_says_minor_units(justifi):
    with pytest.raises(sc.InvalidRequestError) as e:
        justifi.create({"amount": 17.99, "description": "x"})
    assert e.value.message == MINOR_UNITS


def test_a_currency_outside_iso_4217_is_refused_before_anything_is_sent(sandbox_url):
    before = http("GET", f"{sandbox_url}/__sandbox/counters")[1]
    with sc.Client(justifi_config(sandbox_url)) as client:
        with pytest.raises(sc.InvalidRequestError) as e:
            client.create({"amount": 1799, "currency": "dollars", "description": "x"})
    assert e.value.message == "currency: dollars is not an ISO 4217 currency with minor units, nor usdt or usdc"
    after = http("GET", f"{sandbox_url}/__sandbox/counters")[1]
    assert (after["token_grants"], after["requests"]) == (before["token_grants"], before["requests"]), \
        "no token fetch, no request"


def test_network_timeout_and_rate_limit_errors(sandbox_url):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with sc.Client({**justifi_config(f"http://127.0.0.1:{port}"), "max_retries": 0}) as client:
        with pytest.raises(ConnectionError) as e:
            client.get("cho_x")
        assert isinstance(e.value, sc.NetworkError) and e.value.retryable
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with sc.Client({**justifi_config(url), "timeout_ms": 200, "max_retries": 0}) as client:
            with pytest.raises(TimeoutError) as e:
                client.create({"amount": 1799, "description": "x"})
            assert isinstance(e.value, sc.TimeoutError)
    finally:
        silent.close()
    with sc.Client({"provider": "recharge", "base_url": sandbox_url, "api_token": "test_recharge_token",
                    "max_retries": 0}) as client:
        with pytest.raises(sc.RateLimitedError) as e:
            for _ in range(60):
                try:
                    client.get("0" * 32)
                except sc.NotFoundError:
                    pass
        assert e.value.http_status == 429


def test_bad_arguments_are_errors_not_crashes(justifi):
    with pytest.raises(TypeError):
        justifi.create(["not", "a", "mapping"])
    with pytest.raises(sc.InvalidRequestError, match="zebra: unknown field"):
        justifi.create({"amount": 1799, "description": "x", "zebra": 1})
    justifi.close()
    justifi.close()
    with pytest.raises(ValueError, match="closed"):
        justifi.get("cho_x")


def test_one_client_many_threads(justifi):
    ids, failures = [], []

    def work():
        try:
            for _ in range(10):
                ids.append(donut(justifi)["id"])
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and len(set(ids)) == 80


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def test_ten_thousand_calls_keep_memory_flat(justifi):
    # Every record goes through logging to a handler that drops it, not to pytest's capture,
    # which keeps every WARNING record of a test (10,000 failures: 24 MiB measured).
    log = logging.getLogger("storefront_checkout")
    dropped = logging.NullHandler()
    log.addHandler(dropped)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        for _ in range(500):
            with pytest.raises(sc.NotFoundError):
                justifi.get("cho_missing")
        before = rss_kib()
        for _ in range(10_000):
            with pytest.raises(sc.NotFoundError):
                justifi.get("cho_missing")
        growth = rss_kib() - before
    finally:
        log.propagate = True
        log.setLevel(logging.NOTSET)
        log.removeHandler(dropped)
    print(f"\nRSS growth over 10,000 calls: {growth} KiB")
    assert growth < 16 * 1024


def test_the_storefront_example_runs(sandbox_url):
    example = Path(__file__).resolve().parents[1] / "examples" / "storefront.py"
    out = subprocess.run([sys.executable, str(example), sandbox_url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "justifi completion: chc_" in out.stdout and " succeeded" in out.stdout
    assert "recharge completion:" in out.stdout and "payfect completion:" in out.stdout
    assert out.stdout.rstrip().endswith("paid"), out.stdout
