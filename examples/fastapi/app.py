"""A FastAPI shop paying with storefront-checkout's ``AsyncClient`` (JustiFi), served by uvicorn.

    GET  /                               a form: amount (minor units), description
    POST /pay                            creates the checkout, 303 to JustiFi's hosted page
    POST /orders/{order_id}/complete     pays with a payment method token (``payment_token``)
    GET  /orders/{order_id}              the order, as JSON
    POST /webhooks/justifi               JustiFi's deliveries: verified, then applied

One ``AsyncClient`` for the process, opened and closed by the app's lifespan: its calls run on
the library's own I/O threads, so the event loop never waits on JustiFi. Credentials come
from the ``JUSTIFI_*`` variables (the README's ``export`` line for the sandbox), the webhook
signing secret from ``JUSTIFI_WEBHOOK_SECRET``, the shop's public origin (for the return URL)
from ``SHOP_BASE_URL``, configured rather than read from the request's ``Host``, which the
client chooses (default ``http://127.0.0.1:8000``, where uvicorn listens). Orders live in
memory (one event loop, so no lock): a real shop keeps them in its database.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from storefront_checkout import (
    AsyncClient,
    CheckoutError,
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
    """The orders, changed only on the event loop's thread."""

    def __init__(self) -> None:
        self.by_id: dict[str, Order] = {}
        self._events: set[str] = set()

    def apply(self, event: Mapping[str, Any]) -> Order | None:
        """Applies a verified webhook event (docs/contract.md, "Event types"). JustiFi retries
        deliveries, so an event already seen (by ``event_id``) changes nothing. Answers the
        order the event is about when it is paid and its payment unknown (paid on JustiFi's
        hosted page, not through ``/complete``): the caller reads it."""
        if event["event_id"] not in self._events:
            if event["event_id"] is not None:
                self._events.add(event["event_id"])
            self._change(event)
        order = self.by_checkout(event["checkout_id"])
        return order if order and order.status == "paid" and order.payment_id is None else None

    def by_checkout(self, checkout_id: str | None) -> Order | None:
        return next((o for o in self.by_id.values() if o.checkout_id == checkout_id), None)

    def _change(self, event: Mapping[str, Any]) -> None:
        """Applies a new event to its order."""
        kind = event["type"]
        if kind in ("payment.succeeded", "checkout.completed", "payment.failed"):
            order = self.by_checkout(event["checkout_id"])
            if order is None:
                return
            if kind != "payment.failed":
                if order.status in ("pending", "failed"):  # a late delivery never undoes a refund
                    order.status = "paid"
            elif order.status == "pending":
                order.status = "failed"  # the shopper may try again with another card
        elif kind in ("refund.created", "refund.updated"):
            refund = event["refund"]
            # Never an order whose payment is not known yet.
            order = next((o for o in self.by_id.values()
                          if refund["payment_id"] is not None and o.payment_id == refund["payment_id"]), None)
            if order is None or refund["id"] is None:
                return
            if refund["status"] == "succeeded":
                order.refunds[refund["id"]] = refund["amount"]
            else:
                order.refunds.pop(refund["id"], None)
            if order.refunds and sum(order.refunds.values()) >= order.amount:
                order.status = "refunded"


