"""Loading ``libstorefront_checkout`` and declaring its C functions for ctypes."""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Iterator, Optional

from . import _log

_NAMES = {"darwin": "libstorefront_checkout.dylib", "win32": "storefront_checkout.dll"}
LIBRARY_NAME = _NAMES.get(sys.platform, "libstorefront_checkout.so")


def _candidates() -> Iterator[Path]:
    # Only two places, both chosen by whoever installed or runs the program: never a
    # directory found by walking up from the package or the working directory, where anyone
    # who can write to a parent directory could plant a library whose constructor would run
    # on import (SECURITY.md, "Where the library is loaded from").
    env = os.environ.get("STOREFRONT_CHECKOUT_LIB")
    if env:
        # Made absolute so that dlopen never searches its own path list for a bare name.
        yield Path(env).absolute()
        return
    yield Path(__file__).resolve().parent / LIBRARY_NAME


def locate() -> Path:
    """The shared library: the file ``STOREFRONT_CHECKOUT_LIB`` names (a relative path is
    taken from the working directory), else the one in this package's directory (where the
    wheel and a source build put it). Nowhere else: a checkout of the repository sets
    ``STOREFRONT_CHECKOUT_LIB=$PWD/target/debug/libstorefront_checkout.so``. Not found, an
    ``OSError`` lists the paths tried and names ``STOREFRONT_CHECKOUT_LIB``."""
    tried = []
    for path in _candidates():
        if path.is_file():
            return path
        tried.append(str(path))
    raise OSError(
        f"{LIBRARY_NAME} not found; tried: " + ", ".join(tried)
        + ". Install the storefront-checkout wheel, or build the library with `cargo build` and set"
        + " STOREFRONT_CHECKOUT_LIB to its path (e.g. target/debug/" + LIBRARY_NAME + ")"
    )


_OP = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
OPERATIONS = (
    "checkout_create",
    "checkout_get",
    "checkout_complete",
    "session_redirect_url",
    "checkout_web_component_token",
    "checkout_refund",
    "checkout_refunds",
    "checkout_void",
)


def load(path: Optional[Path] = None) -> ctypes.CDLL:
    """Loads the library and declares ``argtypes``/``restype`` for every export. Owned
    strings come back as ``c_void_p`` so that they can be freed with
    ``checkout_string_free``."""
    lib = ctypes.CDLL(str(path or locate()))
    lib.checkout_version.argtypes = []
    lib.checkout_version.restype = ctypes.c_char_p
    lib.checkout_client_new.argtypes = [
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.checkout_client_new.restype = ctypes.c_int32
    lib.checkout_client_free.argtypes = [ctypes.c_void_p]
    lib.checkout_client_free.restype = None
    lib.checkout_string_free.argtypes = [ctypes.c_void_p]
    lib.checkout_string_free.restype = None
    for name in OPERATIONS:
        fn = getattr(lib, name)
        fn.argtypes = _OP
        fn.restype = ctypes.c_int32
    lib.checkout_webhook_verify.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.checkout_webhook_verify.restype = ctypes.c_int32
    _log.declare(lib)
    return lib


def take_string(lib: ctypes.CDLL, ptr: ctypes.c_void_p) -> Optional[str]:
    """The text of an owned ``char *``, which is then freed."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        lib.checkout_string_free(ptr)
