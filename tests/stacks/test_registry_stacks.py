"""The reference app's registry stacks, built from the default config."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk.assertions import Template

from container_delivery.config import RegistrySettings, load_config
from container_delivery.constructs.registry import ServiceRepository
from container_delivery.stacks.registry import (
    DESTINATION_STACK_NAME,
    SOURCE_STACK_NAME,
    RegistryStacks,
    add_registry_stacks,
)
from tests.helpers import (
    PRODUCTION_ACCOUNT,
    REGION,
    STAGING_ACCOUNT,
    cfn_lint,
    nag_findings,
    new_app,
)

SERVICES = ["webapp", "orders-worker"]


@pytest.fixture(scope="module")
def stacks() -> RegistryStacks:
    return add_registry_stacks(new_app(), load_config())


@pytest.fixture(scope="module")
def source(stacks: RegistryStacks) -> Template:
    return Template.from_stack(stacks.source)


@pytest.fixture(scope="module")
def destination(stacks: RegistryStacks) -> Template:
    return Template.from_stack(stacks.destination)


def test_stacks_have_names_and_explicit_environments(stacks: RegistryStacks) -> None:
    assert stacks.source.stack_name == SOURCE_STACK_NAME == "container-delivery-registry-staging"
    assert (
        stacks.destination.stack_name
        == DESTINATION_STACK_NAME
        == "container-delivery-registry-production"
    )
    assert (stacks.source.account, stacks.source.region) == (STAGING_ACCOUNT, REGION)
    assert (stacks.destination.account, stacks.destination.region) == (PRODUCTION_ACCOUNT, REGION)


def test_production_side_deploys_first(stacks: RegistryStacks) -> None:
    assert stacks.destination in stacks.source.dependencies


def test_one_repository_per_service_exposed_by_name(
    stacks: RegistryStacks, source: Template
) -> None:
    assert list(stacks.repositories) == SERVICES
    assert all(isinstance(repo, ServiceRepository) for repo in stacks.repositories.values())
    for name in SERVICES:
        source.has_resource_properties(
            "AWS::ECR::Repository", {"RepositoryName": name, "ImageTagMutability": "IMMUTABLE"}
        )


def test_every_service_replicates_to_production_in_one_rule(source: Template) -> None:
    source.resource_count_is("AWS::ECR::ReplicationConfiguration", 1)
    source.has_resource_properties(
        "AWS::ECR::ReplicationConfiguration",
        {
            "ReplicationConfiguration": {
                "Rules": [
                    {
                        "Destinations": [{"Region": REGION, "RegistryId": PRODUCTION_ACCOUNT}],
                        "RepositoryFilters": [
                            {"Filter": n, "FilterType": "PREFIX_MATCH"} for n in SERVICES
                        ],
                    }
                ]
            }
        },
    )


def test_production_allows_the_staging_account_only(destination: Template) -> None:
    policy = next(iter(destination.find_resources("AWS::ECR::RegistryPolicy").values()))[
        "Properties"
    ]["PolicyText"]
    assert [s["Principal"] for s in policy["Statement"]] == [
        {"AWS": f"arn:aws:iam::{STAGING_ACCOUNT}:root"}
    ]
    assert policy["Statement"][0]["Resource"] == [
        f"arn:aws:ecr:{REGION}:{PRODUCTION_ACCOUNT}:repository/{name}*" for name in SERVICES
    ]


def test_production_has_the_creation_template_and_no_repository(destination: Template) -> None:
    destination.resource_count_is("AWS::ECR::RepositoryCreationTemplate", 1)
    destination.resource_count_is("AWS::ECR::Repository", 0)


def test_replication_failures_are_watched_where_ecr_emits_them(
    source: Template, destination: Template
) -> None:
    # ECR emits "ECR Replication Action" in the destination registry's account and region: a rule
    # in staging would never fire.
    source.resource_count_is("AWS::Events::Rule", 0)
    source.resource_count_is("AWS::SNS::Topic", 0)
    destination.resource_count_is("AWS::Events::Rule", 1)
    destination.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "platform-team@example.com"}
    )
    rule = next(iter(destination.find_resources("AWS::Events::Rule").values()))["Properties"]
    assert rule["EventPattern"]["detail-type"] == ["ECR Replication Action"]
    assert rule["EventPattern"]["detail"]["result"] == ["FAILED"]
    assert rule["EventPattern"]["detail"]["source-account"] == [STAGING_ACCOUNT]


def test_registry_wide_singletons_follow_the_config() -> None:
    # GIVEN the organisation's scanning is left alone (default) in one app ...
    default = add_registry_stacks(new_app(), load_config())
    for stack in (default.source, default.destination):
        Template.from_stack(stack).resource_count_is("AWS::ECR::RegistryScanningConfiguration", 0)
    # ... and owned by the app, with an existing creation template kept, in another
    config = load_config().model_copy(
        update={"registry": RegistrySettings(manage_scanning=True, creation_template=False)}
    )
    owned = add_registry_stacks(new_app(), config)
    for stack in (owned.source, owned.destination):
        Template.from_stack(stack).resource_count_is("AWS::ECR::RegistryScanningConfiguration", 1)
    Template.from_stack(owned.destination).resource_count_is(
        "AWS::ECR::RepositoryCreationTemplate", 0
    )


def test_registry_stacks_are_nag_and_lint_clean(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    add_registry_stacks(app, load_config())
    assert nag_findings(app, tmp_path) == []
    templates = sorted(str(p) for p in tmp_path.glob("*.template.json"))
    assert len(templates) == 2
    assert cfn_lint(templates) == ""
