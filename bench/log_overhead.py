"""What the Python binding's logging costs per call: `log_overhead.py [CALLS] [ROUNDS]` runs CALLS
sandbox `create` calls per mode, ROUNDS times interleaved, against the sandbox on loopback, and
prints each mode's median wall-clock and CPU microseconds per call:
- `no callback`: the client's log callback cleared (what a call cost before logging existed);
- `logger off`: the callback registered, the `storefront_checkout` logger at its default level
  (WARNING: each DEBUG record is dropped from its first bytes, never parsed);
- `logger on`: the logger at DEBUG with a handler that formats each record and discards it.
Then, as the end-to-end figures move by more than the callback costs on a shared machine, the
callback alone: called through its C pointer (one extra Python-to-C crossing: an upper bound)
with a real `http_attempt` record, 100 000 times, logger off and on.
The library is `STOREFRONT_CHECKOUT_LIB` (default: this checkout's target/debug build), the
sandbox `CHECKOUT_SANDBOX_BIN` (default: target/debug/checkout-sandbox)."""

import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("STOREFRONT_CHECKOUT_LIB", str(ROOT / "target/debug/libstorefront_checkout.so"))

from storefront_checkout import Client  # noqa: E402  (after the library's path is set)
from storefront_checkout import _log  # noqa: E402

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5


class Discard(logging.Handler):
    """Formats each record (the work a real handler does first) and drops it."""

    def emit(self, record):
        self.format(record)


def per_call_us(client, calls):
    """Wall-clock and this process's CPU microseconds per call (CPU time is less disturbed by
    other processes on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        client.create({"amount": 1799, "description": "One Chocolate Donut"})
    return (time.perf_counter() - wall) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


def main():
    sandbox_bin = os.environ.get("CHECKOUT_SANDBOX_BIN", str(ROOT / "target/debug/checkout-sandbox"))
    sandbox = subprocess.Popen([sandbox_bin, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        base = sandbox.stdout.readline().strip().rsplit(" ", 1)[1]
        config = {"provider": "justifi", "base_url": base, "client_id": "test_sandbox_client_id",
                  "client_secret": "test_sandbox_client_secret", "sub_account": "acc_5Et9iXrSSAZR2KSouQGAWi"}
        handler = Discard()
        figures = {"no callback": [], "logger off": [], "logger on": []}
        with Client(config) as client:
            per_call_us(client, 100)  # warm-up: the token, the connection
            for _ in range(ROUNDS):
                client._lib.checkout_client_set_log_callback(client._handle, _log._LOG_CALLBACK(), None, 0)
                figures["no callback"].append(per_call_us(client, CALLS))
                _log.register(client._lib, client._handle)
                figures["logger off"].append(per_call_us(client, CALLS))
                _log.logger.setLevel(logging.DEBUG)
                _log.logger.addHandler(handler)
                figures["logger on"].append(per_call_us(client, CALLS))
                _log.logger.removeHandler(handler)
                _log.logger.setLevel(logging.NOTSET)
        for mode, values in figures.items():
            wall = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            print(f"{mode:12} {wall:8.1f} µs wall, {cpu:7.1f} µs CPU per call (medians of {ROUNDS} x {CALLS})")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


RECORD = (b'{"level":"debug","event":"http_attempt","operation":"checkout_create","method":"POST",'
          b'"path":"/v1/checkouts","status":201,"error":null,"ms":1.234,"attempt":1,"request_id":"req_x",'
          b'"idempotency_key":null}')


def callback_alone(times=100_000):
    """Microseconds per record of the registered callback, logger off and on."""
    import ctypes

    call = ctypes.cast(_log._callback, ctypes.c_void_p).value
    deliver = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t)(call)
    handler = Discard()
    for mode in ("off", "on"):
        if mode == "on":
            _log.logger.setLevel(logging.DEBUG)
            _log.logger.addHandler(handler)
        began = time.perf_counter()
        for _ in range(times):
            deliver(None, RECORD, len(RECORD))
        print(f"callback, logger {mode}: {(time.perf_counter() - began) / times * 1e6:.2f} µs per record")
    _log.logger.removeHandler(handler)
    _log.logger.setLevel(logging.NOTSET)


if __name__ == "__main__":
    main()
    callback_alone()
