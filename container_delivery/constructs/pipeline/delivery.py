"""``DeliveryPipeline``: one service's CodePipeline V2 from a tagged source archive to production.

Stages: Source (S3, started by EventBridge) -> Build (build once, lint, scan, gate, push) ->
Staging (deploy the digest) -> Approval (SNS, digest and staging URL) -> Promote (release tag,
wait for replication) -> Production (deploy the same digest, cross-account).

Every role here has a hand-written customer managed policy (CDK's generated grants would be
inline policies and broader); the L2 constructs get the roles with ``without_policy_updates()``.
This module validates the props and wires the parts, each built by a private module: the key,
logs and buckets (``_storage``), the build-and-gate project (``_build``), the deploy project
(``_deploy``), the stages with approval and promotion (``_stages``) and the trigger
(``_trigger``). Auditors: every cdk-nag acknowledgment of the pipeline is in
``_acknowledgments``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._checks import check_log_retention
from ..topic import CODESTAR_NOTIFICATIONS, SecureTopic
from ._acknowledgments import acknowledge_generated_names
from ._build import CACHE_TAG as CACHE_TAG
from ._build import KEV_CACHE_KEY as KEV_CACHE_KEY
from ._build import new_build
from ._checks import (
    check_at_least_a_day,
    check_build_cache_name,
    check_output_prefix,
    check_role_name,
    check_scan_gate_path,
    check_service_name,
    check_staging_url,
)
from ._deploy import new_deploy
from ._stages import SOURCE_ACTION as SOURCE_ACTION
from ._stages import Release, new_pipeline
from ._storage import (
    PipelineStorage,
    add_key_policy,
    new_artifact_bucket,
    new_key,
    new_log_bucket,
    new_log_group,
)
from ._trigger import start_on_upload
from .access import DeployRole, DeployTarget
from .buildspec import BuildOptions, check_build_options
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
        gate_dir = Path(scan_gate_path) if scan_gate_path else SCAN_GATE_DIR
        problems = [
            *check_service_name(service_name),
            *staging.problems("staging"),
            *production.problems("production"),
            *check_role_name("deploy_project_role_name", deployer),
            *check_build_options(build),
            *check_log_retention("log_retention", log_retention),
            *check_build_cache_name(cache_name, service_name),
            *check_staging_url(staging_url),
            *check_at_least_a_day("artifact_expiration", artifact_expiration),
            *check_scan_gate_path(gate_dir),
            *check_output_prefix(output_prefix),
        ]
        if problems:
            raise ValueError(f"DeliveryPipeline '{self.node.path}': " + "; ".join(problems))

        self.service_name = service_name
        self.staging = staging
        self.production = production
        storage = self._shared_resources(
            github_repository=github_repository,
            oidc_provider_arn=oidc_provider_arn,
            tag_pattern=tag_pattern,
            notification_emails=notification_emails,
            log_retention=log_retention,
            artifact_expiration=artifact_expiration,
            removal_policy=removal_policy,
        )
        self._projects(
            storage,
            repository=repository,
            cache_name=cache_name,
            options=build,
            gate_dir=gate_dir,
            timeout=build_timeout,
            deployer=deployer,
            removal_policy=removal_policy,
        )
        self._pipeline_and_trigger(storage, promote_function, staging_url)
        acknowledge_generated_names(
            storage, [self.build_policy, self.deploy_policy, self.pipeline_policy]
        )
        self._release_outputs(output_prefix)

    def _shared_resources(
        self,
        *,
        github_repository: str,
        oidc_provider_arn: str,
        tag_pattern: str,
        notification_emails: Sequence[str],
        log_retention: logs.RetentionDays,
        artifact_expiration: cdk.Duration,
        removal_policy: cdk.RemovalPolicy,
    ) -> PipelineStorage:
        """The key, logs, buckets, release source and topic that every part of the pipeline uses.

        The release source comes between the buckets: it logs access to the log bucket.
        """
        service_name = self.service_name
        self.key = new_key(self, service_name, removal_policy)
        self.log_group = new_log_group(
            self, service_name, self.key, retention=log_retention, removal_policy=removal_policy
        )
        add_key_policy(self.key, service_name, self.production)
        self.log_bucket = new_log_bucket(
            self, expiration=artifact_expiration, removal_policy=removal_policy
        )
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
        self.artifact_bucket = new_artifact_bucket(
            self,
            service_name,
            key=self.key,
            log_bucket=self.log_bucket,
            expiration=artifact_expiration,
            removal_policy=removal_policy,
        )
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
        return PipelineStorage(
            service_name, self.key, self.log_group, self.log_bucket, self.artifact_bucket
        )

    def _projects(
        self,
        storage: PipelineStorage,
        *,
        repository: ecr.IRepository,
        cache_name: str,
        options: BuildOptions,
        gate_dir: Path,
        timeout: cdk.Duration,
        deployer: str,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        """The build-and-gate project and the deploy project, with their roles and policies."""
        built = new_build(
            self,
            service_name=self.service_name,
            repository=repository,
            cache_name=cache_name,
            options=options,
            gate_dir=gate_dir,
            storage=storage,
            timeout=timeout,
            removal_policy=removal_policy,
        )
        self.report_group = built.report_group
        self.build_cache = built.build_cache
        self.build_project = built.project
        self.build_policy = built.policy
        self.build_role = built.role
        deploy = new_deploy(
            self,
            service_name=self.service_name,
            role_name=deployer,
            staging=self.staging,
            production=self.production,
            storage=storage,
        )
        self.deploy_project = deploy.project
        self.deploy_policy = deploy.policy
        self.deploy_project_role = deploy.role
        self.staging_deploy_role: DeployRole | None = deploy.staging_deploy_role

    def _pipeline_and_trigger(
        self,
        storage: PipelineStorage,
        promote_function: lambda_.IFunction,
        staging_url: str | None,
    ) -> None:
        """The pipeline with its stages, the trigger that starts it and its notifications."""
        release = Release(
            service_name=self.service_name,
            source=self.source,
            build_project=self.build_project,
            deploy_project=self.deploy_project,
            staging=self.staging,
            production=self.production,
            promote_function=promote_function,
            topic=self.topic,
            staging_url=staging_url,
        )
        self.pipeline, self.pipeline_role, self.pipeline_policy = new_pipeline(
            self, release, storage
        )
        self.trigger = start_on_upload(self, self.service_name, self.pipeline, self.source)
        self.notifications = self.pipeline.notify_on(
            "Notifications",
            self.notification_topic.notification_target(),
            events=list(NOTIFIED_EVENTS),
            detail_type=cdk.aws_codestarnotifications.DetailType.FULL,
            notification_rule_name=f"container-delivery-{self.service_name}",
        )

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
