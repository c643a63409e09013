"""The service construct: one Fargate service per environment, run by image digest.

``deploy_model`` is pure Python (no CDK): the benchmark imports it on its own.
"""

from .construct import (
    DEREGISTRATION_DELAY,
    ERROR_LOG_PATTERN,
    HEALTH_CHECK_GRACE_PERIOD,
    HEALTH_CHECK_INTERVAL,
    HEALTH_CHECK_TIMEOUT,
    HEALTHY_THRESHOLD,
    STOP_TIMEOUT,
    UNHEALTHY_THRESHOLD,
    FargateService,
    LoadBalancerOptions,
    ServiceSecret,
)
from .deploy_model import RollingDeployModel, modeled_rolling_deploy_seconds, rolling_deploy_model

__all__ = [
    "DEREGISTRATION_DELAY",
    "ERROR_LOG_PATTERN",
    "HEALTHY_THRESHOLD",
    "HEALTH_CHECK_GRACE_PERIOD",
    "HEALTH_CHECK_INTERVAL",
    "HEALTH_CHECK_TIMEOUT",
    "STOP_TIMEOUT",
    "UNHEALTHY_THRESHOLD",
    "FargateService",
    "LoadBalancerOptions",
    "RollingDeployModel",
    "ServiceSecret",
    "modeled_rolling_deploy_seconds",
    "rolling_deploy_model",
]
