"""The reference app's typed configuration and its validation."""

from .loader import CONFIG_ENV_VAR, ConfigError, load_config, parse_config
from .model import (
    ENVIRONMENTS,
    Account,
    Accounts,
    DeliveryConfig,
    EnvironmentName,
    EnvironmentSettings,
    Network,
    RegistrySettings,
    SecretRef,
    ServiceConfig,
)

__all__ = [
    "CONFIG_ENV_VAR",
    "ENVIRONMENTS",
    "Account",
    "Accounts",
    "ConfigError",
    "DeliveryConfig",
    "EnvironmentName",
    "EnvironmentSettings",
    "Network",
    "RegistrySettings",
    "SecretRef",
    "ServiceConfig",
    "load_config",
    "parse_config",
]
