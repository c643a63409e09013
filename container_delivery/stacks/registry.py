"""The reference app's registry stacks: the source registry (staging/build account) and the
destination registry (production account).

The production account's service repositories are not CloudFormation resources: replication
creates them (through the creation template) the first time an image arrives. A production
stack refers to one by its name, which is the same in both accounts:
``ecr.Repository.from_repository_name(self, "Repository", "webapp")``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from container_delivery.config import DeliveryConfig, RegistrySettings
from container_delivery.constructs.registry import (
    DestinationRegistry,
    ReplicationDestination,
    ReplicationMonitor,
    ServiceRepository,
    SourceRegistry,
)

from ._errors import for_service

SOURCE_STACK_NAME = "container-delivery-registry-staging"
DESTINATION_STACK_NAME = "container-delivery-registry-production"


class SourceRegistryStack(cdk.Stack):
    """Staging/build account: one ``ServiceRepository`` per service, replicated to production."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        services: Sequence[str],
        destination: ReplicationDestination,
        env: cdk.Environment,
        settings: RegistrySettings | None = None,
        description: str | None = None,
    ) -> None:
        """
        :param env: Account and region (explicit: nothing is looked up).
        :param settings: Registry-wide singletons. Default: - ``RegistrySettings()``.
        :param description: Default: - none.
        """
        super().__init__(scope, construct_id, env=env, description=description)
        settings = settings or RegistrySettings()
        self.registry = SourceRegistry(
            self,
            SourceRegistry.DEFAULT_ID,
            manage_scanning=settings.manage_scanning,
            scan_type=settings.scan_type,
        )
        self.repositories: dict[str, ServiceRepository] = {}
        for name in services:
            with for_service(name, "staging registry"):
                self.repositories[name] = ServiceRepository(
                    self,
                    f"Repository-{name}",
                    repository_name=name,
                    registry=self.registry,
                    replicate_to=[destination],
                )
        # No replication monitor here: ECR emits "ECR Replication Action" in the destination
        # registry's account and region, where DestinationRegistryStack watches it.


class DestinationRegistryStack(cdk.Stack):
    """Production account: registry policy for the source account, creation template, scanning,
    and the replication-failure monitor (ECR emits the event where the image arrives)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_account: str,
        services: Sequence[str],
        env: cdk.Environment,
        notification_emails: Sequence[str] = (),
        settings: RegistrySettings | None = None,
        description: str | None = None,
    ) -> None:
        """
        :param env: Account and region (explicit: nothing is looked up).
        :param notification_emails: Subscribed to replication failures. Default: - none.
        :param settings: Registry-wide singletons. Default: - ``RegistrySettings()``.
        :param description: Default: - none.
        """
        super().__init__(scope, construct_id, env=env, description=description)
        settings = settings or RegistrySettings()
        self.registry = DestinationRegistry(
            self,
            DestinationRegistry.DEFAULT_ID,
            scan_on_push=settings.manage_scanning,
            scan_type=settings.scan_type,
            creation_template=settings.creation_template,
        )
        self.registry.allow_replication(
            source_account=source_account, repository_prefixes=list(services)
        )
        self.monitor = ReplicationMonitor(
            self,
            "ReplicationFailures",
            emails=notification_emails,
            source_accounts=[source_account],
            repository_prefixes=list(services),
        )


@dataclass(frozen=True)
class RegistryStacks:
    """What the registry part of the reference app created, for the other stacks to use."""

    source: SourceRegistryStack
    destination: DestinationRegistryStack
    repositories: Mapping[str, ServiceRepository]
    """Service name -> its repository in the staging account."""


def add_registry_stacks(app: cdk.App, config: DeliveryConfig) -> RegistryStacks:
    """Add the source and destination registry stacks of ``config`` to ``app``."""
    staging, production = config.accounts.staging, config.accounts.production
    services = [service.name for service in config.services]
    destination = DestinationRegistryStack(
        app,
        DESTINATION_STACK_NAME,
        source_account=staging.id,
        services=services,
        notification_emails=config.notification_emails,
        settings=config.registry,
        env=cdk.Environment(account=production.id, region=production.region),
        description="container-delivery: production registry (replication target)",
    )
    source = SourceRegistryStack(
        app,
        SOURCE_STACK_NAME,
        services=services,
        destination=ReplicationDestination(account=production.id, region=production.region),
        settings=config.registry,
        env=cdk.Environment(account=staging.id, region=staging.region),
        description="container-delivery: staging/build registry (service repositories)",
    )
    # The registry policy must exist before images replicate: deploy production's side first.
    source.add_stack_dependency(destination, "the registry policy allows the replication")
    return RegistryStacks(source=source, destination=destination, repositories=source.repositories)
