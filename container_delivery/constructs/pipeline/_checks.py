"""Input checks shared by the pipeline constructs (token-aware, one message per problem)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import aws_cdk as cdk

from container_delivery import rules

from .._checks import ACCOUNT_ID, ROLE_NAME, region_problems, unresolved, valid

_SERVICE: Final = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_GITHUB_REPOSITORY: Final = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_STACK_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")


def check_account(name: str, value: str) -> list[str]:
    if valid(ACCOUNT_ID, value):
        return []
    return [f"{name} {value!r} must be a 12-digit AWS account id"]


def check_region(name: str, value: str) -> list[str]:
    return [f"{name}: {problem}" for problem in region_problems(value)]


def check_role_name(name: str, value: str) -> list[str]:
    if valid(ROLE_NAME, value):
        return []
    return [
        f"{name} {value!r} must be 1 to 64 characters of letters, digits and +=,.@_- "
        f"(it has {len(value)}); use a shorter service name or give the role name explicitly"
    ]


def check_service_name(value: str) -> list[str]:
    if _SERVICE.fullmatch(value) and len(value) <= 40:
        return []
    return [
        f"service_name {value!r} must be a lowercase ECR-style name of at most 40 characters "
        f"(letters, digits, '.', '_', '-' between them), e.g. {value.lower().strip('-_.')[:40]!r}"
    ]


def check_github_repository(value: str) -> list[str]:
    if _GITHUB_REPOSITORY.fullmatch(value):
        return []
    return [f"github_repository {value!r} must be 'owner/repo' (e.g. 'example-org/webapp')"]


def check_tag_pattern(value: str) -> list[str]:
    if unresolved(value):
        return []
    return [f"tag_pattern: {problem}" for problem in rules.check_tag_pattern(value)]


def check_stack_name(name: str, value: str) -> list[str]:
    if unresolved(value) or _STACK_NAME.fullmatch(value):
        return []
    return [f"{name} {value!r} must be a CloudFormation stack name (letters, digits, '-')"]


def check_at_least_a_day(name: str, value: cdk.Duration) -> list[str]:
    if value.to_days() >= 1:
        return []
    return [f"{name} must be at least 1 day (got {value.to_human_string()})"]


def check_build_cache_name(value: str, service_name: str) -> list[str]:
    if unresolved(value) or not value.startswith(service_name):
        return []
    return [
        f"build_cache_repository_name {value!r} starts with the service name "
        f"{service_name!r}: replication by prefix would copy the unscanned cache to "
        f"production (try 'build-cache/{service_name}')"
    ]


def check_staging_url(value: str | None) -> list[str]:
    if value is None or unresolved(value) or value.startswith(("https://", "http://", "#{")):
        return []
    return [
        f"staging_url {value!r} must start with https:// or http:// (or be a "
        "pipeline variable such as STAGING_URL_VARIABLE)"
    ]


def check_scan_gate_path(value: Path) -> list[str]:
    if (value / "__main__.py").is_file():
        return []
    return [f"scan_gate_path {str(value)!r} is not the scan_gate package (no __main__.py)"]


def check_output_prefix(value: str) -> list[str]:
    if re.fullmatch(r"[A-Za-z0-9]*", value):
        return []
    return [
        f"output_prefix {value!r} may hold only letters and digits (it starts "
        "CloudFormation output names)"
    ]
