"""Sphinx configuration of the Python API reference (scripts/api-reference builds it with the
Markdown builder into docs/api/python/README.md). It documents the package's source, never an
installed copy, and needs no shared library: importing storefront_checkout loads none."""

import importlib
import inspect
import os
import pkgutil
import sys

from sphinx_markdown_builder import translator

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bindings", "python", "src"))

import storefront_checkout  # noqa: E402  (from the path just set)


def _classes_left_out():
    """The public classes of the package's public modules that ``storefront_checkout.__all__``
    does not export: README.rst documents the package's ``__all__``, so these would be
    missing from the reference."""
    for info in pkgutil.iter_modules(storefront_checkout.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"storefront_checkout.{info.name}")
        for name, value in vars(module).items():
            if (inspect.isclass(value) and value.__module__ == module.__name__
                    and not name.startswith("_") and name not in storefront_checkout.__all__):
                yield f"{module.__name__}.{name}"


_left_out = sorted(_classes_left_out())
if _left_out:
    raise RuntimeError("not in storefront_checkout.__all__, so not in the API reference: "
                       + ", ".join(_left_out) + " (export them, or name them with a leading _)")

project = "storefront-checkout"
root_doc = "README"
extensions = ["sphinx.ext.autodoc", "sphinx_markdown_builder"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# undoc-members: a TypedDict's fields are annotations, which autodoc counts as undocumented.
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
# sphinx-markdown-builder 0.6.11 drops the text of a node it does not know, and the `*` that
# marks keyword-only parameters in a signature is one (an abbreviation): keep its text.
translator.PREDEFINED_ELEMENTS["abbreviation"] = None
