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
    #: The key of the completion whose outcome is not known yet, sent again by the next one.
    idempotency_key: str | None = None


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

    def completion_key(self, order_id: str) -> str | None:
        """The idempotency key of the order's next completion, saved on the order before the call
        (the README's "Going to production"): the kept key of one whose outcome is unknown, else
        a new one. ``None`` when there is no such order."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                return None
            if order.idempotency_key is None:
                order.idempotency_key = uuid.uuid4().hex
            return order.idempotency_key

    def completed(self, order_id: str, payment_id: str | None, outcome_known: bool) -> None:
        """Records what a completion answered: its payment, to find the order again from its
        refunds; once its outcome is known, the key goes (another card needs another key)."""
        with self._lock:
            order = self._orders[order_id]
            if payment_id is not None:
                order.payment_id = payment_id
            if outcome_known:
                order.idempotency_key = None

    def paid_with(self, checkout_id: str, payment_id: str | None) -> None:
        """Records the payment of the order paid on JustiFi's hosted page, read from JustiFi."""
        with self._lock:
            order = self._by_checkout(checkout_id)
            if order is not None and order.payment_id is None:
                order.payment_id = payment_id

    def apply(self, event: Mapping[str, Any]) -> str | None:
        """Applies a verified webhook event (docs/contract.md, "Event types"). JustiFi retries
        deliveries, so an event already seen (by ``event_id``) changes nothing. Answers the
        checkout id of the order the event is about when it is paid and its payment unknown
        (paid on JustiFi's hosted page, not through ``/complete``): the caller reads it."""
        with self._lock:
            if event["event_id"] not in self._events:
                if event["event_id"] is not None:
                    self._events.add(event["event_id"])
                self._change(event)
            order = self._by_checkout(event["checkout_id"])
            return order.checkout_id if order and order.status == "paid" and order.payment_id is None else None

    def _change(self, event: Mapping[str, Any]) -> None:
        """Applies a new event to its order, under the lock."""
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
        if payment_id is None:
            return None  # never the orders whose payment is not known yet
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
        key = orders.completion_key(order_id)
        if order is None or key is None:
            abort(404)
        try:
            paid = client.complete({"checkout_id": order.checkout_id, "idempotency_key": key,
                                    "payment_token": request.form.get("payment_token", "")})
        except CheckoutError as error:
            if error.retryable and error.idempotency_key is not None:
                # The payment may have gone through: the key stays on the order, so calling
                # again replays it (JustiFi's idempotency) instead of charging twice.
                log.warning("completion's outcome unknown: %s (request id %s)", error, error.request_id)
                return jsonify(error=error.code, message=error.message), 502
            orders.completed(order_id, None, outcome_known=True)
            raise
        # A pending completion keeps its key: calling again with it is safe (docs/contract.md).
        orders.completed(order_id, paid["payment_id"], outcome_known=paid["payment_status"] != "pending")
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
        unknown = orders.apply(event)
        if unknown is not None:
            # Paid on JustiFi's hosted page: its refunds will name the payment, which /complete
            # never saw. One read, outside the orders' lock; when it fails the answer is a 502,
            # JustiFi delivers again and the read is made again.
            orders.paid_with(unknown, client.refunds(unknown)["payment_id"])
        return "", 200  # JustiFi's docs (webhooks.md): answer 200 within 5 s, anything else is retried

    return app


app = create_app()
