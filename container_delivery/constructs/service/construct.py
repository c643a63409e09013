"""``FargateService``: one service in one environment, run by image digest."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as logs_destinations
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from container_delivery.compliance import acknowledge
from container_delivery.constructs._checks import check_log_retention, wrong_type
from container_delivery.constructs._encryption import log_encryption_key

from . import checks

# --- deploy-speed defaults (docs/service.md, "Deploy speed", explains each number) ---
HEALTH_CHECK_INTERVAL = cdk.Duration.seconds(10)
"""ALB health check every 10 s (ALB default 30 s)."""
HEALTH_CHECK_TIMEOUT = cdk.Duration.seconds(5)
"""A check fails after 5 s without an answer (ALB default 5 s); must stay below the interval."""
HEALTHY_THRESHOLD = 2
"""Two passing checks make a new task healthy (ALB default 5)."""
UNHEALTHY_THRESHOLD = 3
"""Three failing checks (30 s) make a task unhealthy (ALB default 2)."""
DEREGISTRATION_DELAY = cdk.Duration.seconds(30)
"""Draining time of an old task's connections before it is stopped (ALB default 300 s)."""
HEALTH_CHECK_GRACE_PERIOD = cdk.Duration.seconds(30)
"""ECS ignores failing health checks this long after a task starts (patterns default 60 s)."""
STOP_TIMEOUT = cdk.Duration.seconds(30)
"""Time between SIGTERM and SIGKILL (ECS default 30 s; Fargate maximum 120 s)."""
SCRATCH_PATHS: tuple[str, ...] = ("/tmp",)  # noqa: S108 - a task-local volume, not the host's /tmp
"""Writable task-local paths by default: with a read-only root filesystem, anything that writes a
temporary file (language runtimes, TLS libraries, uploads) needs one."""
ERROR_LOG_PATTERN = '{ $.level = "ERROR" }'
"""Error log records pattern of structured (JSON) logs."""

_PLACEHOLDER_NOTE = (
    "While the digest is empty (no release yet) the image is the bare repository URI: the "
    "service runs zero tasks, so it is never pulled."
)


