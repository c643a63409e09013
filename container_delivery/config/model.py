"""The reference app's typed configuration.

Plain frozen dataclasses: the stacks read these, the constructs never do (they take typed props).
``load_config`` in ``loader.py`` builds them from YAML and reports every bad field at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Architecture = Literal["x86_64", "arm64"]
EnvironmentName = Literal["staging", "production"]
ENVIRONMENTS: tuple[EnvironmentName, ...] = ("staging", "production")


@dataclass(frozen=True)
class Account:
    id: str
    region: str


@dataclass(frozen=True)
class Accounts:
    staging: Account
    production: Account


@dataclass(frozen=True)
class SecretRef:
    """A Secrets Manager secret by complete ARN, optionally one JSON key, a version stage and
    the customer managed KMS key it is encrypted with (none: the AWS managed key)."""

    secret_arn: str
    json_key: str | None = None
    version_stage: str | None = None
    kms_key_arn: str | None = None


@dataclass(frozen=True)
class EnvironmentSettings:
    """What differs between staging and production for one service."""

    desired_count: int = 1
    min_count: int | None = None
    max_count: int | None = None
    spot_share: float = 0.0
    environment: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, SecretRef] = field(default_factory=dict)
    certificate_arn: str | None = None


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    github_repository: str
    tag_pattern: str = "v*"
    container_port: int = 8080
    health_check_path: str = "/healthz"
    cpu: int = 256
    memory: int = 512
    architecture: Architecture = "arm64"
    load_balanced: bool = True
    public: bool = True
    environment: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, SecretRef] = field(default_factory=dict)
    #: Writable task-local volumes; the root filesystem is read-only. ``()`` for none.
    scratch_paths: tuple[str, ...] = ("/tmp",)  # noqa: S108 - a task volume, not the host's /tmp
    staging: EnvironmentSettings = field(default_factory=EnvironmentSettings)
    production: EnvironmentSettings = field(default_factory=EnvironmentSettings)

    def settings(self, env: EnvironmentName) -> EnvironmentSettings:
        return self.staging if env == "staging" else self.production

    def environment_for(self, env: EnvironmentName) -> dict[str, str]:
        """Plain variables for ``env``: the service's, overridden by the environment's."""
        return {**self.environment, **self.settings(env).environment}

    def secrets_for(self, env: EnvironmentName) -> dict[str, SecretRef]:
        """Secrets for ``env``: the service's, overridden by the environment's."""
        return {**self.secrets, **self.settings(env).secrets}


@dataclass(frozen=True)
class Network:
    staging_cidr: str = "10.10.0.0/16"
    production_cidr: str = "10.20.0.0/16"
    max_azs: int = 2

    def cidr(self, env: EnvironmentName) -> str:
        return self.staging_cidr if env == "staging" else self.production_cidr


@dataclass(frozen=True)
class RegistrySettings:
    """Registry-wide singletons that can clash with an organisation's own settings."""

    manage_scanning: bool = False
    """Own the registry scanning configuration of both registries (replaces theirs)."""
    scan_type: Literal["BASIC", "ENHANCED"] = "BASIC"
    creation_template: bool = True
    """Create the production ROOT repository creation template (REPLICATION)."""


@dataclass(frozen=True)
class DeliveryConfig:
    accounts: Accounts
    services: tuple[ServiceConfig, ...]
    packs: tuple[str, ...] = ("AwsSolutions",)
    notification_emails: tuple[str, ...] = ()
    network: Network = field(default_factory=Network)
    create_github_oidc_provider: bool = True
    registry: RegistrySettings = field(default_factory=RegistrySettings)

    def account(self, env: EnvironmentName) -> Account:
        return self.accounts.staging if env == "staging" else self.accounts.production
