"""Webhook verification through the Python binding, with every signature computed here,
independently of the library: ``hmac``/``hashlib`` and ``cryptography``'s Fernet. Then the
sandbox delivering to the example endpoint, which verifies through the library."""

import hashlib
import hmac
import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

import storefront_checkout as sc
from conftest import http, justifi_config

NOWHERE = "http://127.0.0.1:9"
BODY = json.dumps({"id": "evt_1", "event_name": "checkout.completed",
                   "data": {"id": "cho_1", "status": "completed"}}).encode()


def justifi(secrets, **extra):
    return sc.Client({**justifi_config(NOWHERE), "webhook_secrets": secrets, **extra})


def signed(secret, body=BODY, timestamp=None):
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"JUSTIFI-TIMESTAMP": ts, "JUSTIFI-SIGNATURE": digest}


def test_justifi_valid_and_rotated():
    client = justifi(["sigk_current", "sigk_previous"])
    event = client.verify_webhook(signed("sigk_current"), BODY)
    assert (event["type"], event["object_id"], event["checkout_id"], event["payment_status"]) == (
        "checkout.completed", "cho_1", "cho_1", "succeeded")
    assert client.verify_webhook(signed("sigk_previous"), BODY)["event_id"] == "evt_1"
    lower = {k.lower(): v for k, v in signed("sigk_current").items()}
    assert client.verify_webhook(lower, BODY)["type"] == "checkout.completed"


def test_a_re_serialized_body_is_pointed_at():
    reencoded = json.dumps(json.loads(BODY), indent=2).encode()
    with pytest.raises(sc.SignatureError) as e:
        justifi(["sigk_current"]).verify_webhook(signed("sigk_current"), reencoded)
    assert e.value.message == ("bad signature: JUSTIFI-SIGNATURE matches none of the webhook_secrets; the body must be the raw bytes received, not re-serialized JSON, and webhook_secrets the endpoint's signing secrets")


# The headers are signed when the test runs, not when the module is collected: a timestamp 400 s
# ahead, taken at collection, is within the 5 minutes' leeway by the time a slow suite gets here.
@pytest.mark.parametrize("headers, body, message", [
    (lambda: signed("sigk_current"), BODY.replace(b"cho_1", b"cho_2"), "bad signature"),
    (lambda: signed("sigk_wrong"), BODY, "bad signature"),
    (lambda: signed("sigk_current", timestamp=int(time.time()) - 24 * 3600 - 400), BODY, "timestamp outside tolerance"),
    (lambda: signed("sigk_current", timestamp=int(time.time()) + 400), BODY, "timestamp outside tolerance"),
    (lambda: {"JUSTIFI-TIMESTAMP": "1"}, BODY, "missing header JUSTIFI-SIGNATURE"),
    (lambda: {}, BODY, "missing header JUSTIFI-TIMESTAMP"),
    (lambda: signed("sigk_current", b"\xff\xfe"), b"\xff\xfe", "body is not JSON"),
])
def test_justifi_refusals_say_which_check_failed(headers, body, message):
    with pytest.raises(sc.SignatureError) as e:
        justifi(["sigk_current"]).verify_webhook(headers(), body)
    assert e.value.message.startswith(message)
    assert "sigk_current" not in str(e.value)


def test_tolerance_zero_replays_stored_events():
    old = signed("sigk_current", timestamp=1_600_000_000)
    assert justifi(["sigk_current"], webhook_tolerance_s=0).verify_webhook(old, BODY)["type"] == "checkout.completed"


def test_recharge_both_schemes():
    client = sc.Client({"provider": "recharge", "base_url": NOWHERE, "api_token": "-", "webhook_secrets": ["rc_secret"]})
    body = json.dumps({"checkout": {"token": "a" * 32, "completed_at": "2024-01-01T00:00:00"}}).encode()
    t = str(int(time.time()))
    v1 = hmac.new(b"rc_secret", t.encode() + b"." + body, hashlib.sha256).hexdigest()
    event = client.verify_webhook({"X-Recharge-Webhook-Signature": f"t={t},v1={v1}",
                                   "X-Recharge-Topic": "checkout/processed"}, body)
    assert (event["type"], event["provider_type"], event["unsigned_topic"], event["checkout_id"]) == (
        "checkout.completed", "checkout", "checkout/processed", "a" * 32)
    legacy = hashlib.sha256(b"rc_secret" + body).hexdigest()
    with pytest.raises(sc.SignatureError, match="accept_legacy_webhook_signature"):
        client.verify_webhook({"X-Recharge-Hmac-Sha256": legacy}, body)
    client = sc.Client({"provider": "recharge", "base_url": NOWHERE, "api_token": "-", "webhook_secrets": ["rc_secret"],
                        "accept_legacy_webhook_signature": True})
    assert client.verify_webhook({"X-Recharge-Hmac-Sha256": legacy}, body)["payment_status"] == "succeeded"
    with pytest.raises(sc.SignatureError, match="bad signature"):
        client.verify_webhook({"X-Recharge-Hmac-Sha256": legacy}, body + b" ")


