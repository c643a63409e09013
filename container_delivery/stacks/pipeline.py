"""The pipeline stacks of the reference app.

- ``container-delivery-github-staging`` (staging account): the GitHub Actions OIDC provider,
  once per account, only when ``github.create_oidc_provider`` is true.
- ``container-delivery-pipeline-<service>`` (staging account): per service, its
  ``DeliveryPipeline`` and ``PromotionFunction``.
- ``container-delivery-pipeline-access-production`` (production account): per service, the
  production ``DeployRole`` and the ``PromotionReadRole``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_delivery.config import DeliveryConfig
from container_delivery.config.model import Account, Accounts, EnvironmentName, ServiceConfig
from container_delivery.constructs.pipeline import (
    GITHUB_AUDIENCE,
    GITHUB_OIDC_URL,
    STAGING_URL_VARIABLE,
    BuildOptions,
    DeliveryPipeline,
    DeployRole,
    DeployTarget,
    github_oidc_provider_arn,
)
from container_delivery.constructs.promotion import (
    PromotionFunction,
    PromotionReadRole,
    ReplicationCheck,
)
from container_delivery.stacks.service import network_stack_name

from ._errors import for_service

if TYPE_CHECKING:
    from .registry import RegistryStacks
    from .service import ServiceStacks

GITHUB_STACK = "container-delivery-github-staging"
ACCESS_STACK = "container-delivery-pipeline-access-production"


def pipeline_stack_name(service: str) -> str:
    return f"container-delivery-pipeline-{service}"


def service_stack_name(service: str, env: str) -> str:
    """The service stack a deploy step updates (contract with the service stacks)."""
    return f"{service}-{env}"


def deploy_role_name(service: str) -> str:
    return f"container-delivery-deploy-{service}"


def deployer_role_name(service: str) -> str:
    return f"container-delivery-deployer-{service}"


def build_cache_repository_name(service: str) -> str:
    return f"build-cache/{service}"


def promotion_role_name(service: str) -> str:
    return f"container-delivery-promote-{service}"


def promotion_read_role_name(service: str) -> str:
    return f"container-delivery-promotion-read-{service}"


def deploy_targets(service: str, accounts: Accounts) -> tuple[DeployTarget, DeployTarget]:
    """(staging, production) deploy targets of ``service``."""
    environments: tuple[tuple[EnvironmentName, Account], ...] = (
        ("staging", accounts.staging),
        ("production", accounts.production),
    )
    return tuple(  # type: ignore[return-value]
        DeployTarget(
            stack_name=service_stack_name(service, env),
            account=account.id,
            region=account.region,
            role_name=deploy_role_name(service),
            # The service stack reads the network stack's outputs (Fn::GetStackOutput).
            output_stacks=(network_stack_name(env),),
        )
        for env, account in environments
    )


class GitHubOidcStack(cdk.Stack):
    """The account's GitHub Actions OIDC identity provider (one per account)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.provider = iam.OidcProviderNative(
            self,
            "GitHub",
            url=GITHUB_OIDC_URL,
            client_ids=[GITHUB_AUDIENCE],
            removal_policy=cdk.RemovalPolicy.RETAIN,  # other stacks' roles may trust it
        )


