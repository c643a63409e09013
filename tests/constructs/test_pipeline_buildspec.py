"""The generated buildspecs: build once, lint, scan, gate, push only on a pass; deploy by digest.

The deploy script runs here under bash against a stub ``aws`` command that records its calls.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from container_delivery.constructs.pipeline.buildspec import (
    BUILD_VARIABLES,
    CHECK_RELEASE,
    CHECK_TAGS_FREE,
    DEPLOY_SCRIPT,
    READ_RELEASE,
    BuildOptions,
    Download,
    ToolVersions,
    build_spec,
    deploy_spec,
)
from container_delivery.constructs.pipeline.delivery import SCAN_GATE_DIR
from container_delivery.scan_gate.cli import build_parser
from tests.helpers import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "scan-reports"

DIGEST = "sha256:" + "a" * 64


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return build_spec(BuildOptions())


def _build_commands(spec: dict[str, Any]) -> list[str]:
    return spec["phases"]["build"]["commands"]  # type: ignore[no-any-return]


def _index(commands: list[str], fragment: str) -> int:
    return next(i for i, command in enumerate(commands) if fragment in command)


def test_every_phase_aborts_on_the_first_failing_command(spec: dict[str, Any]) -> None:
    assert {phase["on-failure"] for phase in spec["phases"].values()} == {"ABORT"}
    # post_build would run after a failed build phase: nothing may be pushed from there
    assert "post_build" not in spec["phases"]


def test_the_image_is_pushed_only_after_the_gate(spec: dict[str, Any]) -> None:
    commands = _build_commands(spec)
    build = _index(commands, "docker buildx build")
    scan = _index(commands, "trivy image --quiet --format json")
    gate = _index(commands, "python3 -m container_delivery.scan_gate")
    push = _index(commands, "docker push")
    assert build < scan < gate < push
    assert sum("docker push" in command for command in commands) == 2  # git tag and build tag
    # both tags are checked free right before the first push (and early, before building)
    assert commands[push - 1] == CHECK_TAGS_FREE


def test_the_gate_command_line_is_one_the_scan_gate_accepts(spec: dict[str, Any]) -> None:
    gate = next(c for c in _build_commands(spec) if "container_delivery.scan_gate" in c)
    argv = shlex.split(gate.split("container_delivery.scan_gate", 1)[1])
    args = build_parser().parse_args(argv)
    assert args.report == ["reports/trivy.json"]
    assert args.suppressions == ".scan-suppressions.yaml"
    assert args.repository == "$REPOSITORY_NAME"
    assert args.junit == "reports/scan-gate.xml"
    assert args.threshold == "HIGH"
    assert args.kev == "$TOOLS/kev.json"
    assert gate.startswith('PYTHONPATH="$TOOLS" python3 -m container_delivery.scan_gate')


def test_a_missing_suppression_file_means_no_suppressions(spec: dict[str, Any]) -> None:
    pre_build = spec["phases"]["pre_build"]["commands"]
    assert (
        'test -f ".scan-suppressions.yaml" || echo \'suppressions: []\' > ".scan-suppressions.yaml"'
        in pre_build
    )


def test_the_build_uses_a_registry_cache_and_the_service_platform(spec: dict[str, Any]) -> None:
    build = next(c for c in _build_commands(spec) if "docker buildx build" in c)
    assert "--platform linux/arm64" in build
    assert '--cache-from "type=registry,ref=$CACHE_REPOSITORY_URI:buildcache"' in build
    assert '--cache-to "type=registry,ref=$CACHE_REPOSITORY_URI:buildcache,mode=max,' in build
    assert '--tag "$REPOSITORY_URI:$GIT_TAG"' in build and "--load" in build


def test_digest_tag_and_commit_are_exported_variables(spec: dict[str, Any]) -> None:
    assert spec["env"]["exported-variables"] == list(BUILD_VARIABLES)
    assert {"IMAGE_DIGEST", "GIT_TAG", "GIT_COMMIT"} <= set(BUILD_VARIABLES)
    assert any(
        c.startswith("IMAGE_DIGEST=$(aws ecr describe-images") for c in _build_commands(spec)
    )


def test_the_gate_junit_is_a_report_and_the_sbom_an_artifact(spec: dict[str, Any]) -> None:
    assert spec["reports"] == {
        "ScanGate": {
            "files": ["scan-gate.xml"],
            "base-directory": "reports",
            "file-format": "JUNITXML",
        }
    }
    assert {"image-digest.txt", "sbom.cdx.json", "reports/scan-gate.json"} <= set(
        spec["artifacts"]["files"]
    )


def test_downloaded_tools_are_verified_before_they_run(spec: dict[str, Any]) -> None:
    install = spec["phases"]["install"]["commands"]
    verify_hadolint = _index(install, '$TOOLS/bin/hadolint" | sha256sum -c -')
    run_hadolint = _index(spec["phases"]["pre_build"]["commands"], "hadolint --failure-threshold")
    assert verify_hadolint < _index(install, 'chmod +x "$TOOLS/bin/hadolint"')
    assert run_hadolint >= 0
    assert _index(install, '/tmp/trivy.tar.gz" | sha256sum -c -') < _index(install, "tar -xzf")
    assert any("hadolint-Linux-arm64" in command for command in install)


def test_amd64_services_get_amd64_tools() -> None:
    spec = build_spec(BuildOptions(platform="linux/amd64"))
    install = " ".join(spec["phases"]["install"]["commands"])
    assert "hadolint-Linux-x86_64" in install and "Linux-64bit.tar.gz" in install


def test_the_inspector_scanner_scans_an_sbom_with_amazon_inspector() -> None:
    sbomgen = {
        arch: Download(f"https://example.com/{arch}/inspector-sbomgen.zip", "b" * 64)
        for arch in ("amd64", "arm64")
    }
    tools = ToolVersions(
        hadolint=BuildOptions().tools.hadolint,
        trivy=BuildOptions().tools.trivy,
        inspector_sbomgen=sbomgen,
    )
    spec = build_spec(BuildOptions(scanner="inspector", tools=tools))
    commands = _build_commands(spec)
    assert any("inspector-sbomgen container" in c for c in commands)
    assert any("aws inspector-scan scan-sbom" in c and "CYCLONE_DX_1_5" in c for c in commands)
    assert any("--report reports/inspector.json" in c for c in commands)


def test_bad_options_are_all_reported_at_once() -> None:
    options = BuildOptions(
        scanner="grype",  # type: ignore[arg-type]
        dockerfile="../Dockerfile",
        threshold="SEVERE",  # type: ignore[arg-type]
    )
    with pytest.raises(ValueError, match="build_spec: ") as error:
        build_spec(options)
    message = str(error.value)
    assert "scanner 'grype' must be one of trivy, inspector" in message
    assert "threshold 'SEVERE' must be one of" in message
    assert "dockerfile '../Dockerfile' must be a relative path inside the source archive" in message


def test_the_inspector_scanner_needs_a_pinned_generator() -> None:
    with pytest.raises(
        ValueError, match=re.escape("scanner 'inspector' needs tools.inspector_sbomgen")
    ):
        build_spec(BuildOptions(scanner="inspector"))


# --- the release record, run under bash --------------------------------------------------------
def _bash(
    script: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed interpreter, our own script
        ["/bin/bash", "-c", script],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_tag_and_commit_are_read_from_the_release_record(tmp_path: Path) -> None:
    (tmp_path / ".release.json").write_text(json.dumps({"tag": "v1.4.0", "commit": "abc123"}))
    result = _bash(f'{READ_RELEASE} && {CHECK_RELEASE}\necho "$GIT_TAG $GIT_COMMIT"', tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "v1.4.0 abc123"


def test_a_tag_that_cannot_be_an_image_tag_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / ".release.json").write_text(json.dumps({"tag": "release/1.4", "commit": "abc"}))
    result = _bash(f"{READ_RELEASE} && {CHECK_RELEASE}", tmp_path)
    assert result.returncode == 1
    assert "git tag 'release/1.4' is not a valid image tag" in result.stdout


# --- the deploy script, run under bash against a stub aws CLI ------------------------------------
STUB = r"""#!/bin/bash
echo "$*" >> "$AWS_LOG"
case "$1 $2" in
  "configure set") ;;
  "cloudformation describe-stacks")
    case "$*" in
      *Outputs*) echo "${STUB_URL:-None}" ;;
      *) printf 'BootstrapVersion\tDesiredCount\n' ;;
    esac ;;
  "cloudformation update-stack")
    if [ -n "$STUB_NO_UPDATES" ]; then
      echo "An error occurred (ValidationError) when calling the UpdateStack operation: No updates are to be performed." >&2; exit 254
    fi
    if [ -n "$STUB_UPDATE_ERROR" ]; then
      echo "An error occurred (ValidationError) when calling the UpdateStack operation: Stack:x is in UPDATE_IN_PROGRESS state" >&2; exit 254
    fi
    echo '{"StackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/webapp-staging/1"}' ;;
  "cloudformation wait")
    if [ -n "$STUB_ROLLBACK" ]; then
      echo "Waiter StackUpdateComplete failed: Waiter encountered a terminal failure state" >&2; exit 255
    fi ;;
  "cloudformation describe-stack-events")
    printf 'Service\tUPDATE_FAILED\tECS Deployment Circuit Breaker was triggered\n' ;;
  *) echo "unexpected aws call: $*" >&2; exit 99 ;;
