"""Shared test set-up: the toolchain on PATH, fast stacks for unit tests, one reference synth.

Synth costs seconds (jsii, and aws-cdk-lib's built-in template validation ~4 s per process), so:
unit tests build only the stack under test with validation off (``new_stack``), once per module;
the reference app is synthesized once per session with validation and every nag pack on
(``reference_assembly``), and app-level checks share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# tests.helpers puts the project's Node 22 first on PATH before it imports aws_cdk (which starts
# node): import it before anything that imports aws_cdk.
from tests.helpers import FEATURE_FLAGS

if TYPE_CHECKING:
    import aws_cdk as cdk


@dataclass(frozen=True)
class ReferenceAssembly:
    """The reference app synthesized once, with built-in validation and every configured pack."""

    outdir: Path
    app: cdk.App
    error: str | None

    @property
    def templates(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))

    def template(self, stack_name: str) -> dict[str, Any]:
        return json.loads((self.outdir / f"{stack_name}.template.json").read_text())  # type: ignore[no-any-return]

    @property
    def validation_report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text())  # type: ignore[no-any-return]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The promotion access check reads the boto3 calls the Lambda tests record: run it last."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/access/test_promotion_calls.py"))


@pytest.fixture(scope="session")
def reference_assembly(tmp_path_factory: pytest.TempPathFactory) -> ReferenceAssembly:
    from container_delivery.config import load_config
    from container_delivery.stacks.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = build_app(load_config(), outdir=str(outdir), context=FEATURE_FLAGS)
    error: str | None = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag findings: the tests report them from the report file
        if "ValidationFailed" not in str(exc):
            raise
        error = str(exc)
    return ReferenceAssembly(outdir=outdir, app=app, error=error)
