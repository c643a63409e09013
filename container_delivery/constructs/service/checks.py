"""Input checks of ``FargateService``: each returns a list of problems (empty when fine).

Every problem says what is wrong, the value given and how to fix it. Unresolved tokens are
skipped: they are checked by CloudFormation (or by the parameter's ``AllowedPattern``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import aws_cdk as cdk

from container_delivery import rules

#: ``sha256:`` and 64 lowercase hex digits: how ECR names an image by content.
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
#: POSIX-portable environment variable names (what ECS and shells accept everywhere).
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Names that say the value is a credential: such values belong in ``secrets``.
CREDENTIAL_NAME = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|"
    r"ACCESS_KEY|AUTH_KEY|SESSION_KEY|DSN|CONNECTION_STRING)",
    re.IGNORECASE,
)
#: Fargate's task-size table: cpu units -> allowed memory (MiB).
FARGATE_SIZES: Mapping[int, tuple[int, ...]] = rules.FARGATE_SIZES

#: Fargate's longest stopTimeout.
MAX_STOP_TIMEOUT_SECONDS = 120


def literal(value: object) -> bool:
    """True when ``value`` is known at synth (not a token)."""
    return not cdk.Token.is_unresolved(value)


def check_digest(digest: str) -> list[str]:
    if not literal(digest) or DIGEST.match(digest):
        return []
    hint = ""
    if ":" in digest and not digest.startswith("sha256:"):
        hint = " (a tag is not a digest: deploy by digest, e.g. the one `docker push` printed)"
    return [
        f"image_digest {digest!r} is not 'sha256:' followed by 64 lowercase hex digits{hint}; "
        "give the image's digest or a CloudFormation parameter's value"
    ]


def check_size(cpu: int, memory: int) -> list[str]:
    if not literal(cpu) or not literal(memory):
        return []
    return rules.check_fargate_size(cpu, memory)


def check_counts(
    desired: int, min_count: int, max_count: int, spot_share: float, allow_spot: bool
) -> list[str]:
    problems: list[str] = []
    if desired < 0:
        problems.append(f"desired_count {desired} is negative; use 0 or more")
    if min_count < 0:
        problems.append(f"min_count {min_count} is negative; use 0 or more")
    if max_count < 1:
        problems.append(f"max_count {max_count} must be at least 1")
    if not min_count <= desired <= max_count:
        problems.append(
            f"desired_count {desired} is not between min_count {min_count} and max_count "
            f"{max_count}; raise max_count or lower min_count"
        )
    if not 0 <= spot_share <= 1:
        problems.append(f"spot_share {spot_share} must be from 0 to 1 (a share of the tasks)")
    elif spot_share > 0 and not allow_spot:
        problems.append(
            f"spot_share {spot_share} needs allow_spot=True: Fargate Spot tasks can be stopped "
            "with two minutes' notice, so only non-production environments should opt in "
            "(or set spot_share=0)"
        )
    return problems


def check_env_names(kind: str, names: Iterable[str]) -> list[str]:
    return [
        f"{kind} name {name!r} is not a valid environment variable name; use letters, digits "
        "and underscores, not starting with a digit (e.g. "
        f"{re.sub(r'[^A-Za-z0-9_]', '_', name).upper().lstrip('0123456789') or 'NAME'!r})"
        for name in names
        if literal(name) and not ENV_NAME.match(name)
    ]


def check_overlaps(
    environment: Iterable[str], secrets: Iterable[str], ssm_parameters: Iterable[str]
) -> list[str]:
    problems: list[str] = []
    env, sec, ssm = set(environment), set(secrets), set(ssm_parameters)
    for name in sorted(env & sec):
        problems.append(
            f"{name!r} is both in environment and in secrets; a variable has one source: "
            "remove it from environment"
        )
    for name in sorted(env & ssm):
        problems.append(
            f"{name!r} is both in environment and in ssm_parameters; remove it from environment"
        )
    for name in sorted(sec & ssm):
        problems.append(f"{name!r} is both in secrets and in ssm_parameters; keep one")
    return problems


def check_credential_names(environment: Mapping[str, str], not_secret: Sequence[str]) -> list[str]:
    problems: list[str] = []
    for name in environment:
        match = CREDENTIAL_NAME.search(name) if literal(name) else None
        if match and name not in not_secret:
            problems.append(
                f"environment variable {name!r} looks like a credential (its name contains "
                f"{match[0]!r}; a plain value is readable by anyone who can describe the task "
                "definition); move it to secrets (a Secrets Manager secret) or, if it holds no "
                "secret, list it in not_secret"
            )
    problems += [
        f"not_secret names {name!r}, which is not in environment; remove it (a typo?)"
        for name in not_secret
        if name not in environment
    ]
    return problems


def check_secret_arn(name: str, full_arn: str | None, partial_arn: str) -> list[str]:
    """A secret must be known by its complete ARN (with the 6-character suffix)."""
    if full_arn is None:
        shown = partial_arn if literal(partial_arn) else "a partial ARN or a name"
        return [
            f"secrets[{name!r}] is known only by {shown!r}; ECS needs the complete ARN to "
            "inject a secret (and IAM to scope the execution role to it): import it with "
            "secretsmanager.Secret.from_secret_complete_arn() and the complete ARN (ending in "
            "'-' and the 6 characters Secrets Manager appended, as shown in the console or by "
            "`aws secretsmanager describe-secret`)"
        ]
    if not literal(full_arn):
        return []
    return [f"secrets[{name!r}]: {problem}" for problem in rules.check_secret_arn(full_arn)]


def check_secret_selector(
    name: str, json_key: str | None, version_stage: str | None, version_id: str | None
) -> list[str]:
    """The JSON key and version ECS appends to the secret's ARN in ``valueFrom``."""
    parts = [
        None if v is None or not literal(v) else v for v in (json_key, version_stage, version_id)
    ]
    return [f"secrets[{name!r}].{problem}" for problem in rules.check_secret_selector(*parts)]


