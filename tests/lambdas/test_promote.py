"""The promotion core against moto's ECR: retag, idempotency, media types, indexes, conflicts."""

from __future__ import annotations

import re
from typing import Any

import pytest


def count_calls(client: Any) -> list[str]:
    """Record the name of every API call the client makes (retries are not calls)."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call", record)
    return calls


def test_retag_by_source_tag_adds_release_tag_to_the_same_digest(promote, ecr, images):
    # GIVEN an image pushed by the build under its git tag
    digest = images.push(ecr, images.manifest("a"), "v1.4.0")
    # WHEN it is promoted by source tag
    result = promote.promote(
        ecr, promote.Request("webapp", ("release-v1.4.0",), source_tag="v1.4.0")
    )
    # THEN the release tag points to the digest the source tag points to
    assert result.digest == digest
    assert result.added == ("release-v1.4.0",)
    assert images.tag_digest(ecr, "release-v1.4.0") == digest


def test_retag_by_digest(promote, ecr, images):
    digest = images.push(ecr, images.manifest("a"), "build-17")

    result = promote.promote(ecr, promote.Request("webapp", ("release-v1.4.0",), digest=digest))

    assert images.tag_digest(ecr, "release-v1.4.0") == digest
    assert result.image_uri == (
        f"{images.SOURCE_ACCOUNT}.dkr.ecr.{images.REGION}.amazonaws.com/webapp@{digest}"
    )


def test_one_new_release_tag_costs_two_ecr_calls(promote, ecr, images):
    digest = images.push(ecr, images.manifest("a"), "build-17")
    calls = count_calls(ecr)

    promote.promote(ecr, promote.Request("webapp", ("release-v1.4.0",), digest=digest))

    assert calls == ["BatchGetImage", "PutImage"]


def test_repeated_promotion_succeeds_with_one_read_and_no_write(promote, ecr, images):
    # GIVEN an image already promoted
    digest = images.push(ecr, images.manifest("a"), "build-17")
    request = promote.Request("webapp", ("release-v1.4.0",), digest=digest)
    promote.promote(ecr, request)
    calls = count_calls(ecr)
    # WHEN the same promotion runs again
    result = promote.promote(ecr, request)
    # THEN it succeeds without writing anything
    assert result.added == ()
    assert result.unchanged == ("release-v1.4.0",)
    assert calls == ["BatchGetImage"]
    assert images.tag_digest(ecr, "release-v1.4.0") == digest


def test_several_release_tags_are_added_with_one_read(promote, ecr, images):
    digest = images.push(ecr, images.manifest("a"), "v1.4.0")
    calls = count_calls(ecr)

    result = promote.promote(
        ecr, promote.Request("webapp", ("release-v1.4.0", "release-latest-1"), digest=digest)
    )

    assert result.added == ("release-v1.4.0", "release-latest-1")
    assert calls == ["BatchGetImage", "PutImage", "PutImage"]
    assert images.tag_digest(ecr, "release-latest-1") == digest


def test_oci_manifest_without_media_type_field_is_retagged_with_ecrs_media_type(
    promote, ecr, images
):
    # GIVEN an OCI manifest whose body has no mediaType field (moto rejects a PutImage of it
    # without imageManifestMediaType, like ECR)
    manifest = images.manifest("b", media_type=None)
    assert '"mediaType": "application/vnd.oci.image.manifest' not in manifest
    digest = images.push(ecr, manifest, "v2.0.0", media_type=images.OCI_MANIFEST)
    # WHEN it is promoted
    result = promote.promote(ecr, promote.Request("webapp", ("release-v2.0.0",), digest=digest))
    # THEN the media type came from BatchGetImage and the release tag names the same image
    assert result.media_type == images.OCI_MANIFEST
    got = ecr.batch_get_image(repositoryName="webapp", imageIds=[{"imageTag": "release-v2.0.0"}])
    assert got["images"][0]["imageManifestMediaType"] == images.OCI_MANIFEST
    assert got["images"][0]["imageId"]["imageDigest"] == digest


def test_manifest_bytes_are_put_back_unchanged(promote, ecr, images):
    # GIVEN a manifest with unusual but valid formatting (any re-serialization would change it)
    manifest = images.manifest("d", indent=3)
    digest = images.push(ecr, manifest, "v3.0.0")

    promote.promote(ecr, promote.Request("webapp", ("release-v3.0.0",), digest=digest))

    got = ecr.batch_get_image(repositoryName="webapp", imageIds=[{"imageTag": "release-v3.0.0"}])
    assert got["images"][0]["imageManifest"] == manifest


def test_image_index_with_two_platforms_stays_an_index_with_the_same_digest(promote, ecr, images):
    # GIVEN a multi-arch image: two platform manifests and an index (digests assigned explicitly:
    # moto gives an index a random digest, and we never compare a moto digest with a computed one)
    amd64 = images.push(ecr, images.manifest("1"), "build-17-amd64", media_type=images.OCI_MANIFEST)
    arm64 = images.push(ecr, images.manifest("2"), "build-17-arm64", media_type=images.OCI_MANIFEST)
    index_digest = "sha256:" + "1d" * 32
    images.push(
        ecr,
        images.index({"linux/amd64": amd64, "linux/arm64": arm64}),
        "v1.4.0",
        media_type=images.OCI_INDEX,
        digest=index_digest,
    )
    # WHEN the index is promoted by its tag
    result = promote.promote(
        ecr, promote.Request("webapp", ("release-v1.4.0",), source_tag="v1.4.0")
    )
    # THEN the release tag points to the index itself, not to one platform's manifest
    assert result.digest == index_digest
    assert result.media_type == images.OCI_INDEX
    got = ecr.batch_get_image(repositoryName="webapp", imageIds=[{"imageTag": "release-v1.4.0"}])
    assert got["images"][0]["imageId"]["imageDigest"] == index_digest
    assert got["images"][0]["imageManifestMediaType"] == images.OCI_INDEX
    assert images.tag_digest(ecr, "build-17-amd64") == amd64


def test_missing_image_by_digest_is_image_not_found(promote, ecr, images):
    images.push(ecr, images.manifest("a"), "v1.4.0")
    missing = "sha256:" + "0" * 64

    with pytest.raises(promote.ImageNotFound, match=f"image {missing} not found in repository"):
        promote.promote(ecr, promote.Request("webapp", ("release-v1.4.0",), digest=missing))


def test_missing_image_by_tag_is_image_not_found(promote, ecr):
    with pytest.raises(
        promote.ImageNotFound, match=re.escape("image tag v9.9.9 not found in repository")
    ):
        promote.promote(ecr, promote.Request("webapp", ("release-v9.9.9",), source_tag="v9.9.9"))


def test_release_tag_on_another_digest_in_an_immutable_repository_names_both_digests(
    promote, ecr, images
):
    # GIVEN release-v1.4.0 already points to an older image
    old = images.push(ecr, images.manifest("a"), "release-v1.4.0")
    new = images.push(ecr, images.manifest("b"), "build-18")
    # WHEN the same release tag is promoted for a new digest
    with pytest.raises(promote.ReleaseTagConflict) as raised:
        promote.promote(ecr, promote.Request("webapp", ("release-v1.4.0",), digest=new))
    # THEN the message names both digests and the tag has not moved
    assert f"release tag release-v1.4.0 already points to {old}" in str(raised.value)
    assert f"not to {new}" in str(raised.value)
    assert images.tag_digest(ecr, "release-v1.4.0") == old


def test_release_tag_in_a_mutable_repository_is_never_moved(promote, ecr, images):
    # GIVEN a mutable repository, where a PutImage would silently move the tag
    # (each image has a second, later tag: moto then names that one in BatchGetImage's imageId)
    ecr.create_repository(repositoryName="legacy", imageTagMutability="MUTABLE")
    old = images.push(ecr, images.manifest("a"), "release-v1.4.0", repository="legacy")
    images.push(ecr, images.manifest("a"), "v1.3.0", repository="legacy")
    new = images.push(ecr, images.manifest("b"), "v1.4.0", repository="legacy")
    images.push(ecr, images.manifest("b"), "build-18", repository="legacy")
    calls = count_calls(ecr)
    # WHEN the release tag is promoted for the other image (by source tag)
    with pytest.raises(promote.ReleaseTagConflict, match=f"already points to {old}"):
        promote.promote(ecr, promote.Request("legacy", ("release-v1.4.0",), source_tag="v1.4.0"))
    # THEN nothing was written and the tag still points to the old digest
    assert "PutImage" not in calls
    assert images.tag_digest(ecr, "release-v1.4.0", repository="legacy") == old
    assert new != old


def test_a_conflict_on_one_tag_adds_none_of_the_tags(promote, ecr, images):
    images.push(ecr, images.manifest("a"), "release-stable")
    new = images.push(ecr, images.manifest("b"), "v1.5.0")

    with pytest.raises(promote.ReleaseTagConflict, match="release-stable"):
        promote.promote(
            ecr, promote.Request("webapp", ("release-v1.5.0", "release-stable"), digest=new)
        )

    listed = ecr.list_images(repositoryName="webapp")["imageIds"]
    assert "release-v1.5.0" not in {i.get("imageTag") for i in listed}
