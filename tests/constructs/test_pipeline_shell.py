"""The buildspec's shell, run under bash as CodeBuild runs it, against a moto server.

The real ``aws`` CLI (awscli v1) runs with CodeBuild's environment variables (the build's region
in ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, container credentials, build ids) and talks to a local
moto server that records the region, service and access key of every signed request. ``docker``
and ``curl`` are small fakes on ``PATH``; the fake ``docker push`` writes the image into moto's ECR
and refuses to move an existing tag, as an IMMUTABLE repository does (moto does not enforce it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from container_delivery.constructs.pipeline.buildspec import (
    BUILD_TAG_PREFIX,
    CHECK_RELEASE,
    DEFAULT_BUILDKIT_IMAGE,
    DEPLOY_SCRIPT,
    KEV_URL,
    READ_RELEASE,
    BuildOptions,
    build_spec,
    kev_script,
)
from container_delivery.constructs.registry._rules import (
    DEFAULT_BUILD_TAG_PREFIX,
    DEFAULT_RELEASE_TAG_PREFIX,
    lifecycle_rules,
)
from container_delivery.scan_gate.kev import load_kev
from tests.aws_server import (
    PROJECT_ROLE_KEY,
    RecordingMotoServer,
    codebuild_environment,
    running_server,
)

BUILD_REGION = "eu-west-1"
TARGET_REGION = "eu-central-1"
BUILD_ACCOUNT = "123456789012"  # moto's account for the project role's (unknown) access key
PRODUCTION_ACCOUNT = "222222222222"
DEPLOY_ROLE_ARN = f"arn:aws:iam::{PRODUCTION_ACCOUNT}:role/container-delivery-deploy-webapp"
CFN_EXEC_ROLE_ARN = (
    f"arn:aws:iam::{PRODUCTION_ACCOUNT}:role/"
    f"cdk-hnb659fds-cfn-exec-role-{PRODUCTION_ACCOUNT}-{TARGET_REGION}"
)
DIGEST = "sha256:" + "b" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"
REPOSITORY_URI = f"{BUILD_ACCOUNT}.dkr.ecr.{BUILD_REGION}.amazonaws.com/webapp"
KEV_CACHE = "s3://pipeline-artifacts/kev-cache/known_exploited_vulnerabilities.json"
CLI_BIN = Path(sys.executable).parent  # the venv's bin: the awscli dev dependency


@pytest.fixture(scope="module")
def server() -> Iterator[RecordingMotoServer]:
    if not (CLI_BIN / "aws").exists():
        pytest.fail(
            "the aws CLI is missing from the venv: run `make setup` (awscli is a dev extra)"
        )
    yield from running_server()


@pytest.fixture
def aws(server: RecordingMotoServer) -> RecordingMotoServer:
    server.reset()
    return server


def _client(
    server: RecordingMotoServer, service: str, region: str, account: str | None = None
) -> Any:
    """A boto3 client of the test itself: the build account, or ``account`` through a role."""
    keys: dict[str, str] = {
        "aws_access_key_id": "AKIATESTSETUP0000001",
        "aws_secret_access_key": "setup",
    }
    if account is not None:
        sts = boto3.client("sts", region_name=region, endpoint_url=server.url, **keys)
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/test-setup", RoleSessionName="setup"
        )["Credentials"]
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    return boto3.client(service, region_name=region, endpoint_url=server.url, **keys)


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed interpreter, our own script
        ["/bin/bash", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _environment(
    server: RecordingMotoServer, home: Path, bin_dir: Path | None = None
) -> dict[str, str]:
    env = codebuild_environment(server, str(home), BUILD_REGION)
    path = [str(CLI_BIN), env["PATH"]]
    if bin_dir is not None:
        path.insert(0, str(bin_dir))
    return {**env, "PATH": os.pathsep.join(path)}


# --- defect 1: the deploy runs in the target region ---------------------------------------------
SERVICE_TEMPLATE = {
    "Parameters": {
        "ImageDigest": {"Type": "String", "Default": ""},
        "DesiredCount": {"Type": "Number", "Default": "1"},
    },
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {"Url": {"Value": "https://webapp.example.com"}},
}


def _production_stack(server: RecordingMotoServer) -> Any:
    """The production service stack, only in the production account and the target region."""
    cloudformation = _client(server, "cloudformation", TARGET_REGION, PRODUCTION_ACCOUNT)
    cloudformation.create_stack(
        StackName="webapp-production",
        TemplateBody=json.dumps(SERVICE_TEMPLATE),
        Parameters=[{"ParameterKey": "DesiredCount", "ParameterValue": "3"}],
    )
    return cloudformation


def test_the_deploy_updates_production_in_its_own_region_with_the_deploy_role(
    aws: RecordingMotoServer, tmp_path: Path
) -> None:
    # GIVEN production in eu-central-1 and a deploy project in eu-west-1, whose CodeBuild
    # environment sets AWS_REGION and AWS_DEFAULT_REGION to eu-west-1
    cloudformation = _production_stack(aws)
    first = len(aws.calls)
    env = {
        **_environment(aws, tmp_path),
        "IMAGE_DIGEST": DIGEST,
        "STACK_NAME": "webapp-production",
        "DEPLOY_ROLE_ARN": DEPLOY_ROLE_ARN,
        "TARGET_REGION": TARGET_REGION,
        "CFN_EXEC_ROLE_ARN": CFN_EXEC_ROLE_ARN,
    }
    # WHEN the deploy script runs
    result = _bash(DEPLOY_SCRIPT, tmp_path, env)
    # THEN it succeeds and the stack in the target region runs the digest, other values kept
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Service URL: https://webapp.example.com" in result.stdout
    (stack,) = cloudformation.describe_stacks(StackName="webapp-production")["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters == {"ImageDigest": DIGEST, "DesiredCount": "3"}
    # ... the deploy role was assumed with the project role's (container) credentials
    calls = aws.calls[first:]
    (assume,) = [c for c in calls if c.operation == "AssumeRole"]
    assert assume.access_key == PROJECT_ROLE_KEY
    assert assume.params["RoleArn"] == DEPLOY_ROLE_ARN
    # ... and every CloudFormation call went to the target region with the deploy role
    stack_calls = [c for c in calls if c.service == "cloudformation"]
    assert {c.operation for c in stack_calls} >= {"DescribeStacks", "UpdateStack"}
    assert [c.operation for c in stack_calls].count("DescribeStacks") >= 3  # keys, wait, URL
    assert {(c.region, c.access_key == PROJECT_ROLE_KEY) for c in stack_calls} == {
        (TARGET_REGION, False)
    }
    update = next(c for c in stack_calls if c.operation == "UpdateStack")
    assert update.params["UsePreviousTemplate"] == "true"
    assert update.params["RoleARN"] == CFN_EXEC_ROLE_ARN
    assert {c.service for c in calls} == {"sts", "cloudformation"}


# --- defect 3: two git tags on one commit -------------------------------------------------------
FAKE_DOCKER = r'''#!{python}
"""docker, as far as the build uses it: record the call; build = a new image; push = ECR PutImage."""
import json, os, sys, uuid
import boto3

args = sys.argv[1:]
state_path = os.environ["DOCKER_STATE"]
state = json.load(open(state_path)) if os.path.exists(state_path) else {{}}
with open(os.environ["DOCKER_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
if args[:1] == ["login"]:
    sys.stdin.read()
elif args[:2] == ["buildx", "build"]:
    # every build is a new image: labels and timestamps differ, so does the digest
    layer = "sha256:" + uuid.uuid4().hex * 2
    manifest = json.dumps({{
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {{"mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": "sha256:" + "c" * 64, "size": 1}},
        "layers": [{{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                     "digest": layer, "size": 1}}],
    }})
    for i, arg in enumerate(args):
        if arg == "--tag":
            state[args[i + 1]] = manifest
elif args[:1] == ["push"]:
    reference = args[1]
    repository_uri, tag = reference.rsplit(":", 1)
    repository = repository_uri.split("/", 1)[1]
    ecr = boto3.client("ecr")
    try:
        existing = ecr.describe_images(repositoryName=repository, imageIds=[{{"imageTag": tag}}])
        print(f"tag invalid: The image tag '{{tag}}' already exists in the '{{repository}}' "
              "repository and cannot be overwritten because the repository is immutable.",
              file=sys.stderr)
        sys.exit(1)
    except ecr.exceptions.ImageNotFoundException:
        pass
    ecr.put_image(repositoryName=repository, imageManifest=state[reference], imageTag=tag,
                  imageManifestMediaType="application/vnd.oci.image.manifest.v1+json")
    print(f"{{tag}}: pushed")
json.dump(state, open(state_path, "w"))
'''

#: Build commands that need tools this machine does not have (linters, scanners, the gate).
SKIPPED = ("hadolint", "trivy", "container_delivery.scan_gate", "suppressions")


def _build_script(spec: dict[str, Any]) -> str:
    commands = [
        command
        for phase in ("pre_build", "build")
        for command in spec["phases"][phase]["commands"]
        if not any(word in command for word in SKIPPED)
    ]
    # CodeBuild aborts the phase on the first failing command (on-failure: ABORT)
    return "set -eo pipefail\n" + "\n".join(commands) + '\necho "IMAGE_DIGEST=$IMAGE_DIGEST"\n'


def _builder(aws: RecordingMotoServer, tmp_path: Path) -> Any:
    """Run the build's shell for a git tag and commit; returns its result and docker calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable))
    docker.chmod(0o755)
    ecr = _client(aws, "ecr", BUILD_REGION)
    ecr.create_repository(repositoryName="webapp", imageTagMutability="IMMUTABLE")
    script = _build_script(build_spec(BuildOptions()))

    runs = iter(range(100))

    def run(tag: str, commit: str = COMMIT) -> tuple[subprocess.CompletedProcess[str], list[Any]]:
        n = next(runs)
        work = tmp_path / f"src-{n}"
        work.mkdir()
        (work / ".release.json").write_text(json.dumps({"tag": tag, "commit": commit}))
        log = tmp_path / f"docker-{n}.log"
        env = {
            **_environment(aws, work, bin_dir),
            "DOCKER_LOG": str(log),
            "DOCKER_STATE": str(tmp_path / f"docker-{n}.json"),
            "REPOSITORY_URI": REPOSITORY_URI,
            "REPOSITORY_NAME": "webapp",
            "CACHE_REPOSITORY_URI": f"{BUILD_ACCOUNT}.dkr.ecr.{BUILD_REGION}.amazonaws.com/build-cache/webapp",
            "ECR_REGISTRY": f"{BUILD_ACCOUNT}.dkr.ecr.{BUILD_REGION}.amazonaws.com",
        }
        result = _bash(script, work, env)
        calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        return result, calls

    run.ecr = ecr  # type: ignore[attr-defined]
    return run


