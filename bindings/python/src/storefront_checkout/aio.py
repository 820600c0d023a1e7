"""``AsyncClient``: the client's operations as coroutines, for asyncio storefronts (FastAPI,
Django's async views, aiohttp).

Each call is started with the library's asynchronous C ABI (docs/contract.md section 8) and
runs on one of the library's own I/O threads; the library calls back on that thread, and the
callback hands the outcome to the awaiting event loop with ``loop.call_soon_threadsafe``. No
Python thread is used per call and the event loop never blocks on a provider.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import itertools
import json
import os
import threading
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union, cast

from .client import Client, _encode, _library
from .errors import error_for, unreadable_output
from .types import (
    Checkout,
    CompleteRequest,
    Completion,
    Config,
    CreateRequest,
    GetRequest,
    RedirectRequest,
    RedirectUrl,
    Refund,
    RefundRequest,
    Refunds,
    VoidRequest,
    VoidResult,
    WebComponentToken,
    WebComponentTokenRequest,
    WebhookEvent,
)

#: ``void (*CheckoutCallback)(void *user_data, int32_t status, const char *result_json)``; the
#: ``user_data`` carries a call id. ctypes takes the GIL when a library thread calls it.
_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p)

_ASYNC_OPERATIONS = (
    "checkout_create_async",
    "checkout_get_async",
    "checkout_complete_async",
    "session_redirect_url_async",
    "checkout_web_component_token_async",
    "checkout_refund_async",
    "checkout_refunds_async",
    "checkout_void_async",
)

#: The calls in flight in this process, by id: the loop that awaits each and its future.
_calls: Dict[int, Tuple[asyncio.AbstractEventLoop, "asyncio.Future[Dict[str, Any]]"]] = {}
#: Guards ``_calls``.
_calls_lock = threading.Lock()
_ids = itertools.count(1)

#: A start function's signature, called without releasing the GIL (``PYFUNCTYPE``): a start
#: returns in microseconds, and releasing the GIL around each would hand it to the library
#: threads waiting in callbacks, making every start wait a switch interval behind them (256
#: starts took 1.8 s that way, measured).
_START = ctypes.PYFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_char_p, _CALLBACK, ctypes.c_void_p)
_starts: Dict[str, Any] = {}
#: ``checkout_async_wait_idle``'s "no limit": every call ends by its own ``deadline_ms``.
_FOREVER_MS = 2**64 - 1


def _settle(future: "asyncio.Future[Dict[str, Any]]", status: int, text: str) -> None:
    """On the event loop: the call's result or its ``CheckoutError``, unless nobody awaits it
    any more (a cancelled task: the call itself has ended in the library all the same)."""
    if future.done():
        return
    try:
        body = json.loads(text) if text else {}
    except (ValueError, RecursionError) as problem:
        future.set_exception(unreadable_output(problem))
        return
    if status != 0:
        future.set_exception(error_for(status, body))
    else:
        future.set_result(body)


def _complete(user_data: Optional[int], status: int, result_json: Optional[bytes]) -> None:
    """Called by a library I/O thread, once per call. It must not block nor raise: it takes
    the call out of ``_calls`` and queues the outcome on the call's loop."""
    with _calls_lock:
        entry = _calls.pop(user_data or 0, None)
    if entry is None:
        return
    loop, future = entry
    # Parsed on the loop, not here: the GIL this thread holds is wanted by the loop and by
    # the other callbacks (parsing here was measured to hold the loop up longer).
    text = (result_json or b"").decode("utf-8", errors="replace")
    try:
        loop.call_soon_threadsafe(_settle, future, status, text)
    except RuntimeError:
        # The loop was closed: nobody can await this call any more; its outcome is in the
        # provider (and, for a payment, readable with the same idempotency key).
        pass


#: :func:`_complete` as the C callback (wrapped by a call, not a decorator, which ctypes
#: leaves untyped for mypy).
_on_complete = _CALLBACK(_complete)


def _declare(lib: ctypes.CDLL) -> None:
    """The asynchronous exports as :data:`_START` functions, once."""
    if not _starts:
        lib.checkout_async_wait_idle.argtypes = [ctypes.c_uint64]
        lib.checkout_async_wait_idle.restype = ctypes.c_int32
        for name in _ASYNC_OPERATIONS:
            address = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
            if address is None:
                raise OSError(f"{name}: the library exports it at no address")
            _starts[name] = _START(address)


def _forget_parent_calls() -> None:
    """In a forked child: the parent's calls are not this process's (the library never
    completes them here), so neither waits for them nor keeps their futures."""
    global _calls_lock
    _calls.clear()
    _calls_lock = threading.Lock()


def _wait_for_calls_in_flight() -> None:
    """At interpreter exit: lets the calls still running end (each by its ``deadline_ms``) and
    their callbacks return, so that no library thread enters an interpreter being torn down
    (CPython ends such a thread with ``pthread_exit``, which aborts the process from inside
    the library's thread). The library waits with the GIL released, so callbacks can run."""
    if _starts:
        _library().checkout_async_wait_idle(_FOREVER_MS)


os.register_at_fork(after_in_child=_forget_parent_calls)
atexit.register(_wait_for_calls_in_flight)