esac
"""


@pytest.fixture
def stub_aws(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(STUB)
    (bin_dir / "aws").chmod(0o755)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AWS_LOG": str(tmp_path / "aws.log"),
        "IMAGE_DIGEST": DIGEST,
        "STACK_NAME": "webapp-staging",
        "DEPLOY_ROLE_ARN": "arn:aws:iam::111111111111:role/container-delivery-deploy-webapp",
        "TARGET_REGION": "eu-west-1",
        "CFN_EXEC_ROLE_ARN": "arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1",
    }


def _deploy(
    tmp_path: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    result = _bash(DEPLOY_SCRIPT, tmp_path, env)
    log = Path(env["AWS_LOG"])
    return result, log.read_text().splitlines() if log.exists() else []


def test_the_deploy_script_is_the_only_command_of_the_deploy_spec() -> None:
    assert deploy_spec()["phases"]["build"]["commands"] == [DEPLOY_SCRIPT]
    assert deploy_spec()["env"]["shell"] == "bash"


def test_deploy_updates_only_the_digest_with_the_previous_template(
    tmp_path: Path, stub_aws: dict[str, str]
) -> None:
    # WHEN the deploy runs for a new digest
    result, calls = _deploy(tmp_path, stub_aws)
    # THEN it assumes the deploy role, keeps the template and every other parameter, and waits
    assert result.returncode == 0, result.stderr
    assert (
        "configure set profile.deploy.role_arn arn:aws:iam::111111111111:role/container-delivery-deploy-webapp"
        in calls
    )
    update = next(call for call in calls if call.startswith("cloudformation update-stack"))
    assert "--use-previous-template" in update
    assert f"ParameterKey=ImageDigest,ParameterValue={DIGEST}" in update
    assert "ParameterKey=BootstrapVersion,UsePreviousValue=true" in update
    assert "ParameterKey=DesiredCount,UsePreviousValue=true" in update
    assert f"--role-arn {stub_aws['CFN_EXEC_ROLE_ARN']}" in update
    wait = (
        "cloudformation wait stack-update-complete --region eu-west-1 --stack-name webapp-staging"
    )
    assert wait in calls
    assert calls.index(update) < calls.index(wait)


def test_deploy_reports_the_service_url_or_none_for_a_worker(
    tmp_path: Path, stub_aws: dict[str, str]
) -> None:
    script = DEPLOY_SCRIPT + 'echo "URL=[$SERVICE_URL]"\n'
    with_url = _bash(script, tmp_path, {**stub_aws, "STUB_URL": "https://webapp.example.com"})
    assert "URL=[https://webapp.example.com]" in with_url.stdout
    worker = _bash(script, tmp_path, stub_aws)
    assert "URL=[]" in worker.stdout
    assert deploy_spec()["env"]["exported-variables"] == ["SERVICE_URL"]


def test_a_rolled_back_deployment_fails_the_action_with_the_reason(
    tmp_path: Path, stub_aws: dict[str, str]
) -> None:
    # GIVEN ECS's circuit breaker rolls the service back (the stack update fails)
    result, calls = _deploy(tmp_path, {**stub_aws, "STUB_ROLLBACK": "1"})
    # THEN the action fails at once and names the failed resources
    assert result.returncode == 1
    assert "did not reach UPDATE_COMPLETE" in result.stderr
    assert "ECS Deployment Circuit Breaker was triggered" in result.stderr
    assert any(call.startswith("cloudformation describe-stack-events") for call in calls)


def test_a_digest_already_deployed_is_a_success(tmp_path: Path, stub_aws: dict[str, str]) -> None:
    result, calls = _deploy(tmp_path, {**stub_aws, "STUB_NO_UPDATES": "1"})
    assert result.returncode == 0, result.stderr
    assert "already runs" in result.stdout
    assert not any(call.startswith("cloudformation wait") for call in calls)


def test_any_other_update_error_fails_the_action(tmp_path: Path, stub_aws: dict[str, str]) -> None:
    result, _ = _deploy(tmp_path, {**stub_aws, "STUB_UPDATE_ERROR": "1"})
    assert result.returncode == 1
    assert "UPDATE_IN_PROGRESS" in result.stderr


def test_a_missing_digest_fails_before_any_aws_call(
    tmp_path: Path, stub_aws: dict[str, str]
) -> None:
    result, calls = _deploy(tmp_path, {**stub_aws, "IMAGE_DIGEST": "#{Build.IMAGE_DIGEST}"})
    assert result.returncode == 1
    assert "is not a sha256 digest" in result.stderr
    assert calls == []


# --- the gate step, run with the scan-gate package unpacked as the build unpacks its asset --------
def _asset_zip(path: Path) -> None:
    """Zip the scan_gate folder's contents at the root, as a CDK directory asset is zipped."""
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(SCAN_GATE_DIR.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                archive.write(file, file.relative_to(SCAN_GATE_DIR).as_posix())


@pytest.fixture
def build_dir(tmp_path: Path, spec: dict[str, Any]) -> tuple[Path, dict[str, str]]:
    tools = tmp_path / "tools"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)  # the build image's python3, with PyYAML
    asset = tmp_path / "scan-gate.zip"
    _asset_zip(asset)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "TOOLS": str(tools)}
    unpack = [
        c for c in spec["phases"]["install"]["commands"] if "scan_gate" in c and "s3 cp" not in c
    ]
    assert len(unpack) == 2, unpack
    for command in unpack:
        result = _bash(command.replace("/tmp/scan-gate.zip", str(asset)), tmp_path, env)
        assert result.returncode == 0, result.stderr
    (tools / "kev.json").write_text(json.dumps({"vulnerabilities": []}))
    work = tmp_path / "src"
    (work / "reports").mkdir(parents=True)
    return work, {**env, "REPOSITORY_NAME": "webapp"}


