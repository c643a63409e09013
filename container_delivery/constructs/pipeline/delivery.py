"""``DeliveryPipeline``: one service's CodePipeline V2 from a tagged source archive to production.

Stages: Source (S3, started by EventBridge) -> Build (build once, lint, scan, gate, push) ->
Staging (deploy the digest) -> Approval (SNS, digest and staging URL) -> Promote (release tag,
wait for replication) -> Production (deploy the same digest, cross-account).

Every role here has a hand-written customer managed policy (CDK's generated grants would be
inline policies and broader); the L2 constructs get the roles with ``without_policy_updates()``.
Auditors: every cdk-nag acknowledgment of this module is made by ``_acknowledge_*`` functions at
the end of the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sns as sns
from constructs import Construct

from container_delivery.compliance import acknowledge
from container_delivery.constructs._encryption import allow_cloudwatch_logs

from .._buckets import log_access
from .._checks import check_log_retention, unresolved
from ..topic import CODESTAR_NOTIFICATIONS, SecureTopic
from ._checks import check_role_name, check_service_name
from ._trigger import StartWithUploadedVersion
from .access import DeployRole, DeployTarget, _applies_to
from .buildspec import (
    KEV_CACHE_VARIABLE,
    BuildOptions,
    build_spec,
    check_build_options,
    deploy_spec,
)
from .source import ReleaseSource

SCAN_GATE_DIR: Final = Path(__file__).resolve().parents[2] / "scan_gate"
"""The scan-gate package shipped to the build (``container_delivery/scan_gate``)."""

STAGES: Final[tuple[str, ...]] = (
    "Source",
    "Build",
    "Staging",
    "Approval",
    "Promote",
    "Production",
)
"""Stage names, in order (the diagram and the tests read them from the template)."""

NOTIFIED_EVENTS: Final = (
    codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_STARTED,
    codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
    codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_SUCCEEDED,
    codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
    codepipeline.PipelineNotificationEvents.STAGE_EXECUTION_FAILED,
    codepipeline.PipelineNotificationEvents.ACTION_EXECUTION_FAILED,
)
"""Pipeline events the notification rule sends to the pipeline's topic."""

_ECR_PUSH_PULL: Final = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:DescribeImages",
]
_KMS_USE: Final = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
RELEASE_OUTPUTS: Final = {
    "UploadRoleArn": "AWS_ROLE_ARN",
    "SourceBucket": "SOURCE_BUCKET",
    "SourceKey": "SOURCE_KEY",
}
"""Stack outputs of the pipeline -> the variable of examples/github-actions/release.yml they fill."""

STAGING_URL_VARIABLE: Final = "#{DeployStaging.SERVICE_URL}"
"""Pass as ``DeliveryPipeline(staging_url=...)`` to link the staging service in the approval
request: the staging deploy reads the ``Url`` output of the staging stack (the stack must have an
output named exactly ``Url``) and exports it as this pipeline variable."""

SOURCE_ACTION: Final = "Source"
"""The S3 source action's name; the trigger names it to pass the uploaded object's version."""
KEV_CACHE_KEY: Final = "kev-cache/known_exploited_vulnerabilities.json"
"""Where the build keeps the last KEV catalog it downloaded, in the artifact bucket (the build role
reads and writes artifacts already; the object expires like them unless a build renews it)."""
#: The one tag of the build cache repository (mutable).
CACHE_TAG: Final = "buildcache"
DEFAULT_BUILD_TIMEOUT: Final = cdk.Duration.minutes(60)
DEFAULT_ARTIFACT_EXPIRATION: Final = cdk.Duration.days(90)


