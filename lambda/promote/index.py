"""Promote a released image: tag the digest staging ran, then wait until the tag is replicated.

The function adds the release tag to the exact image that passed staging (by digest, or by the
source tag that resolves to it) in the source registry, and then waits, bounded and with backoff,
until ECR replication has delivered that release tag, on that digest, to the production registry. Production deploys by
digest only; tags are for people.

Dependencies: boto3/botocore and the standard library only. boto3 is part of the AWS Lambda Python
runtime, so the function is shipped as this single file, without a ``requirements.txt``.

ECR calls per promotion: one ``BatchGetImage`` (the source image and the current state of every
release tag in one call) plus one ``PutImage`` per release tag that is not there yet: 2 for one new
tag, 1 when the promotion is repeated. The replication check is a ``DescribeImages`` by release
tag per poll (one per release tag not confirmed yet) in the destination registry.

See README.md next to this file for the event shapes, outputs, errors and environment variables.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:  # the stubs are a development dependency only
    from mypy_boto3_codepipeline import CodePipelineClient
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef, ImageTypeDef
    from mypy_boto3_sts import STSClient

# Throttling and transient errors are retried by botocore (standard mode: exponential backoff with
# jitter on throttling, 5xx and connection errors).
RETRY_CONFIG: Final = Config(
    retries={"mode": "standard", "total_max_attempts": 8},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="container-delivery-promote",
)

DOCKER_MANIFEST: Final = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST: Final = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX: Final = "application/vnd.oci.image.index.v1+json"
# Without the list/index types ECR may answer with one platform's manifest instead of the index:
# the retagged image would then be a different digest.
ACCEPTED_MEDIA_TYPES: Final = (DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX)

DEFAULT_RELEASE_TAG_TEMPLATE: Final = "release-{git_tag}"
DEFAULT_REPLICATION_TIMEOUT_SECONDS: Final = 600
FIRST_POLL_DELAY_SECONDS: Final = 2.0
MAX_POLL_DELAY_SECONDS: Final = 30.0
# Time kept back from the Lambda timeout to report the result to CodePipeline.
REPORT_MARGIN_SECONDS: Final = 20.0
MAX_RELEASE_TAGS: Final = 10
FAILURE_MESSAGE_MAX: Final = 5000
ROLE_SESSION_NAME: Final = "container-delivery-promote"

DIGEST_RE: Final = re.compile(r"sha256:[a-f0-9]{64}")
TAG_RE: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
REPOSITORY_RE: Final = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
REGION_RE: Final = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
ACCOUNT_RE: Final = re.compile(r"\d{12}")
ROLE_ARN_RE: Final = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+")

REQUEST_FIELDS: Final = frozenset(
    {
        "repository",
        "digest",
        "source_tag",
        "release_tags",
        "git_tag",
        "destination_region",
        "destination_registry_id",
        "destination_role_arn",
    }
)


# --------------------------------------------------------------------------------------- errors
class PromotionError(Exception):
    """The image cannot be promoted as asked; the message says why and what to do."""

    failure_type = "JobFailed"


class InvalidRequest(PromotionError):  # noqa: N818 - the documented error names of the promotion README
    """The event or the function's configuration is wrong: nothing was changed."""

    failure_type = "ConfigurationError"


class ImageNotFound(PromotionError):  # noqa: N818 - the documented error names of the promotion README
    """The image to promote is not in the source repository."""


class ReleaseTagConflict(PromotionError):  # noqa: N818 - the documented error names of the promotion README
    """A release tag already points to another digest; release tags never move."""

    def __init__(self, *, repository: str, tag: str, existing_digest: str, digest: str) -> None:
        self.tag = tag
        self.existing_digest = existing_digest
        self.digest = digest
        super().__init__(
            f"release tag {tag} already points to {existing_digest} in repository {repository}, "
            f"not to {digest}: release tags never move. Promote {existing_digest} again, or "
            "release the new image under a new tag"
        )


class ReplicationTimeout(PromotionError):  # noqa: N818 - the documented error names of the promotion README
    """Replication has not delivered the digest to the destination within the deadline."""

    def __init__(self, message: str, *, waited_seconds: float, checks: int) -> None:
        self.waited_seconds = waited_seconds
        self.checks = checks
        super().__init__(message)


