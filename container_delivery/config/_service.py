"""The models of one service: its secrets, per-environment settings and the service itself."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, model_validator

from container_delivery import rules

from ._fields import (
    ENVIRONMENTS,
    GITHUB_REPOSITORY,
    MAX_SERVICE_NAME,
    SERVICE_NAME,
    Architecture,
    Count,
    EnvironmentName,
    EnvVarName,
    FieldProblemsError,
    FrozenModel,
    PlainValue,
    check_health_check_path,
    check_scratch_paths,
    check_service_name,
    pattern_check,
    validator_of,
)


class SecretRef(FrozenModel):
    """A Secrets Manager secret by complete ARN, optionally one JSON key and a version."""

    secret_arn: Annotated[str, AfterValidator(validator_of(rules.check_secret_arn))] = Field(
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


class EnvironmentSettings(FrozenModel):
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


class ServiceConfig(FrozenModel):
    """One service: its repository, release trigger, task size and environments."""

    name: Annotated[str, AfterValidator(validator_of(check_service_name))] = Field(
        description="ECR repository and service name, the same in every account",
        json_schema_extra={"pattern": SERVICE_NAME, "maxLength": MAX_SERVICE_NAME},
    )
    github_repository: Annotated[
        str, AfterValidator(validator_of(pattern_check(GITHUB_REPOSITORY, "'owner/repo'")))
    ] = Field(
        description="owner/repo whose tags are released",
        json_schema_extra={"pattern": GITHUB_REPOSITORY},
    )
    tag_pattern: Annotated[str, AfterValidator(validator_of(rules.check_tag_pattern))] = Field(
        "v*",
        description="Git tags that release (GitHub OIDC sub filter); starts with a fixed prefix",
        json_schema_extra={"pattern": r"^[A-Za-z0-9_./-][A-Za-z0-9_.*?/-]*$"},
    )
    container_port: Annotated[StrictInt, Field(ge=1, le=65535)] = 8080
    health_check_path: Annotated[str, AfterValidator(validator_of(check_health_check_path))] = (
        Field("/healthz", json_schema_extra={"pattern": "^/"})
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
    log_retention_days: Annotated[
        StrictInt, AfterValidator(validator_of(rules.check_retention_days))
    ] = Field(
        90,
        description="CloudWatch Logs retention of the service's logs",
        json_schema_extra={"enum": list(rules.RETENTION_DAYS)},
    )
    environment: dict[EnvVarName, PlainValue] = Field(
        default_factory=dict, description="Plain variables for every environment"
    )
    secrets: dict[EnvVarName, SecretRef] = Field(
        default_factory=dict, description="Secrets Manager secrets injected by ECS"
    )
    scratch_paths: Annotated[tuple[str, ...], AfterValidator(validator_of(check_scratch_paths))] = (
        Field(
            ("/tmp",),  # noqa: S108 - a task volume, not the host's /tmp
            description="Writable task-local volumes (the root filesystem is read-only); [] for none",
        )
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
