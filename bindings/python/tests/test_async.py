"""AsyncClient: coroutines backed by the library's asynchronous C ABI (docs/contract.md section
8), against the sandbox with the provider's latency simulated (``delay_ms``). The time bounds
are generous (several times the ideal); bench/run measures the figures."""

import asyncio
import os
import time

import pytest

from conftest import http, justifi_config
from storefront_checkout import AsyncClient, CheckoutError, ClientClosedError, InternalError, TimeoutError

DONUT = {"amount": 1799, "description": "One Chocolate Donut"}


def delay(sandbox_url, route, ms, times):
    status, body = http("POST", f"{sandbox_url}/__sandbox/faults", {"route": route, "delay_ms": ms, "times": times})
    assert status == 200, body


async def warm(client):
    """The token first, so that only the operation under test is timed."""
    with pytest.raises(CheckoutError):
        await client.get("cho_warm_up")


def test_256_creates_wait_together_and_the_loop_keeps_ticking(sandbox_url):
    """With the sandbox answering each create in 300 ms: the 256 overlap, and a 5 ms ticker
    running while they are in flight (and while their outcomes arrive) keeps its pace."""
    async def main():
        async with AsyncClient(justifi_config(sandbox_url)) as client:
            await warm(client)
            delay(sandbox_url, "POST /v1/checkouts", 300, 256)
            gaps = []
            stop = asyncio.Event()

            async def ticker():
                last = time.perf_counter()
                while not stop.is_set():
                    await asyncio.sleep(0.005)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            began = time.perf_counter()
            calls = [asyncio.ensure_future(client.create(DONUT)) for _ in range(256)]
            await asyncio.sleep(0)  # the 256 start (Python's own work: encoding, futures)
            started = time.perf_counter() - began
            ticking = asyncio.create_task(ticker())
            checkouts = await asyncio.gather(*calls)
            took = time.perf_counter() - began
            stop.set()
            await ticking
            return checkouts, started, took, max(gaps)

    checkouts, started, took, worst_gap = asyncio.run(main())
    print(f"256 creates at 300 ms: {took * 1000:.0f} ms (started in {started * 1000:.0f} ms); "
          f"worst 5 ms tick while in flight: {worst_gap * 1000:.1f} ms")
    assert len({c["id"] for c in checkouts}) == 256
    assert took < 10 * 0.3, f"256 calls took {took:.2f} s"
    # Tens of milliseconds on an idle machine (the outcomes' JSON is parsed on the loop, and
    # each callback takes the GIL); the bound leaves room for a loaded test machine while
    # failing a loop that waits on the provider (256 x 300 ms).
    assert worst_gap < 0.5, f"the loop was held up for {worst_gap * 1000:.0f} ms"


def test_1000_at_once_end_in_a_result_or_a_checkout_error(sandbox_url):
    async def main():
        config = {**justifi_config(sandbox_url), "max_in_flight": 100, "deadline_ms": 600000}
        async with AsyncClient(config) as client:
            delay(sandbox_url, "POST /v1/checkouts", 50, 1000)
            return await asyncio.gather(*(client.create(DONUT) for _ in range(1000)), return_exceptions=True)

    outcomes = asyncio.run(main())
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(f, CheckoutError) for f in failures), failures[:3]
    assert len(outcomes) - len(failures) == 1000


def test_a_wait_beyond_max_in_flight_counts_against_deadline_ms(sandbox_url):
    async def main():
        config = {**justifi_config(sandbox_url), "max_in_flight": 1, "deadline_ms": 1500}
        async with AsyncClient(config) as client:
            await warm(client)
            delay(sandbox_url, "POST /v1/checkouts", 1000, 3)
            return await asyncio.gather(*(client.create(DONUT) for _ in range(3)), return_exceptions=True)

    first, *queued = asyncio.run(main())
    assert first["id"].startswith("cho_")
    assert all(isinstance(o, TimeoutError) for o in queued), queued


def test_aclose_with_calls_in_flight_lets_them_settle(sandbox_url):
    async def main():
        client = AsyncClient(justifi_config(sandbox_url))
        delay(sandbox_url, "POST /v1/checkouts", 300, 50)
        calls = [asyncio.ensure_future(client.create(DONUT)) for _ in range(50)]
        await asyncio.sleep(0)
        await client.aclose()
        checkouts = await asyncio.gather(*calls)
        with pytest.raises(ClientClosedError):
            await client.create(DONUT)
        await client.aclose()
        return checkouts

    assert len({c["id"] for c in asyncio.run(main())}) == 50


