"""Load and validate the reference app's configuration.

Every problem is collected with the dotted path of the field, then reported in one
``ConfigError``: ``accounts.production.id: '12345' is not a 12-digit AWS account id``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .model import (
    ENVIRONMENTS,
    Account,
    Accounts,
    DeliveryConfig,
    EnvironmentSettings,
    Network,
    RegistrySettings,
    SecretRef,
    ServiceConfig,
)

#: Environment variable naming the config file (the CDK context key ``config`` wins over it).
CONFIG_ENV_VAR = "CONTAINER_DELIVERY_CONFIG"

KNOWN_PACKS = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")

ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
# ECR repository names: lowercase, 2-256 chars, no environment prefix in this project.
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CIDR = re.compile(r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-8])$")
ENV_PREFIXES = ("staging-", "stage-", "stg-", "prod-", "production-", "dev-", "test-")


class ConfigError(ValueError):
    """The configuration file is invalid; the message lists every bad field."""


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def mapping(self, path: str, value: Any, *, required: bool = True) -> Mapping[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, Mapping):
            self.add(path, f"expected a mapping, got {_show(value)}")
            return {}
        return value

    def unknown_keys(self, path: str, value: Mapping[str, Any], known: set[str]) -> None:
        for key in sorted(set(value) - known):
            prefix = f"{path}." if path else ""
            self.add(f"{prefix}{key}", f"unknown key (known: {', '.join(sorted(known))})")

    def string(
        self, path: str, value: Any, pattern: re.Pattern[str] | None = None, what: str = ""
    ) -> str:
        if not isinstance(value, str) or not value:
            self.add(path, f"expected a non-empty string, got {_show(value)}")
            return ""
        if pattern is not None and not pattern.match(value):
            self.add(path, f"{value!r} is not {what}")
        return value

    def integer(self, path: str, value: Any, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"expected a whole number, got {_show(value)}")
            return low
        if not low <= value <= high:
            self.add(path, f"{value} is out of range ({low} to {high})")
        return value

    def boolean(self, path: str, value: Any) -> bool:
        if not isinstance(value, bool):
            self.add(path, f"expected true or false, got {_show(value)}")
            return False
        return value

    def str_map(self, path: str, value: Any) -> dict[str, str]:
        result: dict[str, str] = {}
        for key, item in self.mapping(path, value, required=False).items():
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.add(f"{path}.{key}", f"expected a string value, got {_show(item)}")
                continue
            result[str(key)] = str(item)
        return result


def _show(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


def _account(c: _Checker, path: str, raw: Any) -> Account:
    data = c.mapping(path, raw)
    c.unknown_keys(path, data, {"id", "region"})
    account_id = data.get("id")
    if isinstance(account_id, int) and not isinstance(account_id, bool):
        c.add(
            f"{path}.id",
            f"{account_id} must be quoted: YAML reads it as a number and drops leading zeros",
        )
        account_id = str(account_id)
    return Account(
        id=c.string(f"{path}.id", account_id, ACCOUNT_ID, "a 12-digit AWS account id"),
        region=c.string(
            f"{path}.region", data.get("region"), REGION, "an AWS region such as 'eu-west-1'"
        ),
    )


def _secrets(c: _Checker, path: str, raw: Any) -> dict[str, SecretRef]:
    result: dict[str, SecretRef] = {}
    for name, item in c.mapping(path, raw, required=False).items():
        item_path = f"{path}.{name}"
        data = c.mapping(item_path, item)
        c.unknown_keys(item_path, data, {"secret_arn", "json_key", "version_stage", "kms_key_arn"})
        arn = c.string(f"{item_path}.secret_arn", data.get("secret_arn"))
        json_key = data.get("json_key")
        stage = data.get("version_stage")
        key_arn = data.get("kms_key_arn")
        if json_key is not None:
            c.string(f"{item_path}.json_key", json_key)
        if stage is not None:
            c.string(f"{item_path}.version_stage", stage)
        if key_arn is not None:
            c.string(
                f"{item_path}.kms_key_arn",
                key_arn,
                KMS_KEY_ARN,
                "a KMS key ARN such as 'arn:aws:kms:eu-west-1:111111111111:key/<key id>'",
            )
        result[str(name)] = SecretRef(
            secret_arn=arn, json_key=json_key, version_stage=stage, kms_key_arn=key_arn
        )
    return result


def _settings(c: _Checker, path: str, raw: Any) -> EnvironmentSettings:
    data = c.mapping(path, raw, required=False)
    c.unknown_keys(
        path,
        data,
        {
            "desired_count",
            "min_count",
            "max_count",
            "spot_share",
            "environment",
            "secrets",
            "certificate_arn",
        },
    )
    desired = c.integer(f"{path}.desired_count", data.get("desired_count", 1), 0, 1000)
    min_count = data.get("min_count")
    max_count = data.get("max_count")
    if min_count is not None:
        c.integer(f"{path}.min_count", min_count, 0, 1000)
    if max_count is not None:
        c.integer(f"{path}.max_count", max_count, 1, 1000)
    if isinstance(max_count, int) and isinstance(desired, int) and max_count < desired:
        c.add(f"{path}.max_count", f"{max_count} is below desired_count {desired}")
    spot = data.get("spot_share", 0.0)
    if isinstance(spot, bool) or not isinstance(spot, (int, float)) or not 0 <= spot <= 1:
        c.add(f"{path}.spot_share", f"{_show(spot)} must be a number from 0 to 1")
        spot = 0.0
    certificate = data.get("certificate_arn")
    if certificate is not None:
        c.string(f"{path}.certificate_arn", certificate)
    return EnvironmentSettings(
        desired_count=desired,
        min_count=min_count,
        max_count=max_count,
        spot_share=float(spot),
        environment=c.str_map(f"{path}.environment", data.get("environment")),
        secrets=_secrets(c, f"{path}.secrets", data.get("secrets")),
        certificate_arn=certificate,
    )


_SERVICE_KEYS = {
    "name",
    "github_repository",
    "tag_pattern",
    "container_port",
    "health_check_path",
    "cpu",
    "memory",
    "architecture",
    "load_balanced",
    "public",
    "environment",
    "secrets",
    "scratch_paths",
    "staging",
    "production",
}


def _service(c: _Checker, path: str, raw: Any) -> ServiceConfig:
    data = c.mapping(path, raw)
    c.unknown_keys(path, data, _SERVICE_KEYS)
    name = c.string(
        f"{path}.name",
        data.get("name"),
        SERVICE_NAME,
        "a lowercase service name (letters, digits, single hyphens; it names the ECR repository)",
    )
    if name.startswith(ENV_PREFIXES):
        c.add(
            f"{path}.name",
            f"{name!r} starts with an environment prefix; the repository has the same name in "
            "every account (try "
            f"{name.split('-', 1)[1]!r})",
        )
    if len(name) > 40:
        c.add(
            f"{path}.name",
            f"{name!r} is {len(name)} characters; at most 40 (it prefixes stack and resource names)",
        )
    architecture = data.get("architecture", "arm64")
    if architecture not in ("x86_64", "arm64"):
        c.add(f"{path}.architecture", f"{_show(architecture)} is not 'x86_64' or 'arm64'")
        architecture = "arm64"
    health = data.get("health_check_path", "/healthz")
    if not isinstance(health, str) or not health.startswith("/"):
        c.add(f"{path}.health_check_path", f"{_show(health)} must be a path starting with '/'")
    scratch = data.get("scratch_paths", ["/tmp"])  # noqa: S108 - a task volume
    if not isinstance(scratch, list) or not all(
        isinstance(p, str) and p.startswith("/") and p.rstrip("/") for p in scratch
    ):
        c.add(
            f"{path}.scratch_paths",
            f"{_show(scratch)} must be a list of absolute paths other than '/', e.g. ['/tmp'] "
            "([] for none)",
        )
        scratch = []
    return ServiceConfig(
        name=name,
        github_repository=c.string(
            f"{path}.github_repository", data.get("github_repository"), GITHUB_REPO, "'owner/repo'"
        ),
        tag_pattern=c.string(f"{path}.tag_pattern", data.get("tag_pattern", "v*")),
        container_port=c.integer(
            f"{path}.container_port", data.get("container_port", 8080), 1, 65535
        ),
        health_check_path=str(health),
        cpu=c.integer(f"{path}.cpu", data.get("cpu", 256), 256, 16384),
        memory=c.integer(f"{path}.memory", data.get("memory", 512), 512, 122880),
        architecture=architecture,
        load_balanced=c.boolean(f"{path}.load_balanced", data.get("load_balanced", True)),
        public=c.boolean(f"{path}.public", data.get("public", True)),
        environment=c.str_map(f"{path}.environment", data.get("environment")),
        secrets=_secrets(c, f"{path}.secrets", data.get("secrets")),
        scratch_paths=tuple(scratch),
        staging=_settings(c, f"{path}.staging", data.get("staging")),
        production=_settings(c, f"{path}.production", data.get("production")),
    )


def parse_config(raw: Any, *, source: str = "config") -> DeliveryConfig:
    """Build a ``DeliveryConfig`` from parsed YAML, or raise one ``ConfigError`` listing every problem."""
    c = _Checker()
    data = c.mapping("(top level)", raw)
    c.unknown_keys(
        "",
        data,
        {"accounts", "compliance", "notifications", "network", "github", "registry", "services"},
    )

    accounts_raw = c.mapping("accounts", data.get("accounts"))
    c.unknown_keys("accounts", accounts_raw, set(ENVIRONMENTS))
    accounts = Accounts(
        staging=_account(c, "accounts.staging", accounts_raw.get("staging")),
        production=_account(c, "accounts.production", accounts_raw.get("production")),
    )
    if accounts.staging.id and accounts.staging.id == accounts.production.id:
        c.add(
            "accounts.production.id",
            f"{accounts.production.id!r} is the staging account too; production must be a separate account",
        )

    compliance = c.mapping("compliance", data.get("compliance"), required=False)
    c.unknown_keys("compliance", compliance, {"packs"})
    packs_raw = compliance.get("packs", ["AwsSolutions"])
    packs: list[str] = []
    if not isinstance(packs_raw, list):
        c.add("compliance.packs", f"expected a list, got {_show(packs_raw)}")
    else:
        for index, pack in enumerate(packs_raw):
            if pack not in KNOWN_PACKS:
                c.add(
                    f"compliance.packs[{index}]",
                    f"unknown pack {_show(pack)} (known: {', '.join(KNOWN_PACKS)})",
                )
            else:
                packs.append(pack)

    notifications = c.mapping("notifications", data.get("notifications"), required=False)
    c.unknown_keys("notifications", notifications, {"emails"})
    emails_raw = notifications.get("emails") or []
    emails: list[str] = []
    if not isinstance(emails_raw, list):
        c.add("notifications.emails", f"expected a list, got {_show(emails_raw)}")
    else:
        for index, email in enumerate(emails_raw):
            emails.append(
                c.string(f"notifications.emails[{index}]", email, EMAIL, "an email address")
            )

    network_raw = c.mapping("network", data.get("network"), required=False)
    c.unknown_keys("network", network_raw, {"staging_cidr", "production_cidr", "max_azs"})
    network = Network(
        staging_cidr=c.string(
            "network.staging_cidr",
            network_raw.get("staging_cidr", "10.10.0.0/16"),
            CIDR,
            "an IPv4 CIDR from /16 to /28",
        ),
        production_cidr=c.string(
            "network.production_cidr",
            network_raw.get("production_cidr", "10.20.0.0/16"),
            CIDR,
            "an IPv4 CIDR from /16 to /28",
        ),
        max_azs=c.integer("network.max_azs", network_raw.get("max_azs", 2), 2, 6),
    )

    github = c.mapping("github", data.get("github"), required=False)
    c.unknown_keys("github", github, {"create_oidc_provider"})
    create_oidc = c.boolean("github.create_oidc_provider", github.get("create_oidc_provider", True))

    registry_raw = c.mapping("registry", data.get("registry"), required=False)
    c.unknown_keys("registry", registry_raw, {"manage_scanning", "scan_type", "creation_template"})
    scan_type = registry_raw.get("scan_type", "BASIC")
    if scan_type not in ("BASIC", "ENHANCED"):
        c.add("registry.scan_type", f"{_show(scan_type)} is not 'BASIC' or 'ENHANCED'")
        scan_type = "BASIC"
    registry = RegistrySettings(
        manage_scanning=c.boolean(
            "registry.manage_scanning", registry_raw.get("manage_scanning", False)
        ),
        scan_type=scan_type,
        creation_template=c.boolean(
            "registry.creation_template", registry_raw.get("creation_template", True)
        ),
    )

    services_raw = data.get("services")
    services: list[ServiceConfig] = []
    if not isinstance(services_raw, list) or not services_raw:
        c.add("services", f"expected a non-empty list of services, got {_show(services_raw)}")
    else:
        seen: set[str] = set()
        for index, item in enumerate(services_raw):
            service = _service(c, f"services[{index}]", item)
            if service.name in seen:
                c.add(
                    f"services[{index}].name",
                    f"{service.name!r} appears twice; service names are unique",
                )
            seen.add(service.name)
            services.append(service)

    if c.problems:
        raise ConfigError(f"{source} is invalid:\n  - " + "\n  - ".join(c.problems))
    return DeliveryConfig(
        accounts=accounts,
        services=tuple(services),
        packs=tuple(packs),
        notification_emails=tuple(emails),
        network=network,
        create_github_oidc_provider=create_oidc,
        registry=registry,
    )


def default_config_text() -> str:
    return resources.files("container_delivery.config").joinpath("default.yaml").read_text()


def load_config(path: str | os.PathLike[str] | None = None) -> DeliveryConfig:
    """Load the config at ``path``, or the embedded default when ``path`` is None."""
    if path is None:
        return parse_config(yaml.safe_load(default_config_text()), source="the default config")
    file = Path(path)
    try:
        text = file.read_text()
    except OSError as error:
        raise ConfigError(f"{file}: cannot read the config file ({error.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{file}: not valid YAML ({error})") from None
    return parse_config(raw, source=str(file))
