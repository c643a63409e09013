"""``FargateService``'s keyword props as one value, for the validation and the builders."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm

from ._options import LoadBalancerOptions, ServiceSecret


@dataclass(frozen=True)
class ServiceProps:
    """The props as given (documented on ``FargateService.__init__``, whose signature is the API).

    Field names are the keyword names of the constructor: ``of`` picks them from its arguments.
    """

    cluster: ecs.ICluster
    repository: ecr.IRepository
    image_digest: str
    container_port: int | None
    cpu: int
    memory: int
    architecture: ecs.CpuArchitecture | None
    desired_count: int
    min_count: int | None
    max_count: int | None
    cpu_target_percent: float
    spot_share: float
    allow_spot: bool
    environment: Mapping[str, str] | None
    not_secret: Sequence[str]
    secrets: Mapping[str, ServiceSecret] | None
    ssm_parameters: Mapping[str, ssm.IParameter] | None
    health_check_path: str
    load_balancer: LoadBalancerOptions | None
    readonly_root_filesystem: bool
    scratch_paths: Sequence[str]
    run_as_user: str | None
    stop_timeout: cdk.Duration
    health_check_grace_period: cdk.Duration
    deregistration_delay: cdk.Duration
    log_retention: logs.RetentionDays
    log_encryption_key: kms.IKey | None
    error_log_pattern: str
    error_alarm_threshold: int
    alarm_topic: sns.ITopic | None
    alarm_rollback: bool
    enable_execute_command: bool
    removal_policy: cdk.RemovalPolicy
    service_name: str | None
    audit_log_bucket: s3.IBucket | None
    audit_log_prefix: str

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> ServiceProps:
        """The props among a constructor's arguments (its ``locals()``), by field name."""
        return cls(**{field.name: arguments[field.name] for field in dataclasses.fields(cls)})

    # The values below are meaningful once the types are checked (see ``_validation``).

    @property
    def environment_vars(self) -> dict[str, str]:
        return dict(self.environment or {})

    @property
    def secret_vars(self) -> dict[str, ServiceSecret]:
        return dict(self.secrets or {})

    @property
    def ssm_vars(self) -> dict[str, ssm.IParameter]:
        return dict(self.ssm_parameters or {})

    @property
    def count_bounds(self) -> tuple[int, int]:
        """``(min_count, max_count)``; unset, they follow ``desired_count`` (no autoscaling)."""
        min_count = self.desired_count if self.min_count is None else self.min_count
        max_count = max(self.desired_count, min_count) if self.max_count is None else self.max_count
        return min_count, max_count
