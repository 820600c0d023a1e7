"""Refunds and voids (docs/contract.md, "checkout_refund", "checkout_refunds", "checkout_void")
through ``Client`` and ``AsyncClient`` against the sandbox binary: partial then full refunds,
the refusals as their error classes, a key called again, ReCharge's charge refund, Payfect's
none, and a void."""

import asyncio

import pytest

import storefront_checkout as sc
from conftest import http, justifi_config

SEED_002 = {"line_items": [{"charge_interval_frequency": 5, "order_interval_frequency": 5,
                            "order_interval_unit": "day", "product_id": 1255183683,
                            "variant_id": 3844924611, "quantity": 6}]}


def paid(client, token, amount=1799):
    """A paid JustiFi checkout's id."""
    checkout = client.create({"amount": amount, "description": "Donuts"})
    done = client.complete({"checkout_id": checkout["id"], "payment_token": token})
    assert done["payment_status"] == "succeeded", done
    return checkout["id"]


def ledger_refunds(sandbox_url, checkout_id):
    """The refunds the sandbox made of a JustiFi checkout's payment."""
    return http("GET", f"{sandbox_url}/__sandbox/ledger")[1]["checkouts"][checkout_id]["refunds"]


def test_a_partial_then_a_full_justifi_refund(justifi, tokenize, sandbox_url):
    checkout_id = paid(justifi, tokenize())
    before = justifi.refunds(checkout_id)
    assert (before["amount_paid"], before["amount_refunded"], before["amount_refundable"]) == (1799, 0, 1799)
    assert before["payment_id"].startswith("py_") and before["refunds"] == []

    part = justifi.refund({"checkout_id": checkout_id, "amount": 500})
    assert (part["status"], part["amount"], part["currency"]) == ("succeeded", 500, "usd")
    assert (part["checkout_id"], part["payment_id"]) == (checkout_id, before["payment_id"])
    assert part["id"].startswith("chr_") and part["idempotency_key"] and part["confirmed_by"] is None
    middle = justifi.refunds(checkout_id)
    assert (middle["amount_refunded"], middle["amount_refundable"]) == (500, 1299)

    rest = justifi.refund({"checkout_id": checkout_id})
    assert (rest["status"], rest["amount"]) == ("succeeded", 1299), "no amount: what is still refundable"
    after = justifi.refunds(checkout_id)
    assert (after["amount_paid"], after["amount_refunded"], after["amount_refundable"]) == (1799, 1799, 0)
    assert [(r["amount"], r["status"]) for r in after["refunds"]] == [(500, "succeeded"), (1299, "succeeded")]
    assert len(ledger_refunds(sandbox_url, checkout_id)) == 2

    with pytest.raises(sc.ConflictError, match="is fully refunded$"):
        justifi.refund({"checkout_id": checkout_id})


def test_a_refund_called_again_with_its_key_refunds_once(justifi, tokenize, sandbox_url):
    checkout_id = paid(justifi, tokenize())
    request = {"checkout_id": checkout_id, "amount": 700, "idempotency_key": "py-refund-order-7"}
    first = justifi.refund(request)
    again = justifi.refund(request)
    assert (again["id"], again["status"], again["idempotency_key"]) == (first["id"], "succeeded", "py-refund-order-7")
    assert len(ledger_refunds(sandbox_url, checkout_id)) == 1
    assert justifi.refunds(checkout_id)["amount_refunded"] == 700


def test_refunding_an_unpaid_checkout_is_a_conflict(justifi):
    unpaid = justifi.create({"amount": 900, "description": "Box"})
    with pytest.raises(sc.ConflictError) as e:
        justifi.refund({"checkout_id": unpaid["id"]})
    assert (e.value.status, e.value.code) == (9, "conflict")
    assert "is not paid" in e.value.message
    state = justifi.refunds(unpaid["id"])
    assert (state["payment_id"], state["amount_paid"], state["amount_refundable"]) == (None, 0, 0)