def _flatten(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag names it in granular findings."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return str(delimiter).join(_flatten(item) for item in items)
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{_flatten(resource)}.{_flatten(attribute)}>"
    if isinstance(node, dict) and "Ref" in node:
        return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


@dataclass(frozen=True)
class ServiceSecret:
    """A Secrets Manager secret injected by ECS as one environment variable.

    :param secret: The secret, known by its complete ARN (``Secret.from_secret_complete_arn``
        or a secret created in the app).
    :param json_key: Inject only this key of a JSON secret.
        Default: - the whole secret string.
    :param version_stage: Version stage, e.g. ``AWSPREVIOUS``.
        Default: - ``AWSCURRENT``.
    :param version_id: Pin one version by id.
        Default: - the stage's version.
    :param encryption_key: The customer managed KMS key the secret is encrypted with; the task
        execution role may decrypt with it through Secrets Manager only (``kms:ViaService``).
        An imported secret does not know its key: name it here.
        Default: - the secret's own ``encryption_key``, or none (the AWS managed key).
    """

    secret: secretsmanager.ISecret
    json_key: str | None = None
    version_stage: str | None = None
    version_id: str | None = None
    encryption_key: kms.IKey | None = None


@dataclass(frozen=True)
class LoadBalancerOptions:
    """An Application Load Balancer in front of the service.

    :param public: Internet-facing in public subnets (ingress from anywhere on 443/80).
        Default: - internal, reachable from the VPC's CIDR only.
    :param certificate: ACM certificate; HTTPS listener on 443 and HTTP 80 redirecting to it.
        Default: - none; then ``allow_plain_http`` must be set.
    :param allow_plain_http: Without a certificate, serve plain HTTP on port 80. Must be set
        explicitly; cdk-nag's HTTPS-only findings are acknowledged only then. Default: - False.
    :param access_logs_bucket: Bucket for ALB access logs, SSE-S3 (ALB cannot write SSE-KMS).
        Default: - a bucket is created (SSL only, versioned, SSE-S3, retained).
    :param deletion_protection: The load balancer cannot be deleted while this is on.
        Default: - True; turn it off before deleting the stack.
    :param idle_timeout: How long an idle connection stays open.
        Default: - 60 s (the ALB default).
    :param web_acl_arn: AWS WAF web ACL to associate.
        Default: - a web ACL is created with the AWS managed common and known-bad-inputs rule
        groups, logging to an encrypted log group.
    """

    public: bool = False
    certificate: acm.ICertificate | None = None
    allow_plain_http: bool = False
    access_logs_bucket: s3.IBucket | None = None
    deletion_protection: bool = True
    idle_timeout: cdk.Duration | None = None
    web_acl_arn: str | None = None


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
        # Types first: a wrong type would otherwise surface as jsii's TypeError deep inside CDK.
        type_problems = [
            *checks.check_number("cpu", cpu),
            *checks.check_number("memory", memory),
            *checks.check_number("desired_count", desired_count),
            *checks.check_number("min_count", min_count, optional=True),
            *checks.check_number("max_count", max_count, optional=True),
            *checks.check_number("container_port", container_port, optional=True),
            *checks.check_number("spot_share", spot_share, integer=False),
            *checks.check_number("cpu_target_percent", cpu_target_percent, integer=False),
            *checks.check_number("error_alarm_threshold", error_alarm_threshold),
            *check_log_retention("log_retention", log_retention),
            *(
                problem
                for prop, value in (
                    ("stop_timeout", stop_timeout),
                    ("health_check_grace_period", health_check_grace_period),
                    ("deregistration_delay", deregistration_delay),
                )
                for problem in wrong_type(
                    prop, value, cdk.Duration, "give a cdk.Duration, e.g. Duration.seconds(30)"
                )
            ),
            *(
                problem
                for name, item in (secrets or {}).items()
                for problem in wrong_type(
                    f"secrets[{name!r}]",
                    item,
                    ServiceSecret,
                    "give ServiceSecret(secret=secretsmanager.Secret.from_secret_complete_arn(...))",
                )
            ),
        ]
        if load_balancer is not None:
            type_problems += wrong_type(
                "load_balancer", load_balancer, LoadBalancerOptions, "give LoadBalancerOptions(...)"
            )
        if type_problems:
            raise ValueError(f"FargateService '{self.node.path}': " + "; ".join(type_problems))
        environment = dict(environment or {})
        secrets = dict(secrets or {})
        ssm_parameters = dict(ssm_parameters or {})
        min_count = desired_count if min_count is None else min_count
        max_count = max(desired_count, min_count) if max_count is None else max_count
        problems = [
            *checks.check_digest(image_digest),
            *checks.check_size(cpu, memory),
            *checks.check_counts(desired_count, min_count, max_count, spot_share, allow_spot),
            *checks.check_env_names("environment", environment),
            *checks.check_env_names("secrets", secrets),
            *checks.check_env_names("ssm_parameters", ssm_parameters),
            *checks.check_overlaps(environment, secrets, ssm_parameters),
            *checks.check_credential_names(environment, not_secret),
            *(
                problem
                for name, item in secrets.items()
                for problem in [
                    *checks.check_secret_arn(
                        name, item.secret.secret_full_arn, item.secret.secret_arn
                    ),
                    *checks.check_secret_selector(
                        name, item.json_key, item.version_stage, item.version_id
                    ),
                ]
            ),
            *checks.check_stop_timeout(stop_timeout.to_seconds()),
            *checks.check_user(run_as_user),
            *checks.check_paths("scratch_paths", scratch_paths),
        ]
        if container_port is not None and not 1 <= container_port <= 65535:
            problems.append(f"container_port {container_port} is not a port (1 to 65535)")
        if load_balancer is not None:
            if container_port is None:
                problems.append(
                    "load_balancer needs container_port (a worker has neither: pass "
                    "load_balancer=None)"
                )
            if not health_check_path.startswith("/"):
                problems.append(
                    f"health_check_path {health_check_path!r} must start with '/', e.g. '/healthz'"
                )
            if load_balancer.certificate is None and not load_balancer.allow_plain_http:
                problems.append(
                    "load_balancer has no certificate: give LoadBalancerOptions(certificate=...) "
                    "for HTTPS, or set allow_plain_http=True to serve plain HTTP on purpose"
                )
            if load_balancer.certificate is not None:
                stack = cdk.Stack.of(self)
                problems += checks.check_certificate(
                    load_balancer.certificate.certificate_arn, stack.region, stack.account
                )
            if load_balancer.certificate is not None and load_balancer.allow_plain_http:
                problems.append(
                    "load_balancer has a certificate and allow_plain_http=True; with a "
                    "certificate HTTP always redirects to HTTPS: drop allow_plain_http"
                )
        if service_name is not None and not re.match(
            r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$", service_name
        ):
            problems.append(
                f"service_name {service_name!r} must be letters, digits, '.', '_' or '-' (it "
                "names the error metric)"
            )
        if audit_log_bucket is not None and not re.match(
            r"^[A-Za-z0-9!_.*'()/-]+/$", audit_log_prefix
        ):
            problems.append(
                f"audit_log_prefix {audit_log_prefix!r} must be an S3 key prefix ending in '/', "
                "e.g. 'audit/webapp/'"
            )
        if not error_log_pattern.strip():
            problems.append(
                "error_log_pattern is empty; give a CloudWatch Logs filter pattern such as "
                f"{ERROR_LOG_PATTERN!r}"
            )
        if error_alarm_threshold < 1:
            problems.append(f"error_alarm_threshold {error_alarm_threshold} must be at least 1")
        if not 10 <= cpu_target_percent <= 90:
            problems.append(f"cpu_target_percent {cpu_target_percent} must be from 10 to 90")
        if problems:
            raise ValueError(f"FargateService '{self.node.path}': " + "; ".join(problems))

        self.image_digest = image_digest
        self.service_name = service_name or cdk.Names.unique_id(self)
        # A token digest may be empty before the first release: then run zero tasks.
        self.has_image: cdk.CfnCondition | None = None
        if not checks.literal(image_digest):
            self.has_image = cdk.CfnCondition(
                self,
                "HasImage",
                expression=cdk.Fn.condition_not(cdk.Fn.condition_equals(image_digest, "")),
            )

        # --- logs ---
        self.log_encryption_key = log_encryption_key or self._log_key(removal_policy)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention,
            encryption_key=self.log_encryption_key,
            removal_policy=removal_policy,
        )

        # --- task definition ---
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=cpu,
            memory_limit_mib=memory,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=architecture or ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.execution_role = self.task_definition.obtain_execution_role()
        self.task_role: iam.IRole = self.task_definition.task_role
        image_uri = f"{repository.repository_uri}@{image_digest}"
        if self.has_image is not None:
            image_uri = cdk.Token.as_string(
                cdk.Fn.condition_if(self.has_image.logical_id, image_uri, repository.repository_uri)
            )
        self.container = self.task_definition.add_container(
            "App",
            image=ecs.ContainerImage.from_registry(image_uri),
            essential=True,
            environment=environment or None,
            secrets=self._ecs_secrets(secrets, ssm_parameters) or None,
            port_mappings=(
                [ecs.PortMapping(container_port=container_port, name="app")]
                if container_port is not None
                else None
            ),
            readonly_root_filesystem=readonly_root_filesystem,
            privileged=False,
            user=run_as_user,
            stop_timeout=stop_timeout,
            logging=ecs.LogDrivers.aws_logs(stream_prefix="app", log_group=self.log_group),
        )
        repository.grant_pull(self.execution_role)
        for item in secrets.values():
            key = item.encryption_key or item.secret.encryption_key
            if key is not None:
                # Decrypt through Secrets Manager only (CDK skips this for imported keys).
                self.execution_role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["kms:Decrypt"],
                        resources=[key.key_arn],
                        conditions={
                            "StringEquals": {
                                "kms:ViaService": f"secretsmanager.{cdk.Stack.of(self).region}"
                                ".amazonaws.com"
                            }
                        },
                    )
                )
        self._acknowledge_execution_policy()
        for index, path in enumerate(scratch_paths):
            volume = f"scratch-{index}"
            self.task_definition.add_volume(name=volume)
            self.container.add_mount_points(
                ecs.MountPoint(container_path=path, source_volume=volume, read_only=False)
            )
        self._acknowledge_task_definition(environment)

        # --- service ---
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=cluster.vpc,
            description=f"{self.node.path} tasks",
            allow_all_outbound=True,
        )
        strategies = None
        if spot_share > 0:
            spot_weight = round(spot_share * 100)
            strategies = [
                ecs.CapacityProviderStrategy(
                    capacity_provider="FARGATE", base=1, weight=100 - spot_weight
                ),
                ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=spot_weight),
            ]
        self.service = ecs.FargateService(
            self,
            "Resource",
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=desired_count,
            assign_public_ip=False,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[self.security_group],
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            enable_execute_command=enable_execute_command,
            health_check_grace_period=(
                health_check_grace_period if load_balancer is not None else None
            ),
            capacity_provider_strategies=strategies,
            platform_version=ecs.FargatePlatformVersion.LATEST,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        cfn_service = cast(ecs.CfnService, self.service.node.default_child)
        if self.has_image is not None:
            cfn_service.add_property_override(
                "DesiredCount",
                cdk.Fn.condition_if(self.has_image.logical_id, desired_count, 0),
            )

        # --- error alarm ---
        self.error_metric_filter = self.log_group.add_metric_filter(
            "ErrorRecords",
            filter_pattern=logs.FilterPattern.literal(error_log_pattern),
            metric_namespace=f"ContainerDelivery/{self.service_name}",
            metric_name="ErrorLogRecords",
            metric_value="1",
            default_value=0,
        )
        # The service names this alarm in its deployment configuration: a literal name keeps that
        # reference free of the alarm's logical id (CDK warns of a possible circular dependency).
        rollback_alarm_name = (
            cdk.Names.unique_resource_name(self, max_length=200, separator="-") + "-errors"
            if alarm_rollback
            else None
        )
        self.error_alarm = cloudwatch.Alarm(
            self,
            "ErrorAlarm",
            alarm_description=(
                f"Error records ({error_log_pattern}) in the logs of {self.node.path}"
            ),
            metric=self.error_metric_filter.metric(statistic="Sum", period=cdk.Duration.minutes(1)),
            threshold=error_alarm_threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_name=rollback_alarm_name,
        )
        if alarm_topic is not None:
            self.error_alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))
        if rollback_alarm_name is not None:
            self.service.enable_deployment_alarms(
                [rollback_alarm_name], behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
            )

        # --- long-term audit copy of the logs ---
        self.audit_log_stream: firehose.DeliveryStream | None = None
        if audit_log_bucket is not None:
            self._add_audit_export(audit_log_bucket, audit_log_prefix)

        # --- autoscaling ---
        self.scaling: ecs.ScalableTaskCount | None = None
        if max_count > min_count:
            self.scaling = self.service.auto_scale_task_count(
                min_capacity=min_count, max_capacity=max_count
            )
            self.scaling.scale_on_cpu_utilization(
                "Cpu", target_utilization_percent=cpu_target_percent
            )
            if self.has_image is not None:
                for child in self.service.node.find_all():
                    if isinstance(child, appscaling.CfnScalableTarget):
                        child.add_property_override(
                            "MinCapacity",
                            cdk.Fn.condition_if(self.has_image.logical_id, min_count, 0),
                        )
                        child.add_property_override(
                            "MaxCapacity",
                            cdk.Fn.condition_if(self.has_image.logical_id, max_count, 0),
                        )

        # --- load balancer ---
        self.load_balancer: elbv2.ApplicationLoadBalancer | None = None
        self.target_group: elbv2.ApplicationTargetGroup | None = None
        self.access_logs_bucket: s3.IBucket | None = None
        self.web_acl: wafv2.CfnWebACL | None = None
        self.url: str | None = None
        if load_balancer is not None and container_port is not None:
            self._add_load_balancer(
                load_balancer,
                cluster.vpc,
                container_port,
                health_check_path,
                deregistration_delay,
                removal_policy,
            )

    # ------------------------------------------------------------------ helpers

    def _log_key(self, removal_policy: cdk.RemovalPolicy) -> kms.Key:
        return log_encryption_key(
            self,
            "LogKey",
            description=f"Encrypts the logs of {self.node.path}",
            removal_policy=removal_policy,
        )

    def _add_audit_export(self, bucket: s3.IBucket, prefix: str) -> None:
        # Our own roles with exact customer managed policies: CDK's grants (s3 read/write with
        # wildcard actions, in inline policies) are switched off with without_policy_updates().
        stack = cdk.Stack.of(self)
        delivery_role = iam.Role(
            self,
            "AuditDeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                conditions={"StringEquals": {"sts:ExternalId": stack.account}},
            ),
            description=f"Firehose writes the audit log copy of {self.node.path} to S3",
        )
        statements = [
            iam.PolicyStatement(
                sid="Bucket",
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="Objects",
                actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                resources=[bucket.arn_for_objects(f"{prefix}*")],
            ),
        ]
        if bucket.encryption_key is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="BucketKey",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[bucket.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}
                    },
                )
            )
        delivery_policy = iam.ManagedPolicy(
            self, "AuditDeliveryPolicy", statements=statements, roles=[delivery_role]
        )
        acknowledge(
            delivery_policy,
            f"AwsSolutions-IAM5[Resource::{_flatten(stack.resolve(bucket.arn_for_objects(f'{prefix}*')))}]",
            "Firehose writes one object per buffer under the audit prefix with generated names; "
            "the wildcard is limited to that prefix of the one audit bucket.",
        )
        self.audit_log_stream = firehose.DeliveryStream(
            self,
            "AuditLogStream",
            encryption=firehose.StreamEncryption.aws_owned_key(),
            destination=firehose.S3Bucket(
                bucket,
                role=delivery_role.without_policy_updates(),
                data_output_prefix=f"{prefix}!{{timestamp:yyyy/MM/dd}}/",
                error_output_prefix=f"{prefix}errors/!{{firehose:error-output-type}}/",
                compression=firehose.Compression.GZIP,
                buffering_interval=cdk.Duration.minutes(5),
                processors=[
                    firehose.DecompressionProcessor(),
                    firehose.CloudWatchLogProcessor(data_message_extraction=True),
                ],
                # Failed records land under errors/ in the bucket; DeliveryToS3.Success shows
                # delivery health. (jsii: DisableLogging implements ILoggingConfig.)
                logging_config=cast(firehose.ILoggingConfig, firehose.DisableLogging()),
            ),
        )
        self.audit_log_stream.node.add_dependency(delivery_policy)
        logs_role = iam.Role(
            self,
            "AuditSubscriptionRole",
            assumed_by=iam.ServicePrincipal(
                "logs.amazonaws.com",
                conditions={
                    "StringLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            ),
            description=f"CloudWatch Logs streams the logs of {self.node.path} to Firehose",
        )
        logs_policy = iam.ManagedPolicy(
            self,
            "AuditSubscriptionPolicy",
            statements=[
                iam.PolicyStatement(
                    actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                    resources=[self.audit_log_stream.delivery_stream_arn],
                )
            ],
            roles=[logs_role],
        )
        subscription = self.log_group.add_subscription_filter(
            "AuditExport",
            destination=logs_destinations.FirehoseDestination(
                self.audit_log_stream, role=logs_role.without_policy_updates()
            ),
            filter_pattern=logs.FilterPattern.all_events(),
        )
        subscription.node.add_dependency(logs_policy)

    def _ecs_secrets(
        self,
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
                    ecs.SecretVersionInfo(
                        version_stage=item.version_stage, version_id=item.version_id
                    ),
                    item.json_key,
                )
        for name, parameter in ssm_parameters.items():
            result[name] = ecs.Secret.from_ssm_parameter(parameter)
        return result

    def _acknowledge_execution_policy(self) -> None:
        policy = self.execution_role.node.try_find_child("DefaultPolicy")
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

    def _acknowledge_task_definition(self, environment: Mapping[str, str]) -> None:
        if environment:
            acknowledge(
                self.task_definition,
                "AwsSolutions-ECS2",
                "The environment holds plain configuration only: FargateService refuses "
                "credential-like names at synth, and secrets are injected by ECS from Secrets "
                "Manager or SSM, never as plain values.",
            )

    def _add_load_balancer(
        self,
        options: LoadBalancerOptions,
        vpc: ec2.IVpc,
        container_port: int,
        health_check_path: str,
        deregistration_delay: cdk.Duration,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        https = options.certificate is not None
        alb_sg = ec2.SecurityGroup(
            self,
            "LoadBalancerSecurityGroup",
            vpc=vpc,
            description=f"{self.node.path} load balancer",
            allow_all_outbound=False,
        )
        peer = ec2.Peer.any_ipv4() if options.public else ec2.Peer.ipv4(vpc.vpc_cidr_block)
        ports = [443, 80] if https else [80]
        for port in ports:
            alb_sg.add_ingress_rule(peer, ec2.Port.tcp(port), f"clients on {port}")
        if not options.public and not checks.literal(vpc.vpc_cidr_block):
            acknowledge(
                alb_sg,
                [
                    "AwsSolutions-EC23",
                    "NIST.800.53.R5-EC2RestrictedCommonPorts",
                    "NIST.800.53.R5-EC2RestrictedSSH",
                    "HIPAA.Security-EC2RestrictedCommonPorts",
                    "HIPAA.Security-EC2RestrictedSSH",
                    "PCI.DSS.321-EC2RestrictedCommonPorts",
                    "PCI.DSS.321-EC2RestrictedSSH",
                ],
                "Ingress of this internal load balancer is the VPC's own CIDR on the listener "
                "ports only; cdk-nag cannot resolve the CIDR reference and reports a rule error "
                "instead of checking it.",
            )
        if options.public:
            acknowledge(
                alb_sg,
                ["AwsSolutions-EC23"],
                "This is a public web entry point: the load balancer must accept clients from "
                "any address, on the listener ports only; the tasks accept traffic from this "
                "security group only.",
            )
        self.service.connections.allow_from(
            alb_sg, ec2.Port.tcp(container_port), "the load balancer"
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=options.public,
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PUBLIC
                if options.public
                else ec2.SubnetType.PRIVATE_WITH_EGRESS
            ),
            security_group=alb_sg,
            drop_invalid_header_fields=True,
            deletion_protection=options.deletion_protection,
            idle_timeout=options.idle_timeout,
        )
        self.access_logs_bucket = options.access_logs_bucket or self._access_logs_bucket(
            removal_policy
        )
        self.load_balancer.log_access_logs(self.access_logs_bucket, prefix="alb")
        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=vpc,
            port=container_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=deregistration_delay,
            health_check=elbv2.HealthCheck(
                path=health_check_path,
                interval=HEALTH_CHECK_INTERVAL,
                timeout=HEALTH_CHECK_TIMEOUT,
                healthy_threshold_count=HEALTHY_THRESHOLD,
                unhealthy_threshold_count=UNHEALTHY_THRESHOLD,
                healthy_http_codes="200",
            ),
            targets=[
                self.service.load_balancer_target(
                    container_name=self.container.container_name, container_port=container_port
                )
            ],
        )
        self._add_web_acl(self.load_balancer, options.web_acl_arn, removal_policy)
        if options.certificate is not None:
            self.load_balancer.add_listener(
                "Https",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[
                    elbv2.ListenerCertificate.from_certificate_manager(options.certificate)
                ],
                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                default_target_groups=[self.target_group],
                open=False,
            )
            redirect = self.load_balancer.add_redirect(
                source_port=80,
                source_protocol=elbv2.ApplicationProtocol.HTTP,
                target_port=443,
                target_protocol=elbv2.ApplicationProtocol.HTTPS,
                open=False,
            )
            acknowledge(
                redirect,
                [
                    "NIST.800.53.R5-ELBv2ACMCertificateRequired",
                    "HIPAA.Security-ELBv2ACMCertificateRequired",
                    "PCI.DSS.321-ELBv2ACMCertificateRequired",
                ],
                "This port 80 listener only answers with a permanent redirect to the HTTPS "
                "listener on 443, which uses the ACM certificate; it forwards nothing to the tasks.",
            )
            self.url = f"https://{self.load_balancer.load_balancer_dns_name}"
        else:
            listener = self.load_balancer.add_listener(
                "Http",
                port=80,
                protocol=elbv2.ApplicationProtocol.HTTP,
                default_target_groups=[self.target_group],
                open=False,
            )
            acknowledge(
                listener,
                [
                    "NIST.800.53.R5-ALBHttpToHttpsRedirection",
                    "HIPAA.Security-ALBHttpToHttpsRedirection",
                    "PCI.DSS.321-ALBHttpToHttpsRedirection",
                    "NIST.800.53.R5-ELBv2ACMCertificateRequired",
                    "HIPAA.Security-ELBv2ACMCertificateRequired",
                    "PCI.DSS.321-ELBv2ACMCertificateRequired",
                ],
                "Plain HTTP was chosen explicitly (allow_plain_http=True) because no certificate "
                "is configured for this environment; giving LoadBalancerOptions(certificate=...) "
                "replaces this listener with HTTPS and an HTTP-to-HTTPS redirect.",
                chosen_by="allow_plain_http",
            )
            self.url = f"http://{self.load_balancer.load_balancer_dns_name}"

    def _add_web_acl(
        self,
        load_balancer: elbv2.ApplicationLoadBalancer,
        web_acl_arn: str | None,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        if web_acl_arn is None:
            stack = cdk.Stack.of(self)
            managed = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]
            metric = cdk.Names.unique_id(self)[-128:]
            self.web_acl = wafv2.CfnWebACL(
                self,
                "WebAcl",
                scope="REGIONAL",
                default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                    cloud_watch_metrics_enabled=True,
                    metric_name=metric,
                    sampled_requests_enabled=True,
                ),
                rules=[
                    wafv2.CfnWebACL.RuleProperty(
                        name=name,
                        priority=index,
                        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                        statement=wafv2.CfnWebACL.StatementProperty(
                            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                                vendor_name="AWS", name=name
                            )
                        ),
                        visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                            cloud_watch_metrics_enabled=True,
                            metric_name=f"{metric[: 127 - len(name)]}-{name}",
                            sampled_requests_enabled=True,
                        ),
                    )
                    for index, name in enumerate(managed)
                ],
            )
            log_name = f"aws-waf-logs-{cdk.Names.unique_id(self)}"[:512]
            self.web_acl_log_group = logs.LogGroup(
                self,
                "WebAclLogs",
                log_group_name=log_name,
                retention=logs.RetentionDays.ONE_YEAR,
                encryption_key=self.log_encryption_key,
                removal_policy=removal_policy,
            )
            logging = wafv2.CfnLoggingConfiguration(
                self,
                "WebAclLogging",
                resource_arn=self.web_acl.attr_arn,
                log_destination_configs=[
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=log_name,
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
            logging.node.add_dependency(self.web_acl_log_group)
            web_acl_arn = self.web_acl.attr_arn
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=load_balancer.load_balancer_arn,
            web_acl_arn=web_acl_arn,
        )

    def _access_logs_bucket(self, removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireOldAccessLogs",
                    expiration=cdk.Duration.days(365),
                    noncurrent_version_expiration=cdk.Duration.days(30),
                )
            ],
        )
        acknowledge(
            bucket,
            [
                "AwsSolutions-S1",
                "NIST.800.53.R5-S3BucketLoggingEnabled",
                "HIPAA.Security-S3BucketLoggingEnabled",
                "PCI.DSS.321-S3BucketLoggingEnabled",
            ],
            "This bucket holds the load balancer's access logs and only the ELB log delivery "
            "service writes to it; logging its access to yet another bucket would repeat the "
            "problem one level down, and API access to it is recorded by CloudTrail.",
        )
        acknowledge(
            bucket,
            [
                "NIST.800.53.R5-S3DefaultEncryptionKMS",
                "HIPAA.Security-S3DefaultEncryptionKMS",
                "PCI.DSS.321-S3DefaultEncryptionKMS",
            ],
            "ALB access logging supports only SSE-S3 (Amazon S3 managed keys); with SSE-KMS the "
            "load balancer cannot write its logs, so the bucket is encrypted with SSE-S3.",
        )
        acknowledge(
            bucket,
            [
                "NIST.800.53.R5-S3BucketReplicationEnabled",
                "HIPAA.Security-S3BucketReplicationEnabled",
                "PCI.DSS.321-S3BucketReplicationEnabled",
            ],
            "Access logs are operational evidence kept for one year in a versioned bucket with a "
            "RETAIN policy; a cross-region copy is not required for them (pass "
            "access_logs_bucket to use a replicated central log bucket instead).",
        )
        return bucket

    # ------------------------------------------------------------------ grants

    def grant_secret_read(self, secret: secretsmanager.ISecret) -> iam.Grant:
        """Let the app itself (task role) read ``secret`` at run time, e.g. to follow rotation."""
        return secret.grant_read(self.task_role)
