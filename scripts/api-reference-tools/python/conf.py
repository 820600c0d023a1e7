"""Sphinx configuration of the Python API reference (scripts/api-reference builds it with the
Markdown builder into docs/api/python/README.md). It documents the package's source, never an
installed copy, and needs no shared library: importing storefront_checkout loads none."""

import os
import sys

from sphinx_markdown_builder import translator

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bindings", "python", "src"))

project = "storefront-checkout"
root_doc = "README"
extensions = ["sphinx.ext.autodoc", "sphinx_markdown_builder"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}
# sphinx-markdown-builder 0.6.11 drops the text of a node it does not know, and the `*` that
# marks keyword-only parameters in a signature is one (an abbreviation): keep its text.
translator.PREDEFINED_ELEMENTS["abbreviation"] = None