def test_a_cancelled_payment_still_ends_once_and_its_key_reads_the_outcome(sandbox_url, tokenize):
    async def main():
        async with AsyncClient(justifi_config(sandbox_url)) as client:
            checkout = await client.create(DONUT)
            request = {"checkout_id": checkout["id"], "payment_token": tokenize(), "idempotency_key": "order-42-pay-1"}
            delay(sandbox_url, "POST /v1/checkouts/{id}/complete", 500, 1)
            paying = asyncio.ensure_future(client.complete(request))
            await asyncio.sleep(0.1)
            paying.cancel()
            with pytest.raises(asyncio.CancelledError):
                await paying
            # The call was not stopped: the same key returns its outcome, charging once.
            again = await client.complete(request)
            read = await client.get(checkout["id"])
            return again, read

    again, read = asyncio.run(main())
    assert (again["payment_status"], again["idempotency_key"]) == ("succeeded", "order-42-pay-1")
    assert read["payment_status"] == "paid"
    assert len(read["provider_data"]["completions"]) == 1, "one payment for one logical call"


def test_a_callback_after_the_loop_closed_is_dropped_and_later_calls_work(sandbox_url):
    config = justifi_config(sandbox_url)
    client = AsyncClient(config)
    delay(sandbox_url, "POST /v1/checkouts", 300, 5)

    async def abandon():
        for _ in range(5):
            asyncio.ensure_future(client.create(DONUT))
        await asyncio.sleep(0.05)

    asyncio.run(abandon())  # the loop closes with the calls in flight: nobody awaits them
    time.sleep(0.6)  # their callbacks arrive for a closed loop

    async def again():
        return await client.get((await client.create(DONUT))["id"])

    assert asyncio.run(again())["id"].startswith("cho_")
    asyncio.run(client.aclose())


def test_a_failure_on_the_way_back_is_that_calls_internal_error_only(sandbox_url, monkeypatch):
    import storefront_checkout.aio as aio

    real = aio.json.loads
    failed = []

    def once(text, *args, **kwargs):
        if not failed and '"cho_' in text:
            failed.append(text)
            raise ValueError("injected")
        return real(text, *args, **kwargs)

    monkeypatch.setattr(aio.json, "loads", once)

    async def main():
        async with AsyncClient(justifi_config(sandbox_url)) as client:
            return await asyncio.gather(*(client.create(DONUT) for _ in range(4)), return_exceptions=True)

    outcomes = asyncio.run(main())
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], InternalError), outcomes


def test_a_child_forked_with_calls_in_flight_inherits_none_and_runs_its_own(sandbox_url):
    async def main():
        client = AsyncClient(justifi_config(sandbox_url))
        delay(sandbox_url, "POST /v1/checkouts", 500, 20)
        calls = [asyncio.ensure_future(client.create(DONUT)) for _ in range(20)]
        await asyncio.sleep(0.1)
        pid = os.fork()
        if pid == 0:
            try:
                async def child():
                    own = await asyncio.gather(*(client.create(DONUT) for _ in range(5)))
                    await asyncio.sleep(1.0)  # past the parent's calls' end: none completes here
                    return own

                own = asyncio.run(child())
                inherited_done = any(c.done() for c in calls)
                os._exit(0 if len(own) == 5 and not inherited_done else 1)
            except BaseException:
                os._exit(2)
        checkouts = await asyncio.gather(*calls)
        _, status = await asyncio.get_running_loop().run_in_executor(None, os.waitpid, pid, 0)
        await client.aclose()
        return checkouts, status

    checkouts, status = asyncio.run(main())
    assert len({c["id"] for c in checkouts}) == 20
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"the child failed: {status}"


def test_the_interpreter_exits_cleanly_right_after_its_calls(sandbox_url):
    """The last callbacks may still be returning when ``asyncio.run`` ends; an interpreter
    that finalized under them would end those library threads with ``pthread_exit`` and abort
    ("FATAL: exception not rethrown"). AsyncClient waits for them at exit."""
    import subprocess
    import sys

    script = f"""
import asyncio
from storefront_checkout import AsyncClient
async def main():
    async with AsyncClient({justifi_config(sandbox_url)!r}) as client:
        await asyncio.gather(*(client.get("cho_missing") for _ in range(200)), return_exceptions=True)
asyncio.run(main())
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for _ in range(8):
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
