"""The README's webhook handler against what the sandbox really delivers: each documented flow
(JustiFi create + complete, its hosted checkout page, a decline, a JustiFi checkout session,
ReCharge's charge and its hosted checkout, Payfect's page, refunds) runs against a sandbox of its own, every delivery
is verified as an endpoint verifies it (the headers and the raw body), and the ``handle``
function of the README's Webhooks snippet, run as written, must leave each order as the flow
left the payment."""

import ast
import json
import queue
import re
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

import storefront_checkout as sc
from conftest import SANDBOX_BIN, http, justifi_config

REPO = Path(__file__).resolve().parents[3]
README = REPO / "README.md"
SECRETS = {"justifi": "sigk_readme", "recharge": "rc_readme", "payfect": Fernet.generate_key().decode()}
NOWHERE = "http://127.0.0.1:9"


def readme_handler():
    """``handle`` of the README's first Python block under "## Webhooks" (as scripts/install-test
    takes it), with the imports and functions of the block and nothing else: the rest is the
    block's own demonstration, which the install test runs."""
    section = README.read_text().split("\n## Webhooks\n", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"^```python\n(.*?)^```", section, re.S | re.M)[0]
    tree = ast.parse(block)
    tree.body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
    namespace = {}
    exec(compile(tree, str(README), "exec"), namespace)
    return namespace["handle"]


class _Stay(urllib.request.HTTPRedirectHandler):
    """A paid page redirects to the shop: the test stays on the sandbox."""

    def redirect_request(self, *args, **kwargs):
        return None


