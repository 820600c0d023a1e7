"""storefront-checkout for Python: payment checkouts with JustiFi, ReCharge and Payfect
through the storefront-checkout shared library (ctypes)::

    from storefront_checkout import Client

    with Client({"provider": "justifi", "client_id": ..., "client_secret": ..., "sub_account": ...}) as client:
        checkout = client.create({"amount": 1799, "description": "One Chocolate Donut"})
        page = client.redirect_url({"checkout_id": checkout["id"]})

    async with AsyncClient(config) as client:      # asyncio: the same calls as coroutines
        checkout = await client.create({"amount": 1799, "description": "One Chocolate Donut"})
"""

from . import types as _types
from .aio import AsyncClient
from .client import Client, version
from .errors import (
    AuthenticationError,
    CheckoutError,
    ClientClosedError,
    ConfigError,
    ConflictError,
    InternalError,
    InvalidJsonError,
    InvalidRequestError,
    InvalidUtf8Error,
    NetworkError,
    NotFoundError,
    NullArgumentError,
    ProviderError,
    RateLimitedError,
    SignatureError,
    TimeoutError,
    UnsupportedError,
)
# The contract's requests and results (TypedDicts) and status values (Literal aliases), typed
# from docs/contract.schema.json: `from storefront_checkout import Checkout, WebhookEvent`.
from .types import *  # noqa: F401,F403

__all__ = [
    "AsyncClient",
    "AuthenticationError",
    "CheckoutError",
    "Client",
    "ClientClosedError",
    "ConfigError",
    "ConflictError",
    "InternalError",
    "InvalidJsonError",
    "InvalidRequestError",
    "InvalidUtf8Error",
    "NetworkError",
    "NotFoundError",
    "NullArgumentError",
    "ProviderError",
    "RateLimitedError",
    "SignatureError",
    "TimeoutError",
    "UnsupportedError",
    "version",
]
__all__ += _types.__all__