def test_payfect_fernet_callback():
    key = Fernet.generate_key().decode()
    client = sc.Client({"provider": "payfect", "base_url": NOWHERE, "api_key": "-", "webhook_secrets": [key]})
    payload = {"id": "ed8d24aa-a860-426b-8e56-87cb9f55a081", "amount": "20.00", "status": "succeeded", "currency": "usdt"}
    token = Fernet(key.encode()).encrypt(json.dumps(payload, sort_keys=True).encode()).decode()
    body = json.dumps(payload, indent=2).encode()
    event = client.verify_webhook({"X-Payfect-Signature": token}, body)
    assert (event["type"], event["provider_type"], event["object_id"]) == ("checkout.completed", None, payload["id"])
    with pytest.raises(sc.SignatureError, match="differs from the body"):
        client.verify_webhook({"X-Payfect-Signature": token}, body.replace(b"20.00", b"0.01"))
    with pytest.raises(sc.SignatureError, match="does not decrypt"):
        other = Fernet(Fernet.generate_key()).encrypt(body).decode()
        client.verify_webhook({"X-Payfect-Signature": other}, body)


def test_bad_arguments():
    with pytest.raises(TypeError):
        justifi(["s"]).verify_webhook({}, "not bytes")
    with pytest.raises(sc.ConfigError, match="webhook_secrets"):
        sc.Client(justifi_config(NOWHERE)).verify_webhook({}, b"{}")


class Lines:
    """The output of a process, line by line, read on a thread so that waiting can time out."""

    def __init__(self, proc):
        self._queue = queue.Queue()
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self._queue.put(line.strip())

    def take(self, n, timeout=15.0):
        deadline = time.monotonic() + timeout
        lines = []
        while len(lines) < n:
            try:
                lines.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"only {len(lines)} of {n} lines within {timeout} s: {lines}") from None
        return lines


def test_sandbox_deliveries_verify_at_the_example_endpoint(sandbox_url, justifi, recharge, payfect, tokenize):
    key = Fernet.generate_key().decode()
    endpoint = Path(__file__).resolve().parents[1] / "examples" / "webhook_endpoint.py"
    proc = subprocess.Popen([sys.executable, str(endpoint), "0", "sigk_e2e", "rc_e2e", key],
                            stdout=subprocess.PIPE, text=True)
    try:
        output = Lines(proc)
        url = output.take(1)[0].rsplit(" ", 1)[1]
        for provider, secret in (("justifi", "sigk_e2e"), ("recharge", "rc_e2e"), ("payfect", key)):
            assert http("POST", f"{sandbox_url}/__sandbox/webhooks",
                        {"provider": provider, "url": f"{url}/{provider}", "secret": secret})[0] == 200
        checkout = justifi.create({"amount": 1799, "description": "One Chocolate Donut"})
        justifi.complete({"checkout_id": checkout["id"], "payment_token": tokenize()})
        sub = recharge.create({"provider_options": {"line_items": [
            {"product_id": 1, "variant_id": 2, "quantity": 1}]}})
        recharge.complete({"checkout_id": sub["id"], "payment_token": "tok_visa"})
        crypto = payfect.create({"amount": 100, "currency": "usdt", "description": "x"})
        http("POST", crypto["redirect_url"])
        lines = output.take(4)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print("\n".join(lines))
    assert "verified justifi payment.succeeded chc_" in " ".join(lines)
    assert f"verified justifi checkout.completed {checkout['id']} succeeded" in lines
    assert f"verified recharge checkout.completed {sub['id']} succeeded" in lines
    assert f"verified payfect checkout.completed {crypto['id']} succeeded" in lines
