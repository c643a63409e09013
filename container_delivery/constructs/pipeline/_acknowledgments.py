"""Every cdk-nag acknowledgment of ``DeliveryPipeline``, in one place for auditors.

The builders call these on the construct they just made; each reason says why the finding does
not apply to that resource or policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from container_delivery.compliance import acknowledge

from .access import _applies_to

if TYPE_CHECKING:
    from ._storage import PipelineStorage


def acknowledge_log_bucket(bucket: s3.Bucket) -> None:
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


def acknowledge_pipeline_source(project: codebuild.PipelineProject) -> None:
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


def acknowledge_artifacts_not_replicated(bucket: s3.Bucket) -> None:
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


def acknowledge_generated_names(
    storage: PipelineStorage, policies: Sequence[iam.ManagedPolicy]
) -> None:
    """IAM5 findings on object keys and stream names that the services generate.

    ``policies`` are the build, deploy and pipeline policies, in that order.
    """
    stack = cdk.Stack.of(storage.key)

    def ack(policy: iam.ManagedPolicy, resource: object, reason: str) -> None:
        rendered = _applies_to(stack.resolve(resource))
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::{rendered}]", reason)

    artifacts = storage.artifact_bucket.arn_for_objects("*")
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
            storage.log_bucket.arn_for_objects(f"codebuild/{storage.service_name}/{kind}/*"),
            f"CodeBuild names each S3 log object after the build id; the prefix is the {kind} "
            "project's own.",
        )
        ack(
            policy,
            f"{storage.log_group_base()}:log-stream:{kind}/*",
            f"CodeBuild names each log stream after the build id; the prefix '{kind}/' is the "
            "project's own in this pipeline's log group.",
        )
    acknowledge(
        policies[0],
        "AwsSolutions-IAM5[Resource::*]",
        "ecr:GetAuthorizationToken (and inspector-scan:ScanSbom with the Inspector scanner) has "
        "no resource-level permissions; pushes are limited to the service's repository.",
    )
