"""S3 server access logging written out in full, independent of the app's feature flags.

aws-cdk-lib's ``server_access_logs_bucket`` grants the S3 logging service through the target
bucket's ACL unless the app sets ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy``; an ACL fails
on buckets with ``BUCKET_OWNER_ENFORCED`` (every bucket here). So the constructs set the logging
configuration and the bucket-policy grant themselves: the same template with or without the flag.
"""

from __future__ import annotations

from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3


def log_access(bucket: s3.Bucket, *, to: s3.IBucket, prefix: str) -> None:
    """Log ``bucket``'s server access under ``prefix`` of ``to`` (a policy grant, never an ACL)."""
    cfn_bucket = cast(s3.CfnBucket, bucket.node.default_child)
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=to.bucket_name, log_file_prefix=prefix
    )
    to.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[to.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": cdk.Stack.of(bucket).account},
            },
        )
    )
