"""The public API of the constructs: everything an app needs, from one import.

.. code-block:: python

    from container_delivery.constructs import (
        DeliveryPipeline,
        FargateService,
        PromotionFunction,
        SecureTopic,
        ServiceNetwork,
        ServiceRepository,
    )

The names below are the constructs, the props types they take and the constants needed to wire
them together. The modules they are defined in (``pipeline``, ``registry``, ``service``,
``network``, ``promotion``, ``topic``) stay importable, but only the names listed in ``__all__`` here and in
those subpackages are public; modules and names with a leading underscore are not.

| piece | constructs | props and constants |
|---|---|---|
| network | `ServiceNetwork` | |
| notifications | `SecureTopic` | |
| registry | `ServiceRepository`, `SourceRegistry`, `DestinationRegistry`, `ReplicationMonitor` | `ReplicationDestination` |
| service | `FargateService` | `LoadBalancerOptions`, `ServiceSecret` |
| promotion | `PromotionFunction`, `PromotionReadRole` | `ReplicationCheck` |
| pipeline | `DeliveryPipeline`, `ReleaseSource`, `DeployRole` | `DeployTarget`, `BuildOptions`, `ToolVersions`, `Download`, `DEFAULT_TOOLS`, `STAGING_URL_VARIABLE`, `RELEASE_OUTPUTS`, `GITHUB_OIDC_URL`, `GITHUB_AUDIENCE`, `github_oidc_provider_arn` |

cdk-nag packs and ``acknowledge()`` are in ``container_delivery.compliance``.
"""

from .network import ServiceNetwork
from .pipeline import (
    DEFAULT_TOOLS,
    GITHUB_AUDIENCE,
    GITHUB_OIDC_URL,
    RELEASE_OUTPUTS,
    STAGING_URL_VARIABLE,
    BuildOptions,
    DeliveryPipeline,
    DeployRole,
    DeployTarget,
    Download,
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
    "DEFAULT_TOOLS",
    "GITHUB_AUDIENCE",
    "GITHUB_OIDC_URL",
    "RELEASE_OUTPUTS",
    "STAGING_URL_VARIABLE",
    "BuildOptions",
    "DeliveryPipeline",
    "DeployRole",
    "DeployTarget",
    "DestinationRegistry",
    "Download",
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
