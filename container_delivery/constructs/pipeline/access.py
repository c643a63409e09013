"""The deploy role: what a pipeline deploy step may do in a target account (one service stack).

Auditors: this module's only cdk-nag acknowledgment is ``_acknowledge_stack_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from container_delivery.compliance import acknowledge

from ._checks import check_account, check_region, check_role_name, check_stack_name

DEFAULT_QUALIFIER = "hnb659fds"
"""The CDK bootstrap qualifier of ``cdk bootstrap`` without ``--qualifier``."""


@dataclass(frozen=True)
class DeployTarget:
    """One service stack that a pipeline deploy step updates, and the role it assumes for it."""

    stack_name: str
    """The service stack (``<service>-<env>``) whose ``ImageDigest`` parameter is updated."""
    account: str
    """The account of the stack (12 digits)."""
    region: str
    """The region of the stack, e.g. ``eu-west-1``."""
    role_name: str
    """The ``DeployRole`` in ``account`` (e.g. ``container-delivery-deploy-webapp``)."""
    qualifier: str = DEFAULT_QUALIFIER
    """CDK bootstrap qualifier of ``account``/``region``.
    Default: - ``hnb659fds`` (``DEFAULT_QUALIFIER``, the default bootstrap)."""

    @property
    def role_arn(self) -> str:
        """The ARN of the deploy role (``role_name`` in ``account``)."""
        return f"arn:{cdk.Aws.PARTITION}:iam::{self.account}:role/{self.role_name}"

    @property
    def stack_arn(self) -> str:
        """The ARN pattern of the stack (any stack id), as IAM policies name it."""
        return (
            f"arn:{cdk.Aws.PARTITION}:cloudformation:{self.region}:{self.account}:"
            f"stack/{self.stack_name}/*"
        )

    @property
    def cfn_exec_role_arn(self) -> str:
        """The CDK bootstrap CloudFormation execution role that performs the stack update."""
        return (
            f"arn:{cdk.Aws.PARTITION}:iam::{self.account}:role/"
            f"cdk-{self.qualifier}-cfn-exec-role-{self.account}-{self.region}"
        )

    @property
    def bootstrap_version_parameter_arn(self) -> str:
        """The SSM parameter holding the bootstrap version, which CDK templates check."""
        return (
            f"arn:{cdk.Aws.PARTITION}:ssm:{self.region}:{self.account}:"
            f"parameter/cdk-bootstrap/{self.qualifier}/version"
        )

    def problems(self, name: str) -> list[str]:
        """What is wrong with this target (empty when usable); ``name`` prefixes each problem."""
        return [
            *check_stack_name(f"{name}.stack_name", self.stack_name),
            *check_account(f"{name}.account", self.account),
            *check_region(f"{name}.region", self.region),
            *check_role_name(f"{name}.role_name", self.role_name),
        ]


class DeployRole(Construct):
    """The role a pipeline's deploy step assumes to roll one service stack to a new digest.

    Deploy it in the target account (``DeployTarget.account``). Permissions: update and describe
    exactly the target stack, pass exactly the CDK bootstrap CloudFormation execution role (to
    CloudFormation only) and read the bootstrap version parameter the stack's template checks.
    Trust: ``trusted_account``, only for the principal ``arn:aws:iam::<trusted_account>:role/
    <trusted_role_name>`` (an ``aws:PrincipalArn`` condition, so this stack can be deployed before
    the pipeline's deploy project role exists).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        target: DeployTarget,
        trusted_account: str,
        trusted_role_name: str,
    ) -> None:
        """
        :param target: The stack this role may update; ``target.role_name`` names this role.
        :param trusted_account: The account of the pipeline (staging / build account).
        :param trusted_role_name: The pipeline deploy project's role name in that account.
        """
        super().__init__(scope, construct_id)
        problems = [
            *target.problems("target"),
            *check_account("trusted_account", trusted_account),
            *check_role_name("trusted_role_name", trusted_role_name),
        ]
        if problems:
            raise ValueError(f"DeployRole '{construct_id}': " + "; ".join(problems))

        self.target = target
        self.principal_arn = (
            f"arn:{cdk.Aws.PARTITION}:iam::{trusted_account}:role/{trusted_role_name}"
        )
        self.role = iam.Role(
            self,
            "Resource",
            role_name=target.role_name,
            description=f"container-delivery: set the image digest of stack {target.stack_name}",
            assumed_by=iam.AccountPrincipal(trusted_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": self.principal_arn}}
            ),
            max_session_duration=cdk.Duration.hours(1),
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Update only stack {target.stack_name} with the previous template",
            roles=[self.role],
            statements=deploy_statements(target),
        )
        _acknowledge_stack_id(self.policy, target)


def deploy_statements(target: DeployTarget) -> list[iam.PolicyStatement]:
    """The deploy role's statements (also what the unit tests assert)."""
    return [
        iam.PolicyStatement(
            sid="UpdateTheServiceStack",
            actions=[
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackEvents",
                "cloudformation:UpdateStack",
            ],
            resources=[target.stack_arn],
        ),
        iam.PolicyStatement(
            sid="PassTheCdkExecutionRole",
            actions=["iam:PassRole"],
            resources=[target.cfn_exec_role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="ReadTheBootstrapVersion",
            actions=["ssm:GetParameters"],
            resources=[target.bootstrap_version_parameter_arn],
        ),
    ]


def _acknowledge_stack_id(policy: iam.ManagedPolicy, target: DeployTarget) -> None:
    resolved = cdk.Stack.of(policy).resolve(target.stack_arn)
    acknowledge(
        policy,
        f"AwsSolutions-IAM5[Resource::{_applies_to(resolved)}]",
        f"A stack ARN ends with the stack id CloudFormation generated when {target.stack_name} "
        "was created; the wildcard covers only that id, the stack name is fixed.",
    )


def _applies_to(resolved: object) -> str:
    """cdk-nag's rendering of a resolved IAM resource (``Fn::Join`` flattened)."""
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        sep, parts = resolved["Fn::Join"]
        return str(sep).join(_applies_to(part) for part in parts)
    if isinstance(resolved, dict) and "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
        return f"<{'.'.join(resolved['Fn::GetAtt'])}>"
    return str(resolved)
