"""Measures what 300 clients with distinct transport settings leave behind (issue 18, item 6).

Each client (`timeout_ms` 10001..10300, so 300 distinct pools) creates one checkout against
a sandbox in another process and is freed. Printed: the library's open TCP sockets (this
process has no other) and its RSS, before, right after the run, 17 s later with no call, and
after one more call on a client of other settings.

    python3 bench/pools.py [path/to/libstorefront_checkout.so]   (default: target/debug)
"""

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIB = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target/debug/libstorefront_checkout.so"
SANDBOX = LIB.parent / "checkout-sandbox"
CLIENTS = 300

lib = ctypes.CDLL(str(LIB))
lib.checkout_client_new.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
lib.checkout_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
lib.checkout_client_free.argtypes = [ctypes.c_void_p]
lib.checkout_string_free.argtypes = [ctypes.c_void_p]


def sockets():
    """This process's open sockets (every one is the library's: the sandbox is another process)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except FileNotFoundError:  # the listing's own descriptor, closed since
            pass
    return count


def rss_mib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def one_checkout(base, timeout_ms):
    config = {"provider": "justifi", "base_url": base, "client_id": "test_sandbox_client_id",
              "client_secret": "test_sandbox_client_secret", "sub_account": "acc_5Et9iXrSSAZR2KSouQGAWi",
              "timeout_ms": timeout_ms}
    client, out = ctypes.c_void_p(), ctypes.c_void_p()
    assert lib.checkout_client_new(json.dumps(config).encode(), ctypes.byref(client), ctypes.byref(out)) == 0
    status = lib.checkout_create(client, json.dumps({"amount": 1799, "description": "x"}).encode(), ctypes.byref(out))
    lib.checkout_string_free(out)
    lib.checkout_client_free(client)
    assert status == 0, status


def report(what):
    print(f"{what:<44} sockets {sockets():>4}   RSS {rss_mib():7.1f} MiB", flush=True)


sandbox = subprocess.Popen([str(SANDBOX), "--port", "0"], stdout=subprocess.PIPE, text=True)
try:
    base = sandbox.stdout.readline().strip().rsplit(" ", 1)[1]
    report("before")
    for i in range(CLIENTS):
        one_checkout(base, 10_001 + i)
    report(f"after {CLIENTS} clients, each freed")
    time.sleep(17)
    report("17 s later, no call")
    one_checkout(base, 30_000)
    report("after one call with other settings")
finally:
    sandbox.kill()
