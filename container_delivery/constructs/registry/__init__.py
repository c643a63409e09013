"""Registry constructs: service repositories, replication (source side), the destination registry
and replication monitoring.

``ServiceRepository`` is one service's ECR repository. ``SourceRegistry`` and
``DestinationRegistry`` own the registry-level singletons (replication configuration, registry
policy, scanning configuration) of their account and region; services register into them.
"""

from ._rules import (
    DEFAULT_BUILD_TAG_PREFIX,
    DEFAULT_KEEP_BUILD_IMAGES,
    DEFAULT_RELEASE_TAG_PREFIX,
    DEFAULT_UNTAGGED_IMAGE_DAYS,
    RELEASE_KEEP_COUNT,
    lifecycle_policy_text,
    lifecycle_rules,
)
from .destination import DestinationRegistry
from .monitor import ReplicationMonitor
from .repository import ServiceRepository
from .source import (
    MAX_DESTINATIONS,
    MAX_FILTERS_PER_RULE,
    MAX_RULES,
    ReplicationDestination,
    SourceRegistry,
)

__all__ = [
    "DEFAULT_BUILD_TAG_PREFIX",
    "DEFAULT_KEEP_BUILD_IMAGES",
    "DEFAULT_RELEASE_TAG_PREFIX",
    "DEFAULT_UNTAGGED_IMAGE_DAYS",
    "MAX_DESTINATIONS",
    "MAX_FILTERS_PER_RULE",
    "MAX_RULES",
    "RELEASE_KEEP_COUNT",
    "DestinationRegistry",
    "ReplicationDestination",
    "ReplicationMonitor",
    "ServiceRepository",
    "SourceRegistry",
    "lifecycle_policy_text",
    "lifecycle_rules",
]
