"""The deploy plan: ordering rules (pure, no CDK) and the commands for a real app's stacks."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from container_delivery.config import load_config
from container_delivery.config.loader import default_config_text
from container_delivery.plan import Batch, StackNode, app_stacks, deploy_batches, render
from container_delivery.stacks.app import build_app
from tests.helpers import FEATURE_FLAGS, PRODUCTION_ACCOUNT, ROOT, STAGING_ACCOUNT

PROFILES = {STAGING_ACCOUNT: "staging", PRODUCTION_ACCOUNT: "production"}


# --- ordering, without CDK -------------------------------------------------------------------


def test_a_chain_in_one_account_is_one_batch_in_dependency_order() -> None:
    # GIVEN three stacks of one account, listed before what they depend on
    stacks = [
        StackNode("c", "a1", "eu-west-1", ("b",)),
        StackNode("b", "a1", "eu-west-1", ("a",)),
        StackNode("a", "a1", "eu-west-1"),
    ]
    # WHEN they are batched THEN one command deploys them, dependencies first
    assert deploy_batches(stacks) == [Batch("a1", ("a", "b", "c"))]


def test_the_account_that_saves_a_command_goes_first() -> None:
    # GIVEN x2 (account X) depends on y1 (account Y); x1 is listed first and needs nothing
    stacks = [
        StackNode("x1", "X", "eu-west-1"),
        StackNode("x2", "X", "eu-west-1", ("y1",)),
        StackNode("y1", "Y", "eu-west-1"),
    ]
    # WHEN they are batched
    batches = deploy_batches(stacks)
    # THEN Y goes first (X first would need X, Y, X: three commands)
    assert batches == [Batch("Y", ("y1",)), Batch("X", ("x1", "x2"))]


def test_accounts_alternate_as_often_as_the_dependencies_demand() -> None:
    # GIVEN a chain that crosses accounts three times, plus independent stacks in both
    stacks = [
        StackNode("p1", "P", "us-east-1"),
        StackNode("s1", "S", "eu-west-1", ("p1",)),
        StackNode("p2", "P", "us-east-1", ("s1",)),
        StackNode("s2", "S", "eu-west-1", ("p2",)),
        StackNode("s-free", "S", "eu-west-1"),
        StackNode("p-free", "P", "us-east-1"),
    ]
    # WHEN they are batched THEN four commands, the free stacks in the first of their account
    assert deploy_batches(stacks) == [
        Batch("P", ("p1", "p-free")),
        Batch("S", ("s1", "s-free")),
        Batch("P", ("p2",)),
        Batch("S", ("s2",)),
    ]


def test_a_cycle_is_reported_with_its_path() -> None:
    stacks = [
        StackNode("registry", "S", "eu-west-1", ("pipeline",)),
        StackNode("network", "S", "eu-west-1"),
        StackNode("pipeline", "P", "eu-west-1", ("network", "registry")),
    ]
    with pytest.raises(
        ValueError,
        match=r"form a cycle, .*: registry -> pipeline -> registry \(remove one of these",
    ):
        deploy_batches(stacks)


def test_unknown_dependencies_and_duplicate_names_are_reported_together() -> None:
    stacks = [
        StackNode("a", "S", "eu-west-1", ("missing",)),
        StackNode("a", "S", "eu-west-1"),
    ]
    with pytest.raises(ValueError, match="cannot order the stacks: ") as error:
        deploy_batches(stacks)
    assert "stack 'a' appears 2 times; names are unique" in str(error.value)
    assert "stack 'a' depends on 'missing', which is not one of the stacks to deploy" in str(
        error.value
    )


def test_a_stack_in_an_account_without_a_profile_is_an_error() -> None:
    stacks = [StackNode("a", STAGING_ACCOUNT, "eu-west-1"), StackNode("b", "333333333333", "x")]
    with pytest.raises(ValueError, match=r"account\(s\) 333333333333 have no profile"):
        render(stacks, PROFILES)


# --- the reference app: three services, production in another region ------------------------


@dataclass(frozen=True)
class Planned:
    config_path: Path
    stacks: list[StackNode]
    output: str
    deploys: list[tuple[str, list[str]]]
    """(profile, stacks) per ``cdk deploy`` command, in order."""
    manifest: dict[str, Any]


def _three_services_two_regions() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(default_config_text())
    raw["accounts"]["production"]["region"] = "us-east-1"
    webapp = raw["services"][0]
    secret = webapp["production"]["secrets"]["DATABASE_PASSWORD"]
    secret["secret_arn"] = secret["secret_arn"].replace(":eu-west-1:", ":us-east-1:")
    # A secret's KMS key is in the secret's region (the config refuses anything else).
    secret["kms_key_arn"] = secret["kms_key_arn"].replace(":eu-west-1:", ":us-east-1:")
    # ... and the load balancer's certificate in the load balancer's region.
    production = webapp["production"]
    production["certificate_arn"] = production["certificate_arn"].replace(
        ":eu-west-1:", ":us-east-1:"
    )
    third = copy.deepcopy(webapp)
    third["name"] = "billing"
    third["github_repository"] = "example-org/billing"
    raw["services"].append(third)
    return raw


def _deploy_commands(output: str) -> list[tuple[str, list[str]]]:
    commands = []
    for line in output.replace(" \\\n", " ").splitlines():
        words = line.split()
        if words[:3] == ["npx", "cdk", "deploy"]:
            assert words[3:5] == ["--exclusively", "--profile"], line
            commands.append((words[5], words[6:]))
    return commands


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Planned:
    folder = tmp_path_factory.mktemp("plan")
    config_path = folder / "three-services.yaml"
    config_path.write_text(yaml.safe_dump(_three_services_two_regions()))
    config = load_config(config_path)
    assert len(config.services) == 3
    outdir = folder / "cdk.out"
    app = build_app(config, outdir=str(outdir), context=FEATURE_FLAGS, validation=False, nag=False)
    stacks = app_stacks(app)
    output = render(stacks, PROFILES, config_path=str(config_path))
    manifest = json.loads((outdir / "manifest.json").read_text())
    return Planned(config_path, stacks, output, _deploy_commands(output), manifest)


def _manifest_stacks(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: artifact
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


def test_every_stack_is_deployed_once_with_its_accounts_profile(planned: Planned) -> None:
    # GIVEN the stacks of the cloud assembly the CLI deploys (15: 3 services x 3 + 6 shared)
    stacks = _manifest_stacks(planned.manifest)
    assert len(stacks) == 15
    profile_of_account = {STAGING_ACCOUNT: "staging", PRODUCTION_ACCOUNT: "production"}
    expected = {
        name: profile_of_account[artifact["environment"].split("/")[2]]
        for name, artifact in stacks.items()
    }
    # WHEN the plan's deploy commands are read
    deployed: dict[str, str] = {}
    for profile, names in planned.deploys:
        for name in names:
            assert name not in deployed, f"{name} is deployed twice"
            deployed[name] = profile
    # THEN each stack is deployed exactly once, by a command with its account's profile
    assert deployed == expected


def test_every_stack_is_deployed_after_what_it_depends_on(planned: Planned) -> None:
    stacks = _manifest_stacks(planned.manifest)
    order = [name for _, names in planned.deploys for name in names]
    for name, artifact in stacks.items():
        # the manifest's dependencies are what the CLI orders by (cross-stack references too)
        for dependency in artifact.get("dependencies", []):
            if dependency in stacks:
                assert order.index(dependency) < order.index(name), (name, dependency)
    # the service stacks need their network through cross-stack references: that is seen too
    assert "container-delivery-network-production" in stacks["billing-production"]["dependencies"]


def test_the_app_stacks_carry_cross_stack_reference_dependencies(planned: Planned) -> None:
    # GIVEN the billing service stacks, which use their network's cluster and alarm topic
    nodes = {stack.name: stack for stack in planned.stacks}
    # THEN the references count as dependencies, like add_stack_dependency ones
    assert nodes["billing-production"] == StackNode(
        "billing-production",
        PRODUCTION_ACCOUNT,
        "us-east-1",
        ("container-delivery-network-production",),
    )
    assert nodes["container-delivery-pipeline-billing"].dependencies == (
        "container-delivery-github-staging",
        "container-delivery-registry-staging",
    )


def test_two_deploy_commands_suffice_production_first(planned: Planned) -> None:
    # the staging registry needs production's registry policy; nothing in production needs
    # staging, so one command per account does it
    assert [profile for profile, _ in planned.deploys] == ["production", "staging"]


def test_bootstrap_covers_both_account_and_region_pairs(planned: Planned) -> None:
    bootstraps = [line for line in planned.output.splitlines() if " bootstrap " in line]
    assert bootstraps == [
        f"npx cdk bootstrap aws://{STAGING_ACCOUNT}/eu-west-1 --profile staging",
        f"npx cdk bootstrap aws://{PRODUCTION_ACCOUNT}/us-east-1 --profile production",
    ]


def test_the_plan_exports_the_config_it_was_made_for(planned: Planned) -> None:
    assert f"export CONTAINER_DELIVERY_CONFIG={planned.config_path}\n" in planned.output


def test_the_command_prints_the_plan_for_a_config_file(planned: Planned) -> None:
    # GIVEN the config file, named relative to the working directory, and a production profile
    relative = os.path.relpath(planned.config_path, ROOT)
    # WHEN a user runs the command
    result = subprocess.run(  # noqa: S603 - fixed command, our own module
        [
            sys.executable,
            "-m",
            "container_delivery.plan",
            "--config",
            relative,
            "--production-profile",
            "prod-admin",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    # THEN it succeeds and prints the same plan, with the absolute config path and that profile
    assert result.returncode == 0, result.stderr
    assert result.stdout == planned.output.replace("--profile production", "--profile prod-admin")
    assert result.stdout.startswith("# Run in the project directory")
