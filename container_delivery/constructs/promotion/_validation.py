"""The checks of the promotion constructs' props: each returns its problems, empty when valid."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_ecr as ecr

from container_delivery.constructs._checks import (
    ACCOUNT_ID,
    REPOSITORY_NAME,
    ROLE_NAME,
    region_problems,
    unresolved,
    valid,
)

_IMAGE_TAG: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_SAMPLE_GIT_TAG: Final = "v1.4.0"


@dataclass(frozen=True)
class ReplicationCheck:
    """Where the promoted digest must arrive before production deploys."""

    account: str
    """Production account id (12 digits)."""
    region: str
    """Production region, e.g. ``eu-west-1``."""
    role_name: str
    """Name of the ``PromotionReadRole`` in that account."""


def check_account(name: str, value: str) -> list[str]:
    if valid(ACCOUNT_ID, value):
        return []
    return [f"{name}: {value!r} is not an AWS account id, give the 12 digits, e.g. '222222222222'"]


def check_region(name: str, value: str) -> list[str]:
    return [f"{name}: {problem}" for problem in region_problems(value)]


def check_role_name(name: str, value: str) -> list[str]:
    if valid(ROLE_NAME, value):
        return []
    return [
        f"{name}: {value!r} is not a valid IAM role name, use 1-64 letters, digits and "
        "'+=,.@_-' (no path, no ARN)"
    ]


def check_repositories(repositories: Sequence[ecr.IRepository]) -> list[str]:
    if len(repositories) == 0:
        return [
            "repositories: none given, give the ecr.IRepository objects the function may tag "
            "(e.g. ecr.Repository.from_repository_name(...))"
        ]
    return []


def check_repository_names(names: Sequence[str]) -> list[str]:
    if isinstance(names, str):
        return [f"repository_names: {names!r} is a string, give a list of names, e.g. [{names!r}]"]
    if len(names) == 0:
        return ["repository_names: none given, give the destination repository names to describe"]
    return [
        f"repository_names: {name!r} is not a valid ECR repository name, use 2-256 lowercase "
        "letters, digits and '._-/' separators (e.g. 'team/webapp')"
        for name in names
        if not unresolved(name)
        and (not REPOSITORY_NAME.fullmatch(name) or not 2 <= len(name) <= 256)
    ]


def check_template(template: str) -> list[str]:
    if unresolved(template):
        return []
    if "{git_tag}" not in template:
        return [
            f"release_tag_template: {template!r} must contain '{{git_tag}}' "
            "(e.g. 'release-{git_tag}')"
        ]
    sample = template.replace("{git_tag}", _SAMPLE_GIT_TAG)
    if not _IMAGE_TAG.fullmatch(sample) or len(template.replace("{git_tag}", "")) > 100:
        return [
            f"release_tag_template: {template!r} does not make a valid image tag (for git tag "
            f"{_SAMPLE_GIT_TAG!r} it gives {sample!r}), use letters, digits, '_', '.', '-', not "
            "starting with '.' or '-', at most 100 characters besides '{git_tag}'"
        ]
    return []


def check_duration(name: str, value: Duration, low: Duration, high: Duration) -> list[str]:
    if value.is_unresolved():
        return []
    seconds = value.to_seconds()
    if low.to_seconds() <= seconds <= high.to_seconds():
        return []
    return [
        f"{name}: {value.to_human_string()} is out of range, give between "
        f"{low.to_human_string()} and {high.to_human_string()}"
    ]


def check_int(name: str, value: int, low: int, high: int) -> list[str]:
    if cdk.Token.is_unresolved(value) or low <= value <= high:
        return []
    return [f"{name}: {value} is out of range, give a whole number from {low} to {high}"]


def check_replication_check(check: ReplicationCheck) -> list[str]:
    return [
        *check_account("replication_check.account", check.account),
        *check_region("replication_check.region", check.region),
        *check_role_name("replication_check.role_name", check.role_name),
    ]
