"""FargateService: secrets, runtime hygiene, deploy-speed defaults, zero tasks without a digest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Match, Template

from container_delivery.constructs.network import ServiceNetwork
from container_delivery.constructs.service import (
    FargateService,
    LoadBalancerOptions,
    ServiceSecret,
)
from tests.helpers import nag_findings, new_app, new_stack

DIGEST = "sha256:" + "ab" * 32
DB_ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:webapp/db-AbCdEf"
API_ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:webapp/api-GhIjKl"
KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
CERT_ARN = "arn:aws:acm:eu-west-1:111111111111:certificate/abc"


def _build(stack: cdk.Stack, **overrides: Any) -> FargateService:
    network = ServiceNetwork(
        stack,
        "Network",
        cidr="10.10.0.0/16",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        availability_zone_ids=["euw1-az1", "euw1-az2"],
    )
    digest = cdk.CfnParameter(stack, "ImageDigest", default="").value_as_string
    db = secretsmanager.Secret.from_secret_complete_arn(stack, "Db", DB_ARN)
    api = secretsmanager.Secret.from_secret_attributes(
        stack,
        "Api",
        secret_complete_arn=API_ARN,
        encryption_key=kms.Key.from_key_arn(stack, "ApiKey", KEY_ARN),
    )
    props: dict[str, Any] = {
        "cluster": network.cluster,
        "repository": ecr.Repository.from_repository_name(stack, "Repo", "webapp"),
        "image_digest": digest,
        "environment": {"LOG_FORMAT": "json", "TOKEN_BUCKET_SIZE": "10"},
        "not_secret": ["TOKEN_BUCKET_SIZE"],
        "secrets": {
            "DATABASE_PASSWORD": ServiceSecret(db, json_key="password"),
            "API_TOKEN": ServiceSecret(api, json_key="token", version_stage="AWSPREVIOUS"),
        },
        "ssm_parameters": {
            "FEATURE_FLAGS": ssm.StringParameter.from_string_parameter_name(
                stack, "Flags", "/webapp/flags"
            )
        },
        "max_count": 4,
        "load_balancer": LoadBalancerOptions(
            public=True, certificate=acm.Certificate.from_certificate_arn(stack, "Cert", CERT_ARN)
        ),
        "alarm_topic": sns.Topic.from_topic_arn(
            stack, "Topic", "arn:aws:sns:eu-west-1:111111111111:alarms"
        ),
        "alarm_rollback": True,
        "scratch_paths": ["/tmp"],
        "run_as_user": "1000:1000",
        "service_name": "webapp",
    }
    props.update(overrides)
    return FargateService(stack, "Web", **{k: v for k, v in props.items() if v is not _DEFAULT})


#: An override that leaves the prop out, so the construct's default applies.
_DEFAULT = object()


@pytest.fixture(scope="module")
def web() -> tuple[FargateService, Template]:
    stack = new_stack("Web")
    service = _build(stack)
    return service, Template.from_stack(stack)


@pytest.fixture(scope="module")
def worker() -> Template:
    stack = new_stack("Worker")
    _build(stack, image_digest=DIGEST, container_port=None, load_balancer=None, secrets={})
    return Template.from_stack(stack)


def _container(template: Template) -> dict[str, Any]:
    (definition,) = template.find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = definition["Properties"]["ContainerDefinitions"]
    return container  # type: ignore[no-any-return]


def _execution_statements(template: Template) -> list[dict[str, Any]]:
    policies = template.find_resources(
        "AWS::IAM::Policy",
        {"Properties": {"PolicyName": Match.string_like_regexp("ExecutionRole")}},
    )
    (policy,) = policies.values()
    return policy["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


# --- secrets -----------------------------------------------------------------------------------


def test_secrets_are_injected_by_ecs_with_their_json_key(
    web: tuple[FargateService, Template],
) -> None:
    # GIVEN secrets with JSON keys (one with a version stage) and an SSM parameter
    # WHEN the task definition is synthesized
    secrets = {item["Name"]: item["ValueFrom"] for item in _container(web[1])["Secrets"]}
    # THEN each valueFrom is the complete ARN followed by :<json-key>:<stage>:<version id>
    assert secrets["DATABASE_PASSWORD"] == f"{DB_ARN}:password::"
    assert secrets["API_TOKEN"] == f"{API_ARN}:token:AWSPREVIOUS:"
    assert "FEATURE_FLAGS" in secrets


def test_no_secret_name_or_value_is_in_the_plain_environment(
    web: tuple[FargateService, Template],
) -> None:
    environment = {item["Name"]: item["Value"] for item in _container(web[1])["Environment"]}
    assert environment == {"LOG_FORMAT": "json", "TOKEN_BUCKET_SIZE": "10"}
    assert not {"DATABASE_PASSWORD", "API_TOKEN", "FEATURE_FLAGS"} & set(environment)
    assert not any("secretsmanager" in str(value) for value in environment.values())


def test_only_the_execution_role_reads_exactly_those_secrets(
    web: tuple[FargateService, Template],
) -> None:
    statements = _execution_statements(web[1])
    secret_resources = [
        resource
        for s in statements
        if "secretsmanager:GetSecretValue" in s["Action"]
        for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    assert sorted(secret_resources) == sorted([DB_ARN, API_ARN])
    assert all("*" not in resource for resource in secret_resources)
    # AND the KMS key of the secret that has one may be used through Secrets Manager only
    decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert decrypt and decrypt[0]["Resource"] == KEY_ARN
    assert decrypt[0]["Condition"]["StringEquals"]["kms:ViaService"] == (
        "secretsmanager.eu-west-1.amazonaws.com"
    )
    # AND the task role (the app's own identity) has no secret access
    task_policies = web[1].find_resources(
        "AWS::IAM::Policy", {"Properties": {"PolicyName": Match.string_like_regexp("TaskRole")}}
    )
    assert "secretsmanager" not in str(task_policies)


def test_a_secret_imported_by_arn_names_its_customer_managed_key() -> None:
    # GIVEN a secret imported by ARN (it cannot know its key) and its key named on ServiceSecret
    stack = new_stack("KeyedSecret")
    db = secretsmanager.Secret.from_secret_complete_arn(stack, "KeyedDb", DB_ARN)
    key = kms.Key.from_key_arn(stack, "KeyedDbKey", KEY_ARN)
    _build(stack, secrets={"DATABASE_PASSWORD": ServiceSecret(db, "password", encryption_key=key)})
    # THEN the execution role may decrypt with it, through Secrets Manager only
    decrypt = [s for s in _execution_statements(Template.from_stack(stack)) if "kms:" in str(s)]
    assert decrypt == [
        {
            "Action": "kms:Decrypt",
            "Effect": "Allow",
            "Resource": KEY_ARN,
            "Condition": {
                "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
            },
        }
    ]


def test_the_image_is_pulled_by_digest_from_the_one_repository(worker: Template) -> None:
    image = _container(worker)["Image"]
    assert image["Fn::Join"][1][-1] == f"/webapp@{DIGEST}"
    statements = _execution_statements(worker)
    pull = next(s for s in statements if "ecr:BatchGetImage" in s["Action"])
    assert pull["Resource"] == "arn:aws:ecr:eu-west-1:111111111111:repository/webapp"


# --- zero tasks before the first release -------------------------------------------------------


def test_an_empty_digest_parameter_means_zero_tasks(web: tuple[FargateService, Template]) -> None:
    service, template = web
    assert service.has_image is not None
    condition = service.has_image.logical_id
    stack = cdk.Stack.of(service)
    condition_id = stack.resolve(condition)
    template.has_resource_properties(
        "AWS::ECS::Service", {"DesiredCount": {"Fn::If": [condition_id, 1, 0]}}
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "MinCapacity": {"Fn::If": [condition_id, 1, 0]},
            "MaxCapacity": {"Fn::If": [condition_id, 4, 0]},
        },
    )
    assert _container(template)["Image"]["Fn::If"][0] == condition_id
    assert template.to_json()["Conditions"][condition_id] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ImageDigest"}, ""]}]
    }


def test_a_literal_digest_needs_no_condition(worker: Template) -> None:
    assert "Conditions" not in worker.to_json()
    worker.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 1})


# --- runtime hygiene ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_scratch() -> Template:
    stack = new_stack("DefaultScratch")
    _build(stack, scratch_paths=_DEFAULT)
    return Template.from_stack(stack)


def test_by_default_tmp_is_a_writable_task_volume_on_a_read_only_root(
    default_scratch: Template,
) -> None:
    # GIVEN a service that names no scratch path (an app that writes to /tmp)
    # THEN /tmp is a writable task-local volume and the root filesystem stays read-only
    (definition,) = default_scratch.find_resources("AWS::ECS::TaskDefinition").values()
    assert definition["Properties"]["Volumes"] == [{"Name": "scratch-0"}]
    container = _container(default_scratch)
    assert container["ReadonlyRootFilesystem"] is True
    assert container["MountPoints"] == [
        {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "scratch-0"}
    ]


def test_no_scratch_path_when_asked_for_none() -> None:
    stack = new_stack("NoScratch")
    _build(stack, scratch_paths=())
    (definition,) = Template.from_stack(stack).find_resources("AWS::ECS::TaskDefinition").values()
    assert "Volumes" not in definition["Properties"]
    assert "MountPoints" not in definition["Properties"]["ContainerDefinitions"][0]


def test_the_container_runs_read_only_unprivileged_and_not_as_root(
    web: tuple[FargateService, Template],
) -> None:
    container = _container(web[1])
    assert container["ReadonlyRootFilesystem"] is True
    assert container["Privileged"] is False
    assert container["User"] == "1000:1000"
    assert container["StopTimeout"] == 30
    assert container["MountPoints"] == [
        {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "scratch-0"}
    ]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_tasks_get_no_public_ip_and_no_ecs_exec(web: tuple[FargateService, Template]) -> None:
    web[1].has_resource_properties(
        "AWS::ECS::Service",
        {
            "EnableExecuteCommand": False,
            "NetworkConfiguration": {
                "AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})
            },
        },
    )


def test_the_log_group_is_encrypted_and_retained_for_three_months(
    web: tuple[FargateService, Template],
) -> None:
    web[1].has_resource_properties(
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 90, "KmsKeyId": Match.any_value(), "LogGroupName": Match.absent()},
    )


def test_error_records_raise_an_alarm_that_notifies_and_rolls_back(
    web: tuple[FargateService, Template],
) -> None:
    template = web[1]
    template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "FilterPattern": '{ $.level = "ERROR" }',
            "MetricTransformations": [
                Match.object_like(
                    {"MetricNamespace": "ContainerDelivery/webapp", "MetricName": "ErrorLogRecords"}
                )
            ],
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmActions": ["arn:aws:sns:eu-west-1:111111111111:alarms"],
            "Threshold": 1,
            "TreatMissingData": "notBreaching",
        },
    )
    # The service names the alarm literally (no Ref to the alarm: no possible dependency cycle).
    (alarm,) = template.find_resources("AWS::CloudWatch::Alarm").values()
    alarm_name = alarm["Properties"]["AlarmName"]
    assert isinstance(alarm_name, str)
    assert alarm_name.endswith("-errors")
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": Match.object_like(
                {"Alarms": {"AlarmNames": [alarm_name], "Enable": True, "Rollback": True}}
            )
        },
    )


# --- deploy speed ------------------------------------------------------------------------------


def test_deploy_speed_defaults(web: tuple[FargateService, Template]) -> None:
    template = web[1]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {
            "HealthCheckIntervalSeconds": 10,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 3,
            "HealthCheckPath": "/healthz",
            "TargetGroupAttributes": Match.array_with(
                [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]
            ),
        },
    )
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "HealthCheckGracePeriodSeconds": 30,
            "DeploymentConfiguration": Match.object_like(
                {
                    "MinimumHealthyPercent": 100,
                    "MaximumPercent": 200,
                    "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                }
            ),
        },
    )


# --- load balancer -----------------------------------------------------------------------------


def test_https_listener_and_http_redirect(web: tuple[FargateService, Template]) -> None:
    template = web[1]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": CERT_ARN}]},
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "DefaultActions": [
                Match.object_like(
                    {"Type": "redirect", "RedirectConfig": Match.object_like({"Port": "443"})}
                )
            ],
        },
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "Scheme": "internet-facing",
            "LoadBalancerAttributes": Match.array_with(
                [
                    {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                    {"Key": "access_logs.s3.enabled", "Value": "true"},
                ]
            ),
        },
    )
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_tasks_accept_traffic_from_the_load_balancer_only(
    web: tuple[FargateService, Template],
) -> None:
    service, template = web
    stack = cdk.Stack.of(service)
    alb_sg = stack.resolve(service.load_balancer.connections.security_groups[0].security_group_id)  # type: ignore[union-attr]
    task_sg = stack.resolve(service.security_group.security_group_id)
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"FromPort": 8080, "ToPort": 8080, "SourceSecurityGroupId": alb_sg, "GroupId": task_sg},
    )
    groups = template.find_resources("AWS::EC2::SecurityGroup")
    task = next(v for v in groups.values() if "Web tasks" in v["Properties"]["GroupDescription"])
    assert "SecurityGroupIngress" not in task["Properties"]


def test_a_worker_has_no_load_balancer_and_no_port(worker: Template) -> None:
    worker.resource_count_is("AWS::ElasticLoadBalancingV2::LoadBalancer", 0)
    assert "PortMappings" not in _container(worker)
    worker.has_resource_properties(
        "AWS::ECS::Service", {"HealthCheckGracePeriodSeconds": Match.absent()}
    )


# --- validation --------------------------------------------------------------------------------


def _partial(stack: cdk.Stack) -> dict[str, Any]:
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "ByName", "webapp/db")
    return {"secrets": {"DB": ServiceSecret(secret)}}


def _secret(**selector: Any) -> Callable[[cdk.Stack], dict[str, Any]]:
    def props(stack: cdk.Stack) -> dict[str, Any]:
        secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Selected", DB_ARN)
        return {"secrets": {"DB": ServiceSecret(secret, **selector)}}

    return props


def _certificate(arn: str) -> Callable[[cdk.Stack], dict[str, Any]]:
    def props(stack: cdk.Stack) -> dict[str, Any]:
        certificate = acm.Certificate.from_certificate_arn(stack, "Elsewhere", arn)
        return {"load_balancer": LoadBalancerOptions(public=True, certificate=certificate)}

    return props


def _no_suffix(stack: cdk.Stack) -> dict[str, Any]:
    arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:webapp/db"
    secret = secretsmanager.Secret.from_secret_partial_arn(stack, "Partial", arn)
    return {"secrets": {"DB": ServiceSecret(secret)}}


INVALID: list[tuple[str, Callable[[cdk.Stack], dict[str, Any]], str]] = [
    ("tag", lambda s: {"image_digest": "v1.2.3"}, r"image_digest 'v1.2.3' is not 'sha256:'"),
    ("cpu", lambda s: {"cpu": 300}, r"cpu 300 is not a Fargate task size"),
    (
        "memory",
        lambda s: {"cpu": 256, "memory": 4096},
        r"memory 4096 MiB is not allowed with cpu 256; Fargate allows 512, 1024, 2048 MiB",
    ),
    (
        "counts",
        lambda s: {"desired_count": 5, "max_count": 3},
        r"desired_count 5 is not between min_count 5 and max_count 3",
    ),
    ("spot", lambda s: {"spot_share": 0.5}, r"spot_share 0.5 needs allow_spot=True"),
    ("spot range", lambda s: {"spot_share": 2.0, "allow_spot": True}, r"spot_share 2.0 must be"),
    (
        "env name",
        lambda s: {"environment": {"LOG-LEVEL": "x"}, "not_secret": []},
        r"environment name 'LOG-LEVEL' is not a valid environment variable name",
    ),
    (
        "both",
        lambda s: {"environment": {"DATABASE_PASSWORD": "x"}, "not_secret": ["DATABASE_PASSWORD"]},
        r"'DATABASE_PASSWORD' is both in environment and in secrets",
    ),
    (
        "credential",
        lambda s: {"environment": {"AWS_SECRET_ACCESS_KEY": "x"}, "not_secret": []},
        r"environment variable 'AWS_SECRET_ACCESS_KEY' looks like a credential .* move it to secrets",
    ),
    (
        "access key",
        lambda s: {"environment": {"AWS_ACCESS_KEY_ID": "x"}, "not_secret": []},
        r"'AWS_ACCESS_KEY_ID' looks like a credential",
    ),
    (
        "not_secret typo",
        lambda s: {"not_secret": ["TOKEN_BUCKET"]},
        r"not_secret names 'TOKEN_BUCKET', which is not in environment",
    ),
    (
        "secret by name",
        _partial,
        r"secrets\['DB'\] is known only by .* ECS needs the complete ARN .*Secret\.from_secret_complete_arn\(\)",
    ),
    (
        "partial arn",
        _no_suffix,
        r"secrets\['DB'\] is known only by 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:webapp/db'",
    ),
    ("root", lambda s: {"run_as_user": "0"}, r"run_as_user '0' is root"),
    (
        "stop timeout",
        lambda s: {"stop_timeout": cdk.Duration.seconds(300)},
        r"stop_timeout 300 s is outside Fargate's 0 to 120 s",
    ),
    ("scratch", lambda s: {"scratch_paths": ["tmp"]}, r"scratch_paths path 'tmp' must be absolute"),
    ("scratch root", lambda s: {"scratch_paths": ["/"]}, r"scratch_paths path '/' would hide"),
    (
        "scratch twice",
        lambda s: {"scratch_paths": ["/tmp", "/tmp/"]},
        r"scratch_paths path '/tmp/' is given twice",
    ),
    (
        "scratch string",
        lambda s: {"scratch_paths": "/tmp"},
        r"scratch_paths '/tmp' is a string; give a list",
    ),
    (
        "plain http",
        lambda s: {"load_balancer": LoadBalancerOptions(public=True)},
        r"load_balancer has no certificate: .* allow_plain_http=True",
    ),
    (
        "lb without port",
        lambda s: {"container_port": None},
        r"load_balancer needs container_port",
    ),
    ("pattern", lambda s: {"error_log_pattern": " "}, r"error_log_pattern is empty"),
    (
        "service name",
        lambda s: {"service_name": "web app"},
        r"service_name 'web app' must be letters, digits",
    ),
    (
        "json key",
        _secret(json_key="db:password"),
        r"secrets\['DB'\]\.json_key 'db:password' cannot be carried in ECS's valueFrom",
    ),
    (
        "stage and id",
        _secret(version_stage="AWSPREVIOUS", version_id="a" * 36),
        r"secrets\['DB'\]\.version_stage 'AWSPREVIOUS' and version_id '[a]+' are both given",
    ),
    (
        "certificate region",
        _certificate(CERT_ARN.replace("eu-west-1", "us-east-1")),
        r"load_balancer\.certificate: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' is in "
        r"us-east-1, but it is used in eu-west-1; request or import the certificate in eu-west-1",
    ),
    (
        "certificate account",
        _certificate(CERT_ARN.replace("111111111111", "222222222222")),
        r"belongs to account 222222222222, but it is used in account 111111111111",
    ),
    ("certificate not arn", _certificate("my-cert"), r"'my-cert' is not an ARN"),
    (
        "retention as days",
        lambda s: {"log_retention": 90},
        r"log_retention: 90 is a number of days; pass logs\.RetentionDays\.THREE_MONTHS",
    ),
    (
        "retention not allowed",
        lambda s: {"log_retention": 100},
        r"log_retention: 100 days is not a CloudWatch Logs retention; the nearest allowed are 90 "
        r"or 120",
    ),
    (
        "cpu as text",
        lambda s: {"cpu": "512"},
        r"cpu: '512' \(str\) is the wrong type; give a whole number",
    ),
    (
        "duration as number",
        lambda s: {"stop_timeout": 30},
        r"stop_timeout: 30 \(int\) is the wrong type; give a cdk\.Duration",
    ),
]


@pytest.mark.parametrize(("case", "props", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_bad_props_fail_at_synth_with_the_fix(
    case: str, props: Callable[[cdk.Stack], dict[str, Any]], message: str
) -> None:
    # GIVEN one bad prop WHEN the service is built THEN one ValueError names the construct's
    # path, the prop and the fix (never a jsii TypeError)
    stack = new_stack("Invalid" + "".join(c for c in case.title() if c.isalnum()))
    with pytest.raises(ValueError, match=rf"^FargateService '{stack.stack_name}/Web': .*{message}"):
        _build(stack, **props(stack))


def test_a_flow_log_retention_in_days_is_a_value_error_naming_the_prop() -> None:
    stack = new_stack("FlowLogs")
    with pytest.raises(
        ValueError,
        match=r"^ServiceNetwork 'FlowLogs/Network': flow_log_retention: 365 is a number of days; "
        r"pass logs\.RetentionDays\.ONE_YEAR",
    ):
        ServiceNetwork(
            stack,
            "Network",
            cidr="10.10.0.0/16",
            availability_zones=["eu-west-1a", "eu-west-1b"],
            flow_log_retention=365,
        )


def test_every_problem_is_reported_at_once() -> None:
    stack = new_stack("Many")
    with pytest.raises(ValueError, match=r"^FargateService 'Many/Web': ") as error:
        _build(stack, cpu=300, run_as_user="root", image_digest="latest")
    message = str(error.value)
    assert "image_digest 'latest'" in message
    assert "cpu 300" in message
    assert "run_as_user 'root' is root" in message


# --- compliance --------------------------------------------------------------------------------


def test_no_unacknowledged_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    stack = new_stack("Nag", app=app)
    _build(stack)
    _build(
        new_stack("NagWorker", app=app),
        image_digest=DIGEST,
        container_port=None,
        load_balancer=None,
    )
    assert nag_findings(app, tmp_path) == []


def test_plain_http_listener_is_acknowledged_only_when_asked(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    stack = new_stack("Plain", app=app)
    service = _build(stack, load_balancer=LoadBalancerOptions(allow_plain_http=True))
    assert service.url is not None and service.url.startswith("http://")
    assert nag_findings(app, tmp_path) == []
    Template.from_stack(stack).has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [Match.object_like({"Type": "forward"})],
        },
    )


def test_architecture_is_the_runtime_platform() -> None:
    stack = new_stack("Arm")
    _build(stack, architecture=ecs.CpuArchitecture.ARM64, load_balancer=None, container_port=None)
    Template.from_stack(stack).has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}},
    )


# --- long-term audit copy ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def audited() -> Template:
    stack = new_stack("Audited")
    bucket = s3.Bucket.from_bucket_name(stack, "AuditBucket", "audit-111111111111")
    _build(stack, audit_log_bucket=bucket, audit_log_prefix="audit/webapp/", load_balancer=None)
    return Template.from_stack(stack)


def test_every_log_record_is_streamed_to_the_audit_bucket(audited: Template) -> None:
    audited.has_resource_properties(
        "AWS::Logs::SubscriptionFilter",
        {"FilterPattern": "", "DestinationArn": {"Fn::GetAtt": [Match.any_value(), "Arn"]}},
    )
    audited.has_resource_properties(
        "AWS::KinesisFirehose::DeliveryStream",
        {
            "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK"},
            "ExtendedS3DestinationConfiguration": Match.object_like(
                {
                    "CompressionFormat": "GZIP",
                    "Prefix": "audit/webapp/!{timestamp:yyyy/MM/dd}/",
                }
            ),
        },
    )


def test_firehose_writes_only_under_the_audit_prefix(audited: Template) -> None:
    policies = audited.find_resources("AWS::IAM::ManagedPolicy")
    statements = [
        statement
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    objects = next(s for s in statements if s.get("Sid") == "Objects")
    assert objects["Action"] == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    assert str(objects["Resource"]).endswith("audit-111111111111/audit/webapp/*")
    assert not any("*" in action for s in statements for action in s["Action"])
    # AND no inline policy grants the stream's roles anything
    inline = audited.find_resources("AWS::IAM::Policy")
    assert "Audit" not in "".join(inline)


def test_bad_audit_prefix_is_refused() -> None:
    stack = new_stack("BadPrefix")
    bucket = s3.Bucket.from_bucket_name(stack, "AuditBucket", "audit-111111111111")
    with pytest.raises(
        ValueError, match=r"audit_log_prefix 'audit' must be an S3 key prefix ending in '/'"
    ):
        _build(stack, audit_log_bucket=bucket, audit_log_prefix="audit")


def test_audit_export_has_no_unacknowledged_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    stack = new_stack("NagAudit", app=app)
    bucket = s3.Bucket.from_bucket_name(stack, "AuditBucket", "audit-111111111111")
    _build(stack, audit_log_bucket=bucket)
    assert nag_findings(app, tmp_path) == []
