"""The conftest hook that checks every result and error against docs/contract.schema.json is
no rubber stamp: it counts what it checked, and it fails a call whose output breaks the
schema (a typo'd key, a status outside its enum, a decimal amount, an error without a code)."""

import asyncio

import pytest

from storefront_checkout import AsyncClient, CheckoutError, Client
from storefront_checkout.errors import error_for

from conftest import justifi_config


def test_every_result_is_checked(justifi, results_hold_the_schema):
    before = dict(results_hold_the_schema)
    checkout = justifi.create({"amount": 1799, "description": "One Chocolate Donut"})
    justifi.redirect_url({"checkout_id": checkout["id"]})
    with pytest.raises(CheckoutError):
        justifi.create({"amount": 17.99})
    assert results_hold_the_schema["checkout"] == before["checkout"] + 1
    assert results_hold_the_schema["redirect_url"] == before["redirect_url"] + 1
    assert results_hold_the_schema["error"] == before["error"] + 1


@pytest.mark.parametrize("mutate", [
    lambda c: c.update(redirect_urll=c.pop("redirect_url")),
    lambda c: c.update(payment_status="succeeded"),
    lambda c: c.update(amount=17.99),
    lambda c: c.pop("attempts"),
], ids=["typo'd key", "status outside the enum", "decimal amount", "missing key"])
def test_a_result_that_breaks_the_schema_fails_the_call(justifi, monkeypatch, mutate):
    run = Client._run

    def wrong(self, call):
        result = run(self, call)
        mutate(result)
        return result
    monkeypatch.setattr(Client, "_run", wrong)
    with pytest.raises(AssertionError, match="breaks docs/contract.schema.json"):
        justifi.create({"amount": 1799, "description": "One Chocolate Donut"})


def test_an_async_result_that_breaks_the_schema_fails_the_call(sandbox_url, monkeypatch):
    import storefront_checkout.aio as aio
    settle = aio._settle

    def wrong(future, status, text):
        settle(future, status, text.replace('"status":"open"', '"status":"opened"'))
    monkeypatch.setattr(aio, "_settle", wrong)

    async def main():
        async with AsyncClient(justifi_config(sandbox_url)) as client:
            await client.create({"amount": 1799, "description": "One Chocolate Donut"})
    with pytest.raises(AssertionError, match="breaks docs/contract.schema.json"):
        asyncio.run(main())


def test_an_error_object_that_breaks_the_schema_fails():
    with pytest.raises(AssertionError, match="breaks docs/contract.schema.json"):
        error_for(4, {"error": {"status": 4, "code": "invalid-request", "message": "amount: x"}})
    with pytest.raises(AssertionError, match="breaks docs/contract.schema.json"):
        CheckoutError({"status": 4, "message": "no code"})


def test_an_error_the_binding_completes_names_its_code():
    # The binding's own "could not be started" error of an asynchronous call gives only a
    # message: the status's code is filled in, as the contract's error object always has one.
    error = error_for(1, {"error": {"message": "checkout_get_async: the call could not be started"}})
    assert (error.status, error.code) == (1, "null_argument")
