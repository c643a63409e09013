"""Fixtures for the Lambda handler tests: fake credentials, moto, the handler loaded by path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.access import recorder
from tests.helpers import load_handler

REGION = "eu-west-1"
DESTINATION_REGION = "eu-central-1"
SOURCE_ACCOUNT = "123456789012"  # moto's default account
DESTINATION_ACCOUNT = "210987654321"
DESTINATION_ROLE_ARN = f"arn:aws:iam::{DESTINATION_ACCOUNT}:role/promote-replication-check"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

PROMOTE_ENV = (
    "RELEASE_TAG_TEMPLATE",
    "ALLOWED_REPOSITORIES",
    "DESTINATION_ROLE_ARN",
    "DESTINATION_REGION",
    "DESTINATION_REGISTRY_ID",
    "REPLICATION_TIMEOUT_SECONDS",
)


@pytest.fixture(autouse=True)
def _record_boto3_calls(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every boto3 call of every Lambda test, for the access check (tests/access)."""
    with recorder.recording(request.node.nodeid):
        yield


def pytest_sessionfinish(session: pytest.Session) -> None:
    recorder.write_if_requested()


@pytest.fixture(scope="session")
def promote_module() -> ModuleType:
    return load_handler("promote")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region; none of the function's own settings leak in."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", *PROMOTE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)


@pytest.fixture
def promote(promote_module: ModuleType, aws_env: None) -> Iterator[ModuleType]:
    """The promote handler module, with its lazily built clients reset around each test."""
    clear_clients(promote_module)
    yield promote_module
    clear_clients(promote_module)


def clear_clients(module: ModuleType) -> None:
    for name in ("_ecr_client", "_codepipeline_client", "_sts_client"):
        getattr(module, name).cache_clear()


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def ecr(moto: None) -> Any:
    """The source registry (moto, default account, eu-west-1) with an immutable 'webapp'."""
    client = boto3.client("ecr", region_name=REGION)
    client.create_repository(repositoryName="webapp", imageTagMutability="IMMUTABLE")
    return client


@pytest.fixture
def destination_ecr(moto: None) -> Any:
    """An ECR client in the destination account and region, through the assumed role."""
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=DESTINATION_ROLE_ARN, RoleSessionName="test-setup"
    )["Credentials"]
    return boto3.client(
        "ecr",
        region_name=DESTINATION_REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def image_manifest(seed: str, *, media_type: str | None = DOCKER_MANIFEST, indent: int = 0) -> str:
    """A single-platform manifest; ``seed`` makes its layer (and moto's digest) unique."""
    layer = "sha256:" + (seed * 64)[:64]
    body: dict[str, Any] = {"schemaVersion": 2}
    if media_type is not None:
        body["mediaType"] = media_type
    config_type = (
        "application/vnd.oci.image.config.v1+json"
        if media_type != DOCKER_MANIFEST
        else "application/vnd.docker.container.image.v1+json"
    )
    body["config"] = {"mediaType": config_type, "digest": "sha256:" + "c" * 64, "size": 1469}
    body["layers"] = [
        {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 977}
    ]
    return json.dumps(body, indent=indent or None)


def index_manifest(platform_digests: dict[str, str]) -> str:
    """An OCI image index listing one manifest per platform (``os/arch``)."""
    manifests = []
    for platform, digest in platform_digests.items():
        os_name, arch = platform.split("/")
        manifests.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest,
                "size": 1000,
                "platform": {"os": os_name, "architecture": arch},
            }
        )
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})


def push(
    client: Any,
    manifest: str,
    tag: str,
    *,
    media_type: str = DOCKER_MANIFEST,
    digest: str | None = None,
    repository: str = "webapp",
) -> str:
    """PutImage like a build would; returns the digest moto assigned (never computed here)."""
    kwargs: dict[str, Any] = {"imageManifestMediaType": media_type}
    if digest is not None:
        kwargs["imageDigest"] = digest
    response = client.put_image(
        repositoryName=repository, imageManifest=manifest, imageTag=tag, **kwargs
    )
    return str(response["image"]["imageId"]["imageDigest"])


def tag_digest(client: Any, tag: str, repository: str = "webapp") -> str:
    details = client.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    return str(details["imageDetails"][0]["imageDigest"])


def json_logs(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def images() -> SimpleNamespace:
    """Helpers and constants for the tests (tests/lambdas is not a package: no imports)."""
    return SimpleNamespace(
        manifest=image_manifest,
        index=index_manifest,
        push=push,
        tag_digest=tag_digest,
        json_logs=json_logs,
        DOCKER_MANIFEST=DOCKER_MANIFEST,
        OCI_MANIFEST=OCI_MANIFEST,
        OCI_INDEX=OCI_INDEX,
        REGION=REGION,
        DESTINATION_REGION=DESTINATION_REGION,
        SOURCE_ACCOUNT=SOURCE_ACCOUNT,
        DESTINATION_ACCOUNT=DESTINATION_ACCOUNT,
        DESTINATION_ROLE_ARN=DESTINATION_ROLE_ARN,
    )
