"""Imports point one way: stacks -> constructs -> compliance; rules, the scan gate and the Lambdas
stand alone.

Every import of every module under ``container_delivery/`` and ``lambda/`` is read from its AST,
including imports inside functions and under ``TYPE_CHECKING`` (a local import is still a
dependency), with relative imports resolved. App-level modules (``plan.py``, ``audit.py``, like
the repository's ``app.py``) build the whole app and may import anything.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "container_delivery"
LAMBDA = "lambda"

#: The layers of this repository's code, and the layers each one may import (itself included).
ALLOWED: dict[str, frozenset[str]] = {
    "stacks": frozenset({"stacks", "constructs", "compliance", "config", "rules"}),
    "constructs": frozenset({"constructs", "compliance", "rules"}),
    "compliance": frozenset({"compliance"}),
    "config": frozenset({"config", "rules"}),
    "rules": frozenset({"rules"}),
    "scan_gate": frozenset({"scan_gate"}),
    "lambda": frozenset(),
}
#: Modules at app level: they build and synthesize the whole app.
APP_LEVEL = frozenset({f"{PACKAGE}.plan", f"{PACKAGE}.audit"})
#: The CDK and what comes with it (``constructs`` here is the library, not ours).
CDK = frozenset({"aws_cdk", "constructs", "cdk_nag", "jsii"})
#: Layers that never load the CDK: the config is read without it, the scan gate runs inside
#: CodeBuild and the Lambdas in the Lambda runtime, where it is not installed.
CDK_FREE = frozenset({"rules", "config", "scan_gate", "lambda"})
#: Beyond the standard library, what the scan gate (shipped as a folder to CodeBuild) and the
#: Lambdas (boto3 only; the type stubs are a development dependency) may import.
THIRD_PARTY: dict[str, tuple[str, ...]] = {
    "scan_gate": ("yaml",),
    "lambda": ("boto3", "botocore", "mypy_boto3_"),
}


def module_name(relpath: PurePosixPath) -> str:
    """``container_delivery/compliance/report/model.py`` -> ``container_delivery.compliance.report.model``."""
    parts = list(relpath.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import, relative ones resolved; ``from container_delivery
    import rules`` yields ``container_delivery.rules`` (a layer is named by the first subpackage)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target == PACKAGE:
                yield from (
                    (node.lineno, f"{target}.{alias.name}")
                    for alias in node.names
                    if not alias.name.startswith("__")  # __version__ and the like: not layers
                )
            else:
                yield node.lineno, target


def layer_of(module: str) -> str | None:
    """The layer of one of our modules; "" for the package root; None for a module of no layer."""
    parts = module.split(".")
    if parts[0] == LAMBDA:
        return "lambda"
    if module == PACKAGE:
        return ""
    if module in APP_LEVEL or any(module.startswith(f"{m}.") for m in APP_LEVEL):
        return "app"
    return parts[1] if parts[1] in ALLOWED else None


def problems_in(
    relpath: PurePosixPath, source: str, siblings: frozenset[str] = frozenset()
) -> list[str]:
    """What is wrong with the imports of one file. ``siblings``: the module names beside a
    Lambda's handler, which it imports by plain name (its folder is on ``sys.path`` there)."""
    module = module_name(relpath)
    layer = layer_of(module)
    if layer is None:
        return [f"{relpath}: {module} belongs to no layer; add it to tests/test_layering.py"]
    if layer == "app":
        return []
    name = layer or PACKAGE
    allowed = ALLOWED.get(layer, frozenset())
    problems: list[str] = []
    for line, target in imports(source, module, relpath.name == "__init__.py"):
        top = target.split(".")[0]
        where = f"{relpath}:{line} imports {target}"
        if top == LAMBDA:  # a relative import inside a Lambda's folder
            if target.split(".")[:2] != module.split(".")[:2]:
                problems.append(f"{where}: a Lambda imports only its own modules")
        elif top == PACKAGE:
            if target != PACKAGE and layer_of(target) not in allowed:
                problems.append(
                    f"{where}: {name} may import {', '.join(sorted(allowed)) or 'none of ours'}"
                )
        elif top in CDK:
            if layer in CDK_FREE or layer == "":
                problems.append(f"{where}: {name} never imports the CDK")
        elif (
            layer in THIRD_PARTY
            and top not in sys.stdlib_module_names | siblings
            and not top.startswith(THIRD_PARTY[layer])
        ):
            problems.append(
                f"{where}: {layer} imports the standard library and "
                f"{', '.join(THIRD_PARTY[layer])} only"
            )
    return problems


def _siblings(path: Path) -> frozenset[str]:
    if path.relative_to(ROOT).parts[0] != LAMBDA:
        return frozenset()
    return frozenset(p.stem for p in path.parent.iterdir() if p.suffix == ".py" or p.is_dir())


def _sources() -> list[Path]:
    return sorted([*(ROOT / PACKAGE).rglob("*.py"), *(ROOT / LAMBDA).rglob("*.py")])


