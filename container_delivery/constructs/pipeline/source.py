"""Where releases come in: the source bucket and the GitHub Actions role that uploads to it.

Auditors: this module's cdk-nag acknowledgments are made by ``_acknowledge_*`` functions at the
end of the file.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from container_delivery.compliance import acknowledge

from .._buckets import log_access
from ._checks import (
    check_at_least_a_day,
    check_github_repository,
    check_role_name,
    check_service_name,
    check_tag_pattern,
)

GITHUB_OIDC_HOST: Final = "token.actions.githubusercontent.com"
"""The issuer host of GitHub Actions' OIDC tokens (the provider's name in IAM)."""
GITHUB_OIDC_URL: Final = f"https://{GITHUB_OIDC_HOST}"
"""The issuer URL for the account's GitHub OIDC provider (``iam.OidcProviderNative(url=...)``);
one provider per account, shared by every service's ``ReleaseSource``."""
GITHUB_AUDIENCE: Final = "sts.amazonaws.com"
"""The audience (client id) of the GitHub OIDC provider, the one that
``aws-actions/configure-aws-credentials`` requests."""
DEFAULT_NONCURRENT_EXPIRATION: Final = cdk.Duration.days(90)


def github_oidc_provider_arn(account: str) -> str:
    """The ARN of an account's GitHub Actions OIDC provider (one per account, fixed name)."""
    return f"arn:{cdk.Aws.PARTITION}:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"


def github_subject(github_repository: str, tag_pattern: str) -> str:
    """The ``sub`` claim of a workflow run for a matching tag: ``repo:o/r:ref:refs/tags/v*``."""
    return f"repo:{github_repository}:ref:refs/tags/{tag_pattern}"


class ReleaseSource(Construct):
    """The source bucket of one service's pipeline and the role GitHub Actions uploads with.

    The bucket is versioned (CodePipeline reads a version), KMS-encrypted, TLS-only, blocks
    public access, logs access to ``access_log_bucket``, sends EventBridge notifications (the
    pipeline's trigger, no polling and no CloudTrail trail) and expires old versions.
    The role trusts only GitHub's OIDC tokens of ``github_repository`` for tags matching
    ``tag_pattern`` and may only put the one source object.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        github_repository: str,
        oidc_provider_arn: str,
        encryption_key: kms.IKey,
        access_log_bucket: s3.IBucket,
        tag_pattern: str = "v*",
        upload_role_name: str | None = None,
        noncurrent_version_expiration: cdk.Duration = DEFAULT_NONCURRENT_EXPIRATION,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param service_name: The service; the object key is ``source/<service_name>.zip``.
        :param github_repository: ``owner/repo`` whose tag workflows may upload.
        :param oidc_provider_arn: The account's GitHub OIDC provider
            (``github_oidc_provider_arn(account)``).
        :param encryption_key: Key of the bucket's objects (the pipeline's artifact key).
        :param access_log_bucket: Bucket receiving S3 server access logs (SSE-S3).
        :param tag_pattern: Git tags that may release (GitHub OIDC ``sub`` filter).
            Default: - ``v*``.
        :param upload_role_name: Physical name of the GitHub Actions role (the workflow names it).
            Default: - ``container-delivery-github-<service_name>``.
        :param noncurrent_version_expiration: How long replaced source archives are kept.
            Default: - 90 days.
        :param removal_policy: What happens to the bucket and its archives when the stack is
            deleted. Default: - RETAIN; the archives are the record of what was built.
        """
        super().__init__(scope, construct_id)
        role_name = upload_role_name or f"container-delivery-github-{service_name}"
        problems = [
            *check_service_name(service_name),
            *check_role_name("upload_role_name", role_name),
            *check_github_repository(github_repository),
            *check_tag_pattern(tag_pattern),
            *check_at_least_a_day("noncurrent_version_expiration", noncurrent_version_expiration),
        ]
        if problems:
            raise ValueError(f"ReleaseSource '{self.node.path}': " + "; ".join(problems))

        self.object_key = f"source/{service_name}.zip"
        self.bucket = self._bucket(
            encryption_key, noncurrent_version_expiration, removal_policy=removal_policy
        )
        log_access(self.bucket, to=access_log_bucket, prefix=f"source/{service_name}/")
        _acknowledge_no_replication(self.bucket)
        self.upload_role = iam.Role(
            self,
            "UploadRole",
            role_name=role_name,
            description=f"GitHub Actions of {github_repository} (tags {tag_pattern}): upload the "
            f"release source of {service_name}",
            assumed_by=iam.WebIdentityPrincipal(
                oidc_provider_arn,
                conditions={
                    "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_AUDIENCE},
                    "StringLike": {
                        f"{GITHUB_OIDC_HOST}:sub": github_subject(github_repository, tag_pattern)
                    },
                },
            ),
            max_session_duration=cdk.Duration.hours(1),
        )
        self.upload_policy = self._upload_policy(encryption_key)

    def _bucket(
        self,
        encryption_key: kms.IKey,
        noncurrent_version_expiration: cdk.Duration,
        *,
        removal_policy: cdk.RemovalPolicy,
    ) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "Resource",
            versioned=True,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=encryption_key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-source-versions",
                    noncurrent_version_expiration=noncurrent_version_expiration,
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=removal_policy,
        )
        # EventBridge notifications set natively: the L2's event_bridge_enabled adds a custom
        # resource Lambda (CDK's BucketNotificationsHandler) for what CloudFormation can do itself.
        cfn_bucket = bucket.node.default_child
        if not isinstance(cfn_bucket, s3.CfnBucket):  # pragma: no cover - L2 invariant
            raise TypeError("s3.Bucket has no CfnBucket default child")
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )
        return bucket

    def _upload_policy(self, encryption_key: kms.IKey) -> iam.ManagedPolicy:
        """Put the one source object, encrypted with the key through S3 only."""
        return iam.ManagedPolicy(
            self,
            "UploadPolicy",
            description=f"Put only {self.object_key} into the release source bucket",
            roles=[self.upload_role],
            statements=[
                iam.PolicyStatement(
                    sid="PutTheSourceArchive",
                    actions=["s3:PutObject"],
                    resources=[self.bucket.arn_for_objects(self.object_key)],
                ),
                iam.PolicyStatement(
                    sid="EncryptTheSourceArchive",
                    actions=["kms:GenerateDataKey"],
                    resources=[encryption_key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"s3.{cdk.Stack.of(self).region}.amazonaws.com"
                        }
                    },
                ),
            ],
        )


def _acknowledge_no_replication(bucket: s3.Bucket) -> None:
    acknowledge(
        bucket,
        [
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "HIPAA.Security-S3BucketReplicationEnabled",
            "PCI.DSS.321-S3BucketReplicationEnabled",
        ],
        "A release source archive is a zip of a git tag: it can be recreated from the app "
        "repository at any time, so a second copy in another region adds no recovery ability.",
    )
