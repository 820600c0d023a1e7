"""The library's records in Python's ``logging`` (README "Logging"): the logger
``storefront_checkout``, attempts at DEBUG, retries and settled outcomes at INFO, failures at
WARNING, each record's members as attributes of the LogRecord; from Client on the calling
thread and from AsyncClient on the library's I/O threads; never a secret."""

import asyncio
import logging
import threading

import pytest

from conftest import http, justifi_config
from storefront_checkout import AsyncClient, Client, NotFoundError

from test_client import SEED_002

SECRETS = ["test_sandbox_client_secret", "test_recharge_token", "Bearer", "4242424242424242", '"tok_']
MEMBERS = ["level", "event", "operation"]


def ours(caplog):
    return [r for r in caplog.records if r.name == "storefront_checkout"]


def assert_clean(records, *more):
    for r in records:
        text = repr(vars(r)) + r.getMessage()
        for secret in SECRETS + list(more):
            assert secret not in text, f"{secret} in {text}"


def test_a_clients_calls_are_logged_at_their_levels_on_the_calling_thread(sandbox_url, tokenize, caplog):
    caplog.set_level(logging.DEBUG, logger="storefront_checkout")
    card = tokenize()
    with Client(justifi_config(sandbox_url)) as client:
        checkout = client.create({"amount": 1799, "description": "One Chocolate Donut"})
        done = client.complete({"checkout_id": checkout["id"], "payment_token": card, "idempotency_key": "py-log-1"})
        with pytest.raises(NotFoundError):
            client.get("cho_missing")
    records = ours(caplog)
    attempts = [r for r in records if r.event == "http_attempt"]
    assert len(attempts) == checkout["attempts"] + done["attempts"] + 1
    assert all(r.levelno == logging.DEBUG and r.thread == threading.get_ident() for r in attempts)
    completes = [r for r in attempts if r.operation == "checkout_complete"]
    assert [(r.method, r.status, r.idempotency_key) for r in completes] == [("POST", 201, "py-log-1")]
    assert completes[0].path.endswith("/complete") and completes[0].ms >= 0
    failed = [r for r in records if r.event == "operation_failed"]
    assert [(r.levelno, r.operation, r.error, r.http_status) for r in failed] == [
        (logging.WARNING, "checkout_get", "not_found", 404)
    ]
    assert failed[0].request_id.startswith("req_") and "checkout_get: failed with not_found" in failed[0].getMessage()
    assert_clean(records, card)


def test_a_retry_and_a_settled_outcome_are_info(sandbox_url, caplog):
    caplog.set_level(logging.INFO, logger="storefront_checkout")
    assert http("POST", f"{sandbox_url}/__sandbox/faults", {"route": "POST /v1/checkouts", "status": 503, "times": 1})[0] == 200
    with Client(justifi_config(sandbox_url)) as client:
        client.create({"amount": 1799, "description": "retried"})
    retried = ours(caplog)
    assert [(r.levelno, r.status, r.attempt) for r in retried] == [(logging.INFO, 503, 1)]
    assert retried[0].retry_in_ms >= 0 and "retrying in" in retried[0].getMessage()
    caplog.clear()
    with Client({"provider": "recharge", "base_url": sandbox_url, "hosted_base_url": sandbox_url,
                 "api_token": "test_recharge_token", "timeout_ms": 200}) as recharge:
        checkout = recharge.create({"provider_options": SEED_002})
        route = {"route": "POST /checkouts/{token}/charge", "reset": True, "after": True}
        assert http("POST", f"{sandbox_url}/__sandbox/faults", route)[0] == 200
        done = recharge.complete({"checkout_id": checkout["id"], "payment_token": "tok_visa"})
    settled = [r for r in ours(caplog) if r.event == "outcome_settled"]
    assert [(r.levelno, r.confirmed_by, r.checkout_id, r.outcome) for r in settled] == [
        (logging.INFO, "checkout_get", checkout["id"], done["payment_status"])
    ]
    failed_attempts = [r for r in ours(caplog) if r.event == "http_attempt"]
    assert [(r.levelno, r.error) for r in failed_attempts] == [(logging.WARNING, "network")]
    assert_clean(ours(caplog))


def test_an_async_clients_records_come_from_the_librarys_threads(sandbox_url, caplog):
    caplog.set_level(logging.DEBUG, logger="storefront_checkout")

    async def main():
        async with AsyncClient(justifi_config(sandbox_url)) as client:
            return await asyncio.gather(*(client.create({"amount": 500, "description": "async"}) for _ in range(16)))

    results = asyncio.run(main())
    attempts = [r for r in ours(caplog) if r.event == "http_attempt"]
    assert len(attempts) == sum(c["attempts"] for c in results)
    assert all(r.thread != threading.get_ident() for r in attempts)
    assert_clean(ours(caplog))


def test_nothing_is_logged_when_the_logger_is_not_enabled(sandbox_url, caplog):
    caplog.set_level(logging.ERROR, logger="storefront_checkout")
    with Client(justifi_config(sandbox_url)) as client:
        client.create({"amount": 1799, "description": "quiet"})
        with pytest.raises(NotFoundError):
            client.get("cho_missing")
    assert ours(caplog) == []


def test_a_record_member_named_like_a_logrecord_attribute_does_not_lose_the_record(caplog):
    """The contract lets records gain members; one named like a LogRecord attribute
    (``message``, ``name``) must not make ``logging`` refuse the record."""
    import ctypes

    from storefront_checkout import _log

    text = b'{"level":"warning","event":"operation_failed","operation":"checkout_get","message":"m","name":"n"}'
    buffer = ctypes.create_string_buffer(text)
    with caplog.at_level(logging.WARNING, logger="storefront_checkout"):
        _log._deliver(None, ctypes.addressof(buffer), len(text))
    [record] = ours(caplog)
    assert (record.levelno, record.operation, record.name) == (logging.WARNING, "checkout_get", "storefront_checkout")