# ------------------------------------------------------------------------------------- payloads
@dataclass(frozen=True)
class Destination:
    """Where the replicated copy is checked; ``None`` fields fall back to sensible defaults."""

    region: str | None = None
    registry_id: str | None = None
    role_arn: str | None = None


@dataclass(frozen=True)
class Settings:
    """The function's configuration, from the environment set by the CDK construct."""

    release_tag_template: str = DEFAULT_RELEASE_TAG_TEMPLATE
    allowed_repositories: frozenset[str] | None = None
    destination: Destination | None = None
    replication_timeout_seconds: float = DEFAULT_REPLICATION_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Request:
    """One promotion: the image (by digest xor by source tag) and the release tags to add."""

    repository: str
    release_tags: tuple[str, ...]
    digest: str | None = None
    source_tag: str | None = None
    destination: Destination | None = None

    @property
    def image(self) -> str:
        return self.digest or f"tag {self.source_tag}"


@dataclass(frozen=True)
class Promotion:
    """The result: the digest that now carries every release tag."""

    repository: str
    registry_id: str
    region: str
    digest: str
    media_type: str
    release_tags: tuple[str, ...]
    added: tuple[str, ...]
    unchanged: tuple[str, ...]

    @property
    def image_uri(self) -> str:
        return image_uri(self.registry_id, self.region, self.repository, self.digest)


