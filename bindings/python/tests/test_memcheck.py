"""valgrind memcheck over a ctypes loop through the binding: no error with a frame in the
library, and no definite leak. CPython reports uninitialised reads of its own under
memcheck (longobject.c), which are not ours and are left out by the frame filter."""

import os
import re
import subprocess
import sys

LOOP = """
import storefront_checkout as sc
c = sc.Client({"provider": "justifi", "base_url": BASE, "client_id": "test_sandbox_client_id",
               "client_secret": "test_sandbox_client_secret", "sub_account": "acc_5Et9iXrSSAZR2KSouQGAWi"})
cid = c.create({"amount": 1799, "description": "x"})["id"]
for _ in range(200):
    c.get(cid)
    try:
        c.get("cho_missing")
    except sc.NotFoundError:
        pass
c.close()
print("loop done")
"""


def test_a_ctypes_loop_is_clean_under_memcheck(sandbox_url):
    out = subprocess.run(
        ["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite", sys.executable, "-c",
         f"BASE = {sandbox_url!r}\n" + LOOP],
        capture_output=True, text=True, timeout=300, env={"PYTHONMALLOC": "malloc", "PATH": "/usr/bin:/bin",
             "STOREFRONT_CHECKOUT_LIB": os.environ["STOREFRONT_CHECKOUT_LIB"]},
    )
    assert out.returncode == 0 and "loop done" in out.stdout, out.stderr[-3000:]
    records = re.split(r"\n==\d+== \n", out.stderr)
    frame_in_library = re.compile(r"^==\d+==\s+(at|by) 0x.*(libstorefront_checkout|storefront_checkout::)", re.M)
    ours = [r for r in records if frame_in_library.search(r)]
    assert not ours, "memcheck errors in the library:\n" + "\n\n".join(ours)
    assert re.search(r"definitely lost: 0 bytes in 0 blocks", out.stderr), out.stderr[-2000:]
    print("\n" + "\n".join(line for line in out.stderr.splitlines() if "lost:" in line or "ERROR SUMMARY" in line))
