"""The deploy project of both environments: one project, the target given per pipeline action.

Each deploy action assumes the target's ``DeployRole`` and sets the image digest of the service
stack (``deploy_spec``). The staging deploy role is created here when staging is this account.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._checks import unresolved
from ._acknowledgments import acknowledge_pipeline_source
from ._storage import PipelineStorage
from .access import DeployRole, DeployTarget
from .buildspec import deploy_spec


@dataclass(frozen=True)
class DeployResources:
    """What ``new_deploy`` created."""

    project: codebuild.PipelineProject
    role: iam.Role
    policy: iam.ManagedPolicy
    staging_deploy_role: DeployRole | None


def new_deploy(
    scope: Construct,
    *,
    service_name: str,
    role_name: str,
    staging: DeployTarget,
    production: DeployTarget,
    storage: PipelineStorage,
) -> DeployResources:
    """The deploy project, its role (named: the deploy roles trust it) and its policy."""
    role = iam.Role(
        scope,
        "DeployProjectRole",
        role_name=role_name,
        assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
        description=f"container-delivery {service_name}: assume the deploy roles",
    )
    project = codebuild.PipelineProject(
        scope,
        "Deploy",
        description=f"Set the image digest of the {service_name} service stacks",
        role=role.without_policy_updates(),
        environment=codebuild.BuildEnvironment(
            build_image=codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
            compute_type=codebuild.ComputeType.SMALL,
        ),
        build_spec=codebuild.BuildSpec.from_object(deploy_spec()),
        encryption_key=storage.key,
        timeout=cdk.Duration.minutes(90),
        logging=storage.logging("deploy"),
    )
    policy = iam.ManagedPolicy(
        scope,
        "DeployProjectPolicy",
        roles=[role],
        statements=[
            *storage.project_statements("deploy"),
            iam.PolicyStatement(
                sid="AssumeTheDeployRoles",
                actions=["sts:AssumeRole"],
                resources=[staging.role_arn, production.role_arn],
            ),
        ],
    )
    acknowledge_pipeline_source(project)
    account = cdk.Stack.of(scope).account
    staging_deploy_role = None
    if not unresolved(account) and staging.account == account:
        staging_deploy_role = DeployRole(
            scope,
            "StagingDeployRole",
            target=staging,
            trusted_account=account,
            trusted_role_name=role_name,
        )
    return DeployResources(project, role, policy, staging_deploy_role)


def deploy_action(
    project: codebuild.IProject,
    name: str,
    target: DeployTarget,
    artifact: codepipeline.Artifact,
    digest: str,
) -> actions.CodeBuildAction:
    """A deploy of ``digest`` to ``target``; its variables are in the namespace ``name``."""

    def var(value: str) -> codebuild.BuildEnvironmentVariable:
        return codebuild.BuildEnvironmentVariable(value=value)

    return actions.CodeBuildAction(
        action_name=name,
        project=project,
        input=artifact,
        environment_variables={
            "IMAGE_DIGEST": var(digest),
            "STACK_NAME": var(target.stack_name),
            "DEPLOY_ROLE_ARN": var(target.role_arn),
            "TARGET_REGION": var(target.region),
            "CFN_EXEC_ROLE_ARN": var(target.cfn_exec_role_arn),
        },
        variables_namespace=name,
    )
