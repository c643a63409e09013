"""Helpers for tests: the toolchain on PATH, fast unit-test stacks, handlers loaded by path.

Import them as ``from tests.helpers import new_stack`` (tests/ is a package).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# jsii runs on the project's pinned Node 22 (node_modules/.bin), never the machine's Node 20.
os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

import aws_cdk as cdk  # noqa: E402  (after PATH is set: jsii starts node on import)

#: The feature flags of cdk.json, so unit tests synthesize what `cdk synth` synthesizes.
FEATURE_FLAGS: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]

STAGING_ACCOUNT = "111111111111"
PRODUCTION_ACCOUNT = "222222222222"
REGION = "eu-west-1"


def new_app(outdir: Path | None = None, **context: Any) -> cdk.App:
    """An app with cdk.json's feature flags, built-in validation off and no nag (unit tests)."""
    return cdk.App(
        outdir=str(outdir) if outdir else None,
        context={**FEATURE_FLAGS, **context},
        builtin_cloud_formation_validation=False,
        stack_traces=False,
    )


def new_stack(
    name: str = "Test",
    *,
    account: str = STAGING_ACCOUNT,
    region: str = REGION,
    app: cdk.App | None = None,
) -> cdk.Stack:
    """A stack in a fresh unit-test app (see ``new_app``)."""
    return cdk.Stack(app or new_app(), name, env=cdk.Environment(account=account, region=region))


def load_handler(name: str) -> ModuleType:
    """Load ``lambda/<name>/index.py`` by path (``lambda`` is a Python keyword).

    As in the Lambda runtime, the folder is on ``sys.path`` while ``index`` loads, so it imports
    the modules beside it by their plain names. Those are then dropped from ``sys.modules`` (the
    handler keeps its references), so that another handler's module of the same name is loaded
    from its own folder, not found cached.
    """
    folder = ROOT / "lambda" / name
    path = folder / "index.py"
    siblings = {sibling.stem for sibling in folder.glob("*.py")} - {"index"}
    taken = sorted(siblings & set(sys.modules))
    assert not taken, f"lambda/{name} modules {taken} would be shadowed by modules already loaded"
    module_name = f"lambda_{name.replace('-', '_')}_index"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
        for sibling in siblings:
            sys.modules.pop(sibling, None)
    return module


#: Every pack the reference app can run (AwsSolutions and ContainerDelivery always run).
ALL_PACKS = ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")


def nag_findings(app: cdk.App, outdir: Path, packs: tuple[str, ...] = ALL_PACKS) -> list[str]:
    """Register the packs on ``app``, synthesize into ``outdir`` and list unacknowledged findings.

    One line per finding: ``<rule> at <construct path>: <description>``. Use a fresh app (not one
    already synthesized by ``Template.from_stack``) and give it ``outdir=str(tmp_path)``.
    """
    from container_delivery.compliance import apply_packs

    apply_packs(app, packs)
    try:
        app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
    return report_findings(json.loads((outdir / "validation-report.json").read_text()))


def report_findings(report: dict[str, Any]) -> list[str]:
    """The unacknowledged findings of a ``validation-report.json``, one line each."""
    return [
        f"{violation['ruleName']} at {construct['constructPath']}: {violation['description']}"
        for plugin in report.get("pluginReports") or []
        for violation in plugin.get("violations", [])
        for construct in violation["violatingConstructs"]
    ]


#: The pinned CDK CLI (package.json).
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"

#: Variables that would let a run find AWS credentials or configuration, or another Python.
_UNSAFE_VARIABLES = ("AWS_", "CDK_", "PYTHON", "VIRTUAL_ENV")


def new_user_environment(home: Path, *path_first: Path) -> dict[str, str]:
    """The environment of a new user's ``cdk`` run: no AWS credentials, config or profile.

    ``HOME`` is ``home`` (no ``~/.aws``, no ``~/.cdk``); ``path_first`` (e.g. a venv's ``bin``)
    come first on ``PATH``, then the pinned Node 22 and CDK CLI. jsii keeps its package cache
    where it is, so the run does not unpack aws-cdk-lib again (seconds on a busy machine).
    """
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(_UNSAFE_VARIABLES)
    }
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join(
            [*(str(path) for path in path_first), str(CDK_CLI.parent), os.environ["PATH"]]
        ),
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        CDK_DISABLE_VERSION_CHECK="true",
        JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
        JSII_RUNTIME_PACKAGE_CACHE_ROOT=os.environ.get(
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(Path(cache) / "aws" / "jsii" / "package-cache")
        ),
    )
    return env


def cdk_synth(app_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``cdk synth --quiet`` of the pinned CLI in ``app_dir`` (its own ``cdk.json``)."""
    return subprocess.run(  # noqa: S603 - fixed command, our own files
        [str(CDK_CLI), "synth", "--quiet"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def cfn_lint(templates: list[str]) -> str:
    """cfn-lint's findings on ``templates`` with the project's .cfnlintrc; empty when clean."""
    result = subprocess.run(  # noqa: S603 - fixed command, our own files
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *templates],
        cwd=ROOT,  # picks up .cfnlintrc
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0 and not result.stdout.strip():
        return ""
    return (result.stdout + result.stderr).strip() or f"cfn-lint exited {result.returncode}"


#: The SARIF 2.1.0 JSON schema, copied unchanged from an npm package (source and digest in
#: tests/compliance/fixtures/README.md).
SARIF_SCHEMA = ROOT / "tests" / "compliance" / "fixtures" / "sarif-2.1.0-rtm.5.json"


def sarif_schema_errors(log: object) -> list[str]:
    """What the SARIF 2.1.0 schema says is wrong with ``log``, sorted; empty when it is valid."""
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text())
    return sorted(error.message for error in jsonschema.Draft4Validator(schema).iter_errors(log))
