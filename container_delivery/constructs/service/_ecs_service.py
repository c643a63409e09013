"""The ECS service: its security group, capacity (Fargate and Spot), and autoscaling."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

from ._props import ServiceProps

if TYPE_CHECKING:
    from .construct import FargateService


def security_group(service: FargateService, vpc: ec2.IVpc) -> ec2.SecurityGroup:
    return ec2.SecurityGroup(
        service,
        "SecurityGroup",
        vpc=vpc,
        description=f"{service.node.path} tasks",
        allow_all_outbound=True,
    )


def fargate_service(service: FargateService, props: ServiceProps) -> ecs.FargateService:
    """The service resource, rolling back a failed deploy; zero tasks while there is no image."""
    result = ecs.FargateService(
        service,
        "Resource",
        cluster=props.cluster,
        task_definition=service.task_definition,
        desired_count=props.desired_count,
        assign_public_ip=False,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        security_groups=[service.security_group],
        circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
        min_healthy_percent=100,
        max_healthy_percent=200,
        enable_execute_command=props.enable_execute_command,
        health_check_grace_period=(
            props.health_check_grace_period if props.load_balancer is not None else None
        ),
        capacity_provider_strategies=_capacity_strategies(props.spot_share),
        platform_version=ecs.FargatePlatformVersion.LATEST,
        propagate_tags=ecs.PropagatedTagSource.SERVICE,
    )
    cfn_service = cast(ecs.CfnService, result.node.default_child)
    if service.has_image is not None:
        cfn_service.add_property_override(
            "DesiredCount",
            cdk.Fn.condition_if(service.has_image.logical_id, props.desired_count, 0),
        )
    return result


def _capacity_strategies(spot_share: float) -> list[ecs.CapacityProviderStrategy] | None:
    if not spot_share > 0:
        return None
    spot_weight = round(spot_share * 100)
    return [
        ecs.CapacityProviderStrategy(capacity_provider="FARGATE", base=1, weight=100 - spot_weight),
        ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=spot_weight),
    ]


def autoscaling(service: FargateService, props: ServiceProps) -> ecs.ScalableTaskCount | None:
    """CPU target tracking between the count bounds; ``None`` when they are equal."""
    min_count, max_count = props.count_bounds
    if max_count <= min_count:
        return None
    scaling = service.service.auto_scale_task_count(min_capacity=min_count, max_capacity=max_count)
    scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=props.cpu_target_percent)
    if service.has_image is not None:
        for child in service.service.node.find_all():
            if isinstance(child, appscaling.CfnScalableTarget):
                child.add_property_override(
                    "MinCapacity",
                    cdk.Fn.condition_if(service.has_image.logical_id, min_count, 0),
                )
                child.add_property_override(
                    "MaxCapacity",
                    cdk.Fn.condition_if(service.has_image.logical_id, max_count, 0),
                )
    return scaling
