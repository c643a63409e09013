"""Every cdk-nag acknowledgment of the promotion constructs, each on the narrowest construct."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from container_delivery.compliance import acknowledge


def acknowledge_job_result_policy(policy: iam.ManagedPolicy) -> None:
    acknowledge(
        policy,
        "AwsSolutions-IAM5[Resource::*]",
        "codepipeline:PutJobSuccessResult and PutJobFailureResult support no resource-level "
        "permissions (no resource type in the Service Authorization Reference), so Resource must "
        "be '*'; the policy holds only these two actions, which can only answer a job whose id "
        "CodePipeline handed to this function",
    )


def acknowledge_vpc_access_policy(policy: iam.ManagedPolicy) -> None:
    acknowledge(
        policy,
        "AwsSolutions-IAM5[Resource::*]",
        "these are the network interface actions of AWS's AWSLambdaVPCAccessExecutionRole, which "
        "Lambda performs with the execution role to attach the function to its subnets; the "
        "Describe actions support no resource-level permissions and the interface ids are not "
        "known before Lambda creates them. Kept as a customer managed policy so that no AWS "
        "managed policy is attached (AwsSolutions-IAM4)",
    )


def acknowledge_outside_vpc(function: lambda_.Function) -> None:
    acknowledge(
        function,
        [
            "NIST.800.53.R5-LambdaInsideVPC",
            "HIPAA.Security-LambdaInsideVPC",
            "PCI.DSS.321-LambdaInsideVPC",
        ],
        "the function only calls AWS APIs (ECR, STS, CodePipeline) over TLS with IAM-signed "
        "requests and reaches no private resource; inside a VPC it would need a NAT gateway or "
        "interface endpoints to reach the same public APIs, adding cost and moving parts without "
        "reducing exposure",
    )


def acknowledge_no_reserved_concurrency(function: lambda_.Function) -> None:
    acknowledge(
        function,
        ["NIST.800.53.R5-LambdaConcurrency", "HIPAA.Security-LambdaConcurrency"],
        "Lambda refuses any reserved concurrency while the account's concurrency quota is the "
        "new-account default of 10 (the unreserved pool may not drop below 10), so a reservation "
        "by default would make the first deploy fail; the function runs once per release and is "
        "invoked only by the pipeline. Set reserved_concurrency once the quota is raised",
    )