class DeliveryPipeline(Construct):
    """The delivery pipeline of one service, in the staging (build) account.

    Creates the pipeline key, an access-log bucket, the release source (bucket + GitHub role),
    the artifact bucket, the build-and-gate and deploy CodeBuild projects, the staging deploy
    role (when staging is this account), the notification topic, the EventBridge trigger and
    the notification rule. Production's deploy role is a ``DeployRole`` deployed in the
    production account (it trusts ``deploy_project_role_name`` of this account).

    Privileged mode: only the build-and-gate project runs privileged, because ``docker buildx``
    needs the Docker daemon; it runs only the app's Dockerfile build, the pinned linters and
    scanners, and it has no permission beyond its repository, its artifacts and logs. cdk-nag 3
    has no privileged-mode rule to acknowledge; this note is the record.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        repository: ecr.IRepository,
        github_repository: str,
        oidc_provider_arn: str,
        staging: DeployTarget,
        production: DeployTarget,
        promote_function: lambda_.IFunction,
        tag_pattern: str = "v*",
        staging_url: str | None = None,
        build: BuildOptions | None = None,
        notification_emails: Sequence[str] = (),
        deploy_project_role_name: str | None = None,
        build_cache_repository_name: str | None = None,
        scan_gate_path: str | Path | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        build_timeout: cdk.Duration = DEFAULT_BUILD_TIMEOUT,
        artifact_expiration: cdk.Duration = DEFAULT_ARTIFACT_EXPIRATION,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        output_prefix: str = "",
    ) -> None:
        """
        :param service_name: The service (ECR repository name, stack prefix).
        :param repository: The staging repository the build pushes to (same account).
        :param github_repository: ``owner/repo`` whose tag workflows upload releases.
        :param oidc_provider_arn: This account's GitHub OIDC provider.
        :param staging: The staging service stack and its deploy role.
        :param production: The production service stack and its deploy role (in production).
        :param promote_function: The promotion Lambda (``PromotionFunction.function``); invoked
            with ``{"repository", "digest", "git_tag"}`` UserParameters.
        :param tag_pattern: Git tags that may release.
            Default: - ``v*``.
        :param staging_url: Link in the approval request, a URL or ``STAGING_URL_VARIABLE``
            (the ``Url`` output of the staging stack, read by the staging deploy; no cross-stack
            reference). Default: - none (a worker service).
        :param build: What the build does (platform, scanner, files).
            Default: - ``BuildOptions()``: linux/arm64, Trivy, ``Dockerfile``,
            ``.scan-suppressions.yaml``, threshold HIGH.
        :param notification_emails: Email subscriptions of the pipeline topic.
            Default: - none.
        :param deploy_project_role_name: Physical name of the deploy project's role, which the
            deploy roles trust. Default: - ``container-delivery-deployer-<service_name>``.
        :param build_cache_repository_name: The repository of the registry build cache (tag
            ``buildcache``, overwritten by every build). It is created here, apart from the
            service repository, because the cache is written before the gate runs: it must not
            match a replication prefix (a service name must not be a prefix of it).
            Default: - ``build-cache/<service_name>``.
        :param scan_gate_path: The ``scan_gate`` package folder shipped to the build.
            Default: - this library's ``container_delivery/scan_gate``.
        :param log_retention: Retention of the build logs in CloudWatch.
            Default: - one year.
        :param build_timeout: Timeout of the build-and-gate project.
            Default: - 60 minutes.
        :param artifact_expiration: How long pipeline artifacts (digest, SBOM, gate reports) and
            S3 build logs are kept. Default: - 90 days.
        :param removal_policy: Buckets and key.
            Default: - RETAIN.
        :param output_prefix: Prefix of the stack outputs the release workflow reads
            (``RELEASE_OUTPUTS``); give one per pipeline when a stack holds several.
            Default: - none: ``UploadRoleArn``, ``SourceBucket``, ``SourceKey``.
        """
        super().__init__(scope, construct_id)
        build = build or BuildOptions()
        deployer = deploy_project_role_name or f"container-delivery-deployer-{service_name}"
        cache_name = build_cache_repository_name or f"build-cache/{service_name}"
        problems = [
            *check_service_name(service_name),
            *staging.problems("staging"),
            *production.problems("production"),
            *check_role_name("deploy_project_role_name", deployer),
            *check_build_options(build),
            *check_log_retention("log_retention", log_retention),
        ]
        if not unresolved(cache_name) and cache_name.startswith(service_name):
            problems.append(
                f"build_cache_repository_name {cache_name!r} starts with the service name "
                f"{service_name!r}: replication by prefix would copy the unscanned cache to "
                f"production (try 'build-cache/{service_name}')"
            )
        if (
            staging_url is not None
            and not unresolved(staging_url)
            and not staging_url.startswith(("https://", "http://", "#{"))
        ):
            problems.append(
                f"staging_url {staging_url!r} must start with https:// or http:// (or be a "
                "pipeline variable such as STAGING_URL_VARIABLE)"
            )
        if artifact_expiration.to_days() < 1:
            problems.append(
                "artifact_expiration must be at least 1 day "
                f"(got {artifact_expiration.to_human_string()})"
            )
        gate_dir = Path(scan_gate_path) if scan_gate_path else SCAN_GATE_DIR
        if not (gate_dir / "__main__.py").is_file():
            problems.append(
                f"scan_gate_path {str(gate_dir)!r} is not the scan_gate package (no __main__.py)"
            )
        if not re.fullmatch(r"[A-Za-z0-9]*", output_prefix):
            problems.append(
                f"output_prefix {output_prefix!r} may hold only letters and digits (it starts "
                "CloudFormation output names)"
            )
        if problems:
            raise ValueError(f"DeliveryPipeline '{self.node.path}': " + "; ".join(problems))

        stack = cdk.Stack.of(self)
        self.service_name = service_name
        self.staging = staging
        self.production = production

        # --- key, buckets, topic -------------------------------------------------------------
        self.key = kms.Key(
            self,
            "Key",
            description=f"container-delivery pipeline of {service_name}: artifacts, source, logs",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.log_group = logs.LogGroup(
            self,
            "BuildLogs",
            log_group_name=f"/container-delivery/pipeline/{service_name}",
            retention=log_retention,
            encryption_key=self.key,
            removal_policy=removal_policy,
        )
        self._key_policy(stack, production)

        self.log_bucket = s3.Bucket(
            self,
            "LogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=artifact_expiration,
                    noncurrent_version_expiration=cdk.Duration.days(1),
                )
            ],
            removal_policy=removal_policy,
        )
        _acknowledge_log_bucket(self.log_bucket)

        self.source = ReleaseSource(
            self,
            "Source",
            service_name=service_name,
            github_repository=github_repository,
            tag_pattern=tag_pattern,
            oidc_provider_arn=oidc_provider_arn,
            encryption_key=self.key,
            access_log_bucket=self.log_bucket,
            removal_policy=removal_policy,
        )

        self.artifact_bucket = s3.Bucket(
            self,
            "Artifacts",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-artifacts",
                    expiration=artifact_expiration,
                    noncurrent_version_expiration=cdk.Duration.days(1),
                )
            ],
            removal_policy=removal_policy,
        )
        log_access(self.artifact_bucket, to=self.log_bucket, prefix=f"artifacts/{service_name}/")
        _acknowledge_artifacts_not_replicated(self.artifact_bucket)

        self.notification_topic = SecureTopic(
            self,
            "Topic",
            display_name=f"container-delivery {service_name} pipeline",
            emails=notification_emails,
            publishers=[CODESTAR_NOTIFICATIONS],
            master_key=self.key,
        )
        """The pipeline's notification and approval topic."""
        self.topic: sns.ITopic = self.notification_topic.topic

        # --- build and gate ------------------------------------------------------------------
        scan_gate = s3_assets.Asset(
            self, "ScanGate", path=str(gate_dir), exclude=["__pycache__", "*.pyc"]
        )
        self.report_group = codebuild.ReportGroup(
            self,
            "GateReports",
            report_group_name=f"container-delivery-{service_name}-scan-gate",
            type=codebuild.ReportGroupType.TEST,
            zip_export=False,
            removal_policy=removal_policy,
        )
        registry = f"{stack.account}.dkr.ecr.{stack.region}.{stack.url_suffix}"
        self.build_cache = ecr.Repository(
            self,
            "BuildCache",
            repository_name=cache_name,
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
        build_role = iam.Role(
            self,
            "BuildRole",
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"container-delivery {service_name}: build, lint, scan, gate and push",
        )
        self.build_project = codebuild.PipelineProject(
            self,
            "Build",
            description=f"Build {service_name} once, lint, scan, gate; push only if it passed",
            role=build_role.without_policy_updates(),
            environment=codebuild.BuildEnvironment(
                build_image=(
                    codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0
                    if build.arch == "arm64"
                    else codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5
                ),
                compute_type=(
                    codebuild.ComputeType.LARGE
                    if build.arch == "arm64"
                    else codebuild.ComputeType.MEDIUM
                ),
                privileged=True,  # docker buildx needs the daemon: see the class docstring
            ),
            environment_variables={
                "REPOSITORY_URI": codebuild.BuildEnvironmentVariable(
                    value=repository.repository_uri
                ),
                "REPOSITORY_NAME": codebuild.BuildEnvironmentVariable(
                    value=repository.repository_name
                ),
                "CACHE_REPOSITORY_URI": codebuild.BuildEnvironmentVariable(
                    value=self.build_cache.repository_uri
                ),
                "ECR_REGISTRY": codebuild.BuildEnvironmentVariable(value=registry),
                "SCAN_GATE_S3_URL": codebuild.BuildEnvironmentVariable(
                    value=scan_gate.s3_object_url
                ),
                **(
                    {
                        KEV_CACHE_VARIABLE: codebuild.BuildEnvironmentVariable(
                            value=self.artifact_bucket.s3_url_for_object(KEV_CACHE_KEY)
                        )
                    }
                    if build.kev_url
                    else {}
                ),
            },
            build_spec=codebuild.BuildSpec.from_object(
                build_spec(build, report_group=self.report_group.report_group_arn)
            ),
            encryption_key=self.key,
            timeout=build_timeout,
            logging=self._logging("build"),
        )
        build_statements = [
            *self._project_statements("build", self.build_project),
            iam.PolicyStatement(
                sid="WriteGateReports",
                actions=[
                    "codebuild:CreateReport",
                    "codebuild:UpdateReport",
                    "codebuild:BatchPutTestCases",
                ],
                resources=[self.report_group.report_group_arn],
            ),
            iam.PolicyStatement(
                sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]
            ),
            iam.PolicyStatement(
                sid="PushAndCacheInTheStagingRepository",
                actions=_ECR_PUSH_PULL,
                resources=[repository.repository_arn],
            ),
            iam.PolicyStatement(
                sid="ReadAndWriteTheBuildCache",
                actions=_ECR_PUSH_PULL,
                resources=[self.build_cache.repository_arn],
            ),
            iam.PolicyStatement(
                sid="ReadTheScanGate",
                actions=["s3:GetObject"],
                resources=[
                    f"arn:{stack.partition}:s3:::{scan_gate.s3_bucket_name}/"
                    f"{scan_gate.s3_object_key}"
                ],
            ),
        ]
        if build.scanner == "inspector":
            build_statements.append(
                iam.PolicyStatement(
                    sid="InspectorScanSbom", actions=["inspector-scan:ScanSbom"], resources=["*"]
                )
            )
        self.build_policy = iam.ManagedPolicy(
            self, "BuildPolicy", roles=[build_role], statements=build_statements
        )
        self.build_role = build_role
        _acknowledge_pipeline_source(self.build_project)

        # --- deploy (both environments: one project, per-action variables) --------------------
        deploy_role = iam.Role(
            self,
            "DeployProjectRole",
            role_name=deployer,
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"container-delivery {service_name}: assume the deploy roles",
        )
        self.deploy_project = codebuild.PipelineProject(
            self,
            "Deploy",
            description=f"Set the image digest of the {service_name} service stacks",
            role=deploy_role.without_policy_updates(),
            environment=codebuild.BuildEnvironment(
                build_image=codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
                compute_type=codebuild.ComputeType.SMALL,
            ),
            build_spec=codebuild.BuildSpec.from_object(deploy_spec()),
            encryption_key=self.key,
            timeout=cdk.Duration.minutes(90),
            logging=self._logging("deploy"),
        )
        self.deploy_policy = iam.ManagedPolicy(
            self,
            "DeployProjectPolicy",
            roles=[deploy_role],
            statements=[
                *self._project_statements("deploy", self.deploy_project),
                iam.PolicyStatement(
                    sid="AssumeTheDeployRoles",
                    actions=["sts:AssumeRole"],
                    resources=[staging.role_arn, production.role_arn],
                ),
            ],
        )
        self.deploy_project_role = deploy_role
        _acknowledge_pipeline_source(self.deploy_project)
        self.staging_deploy_role: DeployRole | None = None
        if not unresolved(stack.account) and staging.account == stack.account:
            self.staging_deploy_role = DeployRole(
                self,
                "StagingDeployRole",
                target=staging,
                trusted_account=stack.account,
                trusted_role_name=deployer,
            )

        # --- pipeline ------------------------------------------------------------------------
        source_output = codepipeline.Artifact("Source")
        build_output = codepipeline.Artifact("Release")
        pipeline_role = iam.Role(
            self,
            "PipelineRole",
            assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com"),
            description=f"container-delivery {service_name} pipeline",
        )
        digest = "#{Build.IMAGE_DIGEST}"
        approval_text = (
            f"{service_name} #{{Build.GIT_TAG}} (commit #{{Build.GIT_COMMIT}}) runs in staging "
            f"as {digest}. Check it"
            + (f" at {staging_url}" if staging_url else "")
            + ", then approve to promote and deploy this digest to production."
        )
        self.pipeline = codepipeline.Pipeline(
            self,
            "Resource",
            pipeline_name=f"container-delivery-{service_name}",
            pipeline_type=codepipeline.PipelineType.V2,
            execution_mode=codepipeline.ExecutionMode.QUEUED,
            artifact_bucket=self.artifact_bucket,
            role=pipeline_role.without_policy_updates(),
            use_pipeline_role_for_actions=True,
            restart_execution_on_update=False,
            stages=[
                codepipeline.StageProps(
                    stage_name="Source",
                    actions=[
                        actions.S3SourceAction(
                            action_name=SOURCE_ACTION,
                            bucket=self.source.bucket,
                            bucket_key=self.source.object_key,
                            output=source_output,
                            trigger=actions.S3Trigger.NONE,
                            variables_namespace="Source",
                        )
                    ],
                ),
                codepipeline.StageProps(
                    stage_name="Build",
                    actions=[
                        actions.CodeBuildAction(
                            action_name="BuildAndGate",
                            project=self.build_project,
                            input=source_output,
                            outputs=[build_output],
                            variables_namespace="Build",
                        )
                    ],
                ),
                codepipeline.StageProps(
                    stage_name="Staging",
                    actions=[self._deploy_action("DeployStaging", staging, build_output, digest)],
                ),
                codepipeline.StageProps(
                    stage_name="Approval",
                    actions=[
                        actions.ManualApprovalAction(
                            action_name="Approve",
                            notification_topic=self.topic,
                            additional_information=approval_text,
                            external_entity_link=staging_url,
                        )
                    ],
                ),
                codepipeline.StageProps(
                    stage_name="Promote",
                    actions=[
                        actions.LambdaInvokeAction(
                            action_name="Promote",
                            lambda_=promote_function,
                            user_parameters_string=json.dumps(
                                {
                                    "repository": service_name,
                                    "digest": digest,
                                    "git_tag": "#{Build.GIT_TAG}",
                                }
                            ),
                            variables_namespace="Promote",
                        )
                    ],
                ),
                codepipeline.StageProps(
                    stage_name="Production",
                    actions=[
                        self._deploy_action("DeployProduction", production, build_output, digest)
                    ],
                ),
            ],
        )
        self.pipeline_policy = iam.ManagedPolicy(
            self,
            "PipelinePolicy",
            roles=[pipeline_role],
            statements=[
                *self._artifact_statements(write=True),
                iam.PolicyStatement(
                    sid="ReadTheSourceArchive",
                    actions=["s3:GetObject", "s3:GetObjectVersion"],
                    resources=[self.source.bucket.arn_for_objects(self.source.object_key)],
                ),
                iam.PolicyStatement(
                    sid="ReadTheSourceBucket",
                    actions=["s3:GetBucketVersioning", "s3:GetBucketLocation"],
                    resources=[self.source.bucket.bucket_arn],
                ),
                iam.PolicyStatement(
                    sid="UseThePipelineKey", actions=_KMS_USE, resources=[self.key.key_arn]
                ),
                iam.PolicyStatement(
                    sid="RunTheProjects",
                    actions=[
                        "codebuild:BatchGetBuilds",
                        "codebuild:StartBuild",
                        "codebuild:StopBuild",
                    ],
                    resources=[self.build_project.project_arn, self.deploy_project.project_arn],
                ),
                iam.PolicyStatement(
                    sid="InvokeThePromotion",
                    actions=["lambda:InvokeFunction"],
                    resources=[promote_function.function_arn],
                ),
                iam.PolicyStatement(
                    sid="RequestApproval", actions=["sns:Publish"], resources=[self.topic.topic_arn]
                ),
            ],
        )
        self.pipeline_role = pipeline_role

        # --- trigger and notifications -------------------------------------------------------
        trigger_role = iam.Role(
            self,
            "TriggerRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description=f"EventBridge: start the {service_name} pipeline on a new source archive",
        )
        iam.ManagedPolicy(
            self,
            "TriggerPolicy",
            roles=[trigger_role],
            statements=[
                iam.PolicyStatement(
                    sid="StartThePipeline",
                    actions=["codepipeline:StartPipelineExecution"],
                    resources=[self.pipeline.pipeline_arn],
                )
            ],
        )
        self.trigger = events.Rule(
            self,
            "Trigger",
            description=f"A new release source archive of {service_name} starts its pipeline",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [self.source.bucket.bucket_name]},
                    "object": {"key": [self.source.object_key]},
                },
            ),
            # each upload builds exactly the version it uploaded, not the key's latest version
            targets=[
                StartWithUploadedVersion(
                    self.pipeline,
                    source_action_name=SOURCE_ACTION,
                    role=trigger_role.without_policy_updates(),
                )
            ],
        )
        self.notifications = self.pipeline.notify_on(
            "Notifications",
            self.notification_topic.notification_target(),
            events=list(NOTIFIED_EVENTS),
            detail_type=cdk.aws_codestarnotifications.DetailType.FULL,
            notification_rule_name=f"container-delivery-{service_name}",
        )

        _acknowledge_generated_names(
            self, [self.build_policy, self.deploy_policy, self.pipeline_policy]
        )
        self._release_outputs(output_prefix)

    # --- helpers ---------------------------------------------------------------------------
    def _release_outputs(self, prefix: str) -> None:
        """The values the release workflow needs, under fixed output names (not path-derived)."""
        values = {
            "UploadRoleArn": self.source.upload_role.role_arn,
            "SourceBucket": self.source.bucket.bucket_name,
            "SourceKey": self.source.object_key,
        }
        for name, env_var in RELEASE_OUTPUTS.items():
            output = cdk.CfnOutput(
                self,
                name,
                value=values[name],
                description=f"{env_var} of the release workflow ({self.service_name})",
            )
            output.override_logical_id(f"{prefix}{name}")

    def _key_policy(self, stack: cdk.Stack, production: DeployTarget) -> None:
        allow_cloudwatch_logs(
            self.key,
            log_group_name=f"/container-delivery/pipeline/{self.service_name}",
            sid="CloudWatchLogsEncryptsBuildLogs",
        )
        if unresolved(stack.account) or production.account != stack.account:
            # The production deploy role may read (never write) the pipeline's artifacts, e.g. the
            # release record and SBOM of what it deployed. Its own policy grants nothing more:
            # the deploy reuses the stack's previous template and reads no artifact.
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="ProductionDeployRoleMayDecrypt",
                    principals=[iam.AccountPrincipal(production.account)],
                    actions=["kms:Decrypt", "kms:DescribeKey"],
                    resources=["*"],
                    conditions={"ArnEquals": {"aws:PrincipalArn": production.role_arn}},
                )
            )

    def _logging(self, kind: str) -> codebuild.LoggingOptions:
        return codebuild.LoggingOptions(
            cloud_watch=codebuild.CloudWatchLoggingOptions(
                log_group=self.log_group, prefix=kind, enabled=True
            ),
            s3=codebuild.S3LoggingOptions(
                bucket=self.log_bucket,
                prefix=f"codebuild/{self.service_name}/{kind}",
                encrypted=True,
                enabled=True,
            ),
        )

    def _artifact_statements(self, *, write: bool) -> list[iam.PolicyStatement]:
        object_actions = ["s3:GetObject", "s3:GetObjectVersion"]
        if write:
            object_actions.append("s3:PutObject")
        return [
            iam.PolicyStatement(
                sid="PipelineArtifacts",
                actions=object_actions,
                resources=[self.artifact_bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="ArtifactBucket",
                actions=["s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"],
                resources=[self.artifact_bucket.bucket_arn],
            ),
        ]

    def _project_statements(
        self, kind: str, project: codebuild.PipelineProject
    ) -> list[iam.PolicyStatement]:
        return [
            *self._artifact_statements(write=kind == "build"),
            iam.PolicyStatement(
                sid="UseThePipelineKey", actions=_KMS_USE, resources=[self.key.key_arn]
            ),
            iam.PolicyStatement(
                sid="CloudWatchLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{self._log_group_base()}:log-stream:{kind}/*"],
            ),
            iam.PolicyStatement(
                sid="S3Logs",
                actions=["s3:PutObject"],
                resources=[
                    self.log_bucket.arn_for_objects(f"codebuild/{self.service_name}/{kind}/*")
                ],
            ),
            iam.PolicyStatement(
                sid="S3LogBucket",
                actions=["s3:GetBucketAcl", "s3:GetBucketLocation"],
                resources=[self.log_bucket.bucket_arn],
            ),
        ]

    def _log_group_base(self) -> str:
        stack = cdk.Stack.of(self)
        return (
            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:"
            f"log-group:/container-delivery/pipeline/{self.service_name}"
        )

    def _deploy_action(
        self, name: str, target: DeployTarget, artifact: codepipeline.Artifact, digest: str
    ) -> actions.CodeBuildAction:
        def var(value: str) -> codebuild.BuildEnvironmentVariable:
            return codebuild.BuildEnvironmentVariable(value=value)

        return actions.CodeBuildAction(
            action_name=name,
            project=self.deploy_project,
            input=artifact,
            environment_variables={
                "IMAGE_DIGEST": var(digest),
                "STACK_NAME": var(target.stack_name),
                "DEPLOY_ROLE_ARN": var(target.role_arn),
                "TARGET_REGION": var(target.region),
                "CFN_EXEC_ROLE_ARN": var(target.cfn_exec_role_arn),
            },
            variables_namespace=name,
        )


