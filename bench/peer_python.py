"""The peer a user would otherwise write: the same services with plain aws-cdk-lib L2/L3 constructs.

    python bench/peer_python.py --services 40 --outdir bench/work/peer-40 --result r.json

Per environment (staging, production account) a network stack: VPC over two explicit AZs and an
ECS cluster. Per service and environment a stack: an ECR repository, 3 secrets injected by ECS and
an ``aws_ecs_patterns.ApplicationLoadBalancedFargateService``; the staging stack also holds the
service's source bucket, CodeBuild project and CodePipeline V2 (source, build, deploy to staging,
approval). Built-in template validation on and the four public nag packs registered, like ours.
The peer has findings (nobody fixed or acknowledged them): they are counted, and the
``ValidationFailed`` error is caught; its time counts. ``bench/js/peer.js`` is the same app in
JavaScript.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    PRODUCTION_ACCOUNT,
    REGION,
    STAGING_ACCOUNT,
    feature_flags,
)
from synth_ours import measure_main

SECRETS = ("DATABASE_PASSWORD", "API_KEY", "SESSION_SECRET")


def build(services: int, outdir: Path, *, validation: bool, nag: bool) -> Any:
    import aws_cdk as cdk
    from aws_cdk import aws_codebuild as codebuild
    from aws_cdk import aws_codepipeline as codepipeline
    from aws_cdk import aws_codepipeline_actions as actions
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_ecr as ecr
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_ecs_patterns as ecs_patterns
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_secretsmanager as secretsmanager

    app = cdk.App(
        outdir=str(outdir),
        context=feature_flags(),
        builtin_cloud_formation_validation=validation,
    )
    envs = {
        "staging": (cdk.Environment(account=STAGING_ACCOUNT, region=REGION), "10.10.0.0/16"),
        "production": (cdk.Environment(account=PRODUCTION_ACCOUNT, region=REGION), "10.20.0.0/16"),
    }
    clusters = {}
    for env_name, (env, cidr) in envs.items():
        network = cdk.Stack(app, f"Network-{env_name}", env=env)
        vpc = ec2.Vpc(
            network,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=[f"{REGION}a", f"{REGION}b"],
            nat_gateways=1,
        )
        clusters[env_name] = ecs.Cluster(
            network,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )

    for index in range(1, services + 1):
        name = f"svc{index:03d}"
        for env_name, (env, _) in envs.items():
            stack = cdk.Stack(app, f"{name}-{env_name}", env=env)
            repository = ecr.Repository(
                stack,
                "Repository",
                repository_name=name,
                image_scan_on_push=True,
                image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            )
            secrets = {
                secret: ecs.Secret.from_secrets_manager(
                    secretsmanager.Secret.from_secret_complete_arn(
                        stack,
                        secret,
                        f"arn:aws:secretsmanager:{REGION}:{env.account}:secret:{name}/{secret.lower()}-AbCdEf",
                    ),
                    "password",
                )
                for secret in SECRETS
            }
            service = ecs_patterns.ApplicationLoadBalancedFargateService(
                stack,
                "Service",
                cluster=clusters[env_name],
                cpu=512,
                memory_limit_mib=1024,
                desired_count=1 if env_name == "staging" else 2,
                runtime_platform=ecs.RuntimePlatform(
                    cpu_architecture=ecs.CpuArchitecture.ARM64,
                    operating_system_family=ecs.OperatingSystemFamily.LINUX,
                ),
                task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                    image=ecs.ContainerImage.from_ecr_repository(repository, "latest"),
                    container_port=8080,
                    environment={"LOG_FORMAT": "json", "LOG_LEVEL": "info"},
                    secrets=secrets,
                ),
                public_load_balancer=True,
                circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            )
            service.target_group.configure_health_check(path="/healthz")
            scaling = service.service.auto_scale_task_count(max_capacity=6)
            scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
            if env_name != "staging":
                continue
            bucket = s3.Bucket(
                stack,
                "Source",
                versioned=True,
                enforce_ssl=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                encryption=s3.BucketEncryption.S3_MANAGED,
            )
            project = codebuild.PipelineProject(
                stack,
                "Build",
                environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0, privileged=True
                ),
            )
            repository.grant_pull_push(project)
            source_output = codepipeline.Artifact("Source")
            build_output = codepipeline.Artifact("Build")
            codepipeline.Pipeline(
                stack,
                "Pipeline",
                pipeline_type=codepipeline.PipelineType.V2,
                stages=[
                    codepipeline.StageProps(
                        stage_name="Source",
                        actions=[
                            actions.S3SourceAction(
                                action_name="Source",
                                bucket=bucket,
                                bucket_key="source.zip",
                                output=source_output,
                                trigger=actions.S3Trigger.NONE,
                            )
                        ],
                    ),
                    codepipeline.StageProps(
                        stage_name="Build",
                        actions=[
                            actions.CodeBuildAction(
                                action_name="Build",
                                project=project,
                                input=source_output,
                                outputs=[build_output],
                            )
                        ],
                    ),
                    codepipeline.StageProps(
                        stage_name="Staging",
                        actions=[
                            actions.EcsDeployAction(
                                action_name="Deploy",
                                service=service.service,
                                input=build_output,
                            )
                        ],
                    ),
                    codepipeline.StageProps(
                        stage_name="Approve",
                        actions=[actions.ManualApprovalAction(action_name="Approve")],
                    ),
                ],
            )

    if nag:
        from cdk_nag import (
            AwsSolutionsChecks,
            HIPAASecurityChecks,
            NIST80053R5Checks,
            PCIDSS321Checks,
        )

        cdk.Validations.of(app).add_plugins(
            AwsSolutionsChecks(app),
            NIST80053R5Checks(app),
            HIPAASecurityChecks(app),
            PCIDSS321Checks(app),
        )
    return app


if __name__ == "__main__":
    sys.exit(measure_main("peer_python", build))
