"""The package lists every module and ships every Lambda the constructs deploy."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

from container_delivery.constructs import _assets
from tests.helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_every_package_and_every_lambda_is_listed() -> None:
    # GIVEN the packages of the source tree and the Lambda folders
    packages = find_packages(str(ROOT), include=["container_delivery*"])
    lambdas = [path.parent.name for path in sorted((ROOT / "lambda").glob("*/index.py"))]
    # THEN pyproject lists exactly those (a new subpackage or Lambda left out would be missing
    # from the wheel, and the construct that deploys it would fail for every installed user)
    expected = {*packages, *(f"container_delivery._lambda.{name}" for name in lambdas)}
    assert set(SETUPTOOLS["packages"]) == expected
    assert SETUPTOOLS["package-dir"] == {"container_delivery._lambda": "lambda"}


def test_lambda_folder_is_found_in_a_checkout_first_then_in_the_installed_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an installed layout only (no lambda/ next to the package)
    installed = tmp_path / "site-packages" / "container_delivery" / "_lambda"
    (installed / "promote").mkdir(parents=True)
    (installed / "promote" / "index.py").write_text("def handler(event, context): ...\n")
    monkeypatch.setattr(_assets, "SOURCE_LAMBDA_DIR", tmp_path / "site-packages" / "lambda")
    monkeypatch.setattr(_assets, "INSTALLED_LAMBDA_DIR", installed)
    # THEN the packaged copy is used
    assert _assets.lambda_source_dir("promote") == installed / "promote"
    # AND an unknown Lambda is reported as missing, not as a wrong folder
    assert _assets.lambda_source_dir("nope") is None


def test_in_this_checkout_the_source_folder_is_used() -> None:
    assert _assets.lambda_source_dir("promote") == ROOT / "lambda" / "promote"
