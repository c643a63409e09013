"""Token-aware input patterns shared by the constructs: one definition of each AWS name format.

Each construct keeps its own messages (they name its props); what a valid account id, region,
IAM role name or ECR repository name is, is decided here only.
"""

from __future__ import annotations

import re
from typing import Final

import aws_cdk as cdk

#: An AWS account id.
ACCOUNT_ID: Final = re.compile(r"^\d{12}$")
#: An AWS region name (commercial, China, GovCloud and ISO partitions).
REGION: Final = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
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
