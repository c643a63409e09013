"""The service's log group, and its long-term audit copy (subscription -> Firehose -> S3)."""

from __future__ import annotations

import json
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as logs_destinations
from aws_cdk import aws_s3 as s3
from constructs import Construct

from container_delivery.compliance import acknowledge
from container_delivery.constructs._encryption import log_encryption_key

from ._props import ServiceProps


def log_key(scope: Construct, removal_policy: cdk.RemovalPolicy) -> kms.Key:
    return log_encryption_key(
        scope,
        "LogKey",
        description=f"Encrypts the logs of {scope.node.path}",
        removal_policy=removal_policy,
    )


def log_group(scope: Construct, props: ServiceProps, key: kms.IKey) -> logs.LogGroup:
    return logs.LogGroup(
        scope,
        "Logs",
        retention=props.log_retention,
        encryption_key=key,
        removal_policy=props.removal_policy,
    )


def _flatten(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag names it in granular findings."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return str(delimiter).join(_flatten(item) for item in items)
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{_flatten(resource)}.{_flatten(attribute)}>"
    if isinstance(node, dict) and "Ref" in node:
        return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def add_audit_export(
    scope: Construct, group: logs.ILogGroup, bucket: s3.IBucket, prefix: str
) -> firehose.DeliveryStream:
    """Stream every record of ``group`` through Firehose into ``bucket`` under ``prefix``."""
    # Our own roles with exact customer managed policies: CDK's grants (s3 read/write with
    # wildcard actions, in inline policies) are switched off with without_policy_updates().
    delivery_role, delivery_policy = _delivery_role(scope, bucket, prefix)
    stream = firehose.DeliveryStream(
        scope,
        "AuditLogStream",
        encryption=firehose.StreamEncryption.aws_owned_key(),
        destination=firehose.S3Bucket(
            bucket,
            role=delivery_role.without_policy_updates(),
            data_output_prefix=f"{prefix}!{{timestamp:yyyy/MM/dd}}/",
            error_output_prefix=f"{prefix}errors/!{{firehose:error-output-type}}/",
            compression=firehose.Compression.GZIP,
            buffering_interval=cdk.Duration.minutes(5),
            processors=[
                firehose.DecompressionProcessor(),
                firehose.CloudWatchLogProcessor(data_message_extraction=True),
            ],
            # Failed records land under errors/ in the bucket; DeliveryToS3.Success shows
            # delivery health. (jsii: DisableLogging implements ILoggingConfig.)
            logging_config=cast(firehose.ILoggingConfig, firehose.DisableLogging()),
        ),
    )
    stream.node.add_dependency(delivery_policy)
    _subscribe(scope, group, stream)
    return stream


def _delivery_role(
    scope: Construct, bucket: s3.IBucket, prefix: str
) -> tuple[iam.Role, iam.ManagedPolicy]:
    """Firehose's role, writing under ``prefix`` of ``bucket`` only, and its policy."""
    stack = cdk.Stack.of(scope)
    role = iam.Role(
        scope,
        "AuditDeliveryRole",
        assumed_by=iam.ServicePrincipal(
            "firehose.amazonaws.com",
            conditions={"StringEquals": {"sts:ExternalId": stack.account}},
        ),
        description=f"Firehose writes the audit log copy of {scope.node.path} to S3",
    )
    statements = [
        iam.PolicyStatement(
            sid="Bucket",
            actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            resources=[bucket.bucket_arn],
        ),
        iam.PolicyStatement(
            sid="Objects",
            actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            resources=[bucket.arn_for_objects(f"{prefix}*")],
        ),
    ]
    if bucket.encryption_key is not None:
        statements.append(
            iam.PolicyStatement(
                sid="BucketKey",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[bucket.encryption_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
            )
        )
    policy = iam.ManagedPolicy(scope, "AuditDeliveryPolicy", statements=statements, roles=[role])
    acknowledge(
        policy,
        f"AwsSolutions-IAM5[Resource::{_flatten(stack.resolve(bucket.arn_for_objects(f'{prefix}*')))}]",
        "Firehose writes one object per buffer under the audit prefix with generated names; "
        "the wildcard is limited to that prefix of the one audit bucket.",
    )
    return role, policy


def _subscribe(scope: Construct, group: logs.ILogGroup, stream: firehose.DeliveryStream) -> None:
    """The subscription filter sending all of ``group`` to ``stream``, with its own role."""
    stack = cdk.Stack.of(scope)
    logs_role = iam.Role(
        scope,
        "AuditSubscriptionRole",
        assumed_by=iam.ServicePrincipal(
            "logs.amazonaws.com",
            conditions={
                "StringLike": {
                    "aws:SourceArn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        ),
        description=f"CloudWatch Logs streams the logs of {scope.node.path} to Firehose",
    )
    logs_policy = iam.ManagedPolicy(
        scope,
        "AuditSubscriptionPolicy",
        statements=[
            iam.PolicyStatement(
                actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                resources=[stream.delivery_stream_arn],
            )
        ],
        roles=[logs_role],
    )
    subscription = group.add_subscription_filter(
        "AuditExport",
        destination=logs_destinations.FirehoseDestination(
            stream, role=logs_role.without_policy_updates()
        ),
        filter_pattern=logs.FilterPattern.all_events(),
    )
    subscription.node.add_dependency(logs_policy)
