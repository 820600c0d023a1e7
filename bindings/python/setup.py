"""Builds the shared library and the sandbox from the Rust sources when the sdist carries them
(`rust/`, put there by scripts/package), so `pip install storefront_checkout-<v>.tar.gz`
builds from source with cargo; a checkout of the repository (no `rust/`) installs the Python
code alone, which then loads the library named by `STOREFRONT_CHECKOUT_LIB` (e.g. the checkout's
`target/debug/libstorefront_checkout.so`), never one found by searching directories."""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
RUST = HERE / "rust"
# The project's README, the package's long description: beside this file in the wheel's and
# the sdist's build trees (scripts/package puts it there), two levels up in a checkout.
README = next(p for p in (HERE / "README.md", HERE.parents[1] / "README.md") if p.is_file())


class BuildWithCargo(build_py):
    """Runs `cargo build --release` on the bundled sources and puts the library and the
    sandbox into the package before the Python files are collected."""

    def run(self):
        if RUST.is_dir():
            subprocess.check_call(
                ["cargo", "build", "--release", "--locked", "-p", "storefront-checkout", "-p", "checkout-sandbox"],
                cwd=RUST,
            )
            release = Path(os.environ.get("CARGO_TARGET_DIR", RUST / "target")) / "release"
            package = HERE / "src" / "storefront_checkout"
            shutil.copy2(release / "libstorefront_checkout.so", package / "libstorefront_checkout.so")
            (package / "bin").mkdir(exist_ok=True)
            shutil.copy2(release / "checkout-sandbox", package / "bin" / "checkout-sandbox")
        super().run()


class PlatformDistribution(Distribution):
    """A wheel built from the Rust sources holds a native library: tag it for the platform."""

    def has_ext_modules(self):
        return RUST.is_dir()


setup(
    cmdclass={"build_py": BuildWithCargo},
    distclass=PlatformDistribution,
    long_description=README.read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
)
