"""The task definition and its container: the image by digest, secrets, scratch paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from container_delivery.compliance import acknowledge

from . import checks
from ._options import ServiceSecret
from ._props import ServiceProps

if TYPE_CHECKING:
    from .construct import FargateService

_PLACEHOLDER_NOTE = (
    "While the digest is empty (no release yet) the image is the bare repository URI: the "
    "service runs zero tasks, so it is never pulled."
)


def image_condition(scope: Construct, image_digest: str) -> cdk.CfnCondition | None:
    """``HasImage``: the digest token is not empty. ``None`` for a literal digest."""
    if checks.literal(image_digest):
        return None
    return cdk.CfnCondition(
        scope,
        "HasImage",
        expression=cdk.Fn.condition_not(cdk.Fn.condition_equals(image_digest, "")),
    )


def task_definition(scope: Construct, props: ServiceProps) -> ecs.FargateTaskDefinition:
    return ecs.FargateTaskDefinition(
        scope,
        "TaskDefinition",
        cpu=props.cpu,
        memory_limit_mib=props.memory,
        runtime_platform=ecs.RuntimePlatform(
            cpu_architecture=props.architecture or ecs.CpuArchitecture.X86_64,
            operating_system_family=ecs.OperatingSystemFamily.LINUX,
        ),
    )


def add_container(service: FargateService, props: ServiceProps) -> ecs.ContainerDefinition:
    """The app container, with the execution role's grants and the scratch volumes."""
    image_uri = f"{props.repository.repository_uri}@{props.image_digest}"
    if service.has_image is not None:
        image_uri = cdk.Token.as_string(
            cdk.Fn.condition_if(
                service.has_image.logical_id, image_uri, props.repository.repository_uri
            )
        )
    environment = props.environment_vars
    container = service.task_definition.add_container(
        "App",
        image=ecs.ContainerImage.from_registry(image_uri),
        essential=True,
        environment=environment or None,
        secrets=_ecs_secrets(props.secret_vars, props.ssm_vars) or None,
        port_mappings=(
            [ecs.PortMapping(container_port=props.container_port, name="app")]
            if props.container_port is not None
            else None
        ),
        readonly_root_filesystem=props.readonly_root_filesystem,
        privileged=False,
        user=props.run_as_user,
        stop_timeout=props.stop_timeout,
        logging=ecs.LogDrivers.aws_logs(stream_prefix="app", log_group=service.log_group),
    )
    props.repository.grant_pull(service.execution_role)
    _grant_secret_keys(service, props.secret_vars)
    _acknowledge_execution_policy(service.execution_role)
    for index, path in enumerate(props.scratch_paths):
        volume = f"scratch-{index}"
        service.task_definition.add_volume(name=volume)
        container.add_mount_points(
            ecs.MountPoint(container_path=path, source_volume=volume, read_only=False)
        )
    _acknowledge_task_definition(service.task_definition, environment)
    return container


def _grant_secret_keys(service: FargateService, secrets: Mapping[str, ServiceSecret]) -> None:
    for item in secrets.values():
        key = item.encryption_key or item.secret.encryption_key
        if key is not None:
            # Decrypt through Secrets Manager only (CDK skips this for imported keys).
            service.execution_role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{cdk.Stack.of(service).region}"
                            ".amazonaws.com"
                        }
                    },
                )
            )


def _ecs_secrets(
    secrets: Mapping[str, ServiceSecret],
    ssm_parameters: Mapping[str, ssm.IParameter],
) -> dict[str, ecs.Secret]:
    result: dict[str, ecs.Secret] = {}
    for name, item in secrets.items():
        if item.version_stage is None and item.version_id is None:
            result[name] = ecs.Secret.from_secrets_manager(item.secret, item.json_key)
        else:
            result[name] = ecs.Secret.from_secrets_manager_version(
                item.secret,
                ecs.SecretVersionInfo(version_stage=item.version_stage, version_id=item.version_id),
                item.json_key,
            )
    for name, parameter in ssm_parameters.items():
        result[name] = ecs.Secret.from_ssm_parameter(parameter)
    return result


def _acknowledge_execution_policy(execution_role: iam.IRole) -> None:
    policy = execution_role.node.try_find_child("DefaultPolicy")
    if policy is None:
        return
    acknowledge(
        policy,
        "AwsSolutions-IAM5[Resource::*]",
        "ecr:GetAuthorizationToken has no resource-level permissions (it returns a registry "
        "login token); the image pull actions themselves are scoped to the one repository.",
    )
    acknowledge(
        policy,
        [
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "HIPAA.Security-IAMNoInlinePolicy",
            "PCI.DSS.321-IAMNoInlinePolicy",
        ],
        "CDK generates this policy from grants for the task execution role alone: it names "
        "the one repository, log group and secrets of this service; a customer managed "
        "policy with the same statements would be attached to this role only as well.",
    )


def _acknowledge_task_definition(
    definition: ecs.FargateTaskDefinition, environment: Mapping[str, str]
) -> None:
    if environment:
        acknowledge(
            definition,
            "AwsSolutions-ECS2",
            "The environment holds plain configuration only: FargateService refuses "
            "credential-like names at synth, and secrets are injected by ECS from Secrets "
            "Manager or SSM, never as plain values.",
        )
