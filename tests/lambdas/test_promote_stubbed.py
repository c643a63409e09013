"""ECR behaviour moto cannot produce, asserted with botocore's Stubber and the documented codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber

REGISTRY = "123456789012"
DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": "sha256:" + "c" * 64},
        "layers": [],
    }
)
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@pytest.fixture
def ecr(promote: Any) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("ecr", region_name="eu-west-1", config=promote.RETRY_CONFIG)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def image(digest: str, tag: str | None = None, media_type: str = DOCKER_MANIFEST) -> dict[str, Any]:
    image_id = {"imageDigest": digest, **({"imageTag": tag} if tag else {})}
    return {
        "registryId": REGISTRY,
        "repositoryName": "webapp",
        "imageId": image_id,
        "imageManifest": MANIFEST,
        "imageManifestMediaType": media_type,
    }


def not_found(tag: str) -> dict[str, Any]:
    return {
        "imageId": {"imageTag": tag},
        "failureCode": "ImageNotFound",
        "failureReason": "Requested image not found",
    }


def expect_batch_get(stubber: Stubber, images: list[Any], failures: list[Any], promote: Any):
    stubber.add_response(
        "batch_get_image",
        {"images": images, "failures": failures},
        {
            "repositoryName": "webapp",
            "imageIds": [{"imageDigest": DIGEST}, {"imageTag": "release-v1.4.0"}],
            "acceptedMediaTypes": list(promote.ACCEPTED_MEDIA_TYPES),
        },
    )


PUT_PARAMS = {
    "repositoryName": "webapp",
    "imageManifest": MANIFEST,
    "imageManifestMediaType": DOCKER_MANIFEST,
    "imageDigest": DIGEST,
    "imageTag": "release-v1.4.0",
}


def request(promote: Any) -> Any:
    return promote.Request("webapp", ("release-v1.4.0",), digest=DIGEST)


def test_batch_get_accepts_every_manifest_type_and_put_sends_bytes_type_and_digest(promote, ecr):
    client, stubber = ecr
    assert set(promote.ACCEPTED_MEDIA_TYPES) == {
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    }
    expect_batch_get(stubber, [image(DIGEST)], [not_found("release-v1.4.0")], promote)
    stubber.add_response("put_image", {"image": image(DIGEST, "release-v1.4.0")}, PUT_PARAMS)

    result = promote.promote(client, request(promote))

    assert result.added == ("release-v1.4.0",)


def test_image_tag_already_exists_becomes_a_conflict_naming_both_digests(promote, ecr):
    # GIVEN the tag appears on another digest between the read and the write (immutable repo)
    client, stubber = ecr
    expect_batch_get(stubber, [image(DIGEST)], [not_found("release-v1.4.0")], promote)
    stubber.add_client_error(
        "put_image",
        service_error_code="ImageTagAlreadyExistsException",
        service_message="The image tag 'release-v1.4.0' already exists in the 'webapp' repository and "
        "cannot be overwritten because the repository is immutable.",
        http_status_code=400,
        expected_params=PUT_PARAMS,
    )
    stubber.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": OTHER, "imageTags": ["release-v1.4.0"]}]},
        {"repositoryName": "webapp", "imageIds": [{"imageTag": "release-v1.4.0"}]},
    )
    # WHEN the promotion writes the tag
    with pytest.raises(promote.ReleaseTagConflict) as raised:
        promote.promote(client, request(promote))
    # THEN the error names the tag, the digest it points to and the digest asked for
    message = str(raised.value)
    assert f"release tag release-v1.4.0 already points to {OTHER}" in message
    assert f"not to {DIGEST}" in message
    assert (raised.value.existing_digest, raised.value.digest) == (OTHER, DIGEST)


def test_image_already_exists_is_a_successful_repeated_promotion(promote, ecr):
    client, stubber = ecr
    expect_batch_get(stubber, [image(DIGEST)], [not_found("release-v1.4.0")], promote)
    stubber.add_client_error(
        "put_image",
        service_error_code="ImageAlreadyExistsException",
        service_message="Image with digest and tag already exists",
        http_status_code=400,
        expected_params=PUT_PARAMS,
    )
    stubber.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": DIGEST, "imageTags": ["release-v1.4.0"]}]},
        {"repositoryName": "webapp", "imageIds": [{"imageTag": "release-v1.4.0"}]},
    )

    result = promote.promote(client, request(promote))

    assert result.added == ()
    assert result.unchanged == ("release-v1.4.0",)


def test_release_tag_named_by_ecr_on_another_digest_is_refused_without_a_write(promote, ecr):
    # GIVEN ECR answers the tag request with the image that carries it (imageId names the tag)
    client, stubber = ecr
    expect_batch_get(stubber, [image(DIGEST), image(OTHER, "release-v1.4.0")], [], promote)
    # WHEN / THEN no PutImage is stubbed: a write would fail the test with an unexpected call
    with pytest.raises(promote.ReleaseTagConflict, match=f"already points to {OTHER}"):
        promote.promote(client, request(promote))


def test_an_unreadable_source_image_is_reported_with_ecrs_code(promote, ecr):
    client, stubber = ecr
    failure = {
        "imageId": {"imageDigest": DIGEST},
        "failureCode": "KmsError",
        "failureReason": "KMS key is disabled",
    }
    expect_batch_get(stubber, [], [failure, not_found("release-v1.4.0")], promote)

    with pytest.raises(promote.PromotionError, match="KmsError: KMS key is disabled"):
        promote.promote(client, request(promote))


def test_a_digest_mismatch_on_put_is_a_clear_error(promote, ecr):
    client, stubber = ecr
    expect_batch_get(stubber, [image(DIGEST)], [not_found("release-v1.4.0")], promote)
    stubber.add_client_error(
        "put_image",
        service_error_code="ImageDigestDoesNotMatchException",
        service_message="digest mismatch",
        http_status_code=400,
    )

    with pytest.raises(promote.PromotionError, match="the image was not retagged"):
        promote.promote(client, request(promote))


class RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def test_throttling_is_retried_by_the_client(promote, monkeypatch):
    # GIVEN ECR throttles the first BatchGetImage (answered on the wire, below the retry handler)
    client = boto3.client("ecr", region_name="eu-west-1", config=promote.RETRY_CONFIG)
    answers = [
        (400, {"__type": "ThrottlingException", "message": "Rate exceeded"}),
        (200, {"images": [image(DIGEST)], "failures": [not_found("release-v1.4.0")]}),
        (200, {"image": image(DIGEST, "release-v1.4.0")}),
    ]
    sent: list[str] = []

    def wire(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.headers["X-Amz-Target"].decode().split(".")[-1])
        status, body = answers.pop(0)
        return AWSResponse(request.url, status, {}, RawBody(json.dumps(body).encode()))

    client.meta.events.register("before-send", wire)
    backoff: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", backoff.append)
    # WHEN the image is promoted
    result = promote.promote(client, request(promote))
    # THEN the throttled call was sent again after a backoff, and the promotion succeeded
    assert sent == ["BatchGetImage", "BatchGetImage", "PutImage"]
    assert len(backoff) == 1
    assert result.added == ("release-v1.4.0",)


def test_throttling_that_outlasts_the_retries_surfaces_as_the_aws_error(promote, ecr):
    # (the Stubber bypasses botocore's retry handler: retries are asserted on the config below)
    client, stubber = ecr
    stubber.add_client_error(
        "batch_get_image", service_error_code="ThrottlingException", http_status_code=400
    )

    with pytest.raises(ClientError, match="ThrottlingException"):
        promote.promote(client, request(promote))


def test_replication_check_fails_at_once_on_access_denied(promote, ecr):
    client, stubber = ecr
    stubber.add_client_error(
        "describe_images", service_error_code="AccessDeniedException", http_status_code=400
    )
    sleeps: list[float] = []

    with pytest.raises(ClientError, match="AccessDeniedException"):
        promote.wait_for_replication(
            client,
            repository="webapp",
            digest=DIGEST,
            tags=["release-v1"],
            registry_id="210987654321",
            deadline=600.0,
            started_at=0.0,
            sleep=sleeps.append,
            clock=lambda: 0.0,
        )
    assert sleeps == []


def test_replication_check_looks_up_the_release_tag_in_the_destination_registry(promote, ecr):
    # GIVEN ECR answers for the release tag with the promoted digest
    client, stubber = ecr
    stubber.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": DIGEST, "imageTags": ["release-v1", "git-abc"]}]},
        expected_params={
            "registryId": "210987654321",
            "repositoryName": "webapp",
            "imageIds": [{"imageTag": "release-v1"}],
        },
    )
    # WHEN the replication check runs
    checks = promote.wait_for_replication(
        client,
        repository="webapp",
        digest=DIGEST,
        tags=["release-v1"],
        registry_id="210987654321",
        deadline=600.0,
        started_at=0.0,
        sleep=lambda seconds: None,
        clock=lambda: 0.0,
    )
    # THEN one DescribeImages by tag confirmed it
    assert checks == 1


@pytest.mark.parametrize("name", ["_ecr_client", "_codepipeline_client", "_sts_client"])
def test_every_client_retries_throttling_in_standard_mode(promote, name):
    client = getattr(promote, name)()

    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 8}


def test_the_destination_client_retries_throttling_in_standard_mode(promote):
    destination = promote.Destination(region="eu-central-1")

    client = promote.destination_client(destination, default_region="eu-west-1")

    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 8}
    assert client.meta.region_name == "eu-central-1"