class AsyncClient:
    """A checkout client whose operations are coroutines::

        async with AsyncClient(config) as client:
            checkout = await client.create({"amount": 1799, "description": "One Chocolate Donut"})

    ``config`` is :class:`~storefront_checkout.Client`'s (docs/contract.md section 5), with
    ``max_in_flight`` (default 512): how many of this client's calls run at once, each on a
    library I/O thread; the next ones wait in the library's queue, within their
    ``deadline_ms``. Results and errors are the synchronous client's: a ``dict``, or a
    :class:`~storefront_checkout.CheckoutError` subclass.

    Cancelling the task awaiting a call does not stop the call: it runs to its end in the
    library (a payment is never left half-made) and its outcome is dropped. To learn it, pass
    your own ``idempotency_key`` to :meth:`complete` and call it again with the same key
    (the provider replays the first outcome, never charging twice), or read the checkout
    with :meth:`get`.

    One client may serve several event loops and threads. :meth:`aclose` releases the
    handle; calls in flight still end and settle.
    """

    def __init__(self, config: Config) -> None:
        self._sync = Client(config)
        self._lib = _library()
        _declare(self._lib)

    async def create(self, request: CreateRequest) -> Checkout:
        """``checkout_create``, as :meth:`Client.create <storefront_checkout.Client.create>`."""
        return cast(Checkout, await self._call("checkout_create_async", request))

    async def get(self, checkout_id: Optional[str] = None, *, payment_intent_id: Optional[str] = None) -> Checkout:
        """``checkout_get`` by ``checkout_id``, or (JustiFi session flow) ``payment_intent_id``."""
        request: GetRequest = {}
        if checkout_id is not None:
            request["checkout_id"] = checkout_id
        if payment_intent_id is not None:
            request["payment_intent_id"] = payment_intent_id
        return cast(Checkout, await self._call("checkout_get_async", request))

    async def complete(self, request: CompleteRequest) -> Completion:
        """``checkout_complete``: ``checkout_id``, ``payment_token``, ``idempotency_key``, ...
        A declined card is a result with ``payment_status == "failed"``. Pass
        ``idempotency_key`` to know it before the call starts (see the class's note on
        cancellation)."""
        return cast(Completion, await self._call("checkout_complete_async", request))

    async def redirect_url(self, request: RedirectRequest) -> RedirectUrl:
        """``session_redirect_url`` → ``{"url", "expires_at", ...}``: where to send the shopper."""
        return cast(RedirectUrl, await self._call("session_redirect_url_async", request))

    async def web_component_token(self, checkout_id: str, *, idempotency_key: Optional[str] = None) -> WebComponentToken:
        """``checkout_web_component_token`` (JustiFi) → ``{"access_token", "expires_in", "html",
        "idempotency_key"}``."""
        request: WebComponentTokenRequest = {"checkout_id": checkout_id}
        if idempotency_key is not None:
            request["idempotency_key"] = idempotency_key
        return cast(WebComponentToken, await self._call("checkout_web_component_token_async", request))

    async def refund(self, request: RefundRequest) -> Refund:
        """``checkout_refund``, as :meth:`Client.refund <storefront_checkout.Client.refund>`:
        ``{"checkout_id", "amount"? (minor units; default all that is still refundable),
        "idempotency_key"?}`` → the refund. Pass ``idempotency_key`` to know it before the call
        starts: calling again with the same key and amount never refunds twice (JustiFi; a
        ReCharge refund is never resent: read :meth:`refunds` before refunding again)."""
        return cast(Refund, await self._call("checkout_refund_async", request))

    async def refunds(self, checkout_id: str) -> Refunds:
        """``checkout_refunds``, as :meth:`Client.refunds <storefront_checkout.Client.refunds>`:
        ``amount_paid``, ``amount_refunded``, ``amount_refundable`` (minor units), ``refunds``."""
        return cast(Refunds, await self._call("checkout_refunds_async", {"checkout_id": checkout_id}))

    async def void(self, checkout_id: str, *, idempotency_key: Optional[str] = None) -> VoidResult:
        """``checkout_void`` (JustiFi only), as :meth:`Client.void <storefront_checkout.Client.void>`
        → ``{"payment_id", "status": "voided", "idempotency_key", ...}``."""
        request: VoidRequest = {"checkout_id": checkout_id}
        if idempotency_key is not None:
            request["idempotency_key"] = idempotency_key
        return cast(VoidResult, await self._call("checkout_void_async", request))

    async def verify_webhook(self, headers: Mapping[str, Union[str, Sequence[str]]], body: bytes) -> WebhookEvent:
        """``checkout_webhook_verify``, run on the loop's thread: it does no I/O (an HMAC over
        the body, microseconds), so it does not hold the loop up."""
        return self._sync.verify_webhook(headers, body)

    async def aclose(self) -> None:
        """Releases the handle; calls in flight still end and settle. Safe to call twice;
        calls after it raise :class:`~storefront_checkout.ClientClosedError`."""
        self._sync.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _call(self, name: str, request: Mapping[str, Any]) -> Dict[str, Any]:
        request_json = _encode(request)
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Dict[str, Any]]" = loop.create_future()
        call_id = next(_ids)
        with _calls_lock:
            _calls[call_id] = (loop, future)
        start = _starts[name]
        try:
            # The handle is kept from a concurrent close while the call starts; once started,
            # the library keeps what the call needs.
            status = self._sync._run_start(lambda handle: start(handle, request_json, _on_complete, call_id))
        except BaseException:
            with _calls_lock:
                _calls.pop(call_id, None)
            raise
        if status != 0:
            # Not started (the callback will never come): no thread could be had.
            with _calls_lock:
                _calls.pop(call_id, None)
            raise error_for(status, {"error": {"message": f"{name}: the call could not be started"}})
        return await future
