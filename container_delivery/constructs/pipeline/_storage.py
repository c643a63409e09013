"""The pipeline's key, build logs and buckets, and the IAM statements that reach them.

One customer managed key encrypts the artifacts, the source archives, the topic and the build
logs. Build logs go to one CloudWatch log group and to the log bucket, which also receives the
other buckets' server access logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from container_delivery.constructs._encryption import allow_cloudwatch_logs

from .._buckets import log_access
from .._checks import unresolved
from ._acknowledgments import acknowledge_artifacts_not_replicated, acknowledge_log_bucket
from .access import DeployTarget

KMS_USE: Final = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]


def _log_group_name(service_name: str) -> str:
    return f"/container-delivery/pipeline/{service_name}"


def new_key(scope: Construct, service_name: str, removal_policy: cdk.RemovalPolicy) -> kms.Key:
    return kms.Key(
        scope,
        "Key",
        description=f"container-delivery pipeline of {service_name}: artifacts, source, logs",
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )


def new_log_group(
    scope: Construct,
    service_name: str,
    key: kms.IKey,
    *,
    retention: logs.RetentionDays,
    removal_policy: cdk.RemovalPolicy,
) -> logs.LogGroup:
    return logs.LogGroup(
        scope,
        "BuildLogs",
        log_group_name=_log_group_name(service_name),
        retention=retention,
        encryption_key=key,
        removal_policy=removal_policy,
    )


def add_key_policy(key: kms.Key, service_name: str, production: DeployTarget) -> None:
    """Let CloudWatch Logs use the key, and production's deploy role decrypt artifacts."""
    allow_cloudwatch_logs(
        key,
        log_group_name=_log_group_name(service_name),
        sid="CloudWatchLogsEncryptsBuildLogs",
    )
    stack = cdk.Stack.of(key)
    if unresolved(stack.account) or production.account != stack.account:
        # The production deploy role may read (never write) the pipeline's artifacts, e.g. the
        # release record and SBOM of what it deployed. Its own policy grants nothing more:
        # the deploy reuses the stack's previous template and reads no artifact.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ProductionDeployRoleMayDecrypt",
                principals=[iam.AccountPrincipal(production.account)],
                actions=["kms:Decrypt", "kms:DescribeKey"],
                resources=["*"],
                conditions={"ArnEquals": {"aws:PrincipalArn": production.role_arn}},
            )
        )


def new_log_bucket(
    scope: Construct, *, expiration: cdk.Duration, removal_policy: cdk.RemovalPolicy
) -> s3.Bucket:
    """The bucket of access logs and S3 build logs (SSE-S3: access logging requires it)."""
    bucket = s3.Bucket(
        scope,
        "LogBucket",
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="expire-logs",
                expiration=expiration,
                noncurrent_version_expiration=cdk.Duration.days(1),
            )
        ],
        removal_policy=removal_policy,
    )
    acknowledge_log_bucket(bucket)
    return bucket


def new_artifact_bucket(
    scope: Construct,
    service_name: str,
    *,
    key: kms.IKey,
    log_bucket: s3.IBucket,
    expiration: cdk.Duration,
    removal_policy: cdk.RemovalPolicy,
) -> s3.Bucket:
    bucket = s3.Bucket(
        scope,
        "Artifacts",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        enforce_ssl=True,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="expire-artifacts",
                expiration=expiration,
                noncurrent_version_expiration=cdk.Duration.days(1),
            )
        ],
        removal_policy=removal_policy,
    )
    log_access(bucket, to=log_bucket, prefix=f"artifacts/{service_name}/")
    acknowledge_artifacts_not_replicated(bucket)
    return bucket


@dataclass(frozen=True)
class PipelineStorage:
    """Where one pipeline keeps artifacts and logs, and the statements its roles need there."""

    service_name: str
    key: kms.Key
    log_group: logs.LogGroup
    log_bucket: s3.Bucket
    artifact_bucket: s3.Bucket

    def logging(self, kind: str) -> codebuild.LoggingOptions:
        """A project's logs: its stream prefix in the log group, its prefix in the log bucket."""
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

    def artifact_statements(self, *, write: bool) -> list[iam.PolicyStatement]:
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

    def project_statements(self, kind: str) -> list[iam.PolicyStatement]:
        """What every CodeBuild project of the pipeline needs: artifacts, the key, its logs."""
        return [
            *self.artifact_statements(write=kind == "build"),
            iam.PolicyStatement(
                sid="UseThePipelineKey", actions=KMS_USE, resources=[self.key.key_arn]
            ),
            iam.PolicyStatement(
                sid="CloudWatchLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{self.log_group_base()}:log-stream:{kind}/*"],
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

    def log_group_base(self) -> str:
        """The log group's ARN without the ``:*`` suffix (streams are appended to it)."""
        stack = cdk.Stack.of(self.log_group)
        return (
            f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:"
            f"log-group:{_log_group_name(self.service_name)}"
        )
