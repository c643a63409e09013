"""The reference app's typed configuration: pydantic v2 models mirroring the YAML file.

Frozen models; unknown keys are refused. Every check that AWS would also make (regions, ARNs,
task sizes, retention values...) is a function of ``container_delivery.rules``, shared with the
constructs. The stacks read these models, the constructs never do (they take typed props).
``load_config`` in ``loader.py`` turns a validation failure into one message listing every
problem with its dotted path; ``schema.json`` next to this file is generated from these models.
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
    StrictBool,
    StrictInt,
    WithJsonSchema,
    field_validator,
    model_validator,
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


def _check(check: Callable[[Any], list[str]]) -> Callable[[Any], Any]:
    """A pydantic after-validator raising one ``ValueError`` with every problem of ``check``."""

    def validate(value: Any) -> Any:
        problems = check(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    return validate


def _quoted_account(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"{value} must be quoted ('{value:012d}'): YAML reads it as a number and drops "
            "leading zeros"
        )
    return value


def _pattern(regex: str, what: str) -> Callable[[str], list[str]]:
    compiled = re.compile(regex)
    return lambda value: [] if compiled.match(value) else [f"{value!r} is not {what}"]


def _cidr(value: str) -> list[str]:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        return [f"{value!r} is not an IPv4 CIDR block ({error}), e.g. '10.10.0.0/16'"]
    if not 16 <= network.prefixlen <= 28:
        return [f"{value!r}: a VPC's CIDR block is /16 to /28 (AWS limit), e.g. '10.10.0.0/16'"]
    return []


def _plain_value(value: Any) -> Any:
    """Plain environment values: strings, or numbers written without quotes (made strings)."""
    if isinstance(value, bool):
        raise ValueError(
            f"{value!r} is a YAML boolean; quote it ('{str(value).lower()}') to pass it as text"
        )
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _scratch_paths(value: tuple[str, ...]) -> list[str]:
    if all(path.startswith("/") and path.rstrip("/") for path in value):
        return []
    return [
        f"list {list(value)!r} must be a list of absolute paths other than '/', e.g. ['/tmp'] "
        "([] for none)"
    ]


def _service_name(value: str) -> list[str]:
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


def _health_check_path(value: str) -> list[str]:
    if value.startswith("/"):
        return []
    return [f"{value!r} must be a path starting with '/', e.g. '/healthz'"]


AccountId = Annotated[
    str,
    BeforeValidator(_quoted_account),
    AfterValidator(_check(rules.check_account_id)),
    Field(json_schema_extra={"pattern": r"^\d{12}$"}, description="12-digit account id, quoted"),
]
Region = Annotated[
    str,
    AfterValidator(_check(rules.check_region)),
    Field(
        json_schema_extra={"pattern": rules.aws.REGION_SHAPE.pattern, "examples": ["eu-west-1"]},
        description="An AWS region botocore knows, e.g. eu-west-1",
    ),
]
EnvVarName = Annotated[
    str,
    AfterValidator(_check(rules.check_env_var_name)),
    Field(json_schema_extra={"pattern": rules.ecs.ENV_VAR_NAME.pattern}),
]
PlainValue = Annotated[
    str, BeforeValidator(_plain_value), WithJsonSchema({"type": ["string", "number"]})
]
Count = Annotated[StrictInt, Field(ge=0, le=1000)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)


class Account(_Model):
    """An AWS account and the region the app deploys to in it."""

    id: AccountId
    region: Region


class Accounts(_Model):
    staging: Account = Field(
        description="Builds, scans and runs staging; its registry replicates to production"
    )
    production: Account = Field(description="Runs production; a different account than staging")


class SecretRef(_Model):
    """A Secrets Manager secret by complete ARN, optionally one JSON key and a version."""

    secret_arn: Annotated[str, AfterValidator(_check(rules.check_secret_arn))] = Field(
        description="Complete ARN, with the 6-character suffix Secrets Manager appended",
        json_schema_extra={"pattern": r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:"},
    )
    json_key: str | None = Field(None, description="Inject only this key of a JSON secret")
    version_stage: str | None = Field(None, description="e.g. AWSPREVIOUS (default AWSCURRENT)")
    version_id: str | None = Field(None, description="Pin one version by id")
    kms_key_arn: str | None = Field(
        None,
        description="The secret's customer managed KMS key (omit for the AWS managed key)",
        json_schema_extra={"pattern": r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/"},
    )

    @model_validator(mode="after")
    def _selector(self) -> SecretRef:
        problems = [
            (message.split(" ", 1)[0], message)
            for message in rules.check_secret_selector(
                self.json_key, self.version_stage, self.version_id
            )
        ]
        if self.kms_key_arn is not None:
            secret = rules.parse_arn(self.secret_arn)
            problems += [
                ("kms_key_arn", message)
                for message in rules.check_kms_key_arn(
                    self.kms_key_arn, region=secret.region if secret else None
                )
            ]
        if problems:
            raise FieldProblemsError(problems)
        return self


class EnvironmentSettings(_Model):
    """What differs between staging and production for one service."""

    desired_count: Count = Field(1, description="Tasks when the service is created")
    min_count: Count | None = Field(None, description="Autoscaling lower bound")
    max_count: Annotated[StrictInt, Field(ge=1, le=1000)] | None = Field(
        None, description="Autoscaling upper bound"
    )
    spot_share: Annotated[float, Field(ge=0, le=1, strict=True)] = Field(
        0.0, description="Share of tasks on Fargate Spot (staging only)"
    )
    environment: dict[EnvVarName, PlainValue] = Field(
        default_factory=dict, description="Plain variables, override the service's"
    )
    secrets: dict[EnvVarName, SecretRef] = Field(
        default_factory=dict, description="Secrets, override the service's"
    )
    certificate_arn: str | None = Field(
        None,
        description="ACM certificate of this environment's account and region (HTTPS)",
        json_schema_extra={"pattern": r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/"},
    )

    @model_validator(mode="after")
    def _counts(self) -> EnvironmentSettings:
        problems: list[tuple[str, str]] = []
        low = self.desired_count if self.min_count is None else self.min_count
        if self.max_count is not None and self.max_count < self.desired_count:
            problems.append(
                (
                    "max_count",
                    f"{self.max_count} is below desired_count {self.desired_count}; raise "
                    "max_count or lower desired_count",
                )
            )
        if low > self.desired_count:
            problems.append(
                (
                    "min_count",
                    f"{low} is above desired_count {self.desired_count}; lower min_count",
                )
            )
        if problems:
            raise FieldProblemsError(problems)
        return self


class ServiceConfig(_Model):
    """One service: its repository, release trigger, task size and environments."""

    name: Annotated[str, AfterValidator(_check(_service_name))] = Field(
        description="ECR repository and service name, the same in every account",
        json_schema_extra={"pattern": SERVICE_NAME, "maxLength": MAX_SERVICE_NAME},
    )
    github_repository: Annotated[
        str, AfterValidator(_check(_pattern(GITHUB_REPOSITORY, "'owner/repo'")))
    ] = Field(
        description="owner/repo whose tags are released",
        json_schema_extra={"pattern": GITHUB_REPOSITORY},
    )
    tag_pattern: Annotated[str, AfterValidator(_check(rules.check_tag_pattern))] = Field(
        "v*",
        description="Git tags that release (GitHub OIDC sub filter); starts with a fixed prefix",
        json_schema_extra={"pattern": r"^[A-Za-z0-9_./-][A-Za-z0-9_.*?/-]*$"},
    )
    container_port: Annotated[StrictInt, Field(ge=1, le=65535)] = 8080
    health_check_path: Annotated[str, AfterValidator(_check(_health_check_path))] = Field(
        "/healthz", json_schema_extra={"pattern": "^/"}
    )
    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384] = Field(
        256, description="Fargate CPU units"
    )
    memory: Annotated[StrictInt, Field(ge=512, le=122880)] = Field(
        512, description="MiB; a Fargate combination with cpu"
    )
    architecture: Architecture = "arm64"
    load_balanced: StrictBool = Field(True, description="false: a worker without load balancer")
    public: StrictBool = Field(True, description="Internet-facing ALB; false = internal ALB")
    log_retention_days: Annotated[StrictInt, AfterValidator(_check(rules.check_retention_days))] = (
        Field(
            90,
            description="CloudWatch Logs retention of the service's logs",
            json_schema_extra={"enum": list(rules.RETENTION_DAYS)},
        )
    )
    environment: dict[EnvVarName, PlainValue] = Field(
        default_factory=dict, description="Plain variables for every environment"
    )
    secrets: dict[EnvVarName, SecretRef] = Field(
        default_factory=dict, description="Secrets Manager secrets injected by ECS"
    )
    scratch_paths: Annotated[tuple[str, ...], AfterValidator(_check(_scratch_paths))] = Field(
        ("/tmp",),  # noqa: S108 - a task volume, not the host's /tmp
        description="Writable task-local volumes (the root filesystem is read-only); [] for none",
    )
    staging: EnvironmentSettings = Field(default_factory=EnvironmentSettings)
    production: EnvironmentSettings = Field(default_factory=EnvironmentSettings)

    @model_validator(mode="after")
    def _combinations(self) -> ServiceConfig:
        problems = [("memory", p) for p in rules.check_fargate_size(self.cpu, self.memory)]
        if self.production.spot_share > 0:
            problems.append(
                (
                    "production.spot_share",
                    f"{self.production.spot_share} puts production tasks on Fargate Spot, "
                    "which can stop them with two minutes' notice; use 0 (Spot is for staging)",
                )
            )
        for env in ENVIRONMENTS:
            plain, secret = self.environment_for(env), self.secrets_for(env)
            for name in sorted(set(plain) & set(secret)):
                where = "environment" if name in self.environment else f"{env}.environment"
                problems.append(
                    (
                        f"{where}.{name}",
                        f"{name!r} is also a secret in {env}; a variable has one source: "
                        "remove it from environment",
                    )
                )
        if problems:
            raise FieldProblemsError(problems)
        return self

    def settings(self, env: EnvironmentName) -> EnvironmentSettings:
        return self.staging if env == "staging" else self.production

    def environment_for(self, env: EnvironmentName) -> dict[str, str]:
        """Plain variables for ``env``: the service's, overridden by the environment's."""
        return {**self.environment, **self.settings(env).environment}

    def secrets_for(self, env: EnvironmentName) -> dict[str, SecretRef]:
        """Secrets for ``env``: the service's, overridden by the environment's."""
        return {**self.secrets, **self.settings(env).secrets}


class Compliance(_Model):
    packs: tuple[Pack, ...] = Field(
        ("AwsSolutions",),
        description="cdk-nag packs (AwsSolutions and ContainerDelivery always run)",
    )


class Notifications(_Model):
    emails: tuple[
        Annotated[str, AfterValidator(_check(_pattern(EMAIL, "an email address")))], ...
    ] = Field(
        (), description="Subscribed to pipeline, approval, alarm and replication-failure topics"
    )


class Network(_Model):
    staging_cidr: Annotated[str, AfterValidator(_check(_cidr))] = "10.10.0.0/16"
    production_cidr: Annotated[str, AfterValidator(_check(_cidr))] = "10.20.0.0/16"
    max_azs: Annotated[StrictInt, Field(ge=2, le=6)] = Field(
        2, description="Availability zones per VPC"
    )

    def cidr(self, env: EnvironmentName) -> str:
        return self.staging_cidr if env == "staging" else self.production_cidr


class GitHub(_Model):
    create_oidc_provider: StrictBool = Field(
        True, description="false when the account already has GitHub's OIDC provider"
    )


class RegistrySettings(_Model):
    """Registry-wide singletons that can clash with an organisation's own settings."""

    manage_scanning: StrictBool = Field(
        False,
        description="Own the registry scanning configuration of both registries (replaces theirs)",
    )
    scan_type: Literal["BASIC", "ENHANCED"] = Field("BASIC", description="With manage_scanning")
    creation_template: StrictBool = Field(
        True,
        description="Create the production ROOT repository creation template (REPLICATION)",
    )


