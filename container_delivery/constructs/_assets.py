"""Where the files that constructs deploy as assets are, in a source checkout and when installed.

The Lambda sources live in ``lambda/<name>/`` at the top of the repository (one copy). The wheel
and the sdist carry the same folder as package data of ``container_delivery._lambda``
(``[tool.setuptools.package-dir]`` in pyproject.toml), so an installed package finds them under
``container_delivery/_lambda/<name>/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

_PACKAGE: Final = Path(__file__).resolve().parents[1]

#: ``lambda/`` of a source checkout (the repository root is the package's parent).
SOURCE_LAMBDA_DIR: Final = _PACKAGE.parent / "lambda"
#: The same folder inside an installed wheel.
INSTALLED_LAMBDA_DIR: Final = _PACKAGE / "_lambda"


def lambda_source_dir(name: str) -> Path | None:
    """The folder of Lambda ``name`` (with its ``index.py``), or None when neither copy exists."""
    for base in (SOURCE_LAMBDA_DIR, INSTALLED_LAMBDA_DIR):
        if (base / name / "index.py").is_file():
            return base / name
    return None
