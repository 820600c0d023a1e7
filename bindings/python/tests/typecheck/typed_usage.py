"""Type-checked by scripts/typecheck (mypy --strict), never run: results are the generated
TypedDicts, so a storefront returns their fields as typed values, and the event's Literal
``type`` narrows as a handler branches on it."""

from typing import Optional

from storefront_checkout import AsyncClient, Client
from storefront_checkout.types import Checkout, RefundStatus, WebhookEvent


def pay_url(client: Client, checkout_id: str) -> str:
    return client.redirect_url({"checkout_id": checkout_id})["url"]


def amount(checkout: Checkout) -> int:
    return checkout["amount"]


def refund_state(client: Client, checkout_id: str) -> RefundStatus:
    return client.refund({"checkout_id": checkout_id, "amount": 500})["status"]


async def paid(client: AsyncClient, checkout_id: str) -> bool:
    return (await client.get(checkout_id))["payment_status"] == "paid"


def order_of(event: WebhookEvent) -> Optional[str]:
    if event["type"] in ("payment.succeeded", "checkout.completed"):
        return event["checkout_id"] or event["object_id"]
    return None