def _tags(ecr: Any) -> dict[str, str]:
    return {
        tag: image["imageDigest"]
        for image in ecr.describe_images(repositoryName="webapp")["imageDetails"]
        for tag in image.get("imageTags", [])
    }


@pytest.fixture(scope="module")
def releases(server: RecordingMotoServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One registry, three builds: v1.4.0, then v1.4.1 on the same commit, then v1.4.0 again.

    Shared by the tests below (each build runs a dozen CLI and docker processes).
    """
    server.reset()
    run = _builder(server, tmp_path_factory.mktemp("releases"))
    outcome: dict[str, Any] = {}
    for name, tag, commit in (
        ("first", "v1.4.0", COMMIT),
        ("second", "v1.4.1", COMMIT),
        ("again", "v1.4.0", "fedcba9876543210fedcba9876543210fedcba98"),
    ):
        result, calls = run(tag, commit)
        outcome[name] = (result, calls, _tags(run.ecr))
    return outcome


def test_a_second_git_tag_on_the_same_commit_is_built_and_pushed(releases: Any) -> None:
    # GIVEN v1.4.0 was released from a commit
    first, _, _ = releases["first"]
    assert first.returncode == 0, first.stdout + first.stderr
    # WHEN v1.4.1 is tagged on the same commit and built (a new image, a new digest)
    second, calls, tags = releases["second"]
    # THEN both of its tags are pushed and the build exports its digest
    assert second.returncode == 0, second.stdout + second.stderr
    build_tag = f"{BUILD_TAG_PREFIX}{COMMIT[:12]}-v1.4.1"
    assert tags[build_tag] == tags["v1.4.1"] != tags["v1.4.0"]
    assert tags[f"{BUILD_TAG_PREFIX}{COMMIT[:12]}-v1.4.0"] == tags["v1.4.0"]
    assert f"IMAGE_DIGEST={tags['v1.4.1']}" in second.stdout
    assert [call[1] for call in calls if call[0] == "push"] == [
        f"{REPOSITORY_URI}:v1.4.1",
        f"{REPOSITORY_URI}:{build_tag}",
    ]


def test_a_git_tag_built_again_is_refused_before_anything_is_built_or_pushed(
    releases: Any,
) -> None:
    # GIVEN v1.4.0 and v1.4.1 were built and pushed
    _, _, before = releases["second"]
    # WHEN v1.4.0 is built again (a re-run, or the tag moved to another commit)
    again, calls, after = releases["again"]
    # THEN the build stops before building, says why, and the registry is unchanged
    assert again.returncode == 1
    assert (
        "Image tag v1.4.0 or git-fedcba987654-v1.4.0 already exists in repository webapp: git "
        "tag v1.4.0 was already built and pushed" in again.stderr
    )
    assert "release this change under a new git tag. Nothing was pushed." in again.stderr
    assert not any(call[:2] == ["buildx", "build"] or call[0] == "push" for call in calls)
    assert after == before


def test_the_builder_runs_buildkit_from_ecr_public(releases: Any) -> None:
    _, calls, _ = releases["first"]
    (create,) = [call for call in calls if call[:2] == ["buildx", "create"]]
    assert f"image={DEFAULT_BUILDKIT_IMAGE}" in create
    assert DEFAULT_BUILDKIT_IMAGE.startswith("public.ecr.aws/")
    assert "docker.io" not in json.dumps(build_spec(BuildOptions()))


def test_build_tags_are_the_ones_the_lifecycle_rules_keep_by_count() -> None:
    # the build tag must start with the prefix of the "keep the newest N build images" rule and
    # never with the release prefix (that rule keeps images forever)
    assert BUILD_TAG_PREFIX == DEFAULT_BUILD_TAG_PREFIX
    assert not BUILD_TAG_PREFIX.startswith(DEFAULT_RELEASE_TAG_PREFIX)
    by_prefix = {
        rule["selection"].get("tagPrefixList", [None])[0]: rule for rule in lifecycle_rules()
    }
    assert by_prefix[BUILD_TAG_PREFIX]["selection"]["countType"] == "imageCountMoreThan"


def test_a_git_tag_too_long_for_the_build_tag_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / ".release.json").write_text(json.dumps({"tag": "v" + "1" * 111, "commit": COMMIT}))
    result = _bash(f"{READ_RELEASE} && {CHECK_RELEASE}", tmp_path, dict(os.environ))
    assert result.returncode == 1
    assert "at most 111, so that the build tag fits ECR's 128" in result.stdout


# --- defect 12: the KEV catalog falls back to the cached copy -----------------------------------
FAKE_CURL = r"""#!/bin/bash
# curl as the KEV step uses it: -o FILE URL. FAKE_CURL=fail|html|<path of a file to serve>
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2 ;; *) shift ;; esac; done
case "$FAKE_CURL" in
  fail) echo "curl: (6) Could not resolve host: www.cisa.gov" >&2; exit 6 ;;
  html) echo "<html>Access Denied</html>" > "$out" ;;
  *) cp "$FAKE_CURL" "$out" ;;