def _gate_step(spec: dict[str, Any]) -> str:
    return next(c for c in _build_commands(spec) if "container_delivery.scan_gate" in c)


def test_the_gate_step_runs_the_shipped_package_and_blocks_a_vulnerable_image(
    build_dir: tuple[Path, dict[str, str]], spec: dict[str, Any]
) -> None:
    work, env = build_dir
    # GIVEN a Trivy report with blocking findings and no suppression file in the app repository
    shutil.copy(FIXTURES / "trivy" / "debian-buster.json", work / "reports" / "trivy.json")
    no_file = next(c for c in spec["phases"]["pre_build"]["commands"] if "suppressions: []" in c)
    assert _bash(no_file, work, env).returncode == 0
    # WHEN the gate step runs as the build runs it
    where = _bash(
        'PYTHONPATH="$TOOLS" python3 -c "import container_delivery.scan_gate as m; print(m.__file__)"',
        work,
        env,
    )
    result = _bash(_gate_step(spec), work, env)
    # THEN the shipped copy ran, failed the step (nothing is pushed) and wrote its reports
    assert where.stdout.startswith(env["TOOLS"]), where.stdout + where.stderr
    assert result.returncode == 1, result.stdout + result.stderr
    assert (work / "reports" / "scan-gate.xml").read_text().count("<failure") >= 1
    assert json.loads((work / "reports" / "scan-gate.json").read_text())["passed"] is False


def test_the_gate_step_passes_a_clean_report(
    build_dir: tuple[Path, dict[str, str]], spec: dict[str, Any]
) -> None:
    work, env = build_dir
    (work / "reports" / "trivy.json").write_text(
        json.dumps({"SchemaVersion": 2, "ArtifactName": "webapp", "Results": []})
    )
    (work / ".scan-suppressions.yaml").write_text("suppressions: []\n")
    result = _bash(_gate_step(spec), work, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((work / "reports" / "scan-gate.json").read_text())["passed"] is True


def test_the_buildkit_image_is_configurable_and_checked() -> None:
    mirror = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mirror/buildkit@sha256:" + "d" * 64
    spec = build_spec(BuildOptions(buildkit_image=mirror))
    create = next(c for c in spec["phases"]["pre_build"]["commands"] if "buildx create" in c)
    assert f'--driver-opt "image={mirror}"' in create
    with pytest.raises(ValueError, match=r"buildkit_image 'moby/buildkit; rm -rf /' is not an"):
        build_spec(BuildOptions(buildkit_image="moby/buildkit; rm -rf /"))