class PipelineStack(cdk.Stack):
    """One service's delivery pipeline and promotion function, in the staging account."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: ServiceConfig,
        accounts: Accounts,
        notification_emails: tuple[str, ...] = (),
        staging_url: str | None = None,
        build: BuildOptions | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        staging, production = deploy_targets(service.name, accounts)
        repository = ecr.Repository.from_repository_name(self, "Repository", service.name)
        self.promotion = PromotionFunction(
            self,
            "Promotion",
            repositories=[repository],
            role_name=promotion_role_name(service.name),
            release_tag_template="release-{git_tag}",
            replication_check=ReplicationCheck(
                account=accounts.production.id,
                region=accounts.production.region,
                role_name=promotion_read_role_name(service.name),
            ),
        )
        self.pipeline = DeliveryPipeline(
            self,
            "Pipeline",
            service_name=service.name,
            repository=repository,
            github_repository=service.github_repository,
            tag_pattern=service.tag_pattern,
            oidc_provider_arn=github_oidc_provider_arn(accounts.staging.id),
            staging=staging,
            production=production,
            promote_function=self.promotion.function,
            staging_url=staging_url,
            build=build
            or BuildOptions(
                platform="linux/arm64" if service.architecture == "arm64" else "linux/amd64"
            ),
            notification_emails=notification_emails,
            deploy_project_role_name=deployer_role_name(service.name),
            build_cache_repository_name=build_cache_repository_name(service.name),
        )


class PipelineAccessStack(cdk.Stack):
    """What the pipelines may do in the production account: one deploy and one read role each."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        services: tuple[ServiceConfig, ...],
        accounts: Accounts,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.deploy_roles: dict[str, DeployRole] = {}
        self.read_roles: dict[str, PromotionReadRole] = {}
        for service in services:
            _, production = deploy_targets(service.name, accounts)
            with for_service(service.name, "production"):
                self.deploy_roles[service.name] = DeployRole(
                    self,
                    f"Deploy-{service.name}",
                    target=production,
                    trusted_account=accounts.staging.id,
                    trusted_role_name=deployer_role_name(service.name),
                )
                self.read_roles[service.name] = PromotionReadRole(
                    self,
                    f"PromotionRead-{service.name}",
                    source_account=accounts.staging.id,
                    promotion_role_name=promotion_role_name(service.name),
                    repository_names=[service.name],
                    role_name=promotion_read_role_name(service.name),
                )


@dataclass
class PipelineStacks:
    """The pipeline stacks of the app."""

    pipelines: dict[str, PipelineStack] = field(default_factory=dict)
    access: PipelineAccessStack | None = None
    github: GitHubOidcStack | None = None


def _staging_url(services: ServiceStacks | None, service: ServiceConfig) -> str | None:
    """The approval link: the staging deploy's ``SERVICE_URL`` variable, or none for a worker.

    The URL is read from the staging stack's ``Url`` output at deploy time, not referenced
    across stacks: an export would pin the staging load balancer to the pipeline stack.
    """
    has_url = service.load_balanced
    if services is not None and (stack := services.services.get((service.name, "staging"))):
        has_url = stack.url is not None
    return STAGING_URL_VARIABLE if has_url else None


def add_pipeline_stacks(
    app: cdk.App,
    config: DeliveryConfig,
    *,
    services: ServiceStacks | None = None,
    registry: RegistryStacks | None = None,
) -> PipelineStacks:
    """Add the GitHub provider stack, one pipeline stack per service and the access stack."""
    staging_env = cdk.Environment(
        account=config.accounts.staging.id, region=config.accounts.staging.region
    )
    production_env = cdk.Environment(
        account=config.accounts.production.id, region=config.accounts.production.region
    )
    overlaps = [
        f"service {other.name!r} is a prefix of the build cache repository "
        f"{build_cache_repository_name(service.name)!r}"
        for service in config.services
        for other in config.services
        if build_cache_repository_name(service.name).startswith(other.name)
    ]
    if overlaps:
        raise ValueError(
            "pipelines: replication matches repository names by prefix, so the unscanned build "
            "cache would be copied to production: " + "; ".join(overlaps) + " (rename the service)"
        )
    result = PipelineStacks()
    if config.create_github_oidc_provider:
        result.github = GitHubOidcStack(
            app,
            GITHUB_STACK,
            stack_name=GITHUB_STACK,
            env=staging_env,
            description="container-delivery: the GitHub Actions OIDC provider of this account",
        )
    result.access = PipelineAccessStack(
        app,
        ACCESS_STACK,
        stack_name=ACCESS_STACK,
        env=production_env,
        services=config.services,
        accounts=config.accounts,
        description="container-delivery: deploy and promotion-read roles the pipelines assume",
    )
    for service in config.services:
        with for_service(service.name, "pipeline"):
            stack = PipelineStack(
                app,
                pipeline_stack_name(service.name),
                stack_name=pipeline_stack_name(service.name),
                env=staging_env,
                service=service,
                accounts=config.accounts,
                notification_emails=config.notification_emails,
                staging_url=_staging_url(services, service),
                description=f"container-delivery: the delivery pipeline of {service.name}",
            )
        if result.github is not None:
            stack.add_stack_dependency(
                result.github, "the upload role trusts the GitHub OIDC provider"
            )
        if registry is not None:
            stack.add_stack_dependency(
                registry.source, "the build pushes to the staging repository"
            )
        result.pipelines[service.name] = stack
    return result
