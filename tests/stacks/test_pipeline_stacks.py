"""The reference app's pipeline stacks: accounts, the OIDC provider singleton, production access."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from container_delivery.config import load_config
from container_delivery.config.model import GitHub
from container_delivery.stacks.pipeline import (
    ACCESS_STACK,
    GITHUB_STACK,
    PipelineStacks,
    add_pipeline_stacks,
)
from tests.helpers import (
    PRODUCTION_ACCOUNT,
    REGION,
    STAGING_ACCOUNT,
    cfn_lint,
    nag_findings,
    new_app,
)


@pytest.fixture(scope="module")
def stacks() -> PipelineStacks:
    return add_pipeline_stacks(new_app(), load_config())


@pytest.fixture(scope="module")
def templates(stacks: PipelineStacks) -> dict[str, dict[str, Any]]:
    all_stacks: list[cdk.Stack] = [*stacks.pipelines.values()]
    assert stacks.access is not None and stacks.github is not None
    all_stacks += [stacks.access, stacks.github]
    return {stack.stack_name: dict(Template.from_stack(stack).to_json()) for stack in all_stacks}


def _resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def _flat(value: Any) -> str:
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_flat(part) for part in value["Fn::Join"][1])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    return str(value)


def test_each_stack_is_in_its_account_with_its_name(stacks: PipelineStacks) -> None:
    assert stacks.github is not None and stacks.access is not None
    placed = {
        stack.stack_name: (stack.account, stack.region)
        for stack in [*stacks.pipelines.values(), stacks.access, stacks.github]
    }
    assert placed == {
        "container-delivery-pipeline-webapp": (STAGING_ACCOUNT, REGION),
        "container-delivery-pipeline-orders-worker": (STAGING_ACCOUNT, REGION),
        GITHUB_STACK: (STAGING_ACCOUNT, REGION),
        ACCESS_STACK: (PRODUCTION_ACCOUNT, REGION),
    }


def test_the_github_oidc_provider_exists_once_natively(
    templates: dict[str, dict[str, Any]], stacks: PipelineStacks
) -> None:
    providers = {
        name: _resources(template, "AWS::IAM::OIDCProvider") for name, template in templates.items()
    }
    assert {name: len(found) for name, found in providers.items() if found} == {GITHUB_STACK: 1}
    (provider,) = providers[GITHUB_STACK]
    assert provider["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]
    assert "Custom::AWSCDKOpenIdConnectProvider" not in json.dumps(templates)
    for pipeline in stacks.pipelines.values():
        assert stacks.github in pipeline.dependencies


def test_without_create_oidc_provider_the_existing_one_is_trusted_by_arn() -> None:
    config = load_config().model_copy(update={"github": GitHub(create_oidc_provider=False)})
    result = add_pipeline_stacks(new_app(), config)
    assert result.github is None
    role = next(
        r
        for r in _resources(
            dict(Template.from_stack(result.pipelines["webapp"]).to_json()), "AWS::IAM::Role"
        )
        if r.get("RoleName") == "container-delivery-github-webapp"
    )
    federated = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"]
    assert _flat(federated) == (
        f"arn:<AWS::Partition>:iam::{STAGING_ACCOUNT}:oidc-provider/"
        "token.actions.githubusercontent.com"
    )


def test_a_service_named_like_the_cache_prefix_is_refused() -> None:
    config = load_config()
    build = config.services[0].model_copy(update={"name": "build"})
    with pytest.raises(
        ValueError,
        match="service 'build' is a prefix of the build cache repository 'build-cache/build'",
    ):
        add_pipeline_stacks(new_app(), config.model_copy(update={"services": (build,)}))


def test_the_production_deploy_role_is_in_production_and_trusts_only_the_deployer(
    templates: dict[str, dict[str, Any]],
) -> None:
    access = templates[ACCESS_STACK]
    roles = {r["RoleName"]: r for r in _resources(access, "AWS::IAM::Role")}
    assert set(roles) == {
        "container-delivery-deploy-webapp",
        "container-delivery-deploy-webapp-cfn",
        "container-delivery-deploy-orders-worker",
        "container-delivery-deploy-orders-worker-cfn",
        "container-delivery-promotion-read-webapp",
        "container-delivery-promotion-read-orders-worker",
    }
    (trust,) = roles["container-delivery-deploy-webapp"]["AssumeRolePolicyDocument"]["Statement"]
    assert _flat(trust["Principal"]["AWS"]) == f"arn:aws:iam::{STAGING_ACCOUNT}:root"
    assert _flat(trust["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == (
        f"arn:<AWS::Partition>:iam::{STAGING_ACCOUNT}:role/container-delivery-deployer-webapp"
    )


def test_the_production_deploy_role_may_update_only_the_production_service_stack(
    templates: dict[str, dict[str, Any]],
) -> None:
    access = templates[ACCESS_STACK]
    policies = [
        p
        for p in _resources(access, "AWS::IAM::ManagedPolicy")
        if "stack webapp-production with its own" in p["Description"]
    ]
    assert len(policies) == 1
    statements = {s["Sid"]: s for s in policies[0]["PolicyDocument"]["Statement"]}
    assert _flat(statements["UpdateTheServiceStackWithItsRole"]["Resource"]) == (
        f"arn:<AWS::Partition>:cloudformation:{REGION}:{PRODUCTION_ACCOUNT}:"
        "stack/webapp-production/*"
    )
    # It may pass only the stack's own execution role, never the bootstrap cfn-exec-role.
    assert _flat(statements["PassTheStackExecutionRole"]["Resource"]) == (
        f"arn:<AWS::Partition>:iam::{PRODUCTION_ACCOUNT}:role/container-delivery-deploy-webapp-cfn"
    )
    assert "cfn-exec-role" not in json.dumps(access)


def _actions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (pipeline,) = _resources(template, "AWS::CodePipeline::Pipeline")
    return {a["Name"]: a for stage in pipeline["Stages"] for a in stage["Actions"]}


def test_the_approval_links_to_the_staging_url_the_deploy_read(
    templates: dict[str, dict[str, Any]],
) -> None:
    webapp = _actions(templates["container-delivery-pipeline-webapp"])["Approve"]
    assert webapp["Configuration"]["ExternalEntityLink"] == "#{DeployStaging.SERVICE_URL}"
    assert (
        _actions(templates["container-delivery-pipeline-webapp"])["DeployStaging"]["Namespace"]
        == "DeployStaging"
    )
    worker = _actions(templates["container-delivery-pipeline-orders-worker"])["Approve"]
    assert "ExternalEntityLink" not in worker["Configuration"]


def test_the_build_runs_on_the_service_architecture(templates: dict[str, dict[str, Any]]) -> None:
    def build_type(name: str) -> str:
        template = templates[f"container-delivery-pipeline-{name}"]
        project_id = _actions(template)["BuildAndGate"]["Configuration"]["ProjectName"]["Ref"]
        return template["Resources"][project_id]["Properties"]["Environment"]["Type"]  # type: ignore[no-any-return]

    assert build_type("webapp") == "ARM_CONTAINER"
    assert build_type("orders-worker") == "LINUX_CONTAINER"


def test_the_promotion_waits_for_the_production_registry(
    templates: dict[str, dict[str, Any]],
) -> None:
    template = templates["container-delivery-pipeline-webapp"]
    functions = _resources(template, "AWS::Lambda::Function")
    variables = json.dumps([f.get("Environment", {}) for f in functions])
    assert "container-delivery-promotion-read-webapp" in variables
    roles = [r.get("RoleName") for r in _resources(template, "AWS::IAM::Role")]
    assert "container-delivery-promote-webapp" in roles


def test_the_pipeline_stacks_pass_every_nag_pack_and_cfn_lint(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    add_pipeline_stacks(app, load_config())
    assert nag_findings(app, tmp_path) == []
    templates = sorted(str(path) for path in tmp_path.glob("*.template.json"))
    assert len(templates) == 4
    assert cfn_lint(templates) == ""