def test_refunding_more_than_is_refundable_is_an_invalid_request(justifi, tokenize, sandbox_url):
    checkout_id = paid(justifi, tokenize())
    justifi.refund({"checkout_id": checkout_id, "amount": 500})
    with pytest.raises(sc.InvalidRequestError) as e:
        justifi.refund({"checkout_id": checkout_id, "amount": 1300})
    assert e.value.status == 4
    assert e.value.message.startswith("amount: 1300 minor units is more than the 1299"), e.value.message
    assert len(ledger_refunds(sandbox_url, checkout_id)) == 1, "nothing was refunded"
    with pytest.raises(sc.InvalidRequestError) as e:
        justifi.refund({"checkout_id": checkout_id, "amount": 5.0})
    assert e.value.message.startswith("amount: must be a positive integer in minor units"), e.value.message


def test_recharge_refunds_the_charge_without_a_key(recharge):
    checkout = recharge.create({"provider_options": SEED_002})
    recharge.complete({"checkout_id": checkout["id"], "payment_token": "tok_visa"})
    part = recharge.refund({"checkout_id": checkout["id"], "amount": 1000})
    assert (part["status"], part["amount"], part["idempotency_key"]) == ("succeeded", 1000, None)
    rest = recharge.refund({"checkout_id": checkout["id"]})
    assert (rest["status"], rest["amount"]) == ("succeeded", 5000)
    state = recharge.refunds(checkout["id"])
    assert (state["amount_paid"], state["amount_refunded"], state["amount_refundable"]) == (6000, 6000, 0)
    with pytest.raises(sc.UnsupportedError):
        recharge.void(checkout["id"])


def test_payfect_has_no_refund(payfect):
    with pytest.raises(sc.UnsupportedError) as e:
        payfect.refund({"checkout_id": "c_1"})
    assert (e.value.status, e.value.message) == (6, "checkout_refund: Payfect's published API has no refund")
    with pytest.raises(sc.UnsupportedError):
        payfect.refunds("c_1")
    with pytest.raises(sc.UnsupportedError):
        payfect.void("c_1")


def test_a_justifi_void(justifi, tokenize):
    checkout_id = paid(justifi, tokenize())
    voided = justifi.void(checkout_id, idempotency_key="py-void-1")
    assert (voided["status"], voided["checkout_id"], voided["idempotency_key"]) == ("voided", checkout_id, "py-void-1")
    assert voided["payment_id"].startswith("py_")
    unpaid = justifi.create({"amount": 900, "description": "Box"})
    with pytest.raises(sc.ConflictError):
        justifi.void(unpaid["id"])


def test_the_async_client_refunds_and_voids(sandbox_url, tokenize):
    with sc.Client(justifi_config(sandbox_url)) as client:
        to_refund, to_void = paid(client, tokenize()), paid(client, tokenize())

    async def main():
        async with sc.AsyncClient(justifi_config(sandbox_url)) as client:
            part = await client.refund({"checkout_id": to_refund, "amount": 300, "idempotency_key": "py-async-1"})
            with pytest.raises(sc.InvalidRequestError):
                await client.refund({"checkout_id": to_refund, "amount": 1500})
            rest, voided = await asyncio.gather(client.refund({"checkout_id": to_refund}), client.void(to_void))
            with pytest.raises(sc.ConflictError):
                await client.refund({"checkout_id": to_refund})
            return part, rest, voided, await client.refunds(to_refund)

    part, rest, voided, state = asyncio.run(main())
    assert (part["status"], part["amount"], part["idempotency_key"]) == ("succeeded", 300, "py-async-1")
    assert (rest["status"], rest["amount"]) == ("succeeded", 1499)
    assert (voided["status"], voided["checkout_id"]) == ("voided", to_void)
    assert (state["amount_refunded"], state["amount_refundable"]) == (1799, 0)
