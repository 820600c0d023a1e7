"""close() from any thread at any time: a call in flight keeps the handle until it returns,
and a call after close() raises ClientClosedError, a CheckoutError."""

import subprocess
import sys
import textwrap
import threading

import pytest

import storefront_checkout as sc
from conftest import http, justifi_config

RACE = textwrap.dedent("""
    import sys, threading
    from storefront_checkout import Client
    sys.path.insert(0, sys.argv[2])
    from conftest import http, justifi_config

    url = sys.argv[1]
    client = Client(justifi_config(url))
    checkout = client.create({"amount": 1799, "description": "One Chocolate Donut"})
    http("POST", url + "/__sandbox/faults", {"route": "GET /v1/checkouts/{id}", "delay_ms": 300, "times": 8})
    results = []

    def shopper():
        results.append(client.redirect_url({"checkout_id": checkout["id"], "success_url": "https://shop.example/ok"}))

    threads = [threading.Thread(target=shopper) for _ in range(8)]
    for t in threads:
        t.start()
    while http("GET", url + "/__sandbox/ledger")[1]["requests"].get("GET /v1/checkouts/" + checkout["id"], 0) < 8:
        pass
    client.close()
    # Reuse the memory a premature free would have released.
    others = [Client(dict(justifi_config("http://127.0.0.1:1"))) for _ in range(200)]
    for t in threads:
        t.join()
    assert len(results) == 8, results
    for r in results:
        assert r["url"].startswith(url + "/hosted-checkout/" + checkout["id"]), r["url"]
    print("ok")
""")


def test_close_while_other_threads_are_in_calls_waits_for_them(sandbox_url):
    tests = str(__import__("pathlib").Path(__file__).parent)
    run = subprocess.run([sys.executable, "-c", RACE, sandbox_url, tests], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-2000:]}"
    assert run.stdout.strip() == "ok"


def test_calls_after_close_raise_a_checkout_error(sandbox_url):
    client = sc.Client(justifi_config(sandbox_url))
    closer = threading.Thread(target=client.close)
    closer.start()
    closer.join()
    client.close()
    for call in (lambda: client.create({"amount": 1799, "description": "x"}), lambda: client.get("cho_1"),
                 lambda: client.verify_webhook({}, b"{}")):
        with pytest.raises(sc.ClientClosedError) as raised:
            call()
        assert isinstance(raised.value, sc.CheckoutError) and isinstance(raised.value, ValueError)
        assert (raised.value.status, raised.value.message) == (1, "client: the client is closed")


def test_unreadable_library_output_is_a_checkout_error(justifi, monkeypatch):
    from storefront_checkout import _native

    deep = "[" * 5000 + "]" * 5000
    monkeypatch.setattr(_native, "take_string", lambda lib, out: (lib.checkout_string_free(out), deep)[1])
    with pytest.raises(sc.InternalError, match="could not be read"):
        justifi.get("cho_1")