ORIGIN = os.environ.get("SHOP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One client and one order book for the app's life; the client is closed at shutdown."""
    async with AsyncClient({"provider": "justifi",
                            "webhook_secrets": [os.environ["JUSTIFI_WEBHOOK_SECRET"]]}) as client:
        app.state.client = client
        app.state.orders = Orders()
        yield


app = FastAPI(lifespan=lifespan)


def checkout_client(request: Request) -> AsyncClient:
    client: AsyncClient = request.app.state.client
    return client


def order_book(request: Request) -> Orders:
    orders: Orders = request.app.state.orders
    return orders


Checkout = Annotated[AsyncClient, Depends(checkout_client)]
Book = Annotated[Orders, Depends(order_book)]


AMOUNT_HINT = "amount: must be a whole number of minor units (1799 for 17.99 USD)"


def minor_units(text: str) -> int | None:
    """The form's amount in minor units, or ``None`` when it is not a whole number (17.99): the
    request types take an ``int``, so the shop checks its form before calling the library."""
    return int(text) if text.isascii() and text.isdecimal() else None


@app.exception_handler(CheckoutError)
async def checkout_failed(request: Request, error: CheckoutError) -> JSONResponse:
    """The answer for a library error: the shopper's mistake 400, a provider outage 502."""
    if isinstance(error, (InvalidRequestError, SignatureError)):
        status = 400
    elif isinstance(error, NotFoundError):
        status = 404
    elif isinstance(error, ConflictError):
        status = 409
    elif isinstance(error, (ProviderError, NetworkError, TimeoutError, RateLimitedError)):
        status = 502
    else:
        status = 500
    if status >= 500:
        log.warning("checkout call failed: %s (request id %s)", error, error.request_id)
    return JSONResponse({"error": error.code, "message": error.message}, status_code=status)


@app.get("/", response_class=HTMLResponse)
async def index() -> str:
    return ("<!doctype html><title>Donuts</title>"
            '<form method="post" action="/pay">'
            '<input name="amount" value="1799"> cents for <input name="description" value="One Chocolate Donut">'
            "<button>Pay</button></form>")


@app.post("/pay")
async def pay(client: Checkout, orders: Book, amount: Annotated[str, Form()],
              description: Annotated[str, Form()] = "") -> Response:
    order_id = uuid.uuid4().hex
    description = description or f"Order {order_id}"
    minor = minor_units(amount)
    if minor is None:
        return JSONResponse({"error": "invalid_request", "message": AMOUNT_HINT}, status_code=400)
    checkout = await client.create({"amount": minor, "description": description, "client_reference_id": order_id})
    orders.by_id[order_id] = Order(order_id, checkout["id"], checkout["amount"], description)
    # JustiFi's hosted page sends the shopper back to success_url once paid: under the
    # configured origin, as the request's Host would make JustiFi's page an open redirect.
    page = await client.redirect_url({"checkout_id": checkout["id"],
                                      "success_url": ORIGIN + app.url_path_for("show_order", order_id=order_id)})
    return RedirectResponse(page["url"], status_code=303)


@app.post("/orders/{order_id}/complete", response_model=None)
async def complete(order_id: str, client: Checkout, orders: Book,
                   payment_token: Annotated[str, Form()]) -> dict[str, Any] | JSONResponse:
    # The token comes from JustiFi's <justifi-tokenize-payment-method> on the shop's page.
    order = orders.by_id.get(order_id)
    if order is None:
        raise HTTPException(404)
    # Saved on the order before the call (the README's "Going to production"): the kept key of
    # a completion whose outcome is unknown, else a new one.
    order.idempotency_key = order.idempotency_key or uuid.uuid4().hex
    try:
        paid = await client.complete({"checkout_id": order.checkout_id, "payment_token": payment_token,
                                      "idempotency_key": order.idempotency_key})
    except CheckoutError as error:
        if error.retryable and error.idempotency_key is not None:
            # The payment may have gone through: the key stays on the order, so calling again
            # replays it (JustiFi's idempotency) instead of charging twice.
            log.warning("completion's outcome unknown: %s (request id %s)", error, error.request_id)
            return JSONResponse({"error": error.code, "message": error.message}, status_code=502)
        order.idempotency_key = None
        raise
    if paid["payment_id"] is not None:
        order.payment_id = paid["payment_id"]
    if paid["payment_status"] != "pending":
        order.idempotency_key = None  # known: another card needs another key (pending keeps it)
    # The order is marked paid by the webhook, which also comes when the shopper never
    # returns; this answer is for the shopper's page.
    return {"order_id": order_id, "payment_status": paid["payment_status"],
            "payment_error": paid["payment_error"], "pending_reason": paid["pending_reason"]}


@app.get("/orders/{order_id}")
async def show_order(order_id: str, orders: Book) -> dict[str, Any]:
    order = orders.by_id.get(order_id)
    if order is None:
        raise HTTPException(404)
    return dataclasses.asdict(order)


@app.post("/webhooks/justifi")
async def justifi_webhook(request: Request, client: Checkout, orders: Book) -> Response:
    # The raw body, as received: re-encoded JSON would not match the signature.
    event = await client.verify_webhook(dict(request.headers), await request.body())
    order = orders.apply(event)
    if order is not None:
        # Paid on JustiFi's hosted page: its refunds will name the payment, which /complete
        # never saw. One read; when it fails the answer is a 502, JustiFi delivers again and
        # the read is made again.
        refunds = await client.refunds(order.checkout_id)
        order.payment_id = order.payment_id or refunds["payment_id"]
    return Response(status_code=200)  # JustiFi's docs (webhooks.md): answer 200 within 5 s, anything else is retried
