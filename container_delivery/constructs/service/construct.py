"""``FargateService``: one service in one environment, run by image digest.

The constructor validates its props and hands each part to its own module: the task definition
and container (``_task``), the ECS service and its scaling (``_ecs_service``), the logs and their
audit copy (``_logs``), the error alarm (``_alarms``) and the load balancer (``_load_balancer``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from . import _alarms, _ecs_service, _load_balancer, _logs, _task
from ._defaults import (
    DEREGISTRATION_DELAY,
    ERROR_LOG_PATTERN,
    HEALTH_CHECK_GRACE_PERIOD,
    HEALTH_CHECK_INTERVAL,
    HEALTH_CHECK_TIMEOUT,
    HEALTHY_THRESHOLD,
    SCRATCH_PATHS,
    STOP_TIMEOUT,
    UNHEALTHY_THRESHOLD,
)
from ._options import LoadBalancerOptions, ServiceSecret
from ._props import ServiceProps
from ._validation import validate

__all__ = [
    "DEREGISTRATION_DELAY",
    "ERROR_LOG_PATTERN",
    "HEALTHY_THRESHOLD",
    "HEALTH_CHECK_GRACE_PERIOD",
    "HEALTH_CHECK_INTERVAL",
    "HEALTH_CHECK_TIMEOUT",
    "SCRATCH_PATHS",
    "STOP_TIMEOUT",
    "UNHEALTHY_THRESHOLD",
    "FargateService",
    "LoadBalancerOptions",
    "ServiceSecret",
]


class FargateService(Construct):
    """One container service on Fargate, run by image digest, with secure and fast defaults.

    Secrets are injected by ECS (never plain values); only the task execution role reads them.
    The root filesystem is read-only, there is no public IP, deploys roll back on failure, logs go
    to an encrypted CloudWatch log group with an alarm on error records.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        repository: ecr.IRepository,
        image_digest: str,
        container_port: int | None = 8080,
        cpu: int = 256,
        memory: int = 512,
        architecture: ecs.CpuArchitecture | None = None,
        desired_count: int = 1,
        min_count: int | None = None,
        max_count: int | None = None,
        cpu_target_percent: float = 60,
        spot_share: float = 0.0,
        allow_spot: bool = False,
        environment: Mapping[str, str] | None = None,
        not_secret: Sequence[str] = (),
        secrets: Mapping[str, ServiceSecret] | None = None,
        ssm_parameters: Mapping[str, ssm.IParameter] | None = None,
        health_check_path: str = "/healthz",
        load_balancer: LoadBalancerOptions | None = None,
        readonly_root_filesystem: bool = True,
        scratch_paths: Sequence[str] = SCRATCH_PATHS,
        run_as_user: str | None = None,
        stop_timeout: cdk.Duration = STOP_TIMEOUT,
        health_check_grace_period: cdk.Duration = HEALTH_CHECK_GRACE_PERIOD,
        deregistration_delay: cdk.Duration = DEREGISTRATION_DELAY,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        log_encryption_key: kms.IKey | None = None,
        error_log_pattern: str = ERROR_LOG_PATTERN,
        error_alarm_threshold: int = 1,
        alarm_topic: sns.ITopic | None = None,
        alarm_rollback: bool = False,
        enable_execute_command: bool = False,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        service_name: str | None = None,
        audit_log_bucket: s3.IBucket | None = None,
        audit_log_prefix: str = "audit/",
    ) -> None:
        """
        :param cluster: ECS cluster (its VPC's private subnets with egress are used).
        :param repository: ECR repository of the image, in this account (replicated in production).
        :param image_digest: The image by digest, or a token such as a CfnParameter's value.
            A digest is ``sha256:<64 hex>``. A token that resolves to an empty string means
            "no release yet": zero tasks. Required.
        :param container_port: Port the app listens on. ``None`` for workers.
            Default: - 8080.
        :param cpu: Fargate CPU units.
            Default: - 256.
        :param memory: MiB, a valid Fargate combination with ``cpu``.
            Default: - 512.
        :param architecture: CPU architecture of the task; the image must be built for it.
            Default: - ``CpuArchitecture.X86_64``.
        :param desired_count: Tasks when the service is created.
            Default: - 1.
        :param min_count: Autoscaling lower bound.
            Default: - ``desired_count``.
        :param max_count: Autoscaling upper bound; above ``min_count`` enables CPU target
            tracking. Default: - ``desired_count`` (no autoscaling).
        :param cpu_target_percent: CPU utilization the autoscaler aims at.
            Default: - 60.
        :param spot_share: Share of tasks on Fargate Spot (0-1); needs ``allow_spot``; one task
            stays on regular Fargate. Default: - 0.
        :param allow_spot: Opt in to Fargate Spot (non-production only).
            Default: - False.
        :param environment: Plain configuration variables.
            Default: - none.
        :param not_secret: ``environment`` names that look like credentials but are not.
            Default: - none.
        :param secrets: Env var name -> Secrets Manager secret (complete ARN).
            Default: - none.
        :param ssm_parameters: Env var name -> SSM parameter, injected by ECS.
            Default: - none.
        :param health_check_path: ALB health check path.
            Default: - ``/healthz``.
        :param load_balancer: ALB options; ``None`` for a worker.
            Default: - no load balancer.
        :param readonly_root_filesystem: Mount the container's root filesystem read-only (write
            to ``scratch_paths``). Default: - True.
        :param scratch_paths: Writable task-local volumes (on the task's ephemeral storage, emptied
            when the task stops) mounted at these absolute paths; the only writable places when
            the root filesystem is read-only. ``()`` for none.
            Default: - ``("/tmp",)``.
        :param run_as_user: The container's user, never root. As ``user``, ``uid`` or
            ``uid:gid``. Default: - the image's USER.
        :param stop_timeout: SIGTERM to SIGKILL.
            Default: - 30 s.
        :param health_check_grace_period: Load-balanced services only.
            Default: - 30 s.
        :param deregistration_delay: ALB draining time.
            Default: - 30 s.
        :param log_retention: Retention of the container log group.
            Default: - three months.
        :param log_encryption_key: KMS key of the log group.
            Default: - a key is created (rotation on, usable by CloudWatch Logs for this
            account's log groups only).
        :param error_log_pattern: CloudWatch Logs filter pattern of error records.
            Default: - ``{ $.level = "ERROR" }``.
        :param error_alarm_threshold: Error records per minute that raise the alarm.
            Default: - 1.
        :param alarm_topic: SNS topic notified by the error alarm.
            Default: - no action.
        :param alarm_rollback: Roll a deploy back when the error alarm fires.
            Default: - False.
        :param enable_execute_command: ECS Exec.
            Default: - False.
        :param removal_policy: Log group, key and created bucket.
            Default: - RETAIN.
        :param service_name: Names the error metric (``ContainerDelivery/<name>``
            ``ErrorLogRecords``) and descriptions. Default: - the construct's unique id.
        :param audit_log_bucket: Also archive every log record in this bucket for long-term
            audit: a subscription filter streams the log group through Amazon Data Firehose
            (encrypted, gzip, one JSON line per record) to ``audit_log_prefix``. The bucket's
            lifecycle and Object Lock decide how long records are kept. Default: - CloudWatch only.
        :param audit_log_prefix: Key prefix in ``audit_log_bucket``; ends with ``/``.
            Default: - ``audit/``.
        """
        super().__init__(scope, construct_id)
        props = ServiceProps.of(locals())
        validate(self, props)

        self.image_digest = image_digest
        self.service_name = service_name or cdk.Names.unique_id(self)
        # A token digest may be empty before the first release: then run zero tasks.
        self.has_image: cdk.CfnCondition | None = _task.image_condition(self, image_digest)
        self.log_encryption_key = log_encryption_key or _logs.log_key(self, removal_policy)
        self.log_group = _logs.log_group(self, props, self.log_encryption_key)
        self.task_definition = _task.task_definition(self, props)
        self.execution_role = self.task_definition.obtain_execution_role()
        self.task_role: iam.IRole = self.task_definition.task_role
        self.container = _task.add_container(self, props)
        self.security_group = _ecs_service.security_group(self, cluster.vpc)
        self.service = _ecs_service.fargate_service(self, props)
        self.error_metric_filter = _alarms.error_metric_filter(self, props)
        self.error_alarm = _alarms.error_alarm(self, props, self.error_metric_filter)
        self.audit_log_stream: firehose.DeliveryStream | None = None
        if audit_log_bucket is not None:
            self.audit_log_stream = _logs.add_audit_export(
                self, self.log_group, audit_log_bucket, audit_log_prefix
            )
        self.scaling: ecs.ScalableTaskCount | None = _ecs_service.autoscaling(self, props)

        self.load_balancer: elbv2.ApplicationLoadBalancer | None = None
        self.target_group: elbv2.ApplicationTargetGroup | None = None
        self.access_logs_bucket: s3.IBucket | None = None
        self.web_acl: wafv2.CfnWebACL | None = None
        self.web_acl_log_group: logs.LogGroup | None = None
        self.url: str | None = None
        if load_balancer is not None and container_port is not None:
            _load_balancer.add_load_balancer(self, props, load_balancer, container_port)

    # ------------------------------------------------------------------ grants

    def grant_secret_read(self, secret: secretsmanager.ISecret) -> iam.Grant:
        """Let the app itself (task role) read ``secret`` at run time, e.g. to follow rotation."""
        return secret.grant_read(self.task_role)
