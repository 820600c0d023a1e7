"""Errors raised by :class:`storefront_checkout.Client`, one class per status code of the
C ABI (docs/contract.md section 4). Every error carries the fields of the library's error object."""

from __future__ import annotations

import builtins
import re
from typing import Any, Dict, Mapping, Optional, Type


class CheckoutError(Exception):
    """A failed call. ``status`` is the C status code, ``code`` its snake_case name, and
    ``message`` names the offending field where there is one. ``http_status``,
    ``provider_code`` and ``request_id`` describe the provider's answer when there was one;
    ``retryable`` says whether the same call (with the same ``idempotency_key``) may succeed."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        #: The C status code (docs/contract.md section 4), one per subclass.
        self.status: int = int(error.get("status", 99))
        #: The status's snake_case name, e.g. ``"invalid_request"``.
        self.code: str = str(error.get("code", "internal"))
        #: What went wrong and what to do, naming the offending field where there is one.
        self.message: str = str(error.get("message", ""))
        #: The provider (``justifi``, ``recharge``, ``payfect``), when known.
        self.provider: Optional[str] = error.get("provider")
        #: The HTTP status of the provider's answer, when there was one.
        self.http_status: Optional[int] = error.get("http_status")
        #: The provider's own error code, when it gave one.
        self.provider_code: Optional[str] = error.get("provider_code")
        #: Whether the same call (with the same ``idempotency_key``) may succeed.
        self.retryable: bool = bool(error.get("retryable", False))
        #: The request id of the provider's answer, when it gave one.
        self.request_id: Optional[str] = error.get("request_id")
        #: The key the call was sent under: call again with it (the call may have gone through).
        self.idempotency_key: Optional[str] = error.get("idempotency_key")
        super().__init__(f"{self.code}: {self.message}")


class NullArgumentError(CheckoutError):
    """Status 1: a required pointer was NULL (a bug in this binding if it happens)."""


class ClientClosedError(NullArgumentError, ValueError):
    """A call on a client after :meth:`~storefront_checkout.Client.close` (status 1: its handle
    is gone). Also a ``ValueError``, as for a closed file."""

    def __init__(self) -> None:
        super().__init__({"status": 1, "code": "null_argument", "message": "client: the client is closed"})


class InvalidUtf8Error(CheckoutError):
    """Status 2: a string was not UTF-8."""


class InvalidJsonError(CheckoutError):
    """Status 3: a request was not a JSON object."""


class InvalidRequestError(CheckoutError):
    """Status 4: a field is missing, unknown, of the wrong type or out of range."""


class ConfigError(CheckoutError):
    """Status 5: the client configuration is invalid."""


class UnsupportedError(CheckoutError):
    """Status 6: the provider has no such operation."""


class AuthenticationError(CheckoutError):
    """Status 7: the provider refused the credentials."""


class NotFoundError(CheckoutError):
    """Status 8: the provider has no such object."""


class ConflictError(CheckoutError):
    """Status 9: already processed, an idempotency conflict, or a concurrent call."""


class RateLimitedError(CheckoutError):
    """Status 10: the provider kept answering 429."""


class ProviderError(CheckoutError):
    """Status 11: any other refusal, or a 5xx, from the provider."""


class NetworkError(CheckoutError, builtins.ConnectionError):
    """Status 12: connect, DNS, TLS, reset or malformed HTTP. Also a ``ConnectionError``."""


class TimeoutError(CheckoutError, builtins.TimeoutError):
    """Status 13: a deadline passed. Also the built-in ``TimeoutError``."""


class SignatureError(CheckoutError):
    """Status 14: a webhook signature is missing, wrong or outside the tolerance."""


class InternalError(CheckoutError):
    """Status 99: a bug in the library (a caught panic)."""


_BY_STATUS: Dict[int, Type[CheckoutError]] = {
    1: NullArgumentError,
    2: InvalidUtf8Error,
    3: InvalidJsonError,
    4: InvalidRequestError,
    5: ConfigError,
    6: UnsupportedError,
    7: AuthenticationError,
    8: NotFoundError,
    9: ConflictError,
    10: RateLimitedError,
    11: ProviderError,
    12: NetworkError,
    13: TimeoutError,
    14: SignatureError,
    99: InternalError,
}


def unreadable_output(problem: BaseException) -> CheckoutError:
    """The error for library output that is not the JSON it promises (a library bug)."""
    return InternalError({"status": 99, "code": "internal",
                          "message": f"the library's output could not be read ({type(problem).__name__})"})


def error_for(status: int, body: Mapping[str, Any]) -> CheckoutError:
    """The exception for a non-zero ``status`` and the library's ``{"error": {...}}``."""
    error = dict(body.get("error") or {})
    error.setdefault("status", status)
    cls = _BY_STATUS.get(status, CheckoutError)
    if cls is not CheckoutError:
        # The contract's code is the class's stem in snake case (tests/status_codes.rs holds
        # the classes to the table): an object the binding completes, such as an asynchronous
        # call that could not start, carries it as the library's do.
        error.setdefault("code", re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__[: -len("Error")]).lower())
    return cls(error)
