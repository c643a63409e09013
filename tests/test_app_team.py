"""examples/app-team from the built wheel, under the real ``cdk synth`` (slow: packaging).

What a new app team does: build the wheel, install it into a fresh venv, write a CDK app from
the docs and run the CDK CLI, with every cdk-nag pack and no AWS credentials. Here the venv
reuses this project's installed dependencies through a ``.pth`` file, so nothing is downloaded.
The project's own editable install does not come along: the lines of a ``.pth`` file only add
paths, so the ``__editable__*.pth`` in the project's site-packages (which registers the
editable finder) is never run; a test checks that ``container_delivery`` comes from the wheel.
The wheel, the venv and the synth are made once for the module.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, cdk_synth, cfn_lint, new_user_environment, report_findings

pytestmark = pytest.mark.packaging

EXAMPLE = ROOT / "examples" / "app-team"
SERVICE = "payments-api"
STACKS = (
    f"{SERVICE}-production-access",
    f"{SERVICE}-build",
    f"{SERVICE}-staging",
    f"{SERVICE}-production",
)
#: cdk-nag lists a pack in validation-report.json only when it has something to report; each of
#: these has acknowledged findings in the example (ContainerDelivery has none to report).
PUBLIC_PACKS = {"AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"}


def _run(*command: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - fixed commands, our own files
        [str(part) for part in command], capture_output=True, text=True, check=False, **kwargs
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass(frozen=True)
class Build:
    wheel: Path
    output: str
    """What ``python -m build`` printed (stdout and stderr)."""


@dataclass(frozen=True)
class Synth:
    app_dir: Path
    result: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def outdir(self) -> Path:
        return self.app_dir / "cdk.out"

    def template(self, stack: str) -> dict[str, Any]:
        return json.loads((self.outdir / f"{stack}.template.json").read_text())  # type: ignore[no-any-return]

    def resources(self, stack: str, resource_type: str) -> list[dict[str, Any]]:
        resources = self.template(stack)["Resources"].values()
        return [resource for resource in resources if resource["Type"] == resource_type]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    # What a clone has (tracked and new files, nothing ignored): no stale build/ or egg-info.
    source = tmp_path_factory.mktemp("source") / "container-delivery"
    listed = _run(
        "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT
    ).stdout
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if path.is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    # sdist first, then the wheel from the sdist: what is missing from either fails here.
    result = _run(
        sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, source, cwd=source
    )
    (wheel,) = dist.glob("container_delivery-*.whl")
    return Build(wheel=wheel, output=result.stdout + result.stderr)


@pytest.fixture(scope="module")
def venv(build: Build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv_dir = tmp_path_factory.mktemp("venv") / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv_dir)
    python = venv_dir / "bin" / "python"
    # this project's pip, installing for the new interpreter, before the .pth exists
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--quiet", build.wheel,
    )  # fmt: skip
    site_packages = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    ).stdout.strip()
    paths = sysconfig.get_paths()
    dependencies = dict.fromkeys([paths["purelib"], paths["platlib"]])
    (Path(site_packages) / "project-dependencies.pth").write_text("\n".join(dependencies) + "\n")
    return venv_dir


@pytest.fixture(scope="module")
def synth(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    # a copy elsewhere: neither the repository nor its lambda/ folder is next to the app
    app_dir = tmp_path_factory.mktemp("app") / "app-team"
    shutil.copytree(EXAMPLE, app_dir, ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
    env = new_user_environment(tmp_path_factory.mktemp("home"), venv / "bin")
    started = time.monotonic()
    result = cdk_synth(app_dir, env)
    return Synth(app_dir=app_dir, result=result, seconds=time.monotonic() - started)


def test_the_example_imports_only_the_public_api() -> None:
    tree = ast.parse((EXAMPLE / "app.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("container")
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("container")
    }
    assert imported == {"container_delivery.constructs", "container_delivery.compliance"}


def test_the_wheel_ships_the_promotion_handler_and_the_scan_gate(build: Build) -> None:
    names = zipfile.ZipFile(build.wheel).namelist()
    handlers = [
        name
        for name in names
        if name.startswith("container_delivery/") and name.endswith("promote/index.py")
    ]
    assert handlers, f"no promotion handler in {build.wheel.name}: {sorted(names)}"
    assert "container_delivery/scan_gate/__main__.py" in names


def test_the_build_prints_no_deprecation_warning(build: Build) -> None:
    warnings = [line for line in build.output.splitlines() if re.search(r"deprecat", line, re.I)]
    assert warnings == [], "\n".join(warnings)


def test_the_throwaway_venv_imports_the_wheel_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    # WHEN the venv's python imports the library and its dependencies outside the repository
    env = new_user_environment(tmp_path)
    result = _run(
        venv / "bin" / "python",
        "-c",
        "import aws_cdk, cdk_nag, container_delivery; print(container_delivery.__file__)",
        cwd=tmp_path,
        env=env,
    )
    # THEN the library is the installed wheel's copy
    module_file = Path(result.stdout.strip())
    assert module_file.is_relative_to(venv), module_file
    assert not module_file.is_relative_to(ROOT)


def test_cdk_synth_of_the_example_passes_every_pack_without_credentials(synth: Synth) -> None:
    print(f"cdk synth of examples/app-team: {synth.seconds:.1f} s", file=sys.stderr)
    assert synth.result.returncode == 0, synth.result.stdout + synth.result.stderr
    for stack in STACKS:
        assert (synth.outdir / f"{stack}.template.json").is_file(), stack
    report_file = synth.outdir / "validation-report.json"
    assert report_file.is_file(), "cdk-nag did not run (no validation-report.json)"
    report = json.loads(report_file.read_text())
    findings = report_findings(report)
    assert findings == [], "\n".join(findings)
    assert {plugin["pluginName"] for plugin in report["pluginReports"]} >= PUBLIC_PACKS


def test_the_example_templates_pass_cfn_lint(synth: Synth) -> None:
    templates = sorted(str(path) for path in synth.outdir.glob("*.template.json"))
    assert len(templates) == len(STACKS)
    assert cfn_lint(templates) == ""


def test_the_promotion_function_runs_the_handler_shipped_in_the_wheel(synth: Synth) -> None:
    (function,) = [
        resource
        for resource in synth.resources(f"{SERVICE}-build", "AWS::Lambda::Function")
        if resource["Properties"].get("Handler") == "index.handler"
        and "Promotion" in resource["Metadata"]["aws:cdk:path"]
    ]
    asset = synth.outdir / function["Metadata"]["aws:asset:path"]
    assert (asset / "index.py").read_bytes() == (ROOT / "lambda/promote/index.py").read_bytes()


def test_the_two_secrets_are_injected_by_json_key(synth: Synth) -> None:
    for env, account, suffixes in (
        ("staging", "111111111111", ("AbCdEf", "GhIjKl")),
        ("production", "222222222222", ("MnOpQr", "StUvWx")),
    ):
        (task,) = synth.resources(f"{SERVICE}-{env}", "AWS::ECS::TaskDefinition")
        (container,) = task["Properties"]["ContainerDefinitions"]
        prefix = f"arn:aws:secretsmanager:eu-west-1:{account}:secret:{SERVICE}"
        assert sorted(container["Secrets"], key=lambda secret: secret["Name"]) == [
            {"Name": "DATABASE_PASSWORD", "ValueFrom": f"{prefix}/db-{suffixes[0]}:password::"},
            {"Name": "PSP_API_KEY", "ValueFrom": f"{prefix}/psp-{suffixes[1]}:api_key::"},
        ]


def test_the_load_balancer_serves_https_with_the_certificate_and_redirects_http(
    synth: Synth,
) -> None:
    listeners = {
        resource["Properties"]["Port"]: resource["Properties"]
        for resource in synth.resources(
            f"{SERVICE}-staging", "AWS::ElasticLoadBalancingV2::Listener"
        )
    }
    assert set(listeners) == {80, 443}
    assert listeners[443]["Protocol"] == "HTTPS"
    assert listeners[443]["Certificates"] == [
        {
            "CertificateArn": "arn:aws:acm:eu-west-1:111111111111:certificate/"
            "0b1c2d3e-1111-4a5b-8c9d-0e1f2a3b4c5d"
        }
    ]
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    assert listeners[80]["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"


def test_the_repository_replicates_to_production(synth: Synth) -> None:
    (replication,) = synth.resources(f"{SERVICE}-build", "AWS::ECR::ReplicationConfiguration")
    assert replication["Properties"]["ReplicationConfiguration"]["Rules"] == [
        {
            "Destinations": [{"Region": "eu-west-1", "RegistryId": "222222222222"}],
            "RepositoryFilters": [{"Filter": SERVICE, "FilterType": "PREFIX_MATCH"}],
        }
    ]
    # AND production's registry policy lets only the staging account replicate it
    (policy,) = synth.resources(f"{SERVICE}-production-access", "AWS::ECR::RegistryPolicy")
    (statement,) = policy["Properties"]["PolicyText"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert statement["Action"] == ["ecr:CreateRepository", "ecr:ReplicateImage"]
    assert statement["Resource"] == [f"arn:aws:ecr:eu-west-1:222222222222:repository/{SERVICE}*"]


def test_the_pipeline_has_approval_and_promotion_and_deploys_production_by_role(
    synth: Synth,
) -> None:
    (pipeline,) = synth.resources(f"{SERVICE}-build", "AWS::CodePipeline::Pipeline")
    stages = [stage["Name"] for stage in pipeline["Properties"]["Stages"]]
    assert stages == ["Source", "Build", "Staging", "Approval", "Promote", "Production"]
    # the production account holds the deploy role, the production stack's own CloudFormation
    # execution role (the only role the deploy role may pass) and the promotion read role
    roles = {
        resource["Properties"]["RoleName"]
        for resource in synth.resources(f"{SERVICE}-production-access", "AWS::IAM::Role")
    }
    assert roles == {f"{SERVICE}-deploy", f"{SERVICE}-deploy-cfn", f"{SERVICE}-promotion-read"}


def test_the_build_stack_outputs_what_the_release_workflow_reads(synth: Synth) -> None:
    # examples/github-actions/release.yml is filled in from these three outputs
    outputs = synth.template(f"{SERVICE}-build")["Outputs"]
    assert {"UploadRoleArn", "SourceBucket", "SourceKey"} <= set(outputs)
    assert outputs["SourceKey"]["Value"] == f"source/{SERVICE}.zip"
    # AND the staging stack has the output the pipeline's approval link is read from
    assert "Url" in synth.template(f"{SERVICE}-staging")["Outputs"]
