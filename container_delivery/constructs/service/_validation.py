"""``FargateService``'s validation: the props' types first, then their values.

Each step collects every problem into one ``ValueError`` naming the construct's path.
"""

from __future__ import annotations

import re

import aws_cdk as cdk
from constructs import Construct

from container_delivery.constructs._checks import check_log_retention, wrong_type

from . import checks
from ._defaults import ERROR_LOG_PATTERN
from ._options import LoadBalancerOptions, ServiceSecret
from ._props import ServiceProps


def validate(scope: Construct, props: ServiceProps) -> None:
    """Raise one ``ValueError`` with every problem of ``props``, types before values."""
    # Types first: a wrong type would otherwise surface as jsii's TypeError deep inside CDK.
    _raise(scope, type_problems(props))
    _raise(
        scope,
        [
            *value_problems(props),
            *load_balancer_problems(scope, props),
            *observability_problems(props),
        ],
    )


def _raise(scope: Construct, problems: list[str]) -> None:
    if problems:
        raise ValueError(f"FargateService '{scope.node.path}': " + "; ".join(problems))


def type_problems(props: ServiceProps) -> list[str]:
    problems = [
        *checks.check_number("cpu", props.cpu),
        *checks.check_number("memory", props.memory),
        *checks.check_number("desired_count", props.desired_count),
        *checks.check_number("min_count", props.min_count, optional=True),
        *checks.check_number("max_count", props.max_count, optional=True),
        *checks.check_number("container_port", props.container_port, optional=True),
        *checks.check_number("spot_share", props.spot_share, integer=False),
        *checks.check_number("cpu_target_percent", props.cpu_target_percent, integer=False),
        *checks.check_number("error_alarm_threshold", props.error_alarm_threshold),
        *check_log_retention("log_retention", props.log_retention),
        *(
            problem
            for prop, value in (
                ("stop_timeout", props.stop_timeout),
                ("health_check_grace_period", props.health_check_grace_period),
                ("deregistration_delay", props.deregistration_delay),
            )
            for problem in wrong_type(
                prop, value, cdk.Duration, "give a cdk.Duration, e.g. Duration.seconds(30)"
            )
        ),
        *(
            problem
            for name, item in (props.secrets or {}).items()
            for problem in wrong_type(
                f"secrets[{name!r}]",
                item,
                ServiceSecret,
                "give ServiceSecret(secret=secretsmanager.Secret.from_secret_complete_arn(...))",
            )
        ),
    ]
    if props.load_balancer is not None:
        problems += wrong_type(
            "load_balancer",
            props.load_balancer,
            LoadBalancerOptions,
            "give LoadBalancerOptions(...)",
        )
    return problems


def value_problems(props: ServiceProps) -> list[str]:
    """The task, its container and its counts."""
    environment, secrets, ssm_parameters = props.environment_vars, props.secret_vars, props.ssm_vars
    min_count, max_count = props.count_bounds
    problems = [
        *checks.check_digest(props.image_digest),
        *checks.check_size(props.cpu, props.memory),
        *checks.check_counts(
            props.desired_count, min_count, max_count, props.spot_share, props.allow_spot
        ),
        *checks.check_env_names("environment", environment),
        *checks.check_env_names("secrets", secrets),
        *checks.check_env_names("ssm_parameters", ssm_parameters),
        *checks.check_overlaps(environment, secrets, ssm_parameters),
        *checks.check_credential_names(environment, props.not_secret),
        *(
            problem
            for name, item in secrets.items()
            for problem in [
                *checks.check_secret_arn(name, item.secret.secret_full_arn, item.secret.secret_arn),
                *checks.check_secret_selector(
                    name, item.json_key, item.version_stage, item.version_id
                ),
            ]
        ),
        *checks.check_stop_timeout(props.stop_timeout.to_seconds()),
        *checks.check_user(props.run_as_user),
        *checks.check_paths("scratch_paths", props.scratch_paths),
    ]
    if props.container_port is not None and not 1 <= props.container_port <= 65535:
        problems.append(f"container_port {props.container_port} is not a port (1 to 65535)")
    return problems


def load_balancer_problems(scope: Construct, props: ServiceProps) -> list[str]:
    """The load balancer and its health check (``scope`` tells the certificate's region)."""
    load_balancer = props.load_balancer
    if load_balancer is None:
        return []
    problems: list[str] = []
    if props.container_port is None:
        problems.append(
            "load_balancer needs container_port (a worker has neither: pass load_balancer=None)"
        )
    if not props.health_check_path.startswith("/"):
        problems.append(
            f"health_check_path {props.health_check_path!r} must start with '/', e.g. '/healthz'"
        )
    if load_balancer.certificate is None and not load_balancer.allow_plain_http:
        problems.append(
            "load_balancer has no certificate: give LoadBalancerOptions(certificate=...) "
            "for HTTPS, or set allow_plain_http=True to serve plain HTTP on purpose"
        )
    if load_balancer.certificate is not None:
        stack = cdk.Stack.of(scope)
        problems += checks.check_certificate(
            load_balancer.certificate.certificate_arn, stack.region, stack.account
        )
    if load_balancer.certificate is not None and load_balancer.allow_plain_http:
        problems.append(
            "load_balancer has a certificate and allow_plain_http=True; with a "
            "certificate HTTP always redirects to HTTPS: drop allow_plain_http"
        )
    return problems


def observability_problems(props: ServiceProps) -> list[str]:
    """Naming, the audit log export, the error alarm and the autoscaling target."""
    problems: list[str] = []
    if props.service_name is not None and not re.match(
        r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$", props.service_name
    ):
        problems.append(
            f"service_name {props.service_name!r} must be letters, digits, '.', '_' or '-' (it "
            "names the error metric)"
        )
    if props.audit_log_bucket is not None and not re.match(
        r"^[A-Za-z0-9!_.*'()/-]+/$", props.audit_log_prefix
    ):
        problems.append(
            f"audit_log_prefix {props.audit_log_prefix!r} must be an S3 key prefix ending in '/', "
            "e.g. 'audit/webapp/'"
        )
    if not props.error_log_pattern.strip():
        problems.append(
            "error_log_pattern is empty; give a CloudWatch Logs filter pattern such as "
            f"{ERROR_LOG_PATTERN!r}"
        )
    if props.error_alarm_threshold < 1:
        problems.append(f"error_alarm_threshold {props.error_alarm_threshold} must be at least 1")
    if not 10 <= props.cpu_target_percent <= 90:
        problems.append(f"cpu_target_percent {props.cpu_target_percent} must be from 10 to 90")
    return problems
