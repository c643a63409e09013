"""A model of how long a rolling deploy of a healthy load-balanced service waits.

Pure Python over a synthesized CloudFormation template (a ``dict``); this module imports nothing
from CDK (the ``service`` package's ``__init__`` does), so it applies to any template, ours or
``aws_ecs_patterns``'.

With ``minimumHealthyPercent`` 100 and ``maximumPercent`` 200, ECS starts every new task at once,
then stops the old ones; one batch, so the waiting is (upper bound, container start-up excluded)::

    grace + healthy_threshold * interval + deregistration_delay

* ``grace``: ``HealthCheckGracePeriodSeconds`` of the ``AWS::ECS::Service`` (ECS's default: 0).
  ECS ignores failing load-balancer health checks this long; a healthy task usually passes
  sooner, so this is the pessimistic term.
* ``healthy_threshold * interval``: a new target is ``healthy`` (and the old task may be
  drained) after ``HealthyThresholdCount`` consecutive passing checks ``HealthCheckIntervalSeconds``
  apart (ALB defaults: 5 and 30 s).
* ``deregistration_delay``: the old target drains for ``deregistration_delay.timeout_seconds``
  (ALB default: 300 s) before ECS sends SIGTERM to the old task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Elastic Load Balancing's defaults for an ``AWS::ElasticLoadBalancingV2::TargetGroup`` (HTTP).
ALB_DEFAULT_INTERVAL_SECONDS = 30
ALB_DEFAULT_HEALTHY_THRESHOLD = 5
ALB_DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300
#: ECS's default ``HealthCheckGracePeriodSeconds`` when the template leaves it out.
ECS_DEFAULT_GRACE_SECONDS = 0


@dataclass(frozen=True)
class RollingDeployModel:
    """The terms of the model for one service, in seconds."""

    service: str
    target_group: str
    grace_seconds: float
    healthy_threshold: int
    interval_seconds: float
    deregistration_delay_seconds: float

    @property
    def seconds(self) -> float:
        """Modeled seconds of one rolling deploy: grace period + healthy checks + draining."""
        return (
            self.grace_seconds
            + self.healthy_threshold * self.interval_seconds
            + self.deregistration_delay_seconds
        )


def _resources(template: Mapping[str, Any], kind: str) -> dict[str, Mapping[str, Any]]:
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == kind
    }


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{what} is {value!r}, not a literal number: the model needs literals")
    return float(value)


def _target_group_id(service: Mapping[str, Any]) -> str | None:
    for load_balancer in service.get("LoadBalancers", []):
        reference = load_balancer.get("TargetGroupArn")
        if isinstance(reference, Mapping) and isinstance(reference.get("Ref"), str):
            return str(reference["Ref"])
    return None


def rolling_deploy_model(
    template: Mapping[str, Any], service_id: str | None = None
) -> RollingDeployModel:
    """The model's terms for the load-balanced ``AWS::ECS::Service`` of ``template``.

    :param service_id: Logical id of the service.
        Default: - the only load-balanced service.
    :raises ValueError: no (or more than one, without ``service_id``) load-balanced service, or
        a term that is not a literal.
    """
    services = {
        logical_id: properties
        for logical_id, properties in _resources(template, "AWS::ECS::Service").items()
        if _target_group_id(properties) is not None
    }
    if service_id is not None:
        services = {k: v for k, v in services.items() if k == service_id}
    if len(services) != 1:
        raise ValueError(
            f"expected one load-balanced AWS::ECS::Service, found {sorted(services) or 'none'}; "
            "pass service_id to choose one"
        )
    ((name, service),) = services.items()
    target_group_id = _target_group_id(service)
    target_groups = _resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    if target_group_id not in target_groups:
        raise ValueError(f"{name}'s target group {target_group_id!r} is not in the template")
    group = target_groups[target_group_id]
    attributes = {
        item.get("Key"): item.get("Value") for item in group.get("TargetGroupAttributes", [])
    }
    return RollingDeployModel(
        service=name,
        target_group=str(target_group_id),
        grace_seconds=_number(
            service.get("HealthCheckGracePeriodSeconds", ECS_DEFAULT_GRACE_SECONDS),
            f"{name}.HealthCheckGracePeriodSeconds",
        ),
        healthy_threshold=int(
            _number(
                group.get("HealthyThresholdCount", ALB_DEFAULT_HEALTHY_THRESHOLD),
                f"{target_group_id}.HealthyThresholdCount",
            )
        ),
        interval_seconds=_number(
            group.get("HealthCheckIntervalSeconds", ALB_DEFAULT_INTERVAL_SECONDS),
            f"{target_group_id}.HealthCheckIntervalSeconds",
        ),
        deregistration_delay_seconds=_number(
            attributes.get(
                "deregistration_delay.timeout_seconds", ALB_DEFAULT_DEREGISTRATION_DELAY_SECONDS
            ),
            f"{target_group_id}.deregistration_delay.timeout_seconds",
        ),
    )


def modeled_rolling_deploy_seconds(
    template: Mapping[str, Any], service_id: str | None = None
) -> float:
    """Seconds a rolling deploy of the template's load-balanced service waits (see module doc)."""
    return rolling_deploy_model(template, service_id).seconds