def image_uri(registry_id: str, region: str, repository: str, digest: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{registry_id}.dkr.ecr.{region}.{suffix}/{repository}@{digest}"


# ------------------------------------------------------------------------------------------ logs
def log(level: str, event: str, **fields: Any) -> None:
    """One JSON line per event on stdout; the alarm filter is ``{ $.level = "ERROR" }``."""
    record = {"level": level, "event": event, **fields}
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------------------- configuration
def settings_from_env(env: Mapping[str, str]) -> Settings:
    problems: list[str] = []
    template = env.get("RELEASE_TAG_TEMPLATE") or DEFAULT_RELEASE_TAG_TEMPLATE
    if "{git_tag}" not in template:
        problems.append(
            f"RELEASE_TAG_TEMPLATE: {template!r} must contain {{git_tag}} "
            "(e.g. 'release-{git_tag}')"
        )
    allowed_raw = env.get("ALLOWED_REPOSITORIES", "")
    allowed = frozenset(name.strip() for name in allowed_raw.split(",") if name.strip()) or None
    timeout_raw = env.get("REPLICATION_TIMEOUT_SECONDS") or str(DEFAULT_REPLICATION_TIMEOUT_SECONDS)
    try:
        timeout = float(timeout_raw)
        if timeout <= 0:
            raise ValueError(timeout_raw)
    except ValueError:
        problems.append(
            f"REPLICATION_TIMEOUT_SECONDS: {timeout_raw!r} must be a positive number of seconds"
        )
        timeout = DEFAULT_REPLICATION_TIMEOUT_SECONDS
    destination = _destination(
        region=env.get("DESTINATION_REGION") or None,
        registry_id=env.get("DESTINATION_REGISTRY_ID") or None,
        role_arn=env.get("DESTINATION_ROLE_ARN") or None,
        problems=problems,
        prefix="DESTINATION_",
    )
    if problems:
        raise InvalidRequest("function configuration: " + "; ".join(problems))
    return Settings(
        release_tag_template=template,
        allowed_repositories=allowed,
        destination=destination,
        replication_timeout_seconds=timeout,
    )


def _destination(
    *,
    region: str | None,
    registry_id: str | None,
    role_arn: str | None,
    problems: list[str],
    prefix: str,
) -> Destination | None:
    def name(field_name: str) -> str:
        return prefix + (field_name.upper() if prefix.isupper() else field_name)

    if region is not None and not REGION_RE.fullmatch(region):
        problems.append(f"{name('region')}: {region!r} is not a region name (e.g. 'eu-west-1')")
    if registry_id is not None and not ACCOUNT_RE.fullmatch(registry_id):
        problems.append(f"{name('registry_id')}: {registry_id!r} must be a 12-digit account id")
    if role_arn is not None and not ROLE_ARN_RE.fullmatch(role_arn):
        problems.append(
            f"{name('role_arn')}: {role_arn!r} must be an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>)"
        )
    if region is None and registry_id is None and role_arn is None:
        return None
    return Destination(region=region, registry_id=registry_id, role_arn=role_arn)


def parse_request(params: Mapping[str, Any], settings: Settings) -> Request:
    """Validate the direct event or the CodePipeline UserParameters; every problem in one error."""
    if not isinstance(params, Mapping):
        raise InvalidRequest(
            f"the request must be a JSON object, got {type(params).__name__}: see README.md"
        )
    problems: list[str] = []
    unknown = sorted(set(params) - REQUEST_FIELDS)
    if unknown:
        problems.append(f"unknown field(s) {unknown}; known: {sorted(REQUEST_FIELDS)}")

    def text(key: str) -> str | None:
        value = params.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            problems.append(f"{key}: {value!r} must be a non-empty string")
            return None
        return value

    repository = text("repository")
    if repository is None:
        problems.append("repository: required (the ECR repository name, e.g. 'webapp')")
    elif not REPOSITORY_RE.fullmatch(repository) or len(repository) > 256:
        problems.append(f"repository: {repository!r} is not a valid ECR repository name")
    elif settings.allowed_repositories is not None and repository not in (
        settings.allowed_repositories
    ):
        problems.append(
            f"repository: {repository!r} is not one this function may promote "
            f"(ALLOWED_REPOSITORIES: {', '.join(sorted(settings.allowed_repositories))})"
        )

    digest = text("digest")
    source_tag = text("source_tag")
    if digest is not None and source_tag is not None:
        problems.append("give either digest or source_tag, not both (the digest is preferred)")
    elif digest is None and source_tag is None:
        problems.append(
            "digest: required (e.g. '#{Build.IMAGE_DIGEST}'), or source_tag to resolve the image"
        )
    if digest is not None and not DIGEST_RE.fullmatch(digest):
        problems.append(f"digest: {digest!r} must look like 'sha256:<64 lowercase hex digits>'")
    if source_tag is not None and not TAG_RE.fullmatch(source_tag):
        problems.append(f"source_tag: {source_tag!r} is not a valid image tag")

    release_tags = _release_tags(params, settings, problems, text)

    destination = settings.destination
    overrides = {key: text(f"destination_{key}") for key in ("region", "registry_id", "role_arn")}
    if any(value is not None for value in overrides.values()):
        base = destination or Destination()
        destination = _destination(
            region=overrides["region"] or base.region,
            registry_id=overrides["registry_id"] or base.registry_id,
            role_arn=overrides["role_arn"] or base.role_arn,
            problems=problems,
            prefix="destination_",
        )

    if problems or repository is None:
        raise InvalidRequest("invalid promotion request: " + "; ".join(problems))
    return Request(
        repository=repository,
        release_tags=release_tags,
        digest=digest,
        source_tag=source_tag,
        destination=destination,
    )


def _release_tags(
    params: Mapping[str, Any],
    settings: Settings,
    problems: list[str],
    text: Callable[[str], str | None],
) -> tuple[str, ...]:
    raw_tags = params.get("release_tags")
    git_tag = text("git_tag")
    if raw_tags is not None and git_tag is not None:
        problems.append("give either release_tags or git_tag, not both")
        return ()
    if raw_tags is None and git_tag is None:
        problems.append(
            "release_tags: required (a list of tags), or git_tag to fill RELEASE_TAG_TEMPLATE "
            f"({settings.release_tag_template!r})"
        )
        return ()
    if git_tag is not None:
        tags: list[str] = [settings.release_tag_template.replace("{git_tag}", git_tag)]
    elif isinstance(raw_tags, list) and raw_tags and all(isinstance(t, str) for t in raw_tags):
        tags = list(dict.fromkeys(cast("list[str]", raw_tags)))
    else:
        problems.append(f"release_tags: {raw_tags!r} must be a non-empty list of strings")
        return ()
    if len(tags) > MAX_RELEASE_TAGS:
        problems.append(f"release_tags: {len(tags)} tags given, at most {MAX_RELEASE_TAGS}")
    for tag in tags:
        if not TAG_RE.fullmatch(tag):
            hint = " (set release_tags explicitly)" if git_tag is not None else ""
            problems.append(
                f"release tag {tag!r} is not a valid image tag: letters, digits, '_', '.', '-', "
                f"at most 128 characters, not starting with '.' or '-'{hint}"
            )
    return tuple(tags)


# ----------------------------------------------------------------------------------------- core
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


def wait_for_replication(
    ecr: ECRClient,
    *,
    repository: str,
    digest: str,
    tags: Sequence[str],
    registry_id: str,
    deadline: float,
    started_at: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    first_delay: float = FIRST_POLL_DELAY_SECONDS,
    max_delay: float = MAX_POLL_DELAY_SECONDS,
) -> int:
    """Poll the destination until every release tag is there on ``digest``; return the checks.

    The digest alone proves nothing: build tags replicate at push, so the digest is in the
    destination long before the promotion. The release tag is what keeps the running image out of
    the lifecycle rules there, so each tag is looked up (DescribeImages by imageTag) and its digest
    compared. A tag on another digest is an error at once (tags are immutable there: waiting
    cannot fix it). Capped exponential backoff (2, 4, 8, 16, 30, 30... s), never sleeping past
    ``deadline``; ReplicationTimeout when the deadline passes first; other errors (e.g.
    AccessDenied) are raised at once.
    """
    checks = 0
    delay = first_delay
    pending = list(dict.fromkeys(tags))
    while True:
        checks += 1
        for tag in list(pending):
            found = _destination_tag_digest(ecr, registry_id, repository, tag)
            if found is None:
                continue
            if found != digest:
                raise PromotionError(
                    f"release tag {tag} points to {found} in repository {repository} of registry "
                    f"{registry_id} ({ecr.meta.region_name}), not to {digest}: the destination "
                    "holds another image under this release tag (tags are immutable there), so "
                    "production would not run what staging ran. Release under a new git tag, or "
                    "find out who pushed that tag to the production registry"
                )
            pending.remove(tag)
        if not pending:
            return checks
        remaining = deadline - clock()
        if remaining <= 0:
            waited = clock() - started_at
            raise ReplicationTimeout(
                f"replication has not delivered release tag {', '.join(pending)} of {digest} to "
                f"repository {repository} in registry {registry_id} ({ecr.meta.region_name}) yet: "
                f"waited {waited:.0f} s, {checks} checks. ECR replication is asynchronous "
                "(usually seconds, documented as most within 30 minutes): retry the promotion "
                "later (it is idempotent), or check the registry's replication rules for this "
                "repository",
                waited_seconds=waited,
                checks=checks,
            )
        sleep(min(delay, remaining))
        delay = min(delay * 2, max_delay)


def _destination_tag_digest(
    ecr: ECRClient, registry_id: str, repository: str, tag: str
) -> str | None:
    """The digest ``tag`` points to in the destination, or None when it is not there (yet)."""
    try:
        response = ecr.describe_images(
            registryId=registry_id, repositoryName=repository, imageIds=[{"imageTag": tag}]
        )
    except ClientError as error:
        # replication creates the repository on first delivery
        if error_code(error) in {"ImageNotFoundException", "RepositoryNotFoundException"}:
            return None
        raise
    details = response.get("imageDetails", [])
    return details[0].get("imageDigest") if details else None


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# -------------------------------------------------------------------------------------- clients
@functools.cache
def _ecr_client() -> ECRClient:
    return boto3.client("ecr", config=RETRY_CONFIG)


@functools.cache
def _codepipeline_client() -> CodePipelineClient:
    return boto3.client("codepipeline", config=RETRY_CONFIG)


@functools.cache
def _sts_client() -> STSClient:
    return boto3.client("sts", config=RETRY_CONFIG)


def destination_client(
    destination: Destination, *, default_region: str, sts: Callable[[], STSClient] = _sts_client
) -> ECRClient:
    """An ECR client for the destination: the assumed role's credentials when a role is set."""
    region = destination.region or default_region
    if destination.role_arn is None:
        return boto3.client("ecr", region_name=region, config=RETRY_CONFIG)
    credentials = sts().assume_role(
        RoleArn=destination.role_arn, RoleSessionName=ROLE_SESSION_NAME, DurationSeconds=900
    )["Credentials"]
    return boto3.client(
        "ecr",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=RETRY_CONFIG,
    )


@dataclass
class Dependencies:
    """What the handler talks to; tests pass their own (stubbed clients, fake sleep and clock)."""

    ecr: Callable[[], ECRClient] = _ecr_client
    codepipeline: Callable[[], CodePipelineClient] = _codepipeline_client
    destination_ecr: Callable[[Destination, str], ECRClient] = field(
        default=lambda destination, region: destination_client(destination, default_region=region)
    )
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)


