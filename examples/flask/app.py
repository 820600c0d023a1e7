"""A Flask shop paying with storefront-checkout's synchronous ``Client`` (JustiFi).

    GET  /                               a form: amount (minor units), description
    POST /pay                            creates the checkout, 303 to JustiFi's hosted page
    POST /orders/<order_id>/complete     pays with a payment method token (``payment_token``)
    GET  /orders/<order_id>              the order, as JSON
    POST /webhooks/justifi               JustiFi's deliveries: verified, then applied

One ``Client`` for the process, made when the app is and closed at exit: it is thread-safe
and shares its connections and access token between requests. Credentials come from the
``JUSTIFI_*`` variables (the README's ``export`` line for the sandbox), the webhook signing
secret from ``JUSTIFI_WEBHOOK_SECRET``, the shop's public origin (for the return URL) from
``SHOP_BASE_URL``, configured rather than read from the request's ``Host``, which the client
chooses (default ``http://127.0.0.1:PORT``, where ``flask run`` listens: ``FLASK_RUN_PORT``,
else 5000). Orders live in memory: a real shop keeps them in its database.
"""

from __future__ import annotations

import atexit
import dataclasses
import html
import logging
import os
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, abort, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from storefront_checkout import (
    CheckoutError,
    Client,
    ConflictError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    ProviderError,
    RateLimitedError,
    SignatureError,
    TimeoutError,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Order:
    """A shop order: ``amount`` in minor units; ``status`` pending, paid, failed or refunded."""

    id: str
    checkout_id: str
    amount: int
    description: str
    status: str = "pending"
    payment_id: str | None = None
    refunds: dict[str, int] = dataclasses.field(default_factory=dict)


class Orders:
    """The orders, for the threads of the server: every change under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, Order] = {}
        self._events: set[str] = set()

    def add(self, order: Order) -> None:
        with self._lock:
            self._orders[order.id] = order

    def get(self, order_id: str) -> Order | None:
        """A copy of the order, for reading outside the lock."""
        with self._lock:
            order = self._orders.get(order_id)
            return None if order is None else dataclasses.replace(order, refunds=dict(order.refunds))

    def paid_with(self, order_id: str, payment_id: str) -> None:
        """Records the payment a completion made, to find the order again from its refunds."""
        with self._lock:
            self._orders[order_id].payment_id = payment_id

    def apply(self, event: Mapping[str, Any]) -> None:
        """Applies a verified webhook event (docs/contract.md, "Event types"). JustiFi retries
        deliveries, so an event already seen (by ``event_id``) changes nothing."""
        with self._lock:
            if event["event_id"] in self._events:
                return
            if event["event_id"] is not None:
                self._events.add(event["event_id"])
            kind = event["type"]
            if kind in ("payment.succeeded", "checkout.completed", "payment.failed"):
                order = self._by_checkout(event["checkout_id"])
                if order is None:
                    return
                if kind != "payment.failed":
                    if order.status in ("pending", "failed"):  # a late delivery never undoes a refund
                        order.status = "paid"
                elif order.status == "pending":
                    order.status = "failed"  # the shopper may try again with another card
            elif kind in ("refund.created", "refund.updated"):
                refund = event["refund"]
                order = self._by_payment(refund["payment_id"])
                if order is None or refund["id"] is None:
                    return
                if refund["status"] == "succeeded":
                    order.refunds[refund["id"]] = refund["amount"]
                else:
                    order.refunds.pop(refund["id"], None)
                if order.refunds and sum(order.refunds.values()) >= order.amount:
                    order.status = "refunded"

    def _by_checkout(self, checkout_id: str | None) -> Order | None:
        return next((o for o in self._orders.values() if o.checkout_id == checkout_id), None)

    def _by_payment(self, payment_id: str | None) -> Order | None:
        return next((o for o in self._orders.values() if o.payment_id == payment_id), None)


AMOUNT_HINT = "amount: must be a whole number of minor units (1799 for 17.99 USD)"


def minor_units(text: str) -> int | None:
    """The form's amount in minor units, or ``None`` when it is not a whole number (17.99): the
    request types take an ``int``, so the shop checks its form before calling the library."""
    return int(text) if text.isascii() and text.isdecimal() else None


def http_status(error: CheckoutError) -> int:
    """The answer for a library error: the shopper's mistake 400, a provider outage 502."""
    if isinstance(error, (InvalidRequestError, SignatureError)):
        return 400
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, (ProviderError, NetworkError, TimeoutError, RateLimitedError)):
        return 502
    return 500


