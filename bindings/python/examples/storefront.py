"""A storefront's checkout code in Python: the seed flows against the sandbox.

    python3 examples/storefront.py http://127.0.0.1:8088

JustiFi (the donut checkout), ReCharge (seed 002) and Payfect (seed 004), each printing
where the shopper goes and how the payment ended."""

import json
import sys
import urllib.request

from storefront_checkout import Client

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8088"


class _Stay(urllib.request.HTTPRedirectHandler):
    """The "shopper" stops at the payment page's redirect instead of visiting the shop."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_Stay)


def post(url, body=None, token=None):
    """What the shopper's browser does: the web component tokenizing a card, a Pay button."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else b""
    try:
        with _opener.open(urllib.request.Request(url, data=data, headers=headers)) as resp:
            return json.loads(resp.read() or b"null") if body is not None else resp.status
    except urllib.error.HTTPError as e:
        if e.code == 303:
            return e.code
        raise


justifi = Client({"provider": "justifi", "base_url": BASE, "hosted_base_url": BASE,
                  "client_id": "test_sandbox_client_id", "client_secret": "test_sandbox_client_secret",
                  "sub_account": "acc_5Et9iXrSSAZR2KSouQGAWi"})
checkout = justifi.create({"amount": 1799, "description": "One Chocolate Donut",
                           "origin_url": "http://localhost:3000"})
component = justifi.web_component_token(checkout["id"])
print("justifi redirect:", justifi.redirect_url({"checkout_id": checkout["id"]})["url"])
card = {"payment_method": {"card": {"number": "4242424242424242", "month": "12", "year": "2031"}}}
token = post(f"{BASE}/v1/payment_methods", card, component["access_token"])["data"]["id"]
completion = justifi.complete({"checkout_id": checkout["id"], "payment_token": token})
print("justifi completion:", completion["id"], completion["payment_status"])

with Client({"provider": "recharge", "base_url": BASE, "hosted_base_url": BASE,
             "api_token": "test_recharge_token"}) as recharge:
    seed_002 = {"line_items": [{"charge_interval_frequency": 5, "order_interval_frequency": 5,
                                "order_interval_unit": "day", "product_id": 1255183683,
                                "variant_id": 3844924611, "quantity": 6}]}
    subscription = recharge.create({"provider_options": seed_002})
    print("recharge redirect:", recharge.redirect_url({"checkout_id": subscription["id"]})["url"])
    charge = recharge.complete({"checkout_id": subscription["id"], "payment_token": "tok_visa"})
    print("recharge completion:", charge["payment_id"], charge["payment_status"])

with Client({"provider": "payfect", "base_url": BASE, "api_key": "test_payfect_key"}) as payfect:
    crypto = payfect.create({"currency": "usdt", "line_items": [
        {"name": "Standard Plan", "description": "A standard plan", "unit_amount": 2050, "quantity": 1}],
        "success_url": "https://example.com/success", "cancel_url": "https://example.com/cancel"})
    url = payfect.redirect_url({"checkout_id": crypto["id"]})["url"]
    print("payfect redirect:", url)
    post(url)
    print("payfect completion:", crypto["id"], payfect.get(crypto["id"])["payment_status"])
