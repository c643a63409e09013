"""Field types and checks shared by the configuration models.

Each check returns the list of problems with a value (empty when it is fine); ``check`` turns
one into a pydantic after-validator. Every check that AWS would also make is a function of
``container_delivery.rules``, shared with the constructs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
)

from container_delivery import rules

Architecture = Literal["x86_64", "arm64"]
EnvironmentName = Literal["staging", "production"]
ENVIRONMENTS: tuple[EnvironmentName, ...] = ("staging", "production")
Pack = Literal["AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"]
KNOWN_PACKS: tuple[str, ...] = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")

SERVICE_NAME = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
GITHUB_REPOSITORY = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_SERVICE_NAME = 40


class FieldProblemsError(ValueError):
    """Problems found by a check across fields: ``(relative path, message)`` pairs.

    The loader reports each at ``<model path>.<relative path>`` (pydantic would put a
    model-level error at the model's path only).
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))
        self.problems = list(problems)


def validator_of(check: Callable[[Any], list[str]]) -> Callable[[Any], Any]:
    """A pydantic after-validator raising one ``ValueError`` with every problem of ``check``."""

    def validate(value: Any) -> Any:
        problems = check(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    return validate


def quoted_account(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"{value} must be quoted ('{value:012d}'): YAML reads it as a number and drops "
            "leading zeros"
        )
    return value


def pattern_check(regex: str, what: str) -> Callable[[str], list[str]]:
    compiled = re.compile(regex)
    return lambda value: [] if compiled.match(value) else [f"{value!r} is not {what}"]


def check_cidr(value: str) -> list[str]:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        return [f"{value!r} is not an IPv4 CIDR block ({error}), e.g. '10.10.0.0/16'"]
    if not 16 <= network.prefixlen <= 28:
        return [f"{value!r}: a VPC's CIDR block is /16 to /28 (AWS limit), e.g. '10.10.0.0/16'"]
    return []


def plain_value(value: Any) -> Any:
    """Plain environment values: strings, or numbers written without quotes (made strings)."""
    if isinstance(value, bool):
        raise ValueError(
            f"{value!r} is a YAML boolean; quote it ('{str(value).lower()}') to pass it as text"
        )
    if isinstance(value, (int, float)):
        return str(value)
    return value


def check_scratch_paths(value: tuple[str, ...]) -> list[str]:
    if all(path.startswith("/") and path.rstrip("/") for path in value):
        return []
    return [
        f"list {list(value)!r} must be a list of absolute paths other than '/', e.g. ['/tmp'] "
        "([] for none)"
    ]


def check_service_name(value: str) -> list[str]:
    """The service's name names its ECR repository (same in every account), stacks and roles."""
    if not re.match(SERVICE_NAME, value):
        hint = re.sub("[^a-z0-9]+", "-", value.lower()).strip("-") or "webapp"
        return [
            f"{value!r} is not a lowercase service name (letters, digits, single hyphens; it names "
            f"the ECR repository), e.g. {hint!r}"
        ]
    if len(value) > MAX_SERVICE_NAME:
        return [
            f"{value!r} is {len(value)} characters; at most {MAX_SERVICE_NAME} (it prefixes stack "
            "and resource names)"
        ]
    return rules.check_repository_environment(value)


def check_health_check_path(value: str) -> list[str]:
    if value.startswith("/"):
        return []
    return [f"{value!r} must be a path starting with '/', e.g. '/healthz'"]


AccountId = Annotated[
    str,
    BeforeValidator(quoted_account),
    AfterValidator(validator_of(rules.check_account_id)),
    Field(json_schema_extra={"pattern": r"^\d{12}$"}, description="12-digit account id, quoted"),
]
Region = Annotated[
    str,
    AfterValidator(validator_of(rules.check_region)),
    Field(
        json_schema_extra={"pattern": rules.aws.REGION_SHAPE.pattern, "examples": ["eu-west-1"]},
        description="An AWS region botocore knows, e.g. eu-west-1",
    ),
]
EnvVarName = Annotated[
    str,
    AfterValidator(validator_of(rules.check_env_var_name)),
    Field(json_schema_extra={"pattern": rules.ecs.ENV_VAR_NAME.pattern}),
]
PlainValue = Annotated[
    str, BeforeValidator(plain_value), WithJsonSchema({"type": ["string", "number"]})
]
Count = Annotated[StrictInt, Field(ge=0, le=1000)]


class FrozenModel(BaseModel):
    """Frozen, and refuses unknown keys: a typo in the YAML file is an error, not a default."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)
