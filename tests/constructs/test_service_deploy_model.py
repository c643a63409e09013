"""The rolling-deploy model: our defaults against aws_ecs_patterns' on synthesized templates."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk.assertions import Template

from container_delivery.constructs.service import (
    FargateService,
    LoadBalancerOptions,
    modeled_rolling_deploy_seconds,
    rolling_deploy_model,
)
from tests.helpers import new_stack

DIGEST = "sha256:" + "cd" * 32


def _cluster(stack: Any) -> ecs.Cluster:
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=["eu-west-1a", "eu-west-1b"])
    return ecs.Cluster(stack, "Cluster", vpc=vpc)


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    stack = new_stack("Ours")
    FargateService(
        stack,
        "Web",
        cluster=_cluster(stack),
        repository=ecr.Repository.from_repository_name(stack, "Repo", "webapp"),
        image_digest=DIGEST,
        load_balancer=LoadBalancerOptions(public=True, allow_plain_http=True),
    )
    return dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def patterns() -> dict[str, Any]:
    stack = new_stack("Patterns")
    ecs_patterns.ApplicationLoadBalancedFargateService(
        stack,
        "Web",
        cluster=_cluster(stack),
        task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable")
        ),
    )
    return dict(Template.from_stack(stack).to_json())


def test_our_defaults_model_80_seconds(ours: dict[str, Any]) -> None:
    # grace 30 s + 2 healthy checks x 10 s + 30 s deregistration
    model = rolling_deploy_model(ours)
    assert (model.grace_seconds, model.healthy_threshold, model.interval_seconds) == (30, 2, 10)
    assert model.deregistration_delay_seconds == 30
    assert modeled_rolling_deploy_seconds(ours) == 80


def test_patterns_defaults_model_510_seconds(patterns: dict[str, Any]) -> None:
    # grace 60 s (CDK's default with a load balancer) + 5 x 30 s (ALB) + 300 s (ALB)
    model = rolling_deploy_model(patterns)
    assert (model.grace_seconds, model.healthy_threshold, model.interval_seconds) == (60, 5, 30)
    assert model.deregistration_delay_seconds == 300
    assert modeled_rolling_deploy_seconds(patterns) == 510


def test_our_defaults_are_more_than_six_times_faster(
    ours: dict[str, Any], patterns: dict[str, Any]
) -> None:
    ratio = modeled_rolling_deploy_seconds(patterns) / modeled_rolling_deploy_seconds(ours)
    assert ratio == pytest.approx(6.375)


def test_a_template_without_a_load_balanced_service_is_refused() -> None:
    with pytest.raises(
        ValueError, match="expected one load-balanced AWS::ECS::Service, found none"
    ):
        modeled_rolling_deploy_seconds({"Resources": {}})


def test_a_token_term_is_refused() -> None:
    template = {
        "Resources": {
            "Svc": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "HealthCheckGracePeriodSeconds": {"Ref": "Grace"},
                    "LoadBalancers": [{"TargetGroupArn": {"Ref": "Tg"}}],
                },
            },
            "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {}},
        }
    }
    with pytest.raises(ValueError, match=r"Svc\.HealthCheckGracePeriodSeconds is .* not a literal"):
        modeled_rolling_deploy_seconds(template)
