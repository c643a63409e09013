"""The promotion itself: add the release tags to the image by digest in the source registry.

ECR calls per promotion: one ``BatchGetImage`` (the source image and the current state of every
release tag in one call) plus one ``PutImage`` per release tag that is not there yet: 2 for one new
tag, 1 when the promotion is repeated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError
from errors import ImageNotFound, PromotionError, ReleaseTagConflict, error_code
from model import Promotion, Request

if TYPE_CHECKING:  # the stubs are a development dependency only
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef, ImageTypeDef

DOCKER_MANIFEST: Final = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST: Final = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX: Final = "application/vnd.oci.image.index.v1+json"
# Without the list/index types ECR may answer with one platform's manifest instead of the index:
# the retagged image would then be a different digest.
ACCEPTED_MEDIA_TYPES: Final = (DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX)


def promote(ecr: ECRClient, request: Request) -> Promotion:
    """Add every release tag to the requested image; idempotent, never moves a release tag.

    One BatchGetImage tells which image is meant and where every release tag points now; one
    PutImage per missing tag adds it with the manifest bytes, media type and digest unchanged.
    """
    repository = request.repository
    source_id: ImageIdentifierTypeDef = (
        {"imageDigest": request.digest}
        if request.digest is not None
        else {"imageTag": request.source_tag or ""}
    )
    asked_tags = [t for t in request.release_tags if t != request.source_tag]
    image_ids: list[ImageIdentifierTypeDef] = [source_id]
    image_ids += [{"imageTag": t} for t in asked_tags]
    response = ecr.batch_get_image(
        repositoryName=repository,
        imageIds=image_ids,
        acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES),
    )
    images = response.get("images", [])
    missing: set[str] = set()
    source_failure: tuple[str, str] | None = None
    for failure in response.get("failures", []):
        failed_tag = failure.get("imageId", {}).get("imageTag")
        code = failure.get("failureCode", "")
        reason = failure.get("failureReason", "")
        if failed_tag in asked_tags:
            if code != "ImageNotFound":
                raise PromotionError(
                    f"cannot read release tag {failed_tag} in repository {repository}: "
                    f"{code}: {reason}"
                )
            missing.add(failed_tag)
        else:  # the source image (moto reports a digest as imageTag 'null')
            source_failure = (code, reason)
    if source_failure is not None and source_failure[0] != "ImageNotFound":
        raise PromotionError(
            f"cannot read image {request.image} in repository {repository}: "
            f"{source_failure[0]}: {source_failure[1]}"
        )

    present = [t for t in asked_tags if t not in missing]
    if request.source_tag is not None and source_failure is None:
        present.append(request.source_tag)
    tag_digests = _tag_digests(ecr, repository, images, present)

    digest = request.digest or tag_digests.get(request.source_tag or "")
    source = next((i for i in images if i.get("imageId", {}).get("imageDigest") == digest), None)
    if digest is None or source is None:
        raise ImageNotFound(
            f"image {request.image} not found in repository {repository}: check the digest "
            "passed by the build action and that the image was pushed to this registry"
        )

    for tag in asked_tags:
        existing = tag_digests.get(tag)
        if existing is not None and existing != digest:
            raise ReleaseTagConflict(
                repository=repository, tag=tag, existing_digest=existing, digest=digest
            )

    manifest = source.get("imageManifest", "")
    media_type = _media_type(source, repository, digest)
    added: list[str] = []
    unchanged: list[str] = [t for t in request.release_tags if tag_digests.get(t) == digest]
    for tag in request.release_tags:
        if tag in unchanged:
            continue
        if _put_tag(ecr, repository, manifest, media_type, digest, tag):
            added.append(tag)
        else:
            unchanged.append(tag)
    return Promotion(
        repository=repository,
        registry_id=source.get("registryId", ""),
        region=ecr.meta.region_name,
        digest=digest,
        media_type=media_type,
        release_tags=request.release_tags,
        added=tuple(added),
        unchanged=tuple(t for t in request.release_tags if t in unchanged),
    )


def _tag_digests(
    ecr: ECRClient, repository: str, images: Sequence[ImageTypeDef], tags: Sequence[str]
) -> dict[str, str]:
    """Map each present tag to its digest.

    ECR names the requested tag in each returned ``imageId``; when it does not (moto names the
    image's last tag) and the answer holds one digest only, every present tag points to it. Only
    an ambiguous answer, which means a conflict, costs a DescribeImages per tag.
    """
    digests = {i["imageId"]["imageDigest"] for i in images if "imageDigest" in i.get("imageId", {})}
    known: dict[str, str] = {}
    for image in images:
        image_id = image.get("imageId", {})
        if image_id.get("imageTag") in tags and "imageDigest" in image_id:
            known[image_id["imageTag"]] = image_id["imageDigest"]
    for tag in tags:
        if tag in known:
            continue
        if len(digests) == 1:
            known[tag] = next(iter(digests))
        else:
            found = lookup_tag(ecr, repository, tag)
            if found is not None:
                known[tag] = found
    return known


def lookup_tag(ecr: ECRClient, repository: str, tag: str) -> str | None:
    """The digest a tag points to now, or None (conflict path only)."""
    try:
        details = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as error:
        if error_code(error) == "ImageNotFoundException":
            return None
        raise
    for detail in details.get("imageDetails", []):
        if "imageDigest" in detail:
            return detail["imageDigest"]
    return None


def _media_type(source: ImageTypeDef, repository: str, digest: str) -> str:
    media_type = source.get("imageManifestMediaType")
    if media_type:
        return media_type
    try:  # ECR always returns it; the body is only a fallback and is never re-serialized
        body_type = json.loads(source.get("imageManifest", "")).get("mediaType")
    except (ValueError, AttributeError):
        body_type = None
    if isinstance(body_type, str) and body_type:
        return body_type
    raise PromotionError(
        f"ECR returned no media type for {digest} in repository {repository} and the manifest "
        "has no mediaType field: cannot retag it without changing the digest"
    )


def _put_tag(
    ecr: ECRClient, repository: str, manifest: str, media_type: str, digest: str, tag: str
) -> bool:
    """PutImage the same manifest bytes under ``tag``; False when the tag was already there."""
    try:
        ecr.put_image(
            repositoryName=repository,
            imageManifest=manifest,
            imageManifestMediaType=media_type,
            imageDigest=digest,
            imageTag=tag,
        )
    except ClientError as error:
        code = error_code(error)
        if code not in {"ImageAlreadyExistsException", "ImageTagAlreadyExistsException"}:
            if code == "ImageDigestDoesNotMatchException":
                raise PromotionError(
                    f"ECR computed another digest than {digest} for the manifest read from "
                    f"repository {repository}: the image was not retagged"
                ) from error
            raise
        # Only reached when the tag appeared since BatchGetImage (a concurrent promotion).
        # ImageAlreadyExists: same tag on the same digest, a repeated promotion (verified, since
        # moto also raises it for a tag on another digest). ImageTagAlreadyExists: the repository
        # is immutable and the tag is taken.
        existing = lookup_tag(ecr, repository, tag)
        if existing == digest or (existing is None and code == "ImageAlreadyExistsException"):
            return False
        raise ReleaseTagConflict(
            repository=repository,
            tag=tag,
            existing_digest=existing or "an image ECR would not describe",
            digest=digest,
        ) from error
    return True
