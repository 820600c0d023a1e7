"""The client: one handle of the shared library, thread-safe, usable as a context manager."""

from __future__ import annotations

import ctypes
import json
import threading
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Union, cast

from . import _log, _native
from .errors import ClientClosedError, ConfigError, error_for, unreadable_output
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

_lib: Optional[ctypes.CDLL] = None
_lib_lock = threading.Lock()


def _library() -> ctypes.CDLL:
    global _lib
    with _lib_lock:
        if _lib is None:
            _lib = _native.load()
        return _lib


def version() -> str:
    """The shared library's version, e.g. ``"0.1.0"``."""
    raw: bytes = _library().checkout_version()
    return raw.decode("ascii")


class Client:
    """A checkout client for one provider.

    ``config`` is the configuration object of docs/contract.md section 5, for example
    ``{"provider": "justifi", "client_id": ..., "client_secret": ..., "sub_account": ...}``.
    Amounts are integers in minor units (cents). Requests and results are the TypedDicts of
    :mod:`storefront_checkout.types` (made from docs/contract.schema.json), so a type checker
    refuses a typo'd key or a float amount. Every call returns the result object as a
    ``dict`` or raises a :class:`~storefront_checkout.CheckoutError` subclass. One client may
    be used from many threads; the library runs calls without holding the GIL. Each HTTP
    attempt, settled outcome and failure is logged to the ``storefront_checkout`` logger
    (:mod:`logging`; README "Logging").
    """

    def __init__(self, config: Config) -> None:
        self._lib = _library()
        handle = ctypes.c_void_p()
        out = ctypes.c_void_p()
        status = self._lib.checkout_client_new(_encode(config), ctypes.byref(handle), ctypes.byref(out))
        text = _native.take_string(self._lib, out)
        if status != 0:
            try:
                error = json.loads(text) if text else {}
            except (ValueError, RecursionError) as problem:
                raise unreadable_output(problem) from None
            raise error_for(status, error)
        if not handle.value:
            raise ConfigError({"status": 5, "code": "config", "message": "no client was created"})
        self._handle: Optional[int] = handle.value
        _log.register(self._lib, handle.value)
        self._guard = threading.Lock()
        self._in_flight = 0
        self._closed = False

    def create(self, request: CreateRequest) -> Checkout:
        """``checkout_create``: ``amount`` (minor units) or ``line_items``, ``currency``,
        ``description``, URLs, ``metadata``, ``provider_options`` → the unified
        :class:`~storefront_checkout.types.Checkout` (docs/contract.md, "checkout_create"). An
        amount that is not an integer of minor units raises
        :class:`~storefront_checkout.InvalidRequestError`."""
        return cast(Checkout, self._call("checkout_create", request))

    def get(self, checkout_id: Optional[str] = None, *, payment_intent_id: Optional[str] = None) -> Checkout:
        """``checkout_get`` by ``checkout_id``, or (JustiFi session flow) ``payment_intent_id``
        → the checkout, as :meth:`create` returns it; an unknown one raises
        :class:`~storefront_checkout.NotFoundError`."""
        request: GetRequest = {}
        if checkout_id is not None:
            request["checkout_id"] = checkout_id
        if payment_intent_id is not None:
            request["payment_intent_id"] = payment_intent_id
        return cast(Checkout, self._call("checkout_get", request))

    def complete(self, request: CompleteRequest) -> Completion:
        """``checkout_complete``: ``checkout_id``, ``payment_token``, ``idempotency_key``, ...
        A declined card is a result with ``payment_status == "failed"``; ``pending`` comes
        with ``pending_reason`` saying what to do. Payfect raises
        :class:`~storefront_checkout.UnsupportedError` (docs/contract.md, "checkout_complete")."""
        return cast(Completion, self._call("checkout_complete", request))

    def redirect_url(self, request: RedirectRequest) -> RedirectUrl:
        """``session_redirect_url`` → ``{"url", "expires_at", ...}``: where to send the shopper
        (``payment_intent_id`` and ``idempotency_key`` in JustiFi's checkout-session flow)."""
        return cast(RedirectUrl, self._call("session_redirect_url", request))

    def web_component_token(self, checkout_id: str, *, idempotency_key: Optional[str] = None) -> WebComponentToken:
        """``checkout_web_component_token`` (JustiFi) → ``{"access_token", "expires_in", "html",
        "idempotency_key"}``; ``idempotency_key`` to call again under an error's key."""
        request: WebComponentTokenRequest = {"checkout_id": checkout_id}
        if idempotency_key is not None:
            request["idempotency_key"] = idempotency_key
        return cast(WebComponentToken, self._call("checkout_web_component_token", request))

    def refund(self, request: RefundRequest) -> Refund:
        """``checkout_refund``: refunds a paid checkout, fully or partly.

        ``request`` is ``{"checkout_id", "amount"?, "reason"?, "metadata"?,
        "idempotency_key"?}``: ``amount`` in minor units (500 refunds 5.00 USD); without it,
        all that is still refundable (the library reads it first, so it is right after
        partial refunds too). Partial refunds may follow one another up to the amount paid.
        ``reason`` and ``metadata`` only where the provider takes them (neither JustiFi nor
        ReCharge does: :class:`~storefront_checkout.InvalidRequestError`).

        Returns the refund: ``{"provider", "id", "checkout_id", "payment_id", "amount",
        "currency", "status", "reason", "refund_error", "idempotency_key", "confirmed_by",
        "pending_reason", "created_at", "provider_data", "attempts"}``, ``status``
        ``succeeded``, ``failed`` (recorded and refused by the provider: ``refund_error``
        says why) or ``pending`` (``pending_reason`` says what to do).

        Never twice: JustiFi's refund is sent under ``idempotency_key`` (yours, or one
        generated and returned, also on an error); calling again with the same key and
        amount replays the first refund and never refunds twice, so persist the key before
        calling. ReCharge takes no key: a refund that may have reached it is never resent,
        so read :meth:`refunds` before refunding again after a ``pending`` result or an error.

        Raises :class:`~storefront_checkout.ConflictError` for an unpaid checkout, or no
        ``amount`` on a fully refunded one (and JustiFi's ``payment_fully_refunded``,
        ``payment_outside_refund_window``), :class:`~storefront_checkout.InvalidRequestError`
        for an ``amount`` above what is refundable, :class:`~storefront_checkout.UnsupportedError`
        with Payfect (it publishes no refund). docs/contract.md, "checkout_refund"."""
        return cast(Refund, self._call("checkout_refund", request))

    def refunds(self, checkout_id: str) -> Refunds:
        """``checkout_refunds``: the checkout's payment and what was refunded of it, ``{"provider",
        "checkout_id", "payment_id", "currency", "amount_paid", "amount_refunded",
        "amount_refundable", "refunds", "provider_data", "attempts"}``, amounts in minor units;
        ``refunds`` lists ``{"id", "amount", "status", "reason", "created_at"}`` where the
        provider lists them (ReCharge gives only the total: ``refunds`` is empty). An unpaid
        checkout reads ``payment_id`` None and zeros. Payfect:
        :class:`~storefront_checkout.UnsupportedError`."""
        return cast(Refunds, self._call("checkout_refunds", {"checkout_id": checkout_id}))

    def void(self, checkout_id: str, *, idempotency_key: Optional[str] = None) -> VoidResult:
        """``checkout_void`` (JustiFi only): voids the paid checkout's card payment before it
        settles (JustiFi: within 25 minutes of the payment) → ``{"provider", "checkout_id",
        "payment_id", "status": "voided", "idempotency_key", "provider_data", "attempts"}``.
        ``idempotency_key``: the key to send it under (an error's key, to call again with).
        Too late (JustiFi's ``payment_outside_void_window``: refund instead) or an unpaid
        checkout raises :class:`~storefront_checkout.ConflictError`; other providers
        :class:`~storefront_checkout.UnsupportedError`."""
        request: VoidRequest = {"checkout_id": checkout_id}
        if idempotency_key is not None:
            request["idempotency_key"] = idempotency_key
        return cast(VoidResult, self._call("checkout_void", request))

    def verify_webhook(self, headers: Mapping[str, Union[str, Sequence[str]]], body: bytes) -> WebhookEvent:
        """``checkout_webhook_verify``: checks a delivery's signature against the configured
        ``webhook_secrets`` and returns the normalized event (``type``: the unified
        ``payment.succeeded`` | ``payment.failed`` | ``checkout.completed`` | ``refund.created`` |
        ``refund.updated`` | ``other``, docs/contract.md "Event types"; ``provider_type``,
        ``object_id``, ``checkout_id``, ``payment_status``, ``unsigned_topic``, ``refund``,
        ``data``). ``body`` is the raw bytes as received;
        a failed check raises :class:`~storefront_checkout.SignatureError` saying which.

        The event: ``{"provider", "event_id", "type", "provider_type", "object_id",
        "checkout_id", "payment_status", "unsigned_topic", "refund", "data"}``. Act on
        ``type``, finding the order by ``checkout_id``, else ``object_id``:

        - ``payment.succeeded``: a payment was taken, the order is paid;
        - ``payment.failed``: a payment attempt failed, the order stays unpaid;
        - ``checkout.completed``: the checkout is paid and closed, the order is paid;
        - ``refund.created``: a refund was made; ``refund`` (``{"id", "payment_id",
          "amount", "amount_refunded", "status"}``) says what;
        - ``refund.updated``: a refund changed; ``refund`` says what it is now;
        - ``other``: nothing an order acts on.

        Deduplicate on ``event_id`` (providers retry deliveries)."""
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError("body must be the raw bytes of the request")
        raw = bytes(body)
        headers_json = _encode(dict(headers))
        return cast(WebhookEvent, self._run(lambda handle, out: self._lib.checkout_webhook_verify(
            handle, headers_json, raw, len(raw), out
        )))

    def close(self) -> None:
        """Releases the handle once the calls other threads are making with it have returned.
        Safe from any thread at any time, and to call twice; calls after it raise
        :class:`~storefront_checkout.ClientClosedError`."""
        with self._guard:
            self._closed = True
            handle = self._take_if_idle()
        self._free(handle)

    def _take_if_idle(self) -> Optional[int]:
        # Called with self._guard held: the last call out takes a closed client's handle, to
        # free it once the lock is released (see _free).
        if self._closed and self._in_flight == 0 and self._handle:
            handle, self._handle = self._handle, None
            return handle
        return None

    def _free(self, handle: Optional[int]) -> None:
        # Outside self._guard: checkout_client_free waits for log callbacks running on the
        # library's I/O threads, and a logging handler there may call this client (and so take
        # the lock).
        if handle:
            self._lib.checkout_client_free(handle)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_handle", None):
            self.close()

    def _run_start(self, start: Callable[[int], int]) -> int:
        """Runs ``start(handle)``, the start of an asynchronous call (it returns at once), with
        the handle kept from a concurrent :meth:`close`; once started, the library keeps what
        the call needs until it ends, a free included."""
        with self._guard:
            if self._closed or not self._handle:
                raise ClientClosedError()
            return start(self._handle)

    def _call(self, name: str, request: Mapping[str, Any]) -> Dict[str, Any]:
        request_json = _encode(request)
        function = getattr(self._lib, name)
        return self._run(lambda handle, out: function(handle, request_json, out))

    def _run(self, call: Callable[[int, Any], int]) -> Dict[str, Any]:
        """Runs ``call(handle, out)`` with the handle kept alive until it returns (a
        concurrent :meth:`close` defers the free), then reads the output: the result, or the
        ``CheckoutError`` it stands for."""
        with self._guard:
            if self._closed or not self._handle:
                raise ClientClosedError()
            handle = self._handle
            self._in_flight += 1
        try:
            out = ctypes.c_void_p()
            status = call(handle, ctypes.byref(out))
            text = _native.take_string(self._lib, out)
        finally:
            with self._guard:
                self._in_flight -= 1
                idle = self._take_if_idle()
            self._free(idle)
        try:
            body = json.loads(text) if text else {}
        except (ValueError, RecursionError) as problem:
            raise unreadable_output(problem) from None
        if status != 0:
            raise error_for(status, body)
        return body


def _encode(value: Mapping[str, Any]) -> bytes:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping, not {type(value).__name__}")
    return json.dumps(value).encode("utf-8")
