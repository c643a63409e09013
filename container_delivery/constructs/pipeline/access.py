"""The deploy role: what a pipeline deploy step may do in a target account (one service stack).

``UpdateStack`` cannot be limited to ``UsePreviousTemplate``: whoever may update a stack may give
it a new template. So the template's power is bounded by the role CloudFormation runs it with:
each service stack gets its own CloudFormation execution role that can only roll that stack's
ECS service to a new task definition, and the deploy role may pass only that role (never the CDK
bootstrap ``cfn-exec-role``, which is AdministratorAccess by default).

Auditors: this module's cdk-nag acknowledgments are in ``_acknowledge_*``.
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
    execution_role_name: str | None = None
    """The CloudFormation execution role of the stack. Default: - ``<role_name>-cfn``."""
    output_stacks: tuple[str, ...] = ()
    """Stacks (same account and region) whose outputs the stack reads with
    ``Fn::GetStackOutput``: CloudFormation resolves them on every update with the execution role,
    which may describe them. Default: - none."""

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
    def cfn_execution_role_name(self) -> str:
        """The stack's CloudFormation execution role: ``execution_role_name`` or
        ``<role_name>-cfn``."""
        return self.execution_role_name or f"{self.role_name}-cfn"

    @property
    def cfn_exec_role_arn(self) -> str:
        """The stack's own CloudFormation execution role that performs the stack update."""
        return f"arn:{cdk.Aws.PARTITION}:iam::{self.account}:role/{self.cfn_execution_role_name}"

    def stack_resource_prefix(self) -> str:
        """What CloudFormation starts the generated names of the stack's resources with."""
        return f"{self.stack_name}-"

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
            *check_role_name(f"{name}.execution_role_name", self.cfn_execution_role_name),
            *(
                problem
                for index, stack in enumerate(self.output_stacks)
                for problem in check_stack_name(f"{name}.output_stacks[{index}]", stack)
            ),
        ]


