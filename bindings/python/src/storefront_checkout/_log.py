"""The library's log records into Python's :mod:`logging` (docs/contract.md, "Logging").

Every client registers one callback with ``checkout_client_set_log_callback``; the library
calls it with one JSON record per HTTP attempt, per ambiguous outcome settled by a read and per
failed operation. Records go to the logger ``storefront_checkout``: attempts at ``DEBUG``,
attempts that will be retried and settled outcomes at ``INFO``, failed attempts and failed
operations at ``WARNING``; every member of the record is an attribute of the
:class:`logging.LogRecord` (``record.operation``, ``record.status``, ``record.ms``, ...). No
record holds a secret, a token, a card number or a body.

Threads: a :class:`~storefront_checkout.Client` call's records are logged on the calling
thread; an :class:`~storefront_checkout.AsyncClient` call's on the library's I/O thread
running it (ctypes takes the GIL there), before the call's result reaches the event loop.
"""

from __future__ import annotations

import ctypes
import json
import logging
from typing import Any, Dict, Optional

#: The logger the records go to. Like any library's, it has only a ``NullHandler``: records
#: reach the application's handlers, and nothing is printed when logging is not configured.
logger = logging.getLogger("storefront_checkout")
logger.addHandler(logging.NullHandler())

#: ``void (*CheckoutLogCallback)(void *user_data, const char *record_json, size_t len)``; the
#: record arrives as a bare pointer, read only when its level is enabled.
_LOG_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)

#: A record's first bytes name its level (the library writes ``level`` first), so that a
#: record the logger would drop is never parsed.
_LEVELS = (
    (b'{"level":"debug"', logging.DEBUG),
    (b'{"level":"info"', logging.INFO),
    (b'{"level":"warning"', logging.WARNING),
)
_PREFIX = max(len(prefix) for prefix, _ in _LEVELS)


#: The attributes a :class:`logging.LogRecord` has of its own (``extra`` may not set them): a
#: record member of such a name (the contract lets records gain members) is left out of
#: ``extra`` rather than making ``logging`` refuse the whole record.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _message(record: Dict[str, Any]) -> str:
    """A one-line summary of a record, for handlers that print only the message."""
    event = record.get("event")
    operation = record.get("operation") or "-"
    if event == "http_attempt":
        outcome = record.get("status") or record.get("error")
        text = f"{operation}: {record.get('method')} {record.get('path')} -> {outcome} in {record.get('ms', 0):.1f} ms (attempt {record.get('attempt')})"
        if record.get("retry_in_ms") is not None:
            text += f", retrying in {record['retry_in_ms']} ms"
        return text
    if event == "outcome_settled":
        return f"{operation}: outcome {record.get('outcome')} confirmed by {record.get('confirmed_by')} for {record.get('checkout_id')}"
    if event == "operation_failed":
        return f"{operation}: failed with {record.get('error')} after {record.get('attempts')} HTTP attempt(s)"
    return f"{event}: {record}"


def _deliver(user_data: Optional[int], record_json: Optional[int], length: int) -> None:
    """Called by the library, on the calling thread or an I/O thread; never raises into it."""
    try:
        if not record_json or logger.disabled:
            return
        head = ctypes.string_at(record_json, min(length, _PREFIX))
        level = next((lvl for prefix, lvl in _LEVELS if head.startswith(prefix)), logging.WARNING)
        if not logger.isEnabledFor(level):
            return
        record = json.loads(ctypes.string_at(record_json, length))
        extra = {k: v for k, v in record.items() if k not in _RESERVED}
        logger.log(level, "%s", _message(record), extra=extra)
    except Exception:  # noqa: BLE001 -- an exception must not unwind into the library
        pass


#: The one callback object, kept for the life of the process: the library may call it until
#: the client's handle is freed, from any thread, so it must outlive every client and call.
_callback = _LOG_CALLBACK(_deliver)


def declare(lib: ctypes.CDLL) -> None:
    """The argument and result types of the log exports."""
    lib.checkout_client_set_log_callback.argtypes = [ctypes.c_void_p, _LOG_CALLBACK, ctypes.c_void_p, ctypes.c_uint32]
    lib.checkout_client_set_log_callback.restype = ctypes.c_int32


def register(lib: ctypes.CDLL, handle: int) -> None:
    """Sends the records of the client ``handle`` to :data:`logger`; ``checkout_client_free``
    unregisters it (no record is delivered after it returns)."""
    lib.checkout_client_set_log_callback(handle, _callback, None, 0)