def check_certificate(certificate_arn: str, region: str, account: str) -> list[str]:
    """The load balancer's certificate: an ACM certificate of the stack's region and account."""
    if not literal(certificate_arn):
        return []
    return [
        f"load_balancer.certificate: {problem}"
        for problem in rules.check_certificate_arn(
            certificate_arn,
            region=region if literal(region) else None,
            account=account if literal(account) else None,
        )
    ]


def check_number(
    prop: str, value: object, *, integer: bool = True, optional: bool = False
) -> list[str]:
    """A number prop (a token number is fine): the wrong type names the prop."""
    if value is None and optional:
        return []
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a whole number" if integer else "a number"
        return [f"{prop}: {value!r} ({type(value).__name__}) is the wrong type; give {kind}"]
    if integer and isinstance(value, float) and literal(value) and not value.is_integer():
        return [f"{prop}: {value!r} is not a whole number"]
    return []


def check_stop_timeout(seconds: float) -> list[str]:
    if 0 <= seconds <= MAX_STOP_TIMEOUT_SECONDS:
        return []
    return [
        f"stop_timeout {seconds:g} s is outside Fargate's 0 to {MAX_STOP_TIMEOUT_SECONDS} s; "
        "choose how long the app needs to finish in-flight work after SIGTERM"
    ]


def check_user(run_as_user: str | None) -> list[str]:
    if run_as_user is None or not literal(run_as_user):
        return []
    user = run_as_user.split(":", 1)[0]
    if user in ("0", "root"):
        return [
            f"run_as_user {run_as_user!r} is root; give a non-root user such as '1000:1000' "
            "(or leave it unset to use the image's USER)"
        ]
    if not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$", run_as_user):
        return [f"run_as_user {run_as_user!r} is not 'user', 'uid' or 'uid:gid'"]
    return []


def check_paths(kind: str, paths: Iterable[str]) -> list[str]:
    if isinstance(paths, str):
        return [f"{kind} {paths!r} is a string; give a list of paths, e.g. [{paths!r}]"]
    problems: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/"):
            problems.append(f"{kind} path {path!r} must be absolute (start with '/'), e.g. '/tmp'")
        elif path.rstrip("/") == "":
            problems.append(f"{kind} path {path!r} would hide the whole image; give e.g. '/tmp'")
        elif path.rstrip("/") in seen:
            problems.append(f"{kind} path {path!r} is given twice; mount each path once")
        else:
            seen.add(path.rstrip("/"))
    return problems
