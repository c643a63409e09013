"""The reference app's typed configuration: pydantic v2 models mirroring the YAML file.

Frozen models; unknown keys are refused. Every check that AWS would also make (regions, ARNs,
task sizes, retention values...) is a function of ``container_delivery.rules``, shared with the
constructs. The stacks read these models, the constructs never do (they take typed props).
``load_config`` in ``loader.py`` turns a validation failure into one message listing every
problem with its dotted path; ``schema.json`` next to this file is generated from these models.

This module holds the file's top-level models and is the import path for all of them: the field
types and their checks live in ``_fields.py``, the models of one service in ``_service.py``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from container_delivery import rules

from ._fields import (
    EMAIL,
    ENVIRONMENTS,
    GITHUB_REPOSITORY,
    KNOWN_PACKS,
    MAX_SERVICE_NAME,
    SERVICE_NAME,
    AccountId,
    Architecture,
    Count,
    EnvironmentName,
    EnvVarName,
    FieldProblemsError,
    FrozenModel,
    Pack,
    PlainValue,
    Region,
    check_cidr,
    pattern_check,
    validator_of,
)
from ._service import EnvironmentSettings, SecretRef, ServiceConfig

__all__ = [
    "EMAIL",
    "ENVIRONMENTS",
    "GITHUB_REPOSITORY",
    "KNOWN_PACKS",
    "MAX_SERVICE_NAME",
    "SERVICE_NAME",
    "Account",
    "AccountId",
    "Accounts",
    "Architecture",
    "Compliance",
    "Count",
    "DeliveryConfig",
    "EnvVarName",
    "EnvironmentName",
    "EnvironmentSettings",
    "FieldProblemsError",
    "GitHub",
    "Network",
    "Notifications",
    "Pack",
    "PlainValue",
    "Region",
    "RegistrySettings",
    "SecretRef",
    "ServiceConfig",
]


class Account(FrozenModel):
    """An AWS account and the region the app deploys to in it."""

    id: AccountId
    region: Region


class Accounts(FrozenModel):
    staging: Account = Field(
        description="Builds, scans and runs staging; its registry replicates to production"
    )
    production: Account = Field(description="Runs production; a different account than staging")


class Compliance(FrozenModel):
    packs: tuple[Pack, ...] = Field(
        ("AwsSolutions",),
        description="cdk-nag packs (AwsSolutions and ContainerDelivery always run)",
    )


class Notifications(FrozenModel):
    emails: tuple[
        Annotated[str, AfterValidator(validator_of(pattern_check(EMAIL, "an email address")))], ...
    ] = Field(
        (), description="Subscribed to pipeline, approval, alarm and replication-failure topics"
    )


class Network(FrozenModel):
    staging_cidr: Annotated[str, AfterValidator(validator_of(check_cidr))] = "10.10.0.0/16"
    production_cidr: Annotated[str, AfterValidator(validator_of(check_cidr))] = "10.20.0.0/16"
    max_azs: Annotated[StrictInt, Field(ge=2, le=6)] = Field(
        2, description="Availability zones per VPC"
    )

    def cidr(self, env: EnvironmentName) -> str:
        return self.staging_cidr if env == "staging" else self.production_cidr


class GitHub(FrozenModel):
    create_oidc_provider: StrictBool = Field(
        True, description="false when the account already has GitHub's OIDC provider"
    )


class RegistrySettings(FrozenModel):
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


class DeliveryConfig(FrozenModel):
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