esac
"""


def _catalog(version: str, *cves: str) -> bytes:
    return json.dumps(
        {
            "title": "CISA Catalog of Known Exploited Vulnerabilities",
            "catalogVersion": version,
            "dateReleased": f"{version.replace('.', '-')}T17:00:00.0000Z",
            "count": len(cves),
            "vulnerabilities": [{"cveID": cve} for cve in cves],
        }
    ).encode()


@pytest.fixture
def kev(aws: RecordingMotoServer, tmp_path: Path) -> Any:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text(FAKE_CURL)
    (bin_dir / "curl").chmod(0o755)
    (bin_dir / "python3").symlink_to(sys.executable)
    tools = tmp_path / "tools"
    tools.mkdir()
    s3 = _client(aws, "s3", BUILD_REGION)
    s3.create_bucket(
        Bucket="pipeline-artifacts",
        CreateBucketConfiguration={"LocationConstraint": BUILD_REGION},
    )

    def run(curl: str) -> subprocess.CompletedProcess[str]:
        env = {
            **_environment(aws, tmp_path, bin_dir),
            "TOOLS": str(tools),
            "FAKE_CURL": curl,
            "KEV_CACHE_S3_URL": KEV_CACHE,
        }
        return _bash(kev_script(KEV_URL), tmp_path, env)

    run.s3 = s3  # type: ignore[attr-defined]
    run.catalog = tools / "kev.json"  # type: ignore[attr-defined]
    return run


def _cached(s3: Any) -> bytes:
    key = KEV_CACHE.split("/", 3)[3]
    return bytes(s3.get_object(Bucket="pipeline-artifacts", Key=key)["Body"].read())


def test_a_failed_kev_download_uses_the_cached_catalog_and_says_so(kev: Any) -> None:
    # GIVEN a catalog cached by an earlier build
    cached = _catalog("2026.11.30", "CVE-2024-3094")
    kev.s3.put_object(Bucket="pipeline-artifacts", Key=KEV_CACHE.split("/", 3)[3], Body=cached)
    # WHEN the download fails
    result = kev("fail")
    # THEN the build goes on with the cached copy and the log says so, with its version
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"WARNING: the KEV catalog download from {KEV_URL} failed" in result.stdout
    assert "WARNING: using the cached KEV catalog 2026.11.30 2026-11-30T17:00:00.0000Z" in (
        result.stdout
    )
    assert kev.catalog.read_bytes() == cached
    assert load_kev(kev.catalog) == {"CVE-2024-3094"}


def test_a_download_that_is_not_a_catalog_also_uses_the_cached_copy(kev: Any) -> None:
    cached = _catalog("2026.11.30", "CVE-2024-3094")
    kev.s3.put_object(Bucket="pipeline-artifacts", Key=KEV_CACHE.split("/", 3)[3], Body=cached)

    result = kev("html")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed; the gate uses the cached copy" in result.stdout
    assert kev.catalog.read_bytes() == cached


def test_a_good_download_refreshes_the_cached_catalog(kev: Any, tmp_path: Path) -> None:
    # GIVEN an old cached copy and a reachable feed with a newer catalog
    kev.s3.put_object(
        Bucket="pipeline-artifacts",
        Key=KEV_CACHE.split("/", 3)[3],
        Body=_catalog("2026.01.01", "CVE-2021-44228"),
    )
    fresh = tmp_path / "feed.json"
    fresh.write_bytes(_catalog("2026.12.01", "CVE-2021-44228", "CVE-2024-3094"))
    # WHEN the build downloads it
    result = kev(str(fresh))
    # THEN the gate gets the new catalog and the cache holds it for the next failed download
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEV catalog 2026.12.01" in result.stdout and "WARNING" not in result.stdout
    assert kev.catalog.read_bytes() == fresh.read_bytes()
    assert _cached(kev.s3) == fresh.read_bytes()


def test_no_download_and_no_cache_stops_the_build(kev: Any) -> None:
    result = kev("fail")

    assert result.returncode == 1
    assert "No KEV catalog: the download failed and there is no usable cached copy" in (
        result.stderr
    )