def pay_on_page(url, form=(("card_number", "4242424242424242"),)):
    """Submits a hosted page's payment form, as the shopper does: the answer's status."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST")
    try:
        with urllib.request.build_opener(_Stay).open(request) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        return e.code


class Receiver:
    """A webhook endpoint on loopback that keeps each delivery: (provider, headers, raw body)."""

    def __init__(self):
        deliveries = self._deliveries = queue.Queue()

        class Endpoint(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                deliveries.put((self.path.strip("/"), dict(self.headers.items()), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def take(self, n, timeout=15.0):
        """The next ``n`` deliveries, or an assertion error after ``timeout`` seconds."""
        taken = []
        for _ in range(n):
            try:
                taken.append(self._deliveries.get(timeout=timeout))
            except queue.Empty:
                raise AssertionError(f"only {len(taken)} of {n} deliveries: {taken}") from None
        return taken

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def own_sandbox():
    """A sandbox for this test alone, so that its webhook targets are this test's."""
    proc = subprocess.Popen([str(SANDBOX_BIN), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        yield proc.stdout.readline().strip().rsplit(" ", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_readme_handler_settles_every_documented_flow(own_sandbox):
    handle = readme_handler()
    base = own_sandbox
    receiver = Receiver()
    verifiers = {
        "justifi": sc.Client({"provider": "justifi", "base_url": NOWHERE, "webhook_secrets": [SECRETS["justifi"]]}),
        "recharge": sc.Client({"provider": "recharge", "base_url": NOWHERE, "webhook_secrets": [SECRETS["recharge"]]}),
        "payfect": sc.Client({"provider": "payfect", "base_url": NOWHERE, "webhook_secrets": [SECRETS["payfect"]]}),
    }
    justifi = sc.Client(justifi_config(base))
    recharge = sc.Client({"provider": "recharge", "base_url": base, "hosted_base_url": base,
                          "api_token": "test_recharge_token"})
    payfect = sc.Client({"provider": "payfect", "base_url": base, "api_key": "test_payfect_key"})
    orders = {}
    delivered = []

    def deliver(n):
        """Verifies the next ``n`` deliveries as the shop's endpoint does and hands each to the
        README's handler."""
        for provider, headers, body in receiver.take(n):
            event = verifiers[provider].verify_webhook(headers, body)
            delivered.append((provider, event["provider_type"], event["type"]))
            handle(event, orders)

    def order(key):
        orders[key] = {"id": f"order-{len(orders) + 1}", "status": "pending"}
        return orders[key]

    try:
        for provider, secret in SECRETS.items():
            assert http("POST", f"{base}/__sandbox/webhooks",
                        {"provider": provider, "url": f"{receiver.url}/{provider}", "secret": secret})[0] == 200

        # JustiFi create + complete (the README's first snippet).
        checkout = justifi.create({"amount": 1799, "description": "One Chocolate Donut"})
        completed = order(checkout["id"])
        paid = justifi.complete({"checkout_id": checkout["id"], "payment_token": "pm_test_visa"})
        assert paid["payment_status"] == "succeeded", paid
        orders[paid["payment_id"]] = completed
        deliver(2)

        # JustiFi's hosted checkout page.
        checkout = justifi.create({"amount": 500, "description": "Donut"})
        hosted = order(checkout["id"])
        page = justifi.redirect_url({"checkout_id": checkout["id"]})["url"]
        assert pay_on_page(page) == 200
        deliver(2)

        # A declined card: the order stays unpaid.
        checkout = justifi.create({"amount": 500, "description": "Donut"})
        declined = order(checkout["id"])
        assert justifi.complete({"checkout_id": checkout["id"],
                                 "payment_token": "pm_test_card_declined"})["payment_status"] == "failed"
        deliver(1)

        # A JustiFi checkout session: the order is known by its payment intent.
        session = justifi.redirect_url({"amount": 500, "success_url": "http://127.0.0.1:1/ok"})
        in_session = order(session["payment_intent_id"])
        assert pay_on_page(session["url"]) == 303
        deliver(1)

        # ReCharge create + complete.
        seed = json.loads((REPO / "tests" / "fixtures" / "seed_002_create.json").read_text())
        sub = recharge.create({"provider_options": seed})
        subscription = order(sub["id"])
        charged = recharge.complete({"checkout_id": sub["id"], "payment_token": "tok_visa"})
        assert charged["payment_status"] == "succeeded", charged
        orders[charged["payment_id"]] = subscription
        deliver(1)

        # ReCharge's hosted checkout.
        sub = recharge.create({"provider_options": seed})
        hosted_subscription = order(sub["id"])
        page = recharge.redirect_url({"checkout_id": sub["id"]})["url"]
        assert pay_on_page(page, {"payment_token": "tok_visa"}) == 200
        deliver(1)

        # Payfect, paid on its page.
        crypto = payfect.create({"amount": 2050, "currency": "usdt", "description": "Standard Plan"})
        on_page = order(crypto["id"])
        http("POST", crypto["redirect_url"])
        deliver(1)

        # Refunds made outside the shop (the provider's dashboard or API), which only the
        # webhook reports: JustiFi's RefundPayment, then an update of the refund; ReCharge's
        # charge refund.
        _, grant = http("POST", f"{base}/oauth/token",
                        {"client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret"})
        justifi_api = {"Sub-Account": "acc_5Et9iXrSSAZR2KSouQGAWi", "Idempotency-Key": "refund-readme-1"}
        status, refund = http("POST", f"{base}/v1/payments/{paid['payment_id']}/refunds", {"amount": 500},
                              grant["access_token"], justifi_api)
        assert status == 201, refund
        deliver(1)
        status, _ = http("PATCH", f"{base}/v1/refunds/{refund['data']['id']}", {"metadata": {"ticket": "42"}},
                         grant["access_token"], {**justifi_api, "Idempotency-Key": "refund-readme-2"})
        assert status == 200
        deliver(1)
        status, _ = http("POST", f"{base}/charges/{charged['payment_id']}/refund", {"amount": "10.00"},
                         headers={"X-Recharge-Access-Token": "test_recharge_token"})
        assert status == 200
        deliver(1)
    finally:
        receiver.close()
        for client in (*verifiers.values(), justifi, recharge, payfect):
            client.close()

    print("\n".join(" ".join(str(d) for d in delivery) for delivery in delivered))
    assert sorted(set(delivered)) == [
        ("justifi", "checkout.completed", "checkout.completed"),
        ("justifi", "checkout.completion.failed", "payment.failed"),
        ("justifi", "checkout.completion.succeeded", "payment.succeeded"),
        ("justifi", "payment.refund.updated", "refund.updated"),
        ("justifi", "payment.refunded", "refund.created"),
        ("justifi", "payment_intent.succeeded", "payment.succeeded"),
        ("payfect", None, "checkout.completed"),
        ("recharge", "charge", "refund.created"),
        ("recharge", "checkout", "checkout.completed"),
    ]
    paid_or_not = (completed, hosted, declined, in_session, subscription, hosted_subscription, on_page)
    assert [o["status"] for o in paid_or_not] == ["paid", "paid", "failed", "paid", "paid", "paid", "paid"]
    refund_id = refund["data"]["id"]
    assert (completed["refunds"][refund_id]["amount"], completed["refunds"][refund_id]["status"]) == (500, "succeeded")
    # The sandbox answers ReCharge 2021-01, whose charge names no currency: the event cannot
    # give the total in minor units, and the handler keeps the refund as the event gives it.
    assert subscription["refunds"]["total"]["amount_refunded"] is None
    assert subscription["refunds"]["total"]["payment_id"] == charged["payment_id"]