# --- cdk-nag acknowledgments (auditors: all of this module's are here) --------------------------
def _acknowledge_log_bucket(bucket: s3.Bucket) -> None:
    # No S1 / S3BucketLoggingEnabled here: cdk-nag counts a bucket that receives other buckets'
    # access logs as compliant (logging the log bucket itself would loop).
    acknowledge(
        bucket,
        [
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
            "HIPAA.Security-S3DefaultEncryptionKMS",
            "PCI.DSS.321-S3DefaultEncryptionKMS",
        ],
        "S3 server access logging delivers only to buckets with SSE-S3 default encryption (a "
        "KMS default is not supported for the target bucket); objects are still encrypted at rest.",
    )
    acknowledge(
        bucket,
        [
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "HIPAA.Security-S3BucketReplicationEnabled",
            "PCI.DSS.321-S3BucketReplicationEnabled",
        ],
        "Access and build logs are diagnostic copies (build logs are also in CloudWatch Logs); "
        "they expire after the artifact retention and need no second region.",
    )


def _acknowledge_pipeline_source(project: codebuild.PipelineProject) -> None:
    acknowledge(
        project,
        [
            "HIPAA.Security-CodeBuildProjectSourceRepoUrl",
            "PCI.DSS.321-CodeBuildProjectSourceRepoUrl",
        ],
        "The project's source type is CODEPIPELINE: it reads the pipeline's encrypted artifact, "
        "not a GitHub or Bitbucket repository, so there are no repository credentials that OAuth "
        "could replace (the rule flags every project without OAuth).",
    )


