"""The project's own cdk-nag pack: each rule flags a non-compliant resource and passes a good one."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs

from container_delivery.compliance import acknowledge, apply_packs
from container_delivery.compliance.custom_pack import PACK_NAME, RULES
from tests.helpers import REGION, nag_findings, new_app, new_stack

IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:latest")


def _good_repository(scope: cdk.Stack, construct_id: str, **overrides: object) -> ecr.Repository:
    props: dict[str, object] = {
        "image_tag_mutability": ecr.TagMutability.IMMUTABLE,
        "image_scan_on_push": True,
        "lifecycle_rules": [ecr.LifecycleRule(max_image_count=10)],
        "removal_policy": cdk.RemovalPolicy.DESTROY,
        **overrides,
    }
    return ecr.Repository(scope, construct_id, **props)  # type: ignore[arg-type]


def _task(scope: cdk.Stack, construct_id: str, **container: object) -> ecs.FargateTaskDefinition:
    task = ecs.FargateTaskDefinition(scope, construct_id)
    props: dict[str, object] = {"readonly_root_filesystem": True, **container}
    task.add_container("app", image=IMAGE, **props)  # type: ignore[arg-type]
    return task


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    # GIVEN one stack with a compliant and a non-compliant resource for every rule
    outdir = tmp_path_factory.mktemp("custom-pack")
    app = new_app(outdir=outdir)
    stack = new_stack("Pack", app=app)
    _good_repository(stack, "GoodRepo")
    _good_repository(stack, "MutableRepo", image_tag_mutability=ecr.TagMutability.MUTABLE)
    _good_repository(stack, "UnscannedRepo", image_scan_on_push=False)
    _good_repository(stack, "NoLifecycleRepo", lifecycle_rules=[])
    ecr.CfnRepository(  # an L1 whose mutability is a parameter: it cannot be verified at synth
        stack,
        "ParameterRepo",
        image_tag_mutability=cdk.CfnParameter(stack, "Mutability").value_as_string,
        image_scanning_configuration=ecr.CfnRepository.ImageScanningConfigurationProperty(
            scan_on_push=True
        ),
        lifecycle_policy=ecr.CfnRepository.LifecyclePolicyProperty(
            lifecycle_policy_text='{"rules":[]}'
        ),
    )
    for name, mutability, lifecycle in (
        ("GoodTemplate", "IMMUTABLE", '{"rules":[]}'),
        ("MutableTemplate", "MUTABLE", '{"rules":[]}'),
        ("NoLifecycleTemplate", "IMMUTABLE", None),
    ):
        ecr.CfnRepositoryCreationTemplate(
            stack,
            name,
            applied_for=["REPLICATION"],
            prefix=name.lower(),
            image_tag_mutability=mutability,
            lifecycle_policy=lifecycle,
        )
    _task(stack, "GoodTask")
    _task(stack, "WritableTask", readonly_root_filesystem=False)
    sidecar = _task(stack, "WritableSidecarTask")
    sidecar.add_container("sidecar", image=IMAGE)  # readonly_root_filesystem not set
    _task(stack, "PrivilegedTask", privileged=True)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        availability_zones=[f"{REGION}a", f"{REGION}b"],
        nat_gateways=0,
        restrict_default_security_group=False,
    )
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    for name, public in (("PrivateService", False), ("PublicIpService", True)):
        ecs.FargateService(
            stack,
            name,
            cluster=cluster,
            task_definition=_task(stack, f"{name}Task"),
            assign_public_ip=public,
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PUBLIC if public else ec2.SubnetType.PRIVATE_ISOLATED
            ),
        )
    # WHEN it is synthesized with the always-on packs
    found = nag_findings(app, outdir, packs=())
    # THEN (per test) only the project's own findings are looked at
    return [f.split(": ")[0] for f in found if f.startswith(f"{PACK_NAME}-")]


@pytest.mark.parametrize(
    ("rule_id", "bad_path"),
    [
        ("ContainerDelivery-ECR1", "Pack/MutableRepo/Resource"),
        ("ContainerDelivery-ECR1", "Pack/ParameterRepo"),
        ("ContainerDelivery-ECR1", "Pack/MutableTemplate"),
        ("ContainerDelivery-ECR2", "Pack/UnscannedRepo/Resource"),
        ("ContainerDelivery-ECR3", "Pack/NoLifecycleRepo/Resource"),
        ("ContainerDelivery-ECR3", "Pack/NoLifecycleTemplate"),
        ("ContainerDelivery-ECS1", "Pack/WritableTask/Resource"),
        ("ContainerDelivery-ECS1", "Pack/WritableSidecarTask/Resource"),
        ("ContainerDelivery-ECS2", "Pack/PrivilegedTask/Resource"),
        ("ContainerDelivery-ECS3", "Pack/PublicIpService/Service"),
    ],
)
def test_rule_flags_the_non_compliant_resource(
    findings: list[str], rule_id: str, bad_path: str
) -> None:
    assert f"{rule_id} at {bad_path}" in findings


def test_every_rule_flags_only_the_resources_built_to_break_it(findings: list[str]) -> None:
    assert sorted(findings) == sorted(
        [
            "ContainerDelivery-ECR1 at Pack/MutableRepo/Resource",
            "ContainerDelivery-ECR1 at Pack/ParameterRepo",
            "ContainerDelivery-ECR1 at Pack/MutableTemplate",
            "ContainerDelivery-ECR2 at Pack/UnscannedRepo/Resource",
            "ContainerDelivery-ECR3 at Pack/NoLifecycleRepo/Resource",
            "ContainerDelivery-ECR3 at Pack/NoLifecycleTemplate",
            "ContainerDelivery-ECS1 at Pack/WritableTask/Resource",
            "ContainerDelivery-ECS1 at Pack/WritableSidecarTask/Resource",
            "ContainerDelivery-ECS2 at Pack/PrivilegedTask/Resource",
            "ContainerDelivery-ECS3 at Pack/PublicIpService/Service",
        ]
    )


def test_every_rule_is_exercised_by_this_module() -> None:
    assert {rule.rule_id for rule in RULES} == {
        "ContainerDelivery-ECR1",
        "ContainerDelivery-ECR2",
        "ContainerDelivery-ECR3",
        "ContainerDelivery-ECS1",
        "ContainerDelivery-ECS2",
        "ContainerDelivery-ECS3",
    }


def test_a_non_compliant_construct_fails_synth_with_the_rule_id(tmp_path: Path) -> None:
    # GIVEN a repository with mutable tags in an app with the packs on
    app = new_app(outdir=tmp_path)
    _good_repository(new_stack(app=app), "Repo", image_tag_mutability=ecr.TagMutability.MUTABLE)
    apply_packs(app)
    # WHEN it is synthesized THEN synth fails and the message names the rule
    with pytest.raises(RuntimeError, match="ValidationFailed") as error:
        app.synth()
    assert "ContainerDelivery-ECR1" in str(error.value)
    assert "Test/Repo/Resource" in str(error.value)


def test_an_acknowledged_custom_finding_does_not_fail_synth(tmp_path: Path) -> None:
    # GIVEN a privileged container, acknowledged on its task definition with a reason
    app = new_app(outdir=tmp_path)
    task = _task(new_stack(app=app), "Agent", privileged=True)
    acknowledge(
        task,
        "ContainerDelivery-ECS2",
        "This monitoring agent reads host kernel counters and runs in an isolated account.",
    )
    # WHEN it is synthesized with the always-on packs
    findings = nag_findings(app, tmp_path, packs=())
    # THEN ECS2 is not a finding, and it is listed as acknowledged with the reason
    assert not [f for f in findings if f.startswith("ContainerDelivery-")]
    report = (tmp_path / "validation-report.json").read_text()
    assert "ContainerDelivery::ContainerDelivery-ECS2" in report
    assert "reads host kernel counters" in report
