"""ECS on Fargate: task sizes, environment variable names and secret references."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from .aws import check_arn, parse_arn

#: Fargate's task sizes: cpu units -> allowed memory (MiB), as the ECS API reference lists them
#: (RegisterTaskDefinition ``memory``).
FARGATE_SIZES: Final[Mapping[int, tuple[int, ...]]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

#: POSIX-portable environment variable names (what ECS and shells accept everywhere).
ENV_VAR_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: ECS splits ``valueFrom`` (``<secret arn>:<json key>:<version stage>:<version id>``) on ``:``,
#: so no part may contain one; JSON keys are limited to characters that survive that and IAM.
JSON_KEY: Final = re.compile(r"^[A-Za-z0-9_.@/+=-]{1,256}$")
#: Secrets Manager version stages (staging labels): 1 to 256 characters, no ``:``.
VERSION_STAGE: Final = re.compile(r"^[A-Za-z0-9_.@/+=-]{1,256}$")
#: Secrets Manager version ids: 32 to 64 characters (a UUID when Secrets Manager chose it).
VERSION_ID: Final = re.compile(r"^[A-Za-z0-9-]{32,64}$")
#: A secret's name and the six characters Secrets Manager appends: ``webapp/db-AbCdEf``.
SECRET_NAME_WITH_SUFFIX: Final = re.compile(r"^[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$")
SECRET_EXAMPLE: Final = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:webapp/db-AbCdEf"  # noqa: S105 - an ARN, no secret


def _span(values: Sequence[int]) -> str:
    if len(values) <= 3:
        return ", ".join(str(v) for v in values)
    return f"{values[0]} to {values[-1]} in steps of {values[1] - values[0]}"


def check_fargate_size(cpu: int, memory: int) -> list[str]:
    """``cpu`` and ``memory`` must be one of Fargate's task sizes."""
    if cpu not in FARGATE_SIZES:
        return [
            f"cpu {cpu} is not a Fargate task size; use one of "
            f"{', '.join(str(c) for c in FARGATE_SIZES)}"
        ]
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        fits = [c for c, sizes in FARGATE_SIZES.items() if memory in sizes]
        other = f" (memory {memory} fits cpu {', '.join(map(str, fits))})" if fits else ""
        return [
            f"memory {memory} MiB is not allowed with cpu {cpu}; Fargate allows "
            f"{_span(allowed)} MiB{other}"
        ]
    return []


def check_env_var_name(name: str) -> list[str]:
    if ENV_VAR_NAME.match(name):
        return []
    suggestion = re.sub(r"[^A-Za-z0-9_]", "_", name).upper().lstrip("0123456789") or "NAME"
    return [
        f"{name!r} is not a valid environment variable name; use letters, digits and "
        f"underscores, not starting with a digit (e.g. {suggestion!r})"
    ]


def check_secret_arn(value: str) -> list[str]:
    """A Secrets Manager secret by its complete ARN (name and the 6-character suffix).

    ECS needs the complete ARN to inject a secret, and IAM to scope the execution role to it; a
    name or a partial ARN makes the task fail at start (or CDK fail at synth).
    """
    fix = (
        "give the complete ARN, ending in '-' and the 6 characters Secrets Manager appended "
        "(shown in the console, or by: aws secretsmanager describe-secret --secret-id <name> "
        f"--query ARN), e.g. {SECRET_EXAMPLE!r}"
    )
    arn = parse_arn(value)
    if arn is None:
        return [f"{value!r} is a secret name or not an ARN; {fix}"]
    problems = check_arn(
        value, service="secretsmanager", resource_type="secret", example=SECRET_EXAMPLE
    )
    if problems:
        return problems
    name = arn.resource_id
    if ":" in name:
        return [
            f"{value!r} has a JSON key or version after the secret name; give them as json_key "
            f"/ version_stage / version_id and the ARN alone (e.g. {SECRET_EXAMPLE!r})"
        ]
    if not SECRET_NAME_WITH_SUFFIX.match(name):
        return [f"{value!r} is a partial ARN (no 6-character suffix after the name); {fix}"]
    return []


def check_secret_selector(
    json_key: str | None, version_stage: str | None, version_id: str | None
) -> list[str]:
    """The parts ECS appends to the secret ARN in ``valueFrom``."""
    problems: list[str] = []
    if json_key is not None and not JSON_KEY.match(json_key):
        problems.append(
            f"json_key {json_key!r} cannot be carried in ECS's valueFrom "
            "('<arn>:<json key>:<stage>:<version id>' is split on ':'): use a key of letters, "
            "digits and _ . @ / + = - (rename the key in the secret, e.g. "
            f"{re.sub(r'[^A-Za-z0-9_.@/+=-]', '_', json_key)[:256] or 'password'!r})"
        )
    if version_stage is not None and not VERSION_STAGE.match(version_stage):
        problems.append(
            f"version_stage {version_stage!r} is not a Secrets Manager staging label (1 to 256 of "
            "letters, digits and _ . @ / + = -, e.g. 'AWSCURRENT' or 'AWSPREVIOUS')"
        )
    if version_id is not None and not VERSION_ID.match(version_id):
        problems.append(
            f"version_id {version_id!r} is not a Secrets Manager version id (32 to 64 letters, "
            "digits and '-', e.g. 'EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE')"
        )
    if version_stage is not None and version_id is not None:
        problems.append(
            f"version_stage {version_stage!r} and version_id {version_id!r} are both given; ECS "
            "takes one of them: keep version_id to pin a version, or version_stage to follow a label"
        )
    return problems
