"""``storefront-checkout-sandbox``: the local emulator of JustiFi, ReCharge and Payfect that
the wheel ships (``checkout-sandbox``), so a storefront runs offline with no Rust toolchain::

    storefront-checkout-sandbox --port 8088
"""

import os
import sys
from pathlib import Path


def main() -> None:
    """Replaces this process with the bundled ``checkout-sandbox``, passing the arguments on."""
    binary = Path(__file__).resolve().parent / "bin" / "checkout-sandbox"
    if not binary.is_file():
        raise SystemExit(f"checkout-sandbox not found at {binary}: install the storefront-checkout wheel built by scripts/package")
    os.execv(str(binary), [str(binary), *sys.argv[1:]])
