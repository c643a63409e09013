"""Request parsing: the function's settings from its environment, the event into a ``Request``.

Every problem is collected into one ``InvalidRequest``: nothing is changed on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from errors import InvalidRequest
from model import (
    DEFAULT_RELEASE_TAG_TEMPLATE,
    DEFAULT_REPLICATION_TIMEOUT_SECONDS,
    Destination,
    Request,
    Settings,
)

MAX_RELEASE_TAGS: Final = 10

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