def create_app() -> Flask:
    """The app, with its client (credentials from ``JUSTIFI_*``), its public origin
    (``SHOP_BASE_URL``) and its orders."""
    app = Flask(__name__)
    port = os.environ.get("FLASK_RUN_PORT", "5000")
    origin = os.environ.get("SHOP_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/")
    client = Client({"provider": "justifi", "webhook_secrets": [os.environ["JUSTIFI_WEBHOOK_SECRET"]]})
    atexit.register(client.close)
    orders = Orders()

    @app.errorhandler(CheckoutError)
    def checkout_failed(error: CheckoutError) -> ResponseReturnValue:
        status = http_status(error)
        if status >= 500:
            log.warning("checkout call failed: %s (request id %s)", error, error.request_id)
        return jsonify(error=error.code, message=error.message), status

    @app.get("/")
    def index() -> ResponseReturnValue:
        return (
            "<!doctype html><title>Donuts</title>"
            f'<form method="post" action="{html.escape(url_for("pay"))}">'
            '<input name="amount" value="1799"> cents for <input name="description" value="One Chocolate Donut">'
            "<button>Pay</button></form>"
        )

    @app.post("/pay")
    def pay() -> ResponseReturnValue:
        order_id = uuid.uuid4().hex
        description = request.form.get("description") or f"Order {order_id}"
        amount = minor_units(request.form.get("amount", ""))
        if amount is None:
            return jsonify(error="invalid_request", message=AMOUNT_HINT), 400
        checkout = client.create({"amount": amount, "description": description, "client_reference_id": order_id})
        orders.add(Order(order_id, checkout["id"], checkout["amount"], description))
        # JustiFi's hosted page sends the shopper back to success_url once paid: under the
        # configured origin, as the request's Host would make JustiFi's page an open redirect.
        page = client.redirect_url({"checkout_id": checkout["id"],
                                    "success_url": origin + url_for("show_order", order_id=order_id)})
        return redirect(page["url"], code=303)

    @app.post("/orders/<order_id>/complete")
    def complete(order_id: str) -> ResponseReturnValue:
        # The token comes from JustiFi's <justifi-tokenize-payment-method> on the shop's page.
        order = orders.get(order_id)
        if order is None:
            abort(404)
        paid = client.complete({"checkout_id": order.checkout_id,
                                "payment_token": request.form.get("payment_token", "")})
        if paid["payment_id"] is not None:
            orders.paid_with(order_id, paid["payment_id"])
        # The order is marked paid by the webhook, which also comes when the shopper never
        # returns; this answer is for the shopper's page.
        return jsonify(order_id=order_id, payment_status=paid["payment_status"],
                       payment_error=paid["payment_error"], pending_reason=paid["pending_reason"])

    @app.get("/orders/<order_id>")
    def show_order(order_id: str) -> ResponseReturnValue:
        order = orders.get(order_id)
        if order is None:
            abort(404)
        return jsonify(dataclasses.asdict(order))

    @app.post("/webhooks/justifi")
    def justifi_webhook() -> ResponseReturnValue:
        # The raw body, as received: re-encoded JSON would not match the signature.
        event = client.verify_webhook(dict(request.headers), request.get_data())
        orders.apply(event)
        return "", 200  # JustiFi's docs (webhooks.md): answer 200 within 5 s, anything else is retried

    return app


app = create_app()