# -------------------------------------------------------------------------------------- handler
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point: a CodePipeline job event, or a direct promotion request."""
    return run(event, context, Dependencies())


def run(event: Mapping[str, Any], context: Any, deps: Dependencies) -> dict[str, str]:
    if isinstance(event, Mapping) and "CodePipeline.job" in event:
        return run_job(event["CodePipeline.job"], context, deps)
    started_at = deps.clock()
    try:
        settings = settings_from_env(deps.env)
        request = parse_request(event, settings)
        outputs = execute(
            request,
            settings,
            deps,
            started_at=started_at,
            budget_end=_budget_end(context, deps.clock),
        )
    except Exception as error:  # logged for the alarm, raised for the caller
        log("ERROR", "promotion_failed", error=type(error).__name__, message=str(error))
        raise
    return outputs


def execute(
    request: Request,
    settings: Settings,
    deps: Dependencies,
    *,
    started_at: float,
    budget_end: float,
) -> dict[str, str]:
    """Promote, then wait for the digest in the destination; return the output variables."""
    ecr = deps.ecr()
    promotion = promote(ecr, request)
    log(
        "INFO",
        "promoted",
        repository=promotion.repository,
        digest=promotion.digest,
        tags=list(promotion.release_tags),
        added=list(promotion.added),
        unchanged=list(promotion.unchanged),
        media_type=promotion.media_type,
        image_uri=promotion.image_uri,
    )
    outputs = {
        "IMAGE_DIGEST": promotion.digest,
        "RELEASE_TAG": promotion.release_tags[0],
        "RELEASE_TAGS": ",".join(promotion.release_tags),
        "IMAGE_URI": promotion.image_uri,
    }
    destination = request.destination
    if destination is None:
        log(
            "INFO",
            "replication_check_skipped",
            repository=promotion.repository,
            digest=promotion.digest,
            reason="no destination configured",
        )
        return outputs
    registry_id = destination.registry_id or _role_account(destination) or promotion.registry_id
    region = destination.region or promotion.region
    dest_ecr = deps.destination_ecr(destination, promotion.region)
    checks = wait_for_replication(
        dest_ecr,
        repository=promotion.repository,
        digest=promotion.digest,
        tags=promotion.release_tags,
        registry_id=registry_id,
        deadline=min(started_at + settings.replication_timeout_seconds, budget_end),
        started_at=started_at,
        sleep=deps.sleep,
        clock=deps.clock,
    )
    dest_uri = image_uri(registry_id, region, promotion.repository, promotion.digest)
    log(
        "INFO",
        "replicated",
        repository=promotion.repository,
        digest=promotion.digest,
        tags=list(promotion.release_tags),
        destination_registry=registry_id,
        destination_region=region,
        checks=checks,
        waited_seconds=round(deps.clock() - started_at, 1),
    )
    outputs["DESTINATION_IMAGE_URI"] = dest_uri
    return outputs


def _role_account(destination: Destination) -> str | None:
    match = ROLE_ARN_RE.fullmatch(destination.role_arn or "")
    return match.group(1) if match else None


def _budget_end(context: Any, clock: Callable[[], float]) -> float:
    """When this invocation must stop waiting, to keep time to report before the Lambda timeout."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return float("inf")
    return clock() + float(remaining()) / 1000 - REPORT_MARGIN_SECONDS


