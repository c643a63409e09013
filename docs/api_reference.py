"""Build the API reference (``make docs``) with pdoc; any pdoc warning fails the build.

    python docs/api_reference.py OUTPUT_DIR MODULE...

pdoc shows the docstring of a re-exported class or function, but not the docstring of a
re-exported constant: a plain value does not know the module that defines it (pdoc issue #365,
closed as "wontfix", which suggests this workaround). The public packages re-export constants such
as ``STAGING_URL_VARIABLE`` from their submodules, so each constant listed in an ``__all__``
without a docstring of its own gets the docstring written under its assignment in the submodule
that defines it (``constant_docstring``, also used by tests/test_api_docs.py).

Docstrings are reStructuredText (``:param name:`` fields). pdoc reports problems, such as a name in
``__all__`` that does not resolve or an annotation it cannot evaluate, as warnings and renders
anyway: here they are printed and the build fails, leaving no half-built reference behind.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Final

import pdoc
import pdoc.doc
import pdoc.doc_ast
import pdoc.render

DOCFORMAT: Final = "restructuredtext"


def constant_docstring(package: ModuleType, name: str) -> str:
    """The docstring under the assignment of ``package.<name>`` in the module that defines it.

    Searched in ``package`` and its (imported) submodules; empty when none documents it.
    """
    if not hasattr(package, name):
        return ""  # pdoc warns about the name itself
    value = getattr(package, name)
    prefix = f"{package.__name__}."
    candidates = [package] + [
        module
        for module_name, module in sorted(sys.modules.items())
        if module_name.startswith(prefix) and module is not None
    ]
    for module in candidates:
        if getattr(module, name, None) is not value:
            continue
        docstring = pdoc.doc_ast.walk_tree(module).var_docstrings.get(name, "")
        if docstring:
            return docstring
    return ""


def _document_reexported_constants(module: pdoc.doc.Module) -> None:
    for name in getattr(module.obj, "__all__", ()):
        member = module.members.get(name)
        if isinstance(member, pdoc.doc.Variable) and not member.docstring:
            member.docstring = constant_docstring(module.obj, name)


def build(output: Path, module_names: list[str]) -> list[str]:
    """Write the reference of ``module_names`` to ``output``; return pdoc's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        pdoc.render.configure(docformat=DOCFORMAT)
        for name in module_names:
            importlib.import_module(name)
            # pdoc.pdoc() takes its Module objects from this cache: complete them first.
            _document_reexported_constants(pdoc.doc.Module.from_name(name))
        pdoc.pdoc(*module_names, output_directory=output)
    return [
        f"{warning.category.__name__}: {warning.message} ({warning.filename}:{warning.lineno})"
        for warning in caught
    ]


def main(argv: list[str]) -> int:
    """Build the reference; 1 on any pdoc warning or a usage error, else 0."""
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    output, module_names = Path(argv[0]), argv[1:]
    shutil.rmtree(output, ignore_errors=True)
    problems = build(output, module_names)
    if problems:
        shutil.rmtree(output, ignore_errors=True)
        print("\n".join(problems), file=sys.stderr)
        print(
            f"api_reference: pdoc warned {len(problems)} time(s) (above); fix the docstrings or "
            "signatures it names",
            file=sys.stderr,
        )
        return 1
    print(f"API reference: {output / 'index.html'}")
    return 0


if __name__ == "__main__":
    # Importing aws_cdk starts the jsii runtime (node): allow it if pdoc imports a module itself.
    os.environ.setdefault("PDOC_ALLOW_EXEC", "1")
    sys.exit(main(sys.argv[1:]))