class DeployRole(Construct):
    """The role a pipeline's deploy step assumes to roll one service stack to a new digest, and
    the CloudFormation execution role that stack's updates run with.

    Deploy it in the target account (``DeployTarget.account``).

    * Deploy role (``target.role_name``): update and describe exactly the target stack, pass
      exactly the stack's execution role (to CloudFormation only), read the bootstrap version
      parameter the stack's template checks. Trust: ``trusted_account``, only for the principal
      ``arn:aws:iam::<trusted_account>:role/<trusted_role_name>`` (an ``aws:PrincipalArn``
      condition, so this stack can be deployed before the pipeline's deploy project role exists).
    * Execution role (``target.cfn_execution_role_name``), assumed by CloudFormation: register a
      task definition, update the stack's ECS service (CloudFormation names it
      ``<stack name>-...``) and pass the stack's task and execution roles to ECS tasks. It cannot
      create, delete or change any other resource, so a replaced template can do no more than a
      new digest could: run another image as the service.
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
            raise ValueError(f"DeployRole '{self.node.path}': " + "; ".join(problems))

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
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            role_name=target.cfn_execution_role_name,
            description=(
                f"container-delivery: CloudFormation rolls stack {target.stack_name} to a new "
                "task definition (nothing else)"
            ),
            assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"),
            max_session_duration=cdk.Duration.hours(2),
        )
        """The CloudFormation execution role of the target stack (``--role-arn``)."""
        self.execution_policy = iam.ManagedPolicy(
            self,
            "ExecutionPolicy",
            description=f"Roll only the ECS service of stack {target.stack_name}",
            roles=[self.execution_role],
            statements=execution_statements(target),
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"Update only stack {target.stack_name} with its own execution role",
            roles=[self.role],
            statements=deploy_statements(target),
        )
        _acknowledge_stack_id(self.policy, target)
        _acknowledge_execution_policy(self.execution_policy, target)


def deploy_statements(target: DeployTarget) -> list[iam.PolicyStatement]:
    """The deploy role's statements (also what the unit tests assert)."""
    return [
        iam.PolicyStatement(
            sid="DescribeTheServiceStack",
            actions=["cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents"],
            resources=[target.stack_arn],
        ),
        # Without --role-arn CloudFormation would run the update with the role previously
        # associated with the stack (the bootstrap cfn-exec-role after a `cdk deploy`), and
        # iam:PassRole is not checked for it: the request must name the stack's own role.
        iam.PolicyStatement(
            sid="UpdateTheServiceStackWithItsRole",
            actions=["cloudformation:UpdateStack"],
            resources=[target.stack_arn],
            conditions={"ArnEquals": {"cloudformation:RoleArn": target.cfn_exec_role_arn}},
        ),
        iam.PolicyStatement(
            sid="PassTheStackExecutionRole",
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


#: Actions with no resource-level permissions (Service Authorization Reference: their Resource
#: must be "*").
_UNSCOPED_ACTIONS = (
    "ecs:DescribeTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "ecs:RegisterTaskDefinition",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScheduledActions",
    "application-autoscaling:RegisterScalableTarget",
    "cloudwatch:DescribeAlarms",
)


def execution_statements(target: DeployTarget) -> list[iam.PolicyStatement]:
    """What CloudFormation needs to update the stack when only ``ImageDigest`` changes.

    The actions are the CloudFormation resource handlers' (the registry schemas' ``handlers``) of
    what such an update touches: the task definition is replaced (create the new revision,
    delete the old one; on rollback the reverse), the service is updated to it, and the first
    digest raises the scalable target from 0. ECS needs the task and execution roles passed.
    Names CloudFormation generates start with ``<stack name>-``; the service's ARN
    ``service/<cluster>/<stack name>-...``.
    """
    partition = cdk.Aws.PARTITION
    prefix = target.stack_resource_prefix()
    ecs_arn = f"arn:{partition}:ecs:{target.region}:{target.account}"
    return [
        iam.PolicyStatement(
            sid="ReplaceTheTaskDefinitionAndScale",
            actions=list(_UNSCOPED_ACTIONS),
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="UpdateTheStackService",
            actions=[
                "ecs:DescribeServices",
                "ecs:UpdateService",
                "ecs:ListServiceDeployments",
                "ecs:ListTagsForResource",
                "ecs:TagResource",
                "ecs:UntagResource",
            ],
            resources=[f"{ecs_arn}:service/*/{prefix}*", f"{ecs_arn}:task-definition/*"],
        ),
        iam.PolicyStatement(
            sid="FollowTheServiceDeployment",
            actions=["ecs:DescribeServiceDeployments", "ecs:StopServiceDeployment"],
            resources=[f"{ecs_arn}:service-deployment/*/{prefix}*/*"],
        ),
        iam.PolicyStatement(
            sid="PassTheStackTaskRoles",
            actions=["iam:PassRole"],
            resources=[f"arn:{partition}:iam::{target.account}:role/{prefix}*"],
            conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="ReadTheStackTaskRoles",
            actions=["iam:GetRole"],
            resources=[f"arn:{partition}:iam::{target.account}:role/{prefix}*"],
        ),
        iam.PolicyStatement(
            sid="ReadTheBootstrapVersion",
            actions=["ssm:GetParameters"],
            resources=[target.bootstrap_version_parameter_arn],
        ),
        *(
            [
                iam.PolicyStatement(
                    sid="ResolveStackOutputs",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[
                        f"arn:{partition}:cloudformation:{target.region}:{target.account}:"
                        f"stack/{name}/*"
                        for name in target.output_stacks
                    ],
                )
            ]
            if target.output_stacks
            else []
        ),
    ]


def _acknowledge_execution_policy(policy: iam.ManagedPolicy, target: DeployTarget) -> None:
    stack = cdk.Stack.of(policy)
    prefix = target.stack_resource_prefix()
    partition = cdk.Aws.PARTITION
    ecs_arn = f"arn:{partition}:ecs:{target.region}:{target.account}"
    patterns = [
        "*",
        f"{ecs_arn}:service/*/{prefix}*",
        f"{ecs_arn}:task-definition/*",
        f"{ecs_arn}:service-deployment/*/{prefix}*/*",
        f"arn:{partition}:iam::{target.account}:role/{prefix}*",
        *(
            f"arn:{partition}:cloudformation:{target.region}:{target.account}:stack/{name}/*"
            for name in target.output_stacks
        ),
    ]
    acknowledge(
        policy,
        [f"AwsSolutions-IAM5[Resource::{_applies_to(stack.resolve(p))}]" for p in patterns],
        "Task definition registration and the scalable target have no resource-level "
        "permissions; task definition revisions are new ARNs on every deploy; the service, its "
        f"deployments and the roles of stack {target.stack_name} have names CloudFormation "
        "generates (the stack name, then a random suffix), so only that prefix can be fixed. "
        "The role can neither create nor delete anything but task definition revisions. A stack "
        "ARN ends with the id CloudFormation generated; the stack names are fixed.",
    )


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
