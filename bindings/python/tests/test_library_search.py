"""Where the binding loads the library from: its package directory and STOREFRONT_CHECKOUT_LIB,
never a target/ directory above the package or the working directory (issue 18, item 4)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import storefront_checkout

# A shared object whose constructor runs when it is loaded, leaving a marker file behind: what a
# planted library would do, harmlessly.
PLANTED_C = r"""
#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen(getenv("PLANTED_MARKER"), "w");
    if (f) { fputs("loaded", f); fclose(f); }
}
"""


@pytest.fixture(scope="module")
def planted_library(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the planted library (scripts/test installs it)")
    build = tmp_path_factory.mktemp("planted-build")
    (build / "planted.c").write_text(PLANTED_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(build / "planted.so"), str(build / "planted.c")], check=True)
    return build / "planted.so"


def package_copy(site):
    """This binding's Python files in `site` (no bundled library: a source install from a
    checkout, or a wheel for another platform)."""
    source = Path(storefront_checkout.__file__).resolve().parent
    shutil.copytree(source, site / "storefront_checkout",
                    ignore=shutil.ignore_patterns("*.so", "*.dylib", "*.dll", "bin", "__pycache__"))


@pytest.mark.parametrize("planted_above", ["working directory", "package"])
def test_a_library_planted_in_a_parent_directory_is_not_loaded(tmp_path, planted_library, planted_above):
    site = tmp_path / "pkg" / "site"
    cwd = tmp_path / "shop" / "www" / "public"
    for folder in (site, cwd):
        folder.mkdir(parents=True)
    package_copy(site)
    above = tmp_path / "shop" if planted_above == "working directory" else tmp_path / "pkg"
    (above / "target" / "debug").mkdir(parents=True)
    shutil.copy(planted_library, above / "target" / "debug" / "libstorefront_checkout.so")
    marker = tmp_path / "marker"
    env = {k: v for k, v in os.environ.items() if k != "STOREFRONT_CHECKOUT_LIB"}
    env.update(PYTHONPATH=str(site), PLANTED_MARKER=str(marker))
    run = subprocess.run([sys.executable, "-c", "import storefront_checkout; storefront_checkout.version()"],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert not marker.exists(), f"the library planted above the {planted_above} was loaded"
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("OSError: libstorefront_checkout.so not found; tried: "), run.stderr
    assert "STOREFRONT_CHECKOUT_LIB" in last and "/target/" not in last.split("tried: ")[1].split(". ")[0]


def test_the_configured_path_is_loaded(tmp_path, planted_library):
    """STOREFRONT_CHECKOUT_LIB is honoured (here with the planted library, whose constructor
    runs: the variable is trusted, as the one place the operator chose), relative to the
    working directory when relative."""
    (tmp_path / "lib").mkdir()
    shutil.copy(planted_library, tmp_path / "lib" / "custom.so")
    marker = tmp_path / "marker"
    env = {**os.environ, "STOREFRONT_CHECKOUT_LIB": "lib/custom.so", "PLANTED_MARKER": str(marker)}
    subprocess.run([sys.executable, "-c", "import storefront_checkout; storefront_checkout.version()"],
                   cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert marker.read_text() == "loaded"