# ----------------------------------------------------------------------------- CodePipeline job
def run_job(job: Mapping[str, Any], context: Any, deps: Dependencies) -> dict[str, str]:
    """Run a CodePipeline job and report it through the job API; never raise after reporting.

    CodePipeline invokes the function asynchronously, so a raised error makes Lambda retry the
    invocation, which would report the same job twice. Errors are reported and the function
    returns. Only a failure to report at all (other than the job being already closed) is raised,
    so Lambda's retry runs the idempotent promotion and reports again.

    A replication wait longer than this invocation can afford ends with a continuation token:
    CodePipeline invokes the function again (each reply restarts its 20-minute action timer, up to
    24 hours) and the wait resumes until REPLICATION_TIMEOUT_SECONDS after the first invocation.
    """
    job_id = str(job["id"])  # no id: not a job event we can answer, let it fail loudly
    data = job.get("data", {})
    clock = deps.clock
    continuation = data.get("continuationToken")
    started_at = _started_at(continuation, clock())
    budget_end = _budget_end(context, clock)
    outputs: dict[str, str] | None = None
    token: str | None = None
    try:
        settings = settings_from_env(deps.env)
        request = parse_request(_user_parameters(data), settings)
        overall_deadline = started_at + settings.replication_timeout_seconds
        try:
            outputs = execute(request, settings, deps, started_at=started_at, budget_end=budget_end)
        except ReplicationTimeout as error:
            if budget_end >= overall_deadline or clock() >= overall_deadline:
                raise
            # this invocation ran out of time, the promotion did not: ask to be invoked again
            token = json.dumps({"started_at": started_at}, separators=(",", ":"))
            log(
                "INFO",
                "replication_wait_continues",
                job_id=job_id,
                repository=request.repository,
                waited_seconds=round(error.waited_seconds, 1),
                checks=error.checks,
            )
    except Exception as error:  # every error must reach the pipeline, or it hangs 20 minutes
        failure_type = error.failure_type if isinstance(error, PromotionError) else "JobFailed"
        message = str(error)
        if not isinstance(error, PromotionError):
            message = f"unexpected {type(error).__name__}: {message}"
        log("ERROR", "promotion_failed", job_id=job_id, error=type(error).__name__, message=message)
        _report(deps, job_id, "failure", failure_type=failure_type, message=message)
        return {"status": "Failed", "job_id": job_id}
    if token is not None:
        _report(deps, job_id, "continue", continuation_token=token)
        return {"status": "InProgress", "job_id": job_id}
    outputs = outputs or {}
    _report(deps, job_id, "success", outputs=outputs)
    return {"status": "Succeeded", "job_id": job_id, **outputs}


