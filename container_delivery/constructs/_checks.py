"""Token-aware input patterns shared by the constructs: one definition of each AWS name format.

Each construct keeps its own messages (they name its props); what a valid account id, region,
IAM role name or ECR repository name is, is decided here and in ``container_delivery.rules``
(shared with the config) only.
"""

from __future__ import annotations

import re
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_logs as logs

from container_delivery import rules

#: An AWS account id.
ACCOUNT_ID: Final = re.compile(r"^\d{12}$")
#: An IAM role name (no path, no ARN).
ROLE_NAME: Final = re.compile(r"^[\w+=,.@-]{1,64}$")
#: ECR repository names (CreateRepository's documented pattern); 2 to 256 characters apart.
REPOSITORY_NAME: Final = re.compile(
    r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
)


def unresolved(value: object) -> bool:
    """True for a string token (known only at deploy time): checks skip it."""
    return isinstance(value, str) and cdk.Token.is_unresolved(value)


def valid(pattern: re.Pattern[str], value: str) -> bool:
    """``value`` matches ``pattern``, or is a token and cannot be checked at synth."""
    return unresolved(value) or pattern.fullmatch(value) is not None


def region_problems(value: str) -> list[str]:
    """Why ``value`` is not a region botocore knows (empty when it is, or a token)."""
    return [] if unresolved(value) else rules.check_region(value)


def wrong_type(prop: str, value: object, expected: type | tuple[type, ...], fix: str) -> list[str]:
    """A prop of the wrong type, as a problem naming the prop (instead of jsii's TypeError)."""
    if isinstance(value, expected) and not (isinstance(value, bool) and expected in (int, float)):
        return []
    return [f"{prop}: {value!r} ({type(value).__name__}) is the wrong type; {fix}"]


def check_log_retention(prop: str, value: object) -> list[str]:
    """``logs.RetentionDays`` only: a number of days is refused with the member to use."""
    if isinstance(value, logs.RetentionDays):
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        problems = rules.check_retention_days(value)
        if problems:
            return [f"{prop}: {problems[0]}; pass a logs.RetentionDays member"]
        member = rules.retention_name(value)
        return [
            f"{prop}: {value} is a number of days; pass logs.RetentionDays.{member} "
            f"(aws_cdk.aws_logs) instead"
        ]
    return wrong_type(prop, value, logs.RetentionDays, "pass e.g. logs.RetentionDays.THREE_MONTHS")
