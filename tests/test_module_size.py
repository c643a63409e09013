"""Modules a newcomer can hold in mind: size limits on the library and the Lambda sources.

A module over ``MAX_MODULE_LINES`` or a function whose code (its docstring not counted: parameter
documentation is not logic) is over ``MAX_FUNCTION_LINES`` is a sign that it does more than one
thing: split it by responsibility, as docs/CONTRIBUTING.md describes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
CHECKED = ("container_delivery", "lambda")


def _modules() -> list[Path]:
    return sorted(path for top in CHECKED for path in (ROOT / top).rglob("*.py"))


def _code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    assert function.end_lineno is not None
    lines = function.end_lineno - function.lineno + 1
    first = function.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        assert first.end_lineno is not None
        lines -= first.end_lineno - first.lineno + 1
    return lines


def test_the_checked_trees_hold_modules() -> None:
    assert len(_modules()) > 20


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path: Path) -> None:
    source = path.read_text()
    problems = []
    if (count := len(source.splitlines())) > MAX_MODULE_LINES:
        problems.append(f"{count} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and (lines := _code_lines(node)) > MAX_FUNCTION_LINES
        ):
            problems.append(
                f"{node.name} (line {node.lineno}): {lines} lines of code "
                f"(at most {MAX_FUNCTION_LINES})"
            )
    assert problems == [], f"{path.relative_to(ROOT)}: " + "; ".join(problems)
