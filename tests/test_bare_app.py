"""No hidden prerequisites: every public construct synthesizes in a bare ``cdk.App()``.

A user's app has its own cdk.json (or none): no feature flags, no context. The constructs must
not depend on this repository's cdk.json, and every nag pack must still pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_secretsmanager as secretsmanager

from container_delivery.constructs.network import ServiceNetwork
from container_delivery.constructs.pipeline import (
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
from container_delivery.constructs.registry import (
    DestinationRegistry,
    ReplicationDestination,
    ReplicationMonitor,
    ServiceRepository,
    SourceRegistry,
)
from container_delivery.constructs.service import (
    FargateService,
    LoadBalancerOptions,
    ServiceSecret,
)
from container_delivery.constructs.topic import SecureTopic
from tests.helpers import PRODUCTION_ACCOUNT, REGION, STAGING_ACCOUNT, nag_findings

PROMOTE_ROLE = "payments-promote"
READ_ROLE = "payments-promotion-read"
DEPLOY_ROLE = "payments-deploy"
DEPLOY_PROJECT_ROLE = "payments-deploy-project"


def _staging(app: cdk.App) -> None:
    stack = cdk.Stack(
        app, "payments-staging", env=cdk.Environment(account=STAGING_ACCOUNT, region=REGION)
    )
    topic = SecureTopic(stack, "Alarms", emails=["ops@example.com"])
    repository = ServiceRepository(
        stack,
        "Repository",
        repository_name="payments-api",
        registry=SourceRegistry.of(stack),
        replicate_to=[ReplicationDestination(account=PRODUCTION_ACCOUNT, region=REGION)],
    )
    network = ServiceNetwork(
        stack, "Network", cidr="10.30.0.0/16", availability_zones=["eu-west-1a", "eu-west-1b"]
    )
    db = secretsmanager.Secret.from_secret_complete_arn(
        stack, "Db", f"arn:aws:secretsmanager:{REGION}:{STAGING_ACCOUNT}:secret:payments/db-AbCdEf"
    )
    service = FargateService(
        stack,
        "Service",
        cluster=network.cluster,
        repository=repository.repository,
        image_digest=cdk.CfnParameter(stack, "ImageDigest", default="").value_as_string,
        secrets={"DATABASE_PASSWORD": ServiceSecret(db, json_key="password")},
        load_balancer=LoadBalancerOptions(
            public=True,
            certificate=acm.Certificate.from_certificate_arn(
                stack, "Cert", f"arn:aws:acm:{REGION}:{STAGING_ACCOUNT}:certificate/abc"
            ),
        ),
        alarm_topic=topic.topic,
    )
    promote = PromotionFunction(
        stack,
        "Promote",
        repositories=[repository.repository],
        role_name=PROMOTE_ROLE,
        replication_check=ReplicationCheck(PRODUCTION_ACCOUNT, REGION, READ_ROLE),
    )
    DeliveryPipeline(
        stack,
        "Pipeline",
        service_name="payments-api",
        repository=repository.repository,
        github_repository="example-org/payments-api",
        oidc_provider_arn=github_oidc_provider_arn(STAGING_ACCOUNT),
        staging=DeployTarget("payments-staging", STAGING_ACCOUNT, REGION, DEPLOY_ROLE),
        production=DeployTarget("payments-production", PRODUCTION_ACCOUNT, REGION, DEPLOY_ROLE),
        promote_function=promote.function,
        staging_url=service.url if hasattr(service, "url") else None,
        notification_emails=["team@example.com"],
        deploy_project_role_name=DEPLOY_PROJECT_ROLE,
    )


def _production(app: cdk.App) -> None:
    stack = cdk.Stack(
        app, "payments-production", env=cdk.Environment(account=PRODUCTION_ACCOUNT, region=REGION)
    )
    DestinationRegistry.of(stack).allow_replication(
        source_account=STAGING_ACCOUNT, repository_prefixes=["payments-api"]
    )
    ReplicationMonitor(stack, "Monitor", emails=["ops@example.com"])
    PromotionReadRole(
        stack,
        "PromotionRead",
        source_account=STAGING_ACCOUNT,
        promotion_role_name=PROMOTE_ROLE,
        repository_names=["payments-api"],
        role_name=READ_ROLE,
    )
    DeployRole(
        stack,
        "Deploy",
        target=DeployTarget("payments-production", PRODUCTION_ACCOUNT, REGION, DEPLOY_ROLE),
        trusted_account=STAGING_ACCOUNT,
        trusted_role_name=DEPLOY_PROJECT_ROLE,
    )


def test_every_public_construct_synthesizes_without_context_and_passes_every_pack(
    tmp_path: Path,
) -> None:
    # GIVEN an app with no context and no feature flags (what a user's new app has)
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    assert not any(key.startswith("@aws-cdk/") for key in (app.node.try_get_context("") or {}))
    # WHEN every public construct is added
    _staging(app)
    _production(app)
    # THEN it synthesizes, with no unacknowledged finding of any pack
    assert nag_findings(app, tmp_path) == []
    # AND nothing is left for the CLI to look up (which would need AWS credentials)
    assert "missing" not in json.loads((tmp_path / "manifest.json").read_text())
