"""The build-and-gate project: build once, lint, scan, gate, and push only a passing image.

Privileged mode: only this project runs privileged, because ``docker buildx`` needs the Docker
daemon; it runs only the app's Dockerfile build, the pinned linters and scanners, and it has no
permission beyond its repository, its artifacts and logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from ._acknowledgments import acknowledge_pipeline_source
from ._storage import PipelineStorage
from .buildspec import KEV_CACHE_VARIABLE, BuildOptions, build_spec

ECR_PUSH_PULL: Final = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:DescribeImages",
]
KEV_CACHE_KEY: Final = "kev-cache/known_exploited_vulnerabilities.json"
"""Where the build keeps the last KEV catalog it downloaded, in the artifact bucket (the build role
reads and writes artifacts already; the object expires like them unless a build renews it)."""
#: The one tag of the build cache repository (mutable).
CACHE_TAG: Final = "buildcache"


@dataclass(frozen=True)
class BuildResources:
    """What ``new_build`` created."""

    report_group: codebuild.ReportGroup
    build_cache: ecr.Repository
    project: codebuild.PipelineProject
    role: iam.Role
    policy: iam.ManagedPolicy


def new_build(
    scope: Construct,
    *,
    service_name: str,
    repository: ecr.IRepository,
    cache_name: str,
    options: BuildOptions,
    gate_dir: Path,
    storage: PipelineStorage,
    timeout: cdk.Duration,
    removal_policy: cdk.RemovalPolicy,
) -> BuildResources:
    """The build-and-gate project with its role, policy, report group and build cache."""
    scan_gate = s3_assets.Asset(
        scope, "ScanGate", path=str(gate_dir), exclude=["__pycache__", "*.pyc"]
    )
    report_group = codebuild.ReportGroup(
        scope,
        "GateReports",
        report_group_name=f"container-delivery-{service_name}-scan-gate",
        type=codebuild.ReportGroupType.TEST,
        zip_export=False,
        removal_policy=removal_policy,
    )
    build_cache = _build_cache(scope, cache_name)
    role = iam.Role(
        scope,
        "BuildRole",
        assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
        description=f"container-delivery {service_name}: build, lint, scan, gate and push",
    )
    stack = cdk.Stack.of(scope)
    registry = f"{stack.account}.dkr.ecr.{stack.region}.{stack.url_suffix}"
    variables = _environment_variables(
        registry, repository, build_cache, scan_gate, storage.artifact_bucket, options
    )
    project = codebuild.PipelineProject(
        scope,
        "Build",
        description=f"Build {service_name} once, lint, scan, gate; push only if it passed",
        role=role.without_policy_updates(),
        environment=_environment(options),
        environment_variables=variables,
        build_spec=codebuild.BuildSpec.from_object(
            build_spec(options, report_group=report_group.report_group_arn)
        ),
        encryption_key=storage.key,
        timeout=timeout,
        logging=storage.logging("build"),
    )
    statements = [
        *storage.project_statements("build"),
        *_build_statements(
            stack.partition, repository, build_cache, report_group, scan_gate, options
        ),
    ]
    policy = iam.ManagedPolicy(scope, "BuildPolicy", roles=[role], statements=statements)
    acknowledge_pipeline_source(project)
    return BuildResources(report_group, build_cache, project, role, policy)


def _build_cache(scope: Construct, name: str) -> ecr.Repository:
    return ecr.Repository(
        scope,
        "BuildCache",
        repository_name=name,
        image_tag_mutability=ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
        image_tag_mutability_exclusion_filters=[
            ecr.ImageTagMutabilityExclusionFilter.wildcard(CACHE_TAG)
        ],
        image_scan_on_push=True,
        lifecycle_rules=[
            ecr.LifecycleRule(
                description="Replaced cache manifests are untagged: expire them",
                tag_status=ecr.TagStatus.UNTAGGED,
                max_image_age=cdk.Duration.days(7),
            )
        ],
        removal_policy=cdk.RemovalPolicy.DESTROY,
        empty_on_delete=True,  # a cache: rebuilt by the next build
    )


def _environment(options: BuildOptions) -> codebuild.BuildEnvironment:
    arm = options.arch == "arm64"
    return codebuild.BuildEnvironment(
        build_image=(
            codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0
            if arm
            else codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5
        ),
        compute_type=codebuild.ComputeType.LARGE if arm else codebuild.ComputeType.MEDIUM,
        privileged=True,  # docker buildx needs the daemon: see the module docstring
    )


def _environment_variables(
    registry: str,
    repository: ecr.IRepository,
    build_cache: ecr.IRepository,
    scan_gate: s3_assets.Asset,
    artifact_bucket: s3.IBucket,
    options: BuildOptions,
) -> dict[str, codebuild.BuildEnvironmentVariable]:
    """The variables the buildspec reads (see ``BuildOptions``)."""

    def var(value: str) -> codebuild.BuildEnvironmentVariable:
        return codebuild.BuildEnvironmentVariable(value=value)

    variables = {
        "REPOSITORY_URI": var(repository.repository_uri),
        "REPOSITORY_NAME": var(repository.repository_name),
        "CACHE_REPOSITORY_URI": var(build_cache.repository_uri),
        "ECR_REGISTRY": var(registry),
        "SCAN_GATE_S3_URL": var(scan_gate.s3_object_url),
    }
    if options.kev_url:
        variables[KEV_CACHE_VARIABLE] = var(artifact_bucket.s3_url_for_object(KEV_CACHE_KEY))
    return variables


def _build_statements(
    partition: str,
    repository: ecr.IRepository,
    build_cache: ecr.IRepository,
    report_group: codebuild.ReportGroup,
    scan_gate: s3_assets.Asset,
    options: BuildOptions,
) -> list[iam.PolicyStatement]:
    """What the build needs beyond every project's statements: reports, ECR, the scan gate."""
    statements = [
        iam.PolicyStatement(
            sid="WriteGateReports",
            actions=[
                "codebuild:CreateReport",
                "codebuild:UpdateReport",
                "codebuild:BatchPutTestCases",
            ],
            resources=[report_group.report_group_arn],
        ),
        iam.PolicyStatement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
        iam.PolicyStatement(
            sid="PushAndCacheInTheStagingRepository",
            actions=ECR_PUSH_PULL,
            resources=[repository.repository_arn],
        ),
        iam.PolicyStatement(
            sid="ReadAndWriteTheBuildCache",
            actions=ECR_PUSH_PULL,
            resources=[build_cache.repository_arn],
        ),
        iam.PolicyStatement(
            sid="ReadTheScanGate",
            actions=["s3:GetObject"],
            resources=[
                f"arn:{partition}:s3:::{scan_gate.s3_bucket_name}/{scan_gate.s3_object_key}"
            ],
        ),
    ]
    if options.scanner == "inspector":
        statements.append(
            iam.PolicyStatement(
                sid="InspectorScanSbom", actions=["inspector-scan:ScanSbom"], resources=["*"]
            )
        )
    return statements
