#!/usr/bin/env python3
"""payments-api: an app team's CDK app built from the container-delivery constructs.

A release: tag v1.2.3 in GitHub -> the pipeline builds, scans and pushes the image once ->
deploys its digest to staging -> waits for approval -> tags the digest release-v1.2.3 and waits
until it has replicated to production -> deploys the same digest to production.
Four stacks in two accounts; replace the ids, ARNs, repository and e-mail with yours.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_secretsmanager as secretsmanager

from container_delivery.compliance import apply_packs
from container_delivery.constructs import (
    STAGING_URL_VARIABLE,
    BuildOptions,
    DeliveryPipeline,
    DeployRole,
    DeployTarget,
    DestinationRegistry,
    FargateService,
    LoadBalancerOptions,
    PromotionFunction,
    PromotionReadRole,
    ReplicationCheck,
    ReplicationDestination,
    SecureTopic,
    ServiceNetwork,
    ServiceRepository,
    ServiceSecret,
    SourceRegistry,
    github_oidc_provider_arn,
)

SERVICE = "payments-api"  # the ECR repository, ECS service and stack prefix, in both accounts
GITHUB_REPOSITORY = "example-org/payments-api"  # its tags (v*) start releases
TEAM_EMAIL = "payments-team@example.com"  # approvals, pipeline events, alarms

STAGING_ACCOUNT = "111111111111"  # runs staging and builds the image
PRODUCTION_ACCOUNT = "222222222222"
REGION = "eu-west-1"


@dataclass(frozen=True)
class Environment:
    """What differs between staging and production."""

    name: str
    account: str
    cidr: str  # the VPC's range
    certificate_arn: str  # ACM certificate of the HTTPS listener
    # The two JSON secrets the app reads, by COMPLETE ARN (with the 6 characters that Secrets
    # Manager appends to the name).
    database_credentials_arn: str
    psp_credentials_arn: str
    nat_gateways: int  # one per zone survives a zone failure
    desired_count: int
    max_count: int


ENVIRONMENTS = (
    Environment(
        name="staging",
        account=STAGING_ACCOUNT,
        cidr="10.30.0.0/16",
        certificate_arn="arn:aws:acm:eu-west-1:111111111111:certificate/0b1c2d3e-1111-4a5b-8c9d-0e1f2a3b4c5d",
        database_credentials_arn="arn:aws:secretsmanager:eu-west-1:111111111111:secret:payments-api/db-AbCdEf",
        psp_credentials_arn="arn:aws:secretsmanager:eu-west-1:111111111111:secret:payments-api/psp-GhIjKl",
        nat_gateways=1,
        desired_count=1,
        max_count=2,
    ),
    Environment(
        name="production",
        account=PRODUCTION_ACCOUNT,
        cidr="10.40.0.0/16",
        certificate_arn="arn:aws:acm:eu-west-1:222222222222:certificate/9a8b7c6d-2222-4e5f-9a0b-1c2d3e4f5a6b",
        database_credentials_arn="arn:aws:secretsmanager:eu-west-1:222222222222:secret:payments-api/db-MnOpQr",
        psp_credentials_arn="arn:aws:secretsmanager:eu-west-1:222222222222:secret:payments-api/psp-StUvWx",
        nat_gateways=2,
        desired_count=2,
        max_count=6,
    ),
)

# IAM role names are the contract between the two accounts: a role in one account trusts the
# other account's role by name, so the stacks can be deployed in any order.
DEPLOY_ROLE = f"{SERVICE}-deploy"  # assumed by the pipeline to update a service stack
DEPLOYER_ROLE = f"{SERVICE}-deployer"  # the pipeline's deploy project role
PROMOTE_ROLE = f"{SERVICE}-promote"  # the promotion function's role
PROMOTION_READ_ROLE = f"{SERVICE}-promotion-read"  # lets it see the replicated image


def deploy_target(environment: Environment) -> DeployTarget:
    """The service stack of one environment, which the pipeline updates with a new digest."""
    return DeployTarget(
        stack_name=f"{SERVICE}-{environment.name}",
        account=environment.account,
        region=REGION,
        role_name=DEPLOY_ROLE,
    )


STAGING, PRODUCTION = ENVIRONMENTS
app = cdk.App()

# --- production account: what the staging account may do there ----------------------------
access = cdk.Stack(
    app,
    f"{SERVICE}-production-access",
    env=cdk.Environment(account=PRODUCTION_ACCOUNT, region=REGION),
)
# Replication needs the production registry's permission. The registry policy exists once per
# account and region: in an account shared with other teams, register where the others do.
DestinationRegistry.of(access).allow_replication(
    source_account=STAGING_ACCOUNT, repository_prefixes=[SERVICE]
)
DeployRole(
    access,
    "DeployRole",
    target=deploy_target(PRODUCTION),
    trusted_account=STAGING_ACCOUNT,
    trusted_role_name=DEPLOYER_ROLE,
)
PromotionReadRole(
    access,
    "PromotionReadRole",
    source_account=STAGING_ACCOUNT,
    promotion_role_name=PROMOTE_ROLE,
    repository_names=[SERVICE],
    role_name=PROMOTION_READ_ROLE,
)

# --- staging (build) account: repository, promotion, pipeline ------------------------------
build = cdk.Stack(
    app, f"{SERVICE}-build", env=cdk.Environment(account=STAGING_ACCOUNT, region=REGION)
)
build.add_stack_dependency(access, "replication needs the production registry policy first")
# Immutable tags, scan on push, a lifecycle that never deletes a released image. Every image
# pushed here replicates to production (the pipeline pushes only images that passed the gate).
# Like the registry policy, the replication configuration is one per account and region.
repository = ServiceRepository(
    build,
    "Repository",
    repository_name=SERVICE,
    registry=SourceRegistry.of(build),
    replicate_to=[ReplicationDestination(account=PRODUCTION_ACCOUNT, region=REGION)],
)
# The promotion handler ships inside the container-delivery wheel: no code= needed.
promotion = PromotionFunction(
    build,
    "Promotion",
    repositories=[repository.repository],
    role_name=PROMOTE_ROLE,
    replication_check=ReplicationCheck(
        account=PRODUCTION_ACCOUNT, region=REGION, role_name=PROMOTION_READ_ROLE
    ),
)
DeliveryPipeline(
    build,
    "Pipeline",
    service_name=SERVICE,
    repository=repository.repository,
    github_repository=GITHUB_REPOSITORY,
    tag_pattern="v*",
    # GitHub's OIDC provider exists once per account (docs/pipeline.md shows how to create
    # it); this names it, it does not create it.
    oidc_provider_arn=github_oidc_provider_arn(STAGING_ACCOUNT),
    staging=deploy_target(STAGING),
    production=deploy_target(PRODUCTION),
    promote_function=promotion.function,
    # The approval email links the staging URL: the staging stack's output named "Url".
    staging_url=STAGING_URL_VARIABLE,
    build=BuildOptions(platform="linux/arm64"),
    notification_emails=[TEAM_EMAIL],
    deploy_project_role_name=DEPLOYER_ROLE,
)
# Its outputs UploadRoleArn, SourceBucket and SourceKey go into the app repository's release
# workflow (examples/github-actions/release.yml of container-delivery).

# --- one service stack per environment ------------------------------------------------------
for environment in ENVIRONMENTS:
    stack = cdk.Stack(
        app,
        f"{SERVICE}-{environment.name}",
        env=cdk.Environment(account=environment.account, region=REGION),
    )
    # The pipeline sets this parameter (UpdateStack with the previous template); `cdk deploy`
    # keeps the deployed value, so infrastructure changes never change the running image.
    digest = cdk.CfnParameter(
        stack,
        "ImageDigest",
        default="",  # no release yet: the service runs zero tasks
        allowed_pattern="^(sha256:[a-f0-9]{64})?$",
        description="Digest of the image to run, set by the pipeline",
    )
    network = ServiceNetwork(
        stack,
        "Network",
        cidr=environment.cidr,
        # the region's first two zones, picked by CloudFormation at deploy time (no lookup)
        availability_zones=[cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(2)],
        nat_gateways=environment.nat_gateways,
    )
    # KMS-encrypted, TLS-only, and its policies let CloudWatch alarms publish to it.
    alarms = SecureTopic(
        stack,
        "Alarms",
        display_name=f"{SERVICE} alarms ({environment.name})",
        emails=[TEAM_EMAIL],
    )
    service = FargateService(
        stack,
        "Service",
        cluster=network.cluster,
        # the same name in both accounts: production's repository is created by replication
        repository=ecr.Repository.from_repository_name(stack, "Repository", SERVICE),
        image_digest=digest.value_as_string,
        container_port=8080,
        cpu=512,
        memory=1024,
        architecture=ecs.CpuArchitecture.ARM64,
        desired_count=environment.desired_count,
        max_count=environment.max_count,
        environment={"LOG_FORMAT": "json", "PAYMENTS_ENV": environment.name},
        # One key of each JSON secret, injected by ECS as an environment variable; only the
        # task execution role may read exactly these two secrets.
        secrets={
            "DATABASE_PASSWORD": ServiceSecret(
                secret=secretsmanager.Secret.from_secret_complete_arn(
                    stack, "DatabaseCredentials", environment.database_credentials_arn
                ),
                json_key="password",
            ),
            "PSP_API_KEY": ServiceSecret(
                secret=secretsmanager.Secret.from_secret_complete_arn(
                    stack, "PspCredentials", environment.psp_credentials_arn
                ),
                json_key="api_key",
            ),
        },
        health_check_path="/healthz",
        # HTTPS on 443 with the certificate; port 80 only redirects to it.
        load_balancer=LoadBalancerOptions(
            public=True,
            certificate=acm.Certificate.from_certificate_arn(
                stack, "Certificate", environment.certificate_arn
            ),
        ),
        alarm_topic=alarms.topic,
        alarm_rollback=True,  # an error-log alarm during a deploy rolls it back
        service_name=SERVICE,
    )
    # The pipeline's staging deploy reads this output for the approval email.
    cdk.CfnOutput(stack, "Url", value=f"{service.url}", description="The service's URL")

# Every cdk-nag pack: AwsSolutions and ContainerDelivery always run, these three are added.
# A finding that is not fixed or acknowledged (container_delivery.compliance.acknowledge)
# fails `cdk synth`.
apply_packs(app, ["NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"])

app.synth()