def test_every_import_points_the_allowed_way() -> None:
    sources = _sources()
    assert len(sources) > 50  # the walk found the code
    problems = [
        problem
        for path in sources
        for problem in problems_in(
            PurePosixPath(path.relative_to(ROOT).as_posix()), path.read_text(), _siblings(path)
        )
    ]
    assert not problems, "\n".join(problems)


def test_the_audit_command_is_at_app_level_and_the_report_library_builds_no_app() -> None:
    report = ROOT / PACKAGE / "compliance" / "report"
    targets = {
        target
        for path in report.rglob("*.py")
        for _, target in imports(
            path.read_text(),
            module_name(PurePosixPath(path.relative_to(ROOT).as_posix())),
            path.name == "__init__.py",
        )
    }
    assert {t for t in targets if t.startswith((f"{PACKAGE}.stacks", f"{PACKAGE}.config"))} == set()
    audit = (ROOT / PACKAGE / "audit.py").read_text()
    assert {t for _, t in imports(audit, f"{PACKAGE}.audit", False)} >= {
        f"{PACKAGE}.stacks.app",
        f"{PACKAGE}.config",
        f"{PACKAGE}.compliance.report",
    }


def _check(path: str, source: str, siblings: frozenset[str] = frozenset()) -> list[str]:
    return problems_in(PurePosixPath(path), source, siblings)


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        # an import inside a function counts: the entry point that once lived in compliance/
        (
            "container_delivery/compliance/report/__main__.py",
            "def f():\n    from container_delivery.stacks.app import build_app\n",
            "compliance/report/__main__.py:2 imports container_delivery.stacks.app: "
            "compliance may import compliance",
        ),
        # relative imports are resolved from the module's package
        (
            "container_delivery/compliance/report/model.py",
            "from ...config import load_config\n",
            "model.py:1 imports container_delivery.config: compliance may import compliance",
        ),
        (
            "container_delivery/compliance/packs.py",
            "from container_delivery import constructs\n",
            "packs.py:1 imports container_delivery.constructs: compliance may import compliance",
        ),
        (
            "container_delivery/constructs/service/construct.py",
            "from ...stacks import service\n",
            "imports container_delivery.stacks: constructs may import compliance, constructs, rules",
        ),
        (
            "container_delivery/constructs/__init__.py",
            "from ..config import DeliveryConfig\n",
            "imports container_delivery.config: constructs may import compliance, constructs, rules",
        ),
        (
            "container_delivery/config/model.py",
            "import aws_cdk as cdk\n",
            "config/model.py:1 imports aws_cdk: config never imports the CDK",
        ),
        (
            "container_delivery/rules/aws.py",
            "from constructs import Construct\n",
            "rules/aws.py:1 imports constructs: rules never imports the CDK",
        ),
        (
            "container_delivery/scan_gate/gate.py",
            "import requests\n",
            "gate.py:1 imports requests: scan_gate imports the standard library and yaml only",
        ),
        (
            "container_delivery/scan_gate/cli.py",
            "from container_delivery.rules import regions\n",
            "imports container_delivery.rules: scan_gate may import scan_gate",
        ),
        (
            "lambda/promote/index.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import aws_cdk\n",
            "index.py:3 imports aws_cdk: lambda never imports the CDK",
        ),
        (
            "lambda/promote/index.py",
            "from container_delivery.rules import check_region\n",
            "imports container_delivery.rules: lambda may import none of ours",
        ),
        (
            "container_delivery/__init__.py",
            "import aws_cdk\n",
            "container_delivery/__init__.py:1 imports aws_cdk: container_delivery never imports",
        ),
        (
            "container_delivery/newthing.py",
            "",
            "container_delivery.newthing belongs to no layer",
        ),
    ],
)
def test_the_check_reports_an_import_against_the_layering(
    path: str, source: str, expected: str
) -> None:
    problems = _check(path, source)
    assert len(problems) == 1, problems
    assert expected in problems[0]


@pytest.mark.parametrize(
    ("path", "source"),
    [
        # the CDK library called constructs is not our constructs package
        ("container_delivery/compliance/report/sources.py", "from constructs import Construct\n"),
        (
            "container_delivery/stacks/service.py",
            "from ..constructs.service import FargateService\n",
        ),
        (
            "container_delivery/constructs/pipeline/_checks.py",
            "from container_delivery import rules\n",
        ),
        ("container_delivery/config/model.py", "from container_delivery import rules\n"),
        (
            "container_delivery/scan_gate/suppressions.py",
            "import yaml\nfrom .model import Policy\n",
        ),
        ("container_delivery/audit.py", "from container_delivery.stacks.app import build_app\n"),
        (
            "lambda/promote/index.py",
            "import boto3\nfrom botocore.config import Config\nimport ecr_tags\n"
            "from mypy_boto3_ecr import ECRClient\n",
        ),
    ],
)
def test_the_check_accepts_an_import_the_layering_allows(path: str, source: str) -> None:
    assert _check(path, source, siblings=frozenset({"index", "ecr_tags"})) == []
