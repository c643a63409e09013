"""The public API: every construct and props type of container-delivery.

``from container_delivery.constructs import FargateService, SecureTopic, ...``. Modules whose name
starts with ``_`` are private.
"""

from .network import ServiceNetwork
from .pipeline import (
    GITHUB_AUDIENCE,
    GITHUB_OIDC_URL,
    RELEASE_OUTPUTS,
    STAGING_URL_VARIABLE,
    BuildOptions,
    DeliveryPipeline,
    DeployRole,
    DeployTarget,
    ReleaseSource,
    ToolVersions,
    github_oidc_provider_arn,
)
from .promotion import PromotionFunction, PromotionReadRole, ReplicationCheck
from .registry import (
    DestinationRegistry,
    ReplicationDestination,
    ReplicationMonitor,
    ServiceRepository,
    SourceRegistry,
)
from .service import FargateService, LoadBalancerOptions, ServiceSecret
from .topic import SecureTopic

__all__ = [
    "GITHUB_AUDIENCE",
    "GITHUB_OIDC_URL",
    "RELEASE_OUTPUTS",
    "STAGING_URL_VARIABLE",
    "BuildOptions",
    "DeliveryPipeline",
    "DeployRole",
    "DeployTarget",
    "DestinationRegistry",
    "FargateService",
    "LoadBalancerOptions",
    "PromotionFunction",
    "PromotionReadRole",
    "ReleaseSource",
    "ReplicationCheck",
    "ReplicationDestination",
    "ReplicationMonitor",
    "SecureTopic",
    "ServiceNetwork",
    "ServiceRepository",
    "ServiceSecret",
    "SourceRegistry",
    "ToolVersions",
    "github_oidc_provider_arn",
]
