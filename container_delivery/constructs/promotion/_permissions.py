"""Every permission of the promotion constructs: the managed policies and their statements."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct


def role_arn(stack: cdk.Stack, account: str, role_name: str) -> str:
    return stack.format_arn(
        service="iam", region="", account=account, resource="role", resource_name=role_name
    )


def function_policy(
    scope: Construct,
    role: iam.IRole,
    *,
    repositories: Sequence[ecr.IRepository],
    log_group: logs.ILogGroup,
    queue: sqs.IQueue,
    key: kms.IKey,
    destination_role_arn: str | None,
) -> iam.ManagedPolicy:
    """``Policy``: tag the repositories' images, write logs, the dead-letter queue, check replicas."""
    return iam.ManagedPolicy(
        scope,
        "Policy",
        description="container-delivery promotion: ECR tagging, logs, dead-letter queue",
        roles=[role],
        statements=_function_statements(
            repositories=repositories,
            log_group=log_group,
            queue=queue,
            key=key,
            destination_role_arn=destination_role_arn,
        ),
    )


def job_result_policy(scope: Construct, role: iam.IRole) -> iam.ManagedPolicy:
    """``JobResultPolicy``: answer the CodePipeline job (these actions take no resource)."""
    return iam.ManagedPolicy(
        scope,
        "JobResultPolicy",
        description="container-delivery promotion: report CodePipeline job results",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                sid="ReportCodePipelineJob",
                actions=[
                    "codepipeline:PutJobSuccessResult",
                    "codepipeline:PutJobFailureResult",
                ],
                resources=["*"],
            )
        ],
    )


def vpc_access_policy(scope: Construct, role: iam.IRole) -> iam.ManagedPolicy:
    """``VpcAccessPolicy``: what Lambda needs to attach the function to a VPC."""
    return iam.ManagedPolicy(
        scope,
        "VpcAccessPolicy",
        description="container-delivery promotion: network interfaces in the VPC",
        roles=[role],
        statements=[_vpc_access_statement()],
    )


def read_policy(
    scope: Construct, role: iam.IRole, stack: cdk.Stack, repository_names: Sequence[str]
) -> iam.ManagedPolicy:
    """``Policy`` of the production read role: describe the named repositories' images."""
    return iam.ManagedPolicy(
        scope,
        "Policy",
        description="container-delivery promotion: describe replicated images",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                sid="DescribeReplicatedImages",
                actions=["ecr:DescribeImages"],
                resources=[
                    stack.format_arn(service="ecr", resource="repository", resource_name=name)
                    for name in repository_names
                ],
            )
        ],
    )


def _function_statements(
    *,
    repositories: Sequence[ecr.IRepository],
    log_group: logs.ILogGroup,
    queue: sqs.IQueue,
    key: kms.IKey,
    destination_role_arn: str | None,
) -> list[iam.PolicyStatement]:
    statements = [
        iam.PolicyStatement(
            sid="TagReleasedImages",
            actions=["ecr:BatchGetImage", "ecr:PutImage", "ecr:DescribeImages"],
            resources=[repository.repository_arn for repository in repositories],
        ),
        iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        ),
        iam.PolicyStatement(
            sid="SendFailedInvocations",
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
        ),
        iam.PolicyStatement(
            sid="EncryptFailedInvocations",
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=[key.key_arn],
        ),
    ]
    if destination_role_arn is not None:
        statements.append(
            iam.PolicyStatement(
                sid="CheckReplication",
                actions=["sts:AssumeRole"],
                resources=[destination_role_arn],
            )
        )
    return statements


def _vpc_access_statement() -> iam.PolicyStatement:
    """What Lambda needs to attach the function to a VPC (AWSLambdaVPCAccessExecutionRole)."""
    return iam.PolicyStatement(
        sid="ManageVpcNetworkInterfaces",
        actions=[
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ],
        resources=["*"],
    )