def _user_parameters(data: Mapping[str, Any]) -> Any:
    raw = data.get("actionConfiguration", {}).get("configuration", {}).get("UserParameters")
    if not raw:
        raise InvalidRequest(
            "the CodePipeline action has no UserParameters: set it to a JSON object such as "
            '{"repository": "webapp", "digest": "#{Build.IMAGE_DIGEST}", "git_tag": "v1.4.0"}'
        )
    try:
        return json.loads(raw)
    except ValueError as error:
        raise InvalidRequest(f"UserParameters is not valid JSON ({error}): {raw[:200]!r}") from None


def _started_at(continuation: object, now: float) -> float:
    if isinstance(continuation, str):
        try:
            value = json.loads(continuation).get("started_at")
            if isinstance(value, int | float):
                return float(value)
        except (ValueError, AttributeError):
            pass
    return now


def _report(
    deps: Dependencies,
    job_id: str,
    outcome: str,
    *,
    outputs: Mapping[str, str] | None = None,
    continuation_token: str | None = None,
    failure_type: str = "JobFailed",
    message: str = "",
) -> None:
    client = deps.codepipeline()
    try:
        if outcome == "failure":
            client.put_job_failure_result(
                jobId=job_id,
                failureDetails={
                    "type": cast("Any", failure_type),
                    "message": message[:FAILURE_MESSAGE_MAX] or "promotion failed",
                },
            )
        elif continuation_token is not None:
            client.put_job_success_result(jobId=job_id, continuationToken=continuation_token)
        else:
            client.put_job_success_result(jobId=job_id, outputVariables=dict(outputs or {}))
    except ClientError as error:
        if error_code(error) in {"InvalidJobStateException", "JobNotFoundException"}:
            log("WARNING", "job_already_closed", job_id=job_id, outcome=outcome, message=str(error))
            return
        raise
    log("INFO", "job_reported", job_id=job_id, outcome=outcome)
