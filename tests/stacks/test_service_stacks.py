"""The reference app's service stacks: names, the ImageDigest parameter, per-environment config.

Validation, every nag pack and cfn-lint run on the whole reference app in tests/test_app.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from container_delivery.config import load_config
from container_delivery.stacks.service import (
    IMAGE_DIGEST_PATTERN,
    NetworkStack,
    ServiceStacks,
    add_service_stacks,
)
from tests.helpers import new_app


@pytest.fixture(scope="module")
def stacks() -> ServiceStacks:
    return add_service_stacks(new_app(), load_config())


@pytest.fixture(scope="module")
def webapp_staging(stacks: ServiceStacks) -> Template:
    return Template.from_stack(stacks.services[("webapp", "staging")])


@pytest.fixture(scope="module")
def webapp_production(stacks: ServiceStacks) -> Template:
    return Template.from_stack(stacks.services[("webapp", "production")])


def test_stack_names_are_the_pipeline_contract(stacks: ServiceStacks) -> None:
    names = sorted(stack.stack_name for stack in stacks.services.values())
    assert names == [
        "orders-worker-production",
        "orders-worker-staging",
        "webapp-production",
        "webapp-staging",
    ]
    assert stacks.network["staging"].stack_name == "container-delivery-network-staging"
    assert stacks.network["production"].account == "222222222222"
    assert stacks.services[("webapp", "production")].account == "222222222222"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        ("sha256:" + "0a" * 32, True),
        ("sha256:" + "0A" * 32, False),
        ("v1.2.3", False),
        ("sha256:abc", False),
    ],
)
def test_the_image_digest_parameter_pattern(value: str, accepted: bool) -> None:
    assert bool(re.fullmatch(IMAGE_DIGEST_PATTERN, value)) is accepted


def test_image_digest_is_a_parameter_empty_by_default(webapp_staging: Template) -> None:
    parameter = webapp_staging.to_json()["Parameters"]["ImageDigest"]
    assert parameter["Default"] == ""
    assert parameter["AllowedPattern"] == IMAGE_DIGEST_PATTERN


def test_zero_tasks_until_a_digest_is_set(webapp_production: Template) -> None:
    webapp_production.has_resource_properties(
        "AWS::ECS::Service", {"DesiredCount": {"Fn::If": [Match.any_value(), 2, 0]}}
    )
    webapp_production.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"MaxCapacity": {"Fn::If": [Match.any_value(), 6, 0]}},
    )


def _secrets(template: Template) -> dict[str, Any]:
    (definition,) = template.find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = definition["Properties"]["ContainerDefinitions"]
    return {item["Name"]: item["ValueFrom"] for item in container["Secrets"]}


def test_each_environment_reads_its_own_secret(
    webapp_staging: Template, webapp_production: Template
) -> None:
    assert _secrets(webapp_staging)["DATABASE_PASSWORD"] == (
        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:webapp/db-AbCdEf:password::"
    )
    assert _secrets(webapp_production)["DATABASE_PASSWORD"].startswith(
        "arn:aws:secretsmanager:eu-west-1:222222222222:secret:webapp/db-GhIjKl:password"
    )


def test_spot_only_in_staging(webapp_staging: Template, webapp_production: Template) -> None:
    webapp_staging.has_resource_properties(
        "AWS::ECS::Service",
        {
            "CapacityProviderStrategy": Match.array_with(
                [Match.object_like({"CapacityProvider": "FARGATE_SPOT"})]
            )
        },
    )
    webapp_production.has_resource_properties(
        "AWS::ECS::Service",
        {"CapacityProviderStrategy": Match.absent(), "LaunchType": "FARGATE"},
    )


def test_production_pulls_from_its_own_account(webapp_production: Template) -> None:
    (definition,) = webapp_production.find_resources("AWS::ECS::TaskDefinition").values()
    image = str(definition["Properties"]["ContainerDefinitions"][0]["Image"])
    assert "222222222222.dkr.ecr.eu-west-1." in image


def test_the_configured_scratch_paths_are_writable_volumes(webapp_production: Template) -> None:
    # the reference config gives webapp scratch_paths [/tmp]; the root filesystem stays read-only
    (definition,) = webapp_production.find_resources("AWS::ECS::TaskDefinition").values()
    container = definition["Properties"]["ContainerDefinitions"][0]
    assert container["ReadonlyRootFilesystem"] is True
    assert container["MountPoints"] == [
        {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "scratch-0"}
    ]


def test_worker_has_no_url(stacks: ServiceStacks) -> None:
    assert stacks.services[("orders-worker", "staging")].url is None
    assert stacks.services[("webapp", "staging")].url is not None


def test_production_network_has_a_nat_gateway_per_zone(stacks: ServiceStacks) -> None:
    Template.from_stack(stacks.network["production"]).resource_count_is("AWS::EC2::NatGateway", 2)
    Template.from_stack(stacks.network["staging"]).resource_count_is("AWS::EC2::NatGateway", 1)


def test_network_zones_are_chosen_by_cloudformation_without_a_lookup(tmp_path: Path) -> None:
    # GIVEN the staging network stack of the default config (2 zones)
    app = new_app(outdir=tmp_path)
    stack = NetworkStack(app, "Network-staging", config=load_config(), env_name="staging")
    template = Template.from_stack(stack)
    # THEN every subnet takes its zone from Fn::GetAZs, and synth asked for no context lookup
    zones = [
        subnet["Properties"]["AvailabilityZone"]
        for subnet in template.find_resources("AWS::EC2::Subnet").values()
    ]
    assert sorted(map(str, zones)) == sorted(
        map(str, [{"Fn::Select": [i, {"Fn::GetAZs": ""}]} for i in (0, 1)] * 2)
    )
    app.synth()
    assert "missing" not in json.loads((tmp_path / "manifest.json").read_text())