def _acknowledge_artifacts_not_replicated(bucket: s3.Bucket) -> None:
    acknowledge(
        bucket,
        [
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "HIPAA.Security-S3BucketReplicationEnabled",
            "PCI.DSS.321-S3BucketReplicationEnabled",
        ],
        "Pipeline artifacts are intermediate files of one execution; the image itself is in ECR "
        "(replicated to production), and a lost artifact is recreated by re-running the release.",
    )


def _acknowledge_generated_names(
    pipeline: DeliveryPipeline, policies: Sequence[iam.ManagedPolicy]
) -> None:
    """IAM5 findings on object keys and stream names that the services generate."""
    stack = cdk.Stack.of(pipeline)

    def ack(policy: iam.ManagedPolicy, resource: object, reason: str) -> None:
        rendered = _applies_to(stack.resolve(resource))
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::{rendered}]", reason)

    artifacts = pipeline.artifact_bucket.arn_for_objects("*")
    for policy in policies:
        ack(
            policy,
            artifacts,
            "CodePipeline names each artifact object with a generated key; the bucket belongs to "
            "this pipeline alone and is encrypted with its own key.",
        )
    for policy, kind in ((policies[0], "build"), (policies[1], "deploy")):
        ack(
            policy,
            pipeline.log_bucket.arn_for_objects(f"codebuild/{pipeline.service_name}/{kind}/*"),
            f"CodeBuild names each S3 log object after the build id; the prefix is the {kind} "
            "project's own.",
        )
        ack(
            policy,
            f"{pipeline._log_group_base()}:log-stream:{kind}/*",
            f"CodeBuild names each log stream after the build id; the prefix '{kind}/' is the "
            "project's own in this pipeline's log group.",
        )
    acknowledge(
        policies[0],
        "AwsSolutions-IAM5[Resource::*]",
        "ecr:GetAuthorizationToken (and inspector-scan:ScanSbom with the Inspector scanner) has "
        "no resource-level permissions; pushes are limited to the service's repository.",
    )
