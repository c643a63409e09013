"""Pure helpers shared by the registry constructs: name checks and the lifecycle policy.

Nothing here touches aws_cdk: the same functions build the lifecycle policy of a
``ServiceRepository`` (staging) and of the repository creation template (production), so the
two cannot drift, and the tests parse the JSON they return.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Final

from container_delivery import rules

from .._checks import ACCOUNT_ID, REPOSITORY_NAME, region_problems, unresolved, valid

#: Characters allowed in an image tag prefix (image tags: ``[A-Za-z0-9_.-]``).
TAG_PREFIX: Final = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
#: ImageTagMutabilityExclusionFilter values (CloudFormation schema): wildcard patterns.
EXCLUSION_FILTER: Final = re.compile(r"^[0-9a-zA-Z._*-]{1,128}$")
#: At most this many exclusion filters per repository (and per creation template).
MAX_EXCLUSION_FILTERS: Final = 5

RELEASE_KEEP_COUNT: Final = 100_000
"""Release-tagged images are kept up to this count: at least the images-per-repository quota
(documented as 10,000, and 100,000 on newer pages; adjustable), so the rule that selects release
tags never finds more of them than it keeps and never expires one; being the highest-priority
rule, it also shields those images from every lower-priority rule. Raise it if the quota of an
account is raised above it."""

DEFAULT_RELEASE_TAG_PREFIX: Final = "release-"
"""Prefix of the tags the promotion adds to released images; the lifecycle never expires them."""
DEFAULT_BUILD_TAG_PREFIX: Final = "git-"
"""Prefix of the build tag the pipeline pushes with every image (``git-<short sha>``)."""
DEFAULT_KEEP_BUILD_IMAGES: Final = 50
"""Build-tagged images kept per repository (the newest) by the lifecycle policy."""
DEFAULT_UNTAGGED_IMAGE_DAYS: Final = 14
"""Days the lifecycle policy keeps an untagged image after its push."""


def check_repository_name(name: str, field: str = "repository_name") -> list[str]:
    """Problems with an ECR repository name (empty when it is fine or a token)."""
    if unresolved(name):
        return []
    problems: list[str] = []
    if not 2 <= len(name) <= 256:
        problems.append(f"{field}: {name!r} is {len(name)} characters; ECR names have 2 to 256")
    if not REPOSITORY_NAME.match(name):
        hint = re.sub(r"[^a-z0-9._/-]+", "-", name.lower()).strip("-._/")
        problems.append(
            f"{field}: {name!r} is not a valid ECR repository name (lowercase letters, digits, "
            f"and single '.', '_', '-' or '/' between them; try {hint!r})"
        )
    problems += [f"{field}: {problem}" for problem in rules.check_repository_environment(name)]
    return problems


def check_tag_prefixes(release_tag_prefix: str, build_tag_prefix: str) -> list[str]:
    """Problems with the release and build tag prefixes that drive the lifecycle policy."""
    problems: list[str] = []
    for field, value in (
        ("release_tag_prefix", release_tag_prefix),
        ("build_tag_prefix", build_tag_prefix),
    ):
        if not TAG_PREFIX.match(value):
            problems.append(
                f"{field}: {value!r} is not an image tag prefix (1 to 100 of A-Z a-z 0-9 _ . -)"
            )
    if (
        release_tag_prefix
        and build_tag_prefix
        and (
            release_tag_prefix.startswith(build_tag_prefix)
            or build_tag_prefix.startswith(release_tag_prefix)
        )
    ):
        problems.append(
            f"release_tag_prefix {release_tag_prefix!r} and build_tag_prefix {build_tag_prefix!r} "
            "overlap: one is a prefix of the other, so the lifecycle policy cannot tell released "
            "images from build images (use e.g. 'release-' and 'git-')"
        )
    return problems


def _may_match_prefix(pattern: str, prefix: str) -> bool:
    """Whether the wildcard ``pattern`` can match some tag that starts with ``prefix``."""
    head = pattern.split("*", 1)[0]
    if "*" not in pattern:
        return pattern.startswith(prefix)
    return head.startswith(prefix) or prefix.startswith(head)


def check_mutable_tags(
    mutable_tags: Sequence[str], release_tag_prefix: str, build_tag_prefix: str
) -> list[str]:
    """Problems with tag filters declared mutable (IMMUTABLE_WITH_EXCLUSION filters)."""
    problems: list[str] = []
    if len(mutable_tags) > MAX_EXCLUSION_FILTERS:
        problems.append(
            f"mutable_tags: {len(mutable_tags)} filters given; ECR allows at most "
            f"{MAX_EXCLUSION_FILTERS} exclusion filters per repository"
        )
    for tag in mutable_tags:
        if unresolved(tag):
            continue
        if not EXCLUSION_FILTER.match(tag):
            problems.append(
                f"mutable_tags: {tag!r} is not a tag filter (1 to 128 of A-Z a-z 0-9 . _ - and "
                "'*' as wildcard)"
            )
            continue
        for what, prefix in (("release", release_tag_prefix), ("build", build_tag_prefix)):
            if prefix and _may_match_prefix(tag, prefix):
                problems.append(
                    f"mutable_tags: {tag!r} can match {what} tags ({prefix!r}...), which must "
                    f"stay immutable; declare only tags that are meant to move (e.g. 'latest')"
                )
    return problems


def check_positive(field: str, value: int, maximum: int | None = None) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [f"{field}: {value!r} must be a whole number of at least 1"]
    if maximum is not None and value > maximum:
        return [f"{field}: {value} is more than {maximum}"]
    return []


def lifecycle_rules(
    *,
    release_tag_prefix: str = DEFAULT_RELEASE_TAG_PREFIX,
    build_tag_prefix: str = DEFAULT_BUILD_TAG_PREFIX,
    keep_build_images: int = DEFAULT_KEEP_BUILD_IMAGES,
    untagged_image_days: int = DEFAULT_UNTAGGED_IMAGE_DAYS,
) -> list[dict[str, Any]]:
    """The lifecycle rules of every service repository, staging and production alike.

    ECR evaluates rules from the lowest ``rulePriority``; an image matched by a higher-priority
    rule is never expired by a lower-priority one, and an image with several tags matches a
    prefix rule when any of its tags does. So:

    1. images carrying a release tag are selected first and kept (up to ``RELEASE_KEEP_COUNT``,
       a count the repository cannot reach): a released image is never expired;
    2. untagged images expire ``untagged_image_days`` days after their push;
    3. of the images carrying a build tag (``git-<commit>-<tag>``), only the newest
       ``keep_build_images`` are kept.
    """
    return [
        {
            "rulePriority": 1,
            "description": f"Keep every released image (tag {release_tag_prefix}*)",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": [release_tag_prefix],
                "countType": "imageCountMoreThan",
                "countNumber": RELEASE_KEEP_COUNT,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Expire untagged images after {untagged_image_days} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": untagged_image_days,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 3,
            "description": f"Keep the newest {keep_build_images} build images (tag {build_tag_prefix}*)",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": [build_tag_prefix],
                "countType": "imageCountMoreThan",
                "countNumber": keep_build_images,
            },
            "action": {"type": "expire"},
        },
    ]


def lifecycle_policy_text(**kwargs: Any) -> str:
    """``lifecycle_rules(**kwargs)`` as the JSON text ECR and CloudFormation take."""
    return json.dumps({"rules": lifecycle_rules(**kwargs)}, separators=(",", ":"))


def check_account(field: str, account: str) -> list[str]:
    if valid(ACCOUNT_ID, account):
        return []
    return [f"{field}: {account!r} is not a 12-digit AWS account id (quote it in YAML)"]


def check_region(field: str, region: str) -> list[str]:
    return [f"{field}: {problem}" for problem in region_problems(region)]


def check_not_self(
    field: str, source_account: str, source_region: str, account: str, region: str
) -> list[str]:
    """A replication destination that is the source registry itself (tokens are skipped)."""
    if any(unresolved(v) for v in (source_account, source_region, account, region)):
        return []
    return [
        f"{field}: {problem}"
        for problem in rules.check_replication_destination(
            source_account, source_region, account, region
        )
    ]
