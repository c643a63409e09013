"""app.py's contract: exit 2 and one readable message for bad config or props, exit 1 for
unacknowledged cdk-nag findings, never a traceback for bad input (python app.py and cdk synth)."""

from __future__ import annotations

import copy
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import aws_cdk as cdk
import constructs
import jsii
import pytest
import yaml
from aws_cdk import aws_s3 as s3

from container_delivery.config.loader import default_config_text
from tests.helpers import ROOT

ENV = {
    "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{ROOT / '.venv' / 'bin'}{os.pathsep}"
    "/usr/bin:/bin",
    "AWS_EC2_METADATA_DISABLED": "true",
    "CDK_DISABLE_VERSION_CHECK": "true",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
}


@pytest.fixture
def raw() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(default_config_text()))


def _app_py(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own entry point
        [sys.executable, str(ROOT / "app.py")],
        env={**ENV, "CONTAINER_DELIVERY_CONFIG": str(config)},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_a_bad_config_exits_2_with_the_message_and_no_traceback(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    # GIVEN a config file naming a secret by name instead of its complete ARN
    raw["services"][0]["secrets"]["DATABASE_PASSWORD"]["secret_arn"] = "payments/psp"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    # WHEN app.py runs on it
    result = _app_py(path)
    # THEN it exits 2 with the readable message and no traceback
    assert result.returncode == 2, result.stderr
    assert (
        f"container-delivery: {path} is invalid (1 problem):\n"
        "  - services[0].secrets.DATABASE_PASSWORD.secret_arn: 'payments/psp' is a secret name"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_prop_a_construct_refuses_names_the_service_and_environment(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    # GIVEN a config the loader accepts but FargateService refuses (a credential in plain text)
    raw["services"][1]["staging"]["environment"] = {"API_TOKEN": "abc"}
    path = tmp_path / "token.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    # WHEN app.py runs on it
    result = _app_py(path)
    # THEN the message names the service, the environment, the construct path and the prop
    assert result.returncode == 2, result.stderr
    assert (
        "container-delivery: service 'orders-worker' (staging): FargateService "
        "'orders-worker-staging/Service': environment variable 'API_TOKEN' looks like a credential"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_cdk_synth_shows_the_same_message_and_the_apps_exit_code(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    # GIVEN a config with a region that does not exist
    raw["accounts"]["production"]["region"] = "us-east-9"
    path = tmp_path / "region.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    # WHEN the real CLI synthesizes with it
    result = subprocess.run(  # noqa: S603 - the project's pinned CLI
        [str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "-q", "-c", f"config={path}",
         "-o", str(tmp_path / "cdk.out")],
        env=ENV, capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    # THEN the app's message and exit code 2 reach the user (the CLI itself exits 1)
    output = result.stdout + result.stderr
    assert "accounts.production.region: 'us-east-9' is not an AWS region" in output
    assert "Subprocess exited with error 2" in output
    assert result.returncode == 1
    assert "Traceback" not in output


# --- in process: the two kinds of synth failure ------------------------------------------------


def _load_app_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_app_main", ROOT / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@jsii.implements(constructs.IValidation)
class _Refuse:
    def validate(self) -> list[str]:
        return ["min_count 3 is above the autoscaling maximum 2; lower it"]


def test_nag_findings_exit_1_and_a_construct_validation_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _load_app_module()
    # Built-in template validation is not what is tested here (it costs ~4 s per app).
    monkeypatch.setattr(
        module,
        "cdk",
        SimpleNamespace(App=lambda: cdk.App(builtin_cloud_formation_validation=False)),
    )
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "nag"))

    # GIVEN an app whose only stack has an S3 bucket that breaks AwsSolutions rules
    def with_finding(app: cdk.App, config: Any) -> None:
        from container_delivery.compliance import apply_packs

        stack = cdk.Stack(app, "Findings")
        s3.CfnBucket(stack, "Bucket")
        apply_packs(app, ("AwsSolutions",))

    monkeypatch.setattr(module, "configure_app", with_finding)
    # WHEN main runs THEN it returns 1 with the nag advice
    assert module.main() == 1
    assert "cdk-nag reported findings that are not acknowledged" in capsys.readouterr().err

    # GIVEN a construct whose tree validation fails (ValidationFailedWithErrors, not nag)
    def with_refusal(app: cdk.App, config: Any) -> None:
        stack = cdk.Stack(app, "Refusal")
        constructs.Construct(stack, "Thing").node.add_validation(_Refuse())

    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "tree"))
    monkeypatch.setattr(module, "configure_app", with_refusal)
    # WHEN main runs THEN it returns 2 with the construct's message, not the nag advice
    assert module.main() == 2
    err = capsys.readouterr().err
    assert "[Refusal/Thing] min_count 3 is above the autoscaling maximum 2" in err
    assert "cdk-nag" not in err
