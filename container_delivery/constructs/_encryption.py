"""KMS keys for CloudWatch Logs: one place for the key policy every log group here needs.

CloudWatch Logs encrypts a log group with a customer managed key only when the key policy lets
the regional logs service use it; the encryption context names the log group, so the policy can
limit the key to this account's log groups (or to one log group).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

_LOGS_ACTIONS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)


def allow_cloudwatch_logs(
    key: kms.IKey, *, log_group_name: str | None = None, sid: str = "CloudWatchLogsOfThisAccount"
) -> None:
    """Let CloudWatch Logs of the key's account and region encrypt with ``key``.

    :param log_group_name: Only this log group. Default: - any log group of the account and region.
    """
    stack = cdk.Stack.of(key)
    log_group_arn = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group_name or "*",
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(_LOGS_ACTIONS),
            resources=["*"],
            conditions={
                "ArnEquals" if log_group_name else "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": log_group_arn
                }
            },
        )
    )


def log_encryption_key(
    scope: Construct,
    construct_id: str,
    *,
    description: str,
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
) -> kms.Key:
    """A rotating customer managed key that CloudWatch Logs of this account and region may use."""
    key = kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )
    allow_cloudwatch_logs(key)
    return key