class DeliveryConfig(_Model):
    """The whole configuration file."""

    model_config = ConfigDict(title="container-delivery configuration")

    accounts: Accounts
    compliance: Compliance = Field(default_factory=Compliance)
    notifications: Notifications = Field(default_factory=Notifications)
    network: Network = Field(default_factory=Network)
    github: GitHub = Field(default_factory=GitHub)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    # minItems for editors only: pydantic's own length check would also fire when an item fails.
    services: tuple[ServiceConfig, ...] = Field(json_schema_extra={"minItems": 1})

    @field_validator("services")
    @classmethod
    def _services(cls, services: tuple[ServiceConfig, ...]) -> tuple[ServiceConfig, ...]:
        problems: list[tuple[str, str]] = []
        if not services:
            problems.append(("", "expected a non-empty list of services, got none; add one"))
        if len(services) > rules.MAX_REGISTRY_FILTERS:
            problems.append(
                (
                    "",
                    f"{len(services)} services; one staging registry holds at most "
                    f"{rules.MAX_REGISTRY_FILTERS} (ECR's scanning and replication rules take "
                    f"{rules.MAX_REGISTRY_FILTERS} repository filters, one per service): split "
                    "the services over several configs with their own staging accounts",
                )
            )
        seen: set[str] = set()
        for index, service in enumerate(services):
            if service.name in seen:
                problems.append(
                    (
                        f"[{index}].name",
                        f"{service.name!r} appears twice; service names are unique",
                    )
                )
            seen.add(service.name)
        if problems:
            raise FieldProblemsError(problems)
        return services

    @model_validator(mode="after")
    def _across_accounts(self) -> DeliveryConfig:
        problems: list[tuple[str, str]] = []
        staging, production = self.accounts.staging, self.accounts.production
        if staging.id == production.id:
            problems.append(
                (
                    "accounts.production.id",
                    f"{production.id!r} is the staging account too; production must be a "
                    "separate account",
                )
            )
        for index, service in enumerate(self.services):
            for env in ENVIRONMENTS:
                account = self.account(env)
                settings = service.settings(env)
                path = f"services[{index}].{env}"
                if settings.certificate_arn is not None:
                    problems += [
                        (f"{path}.certificate_arn", problem)
                        for problem in rules.check_certificate_arn(
                            settings.certificate_arn, region=account.region, account=account.id
                        )
                    ]
                partition = rules.partition_of(account.region)
                for name, ref in service.secrets_for(env).items():
                    arn = rules.parse_arn(ref.secret_arn)
                    where = path if name in settings.secrets else f"services[{index}]"
                    if arn is not None and arn.partition != partition:
                        problems.append(
                            (
                                f"{where}.secrets.{name}.secret_arn",
                                f"{ref.secret_arn!r} is in partition {arn.partition!r}, but "
                                f"{env} runs in {account.region} (partition {partition!r})",
                            )
                        )
        if problems:
            raise FieldProblemsError(problems)
        return self

    @property
    def packs(self) -> tuple[str, ...]:
        return self.compliance.packs

    @property
    def notification_emails(self) -> tuple[str, ...]:
        return self.notifications.emails

    @property
    def create_github_oidc_provider(self) -> bool:
        return self.github.create_oidc_provider

    def account(self, env: EnvironmentName) -> Account:
        return self.accounts.staging if env == "staging" else self.accounts.production
