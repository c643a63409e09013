"""SourceRegistry: one replication configuration for every service, limits, overlap warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk.assertions import Annotations, Match, Template

from container_delivery.constructs.registry import (
    MAX_DESTINATIONS,
    MAX_FILTERS_PER_RULE,
    MAX_RULES,
    ReplicationDestination,
    ServiceRepository,
    SourceRegistry,
)
from tests.helpers import (
    PRODUCTION_ACCOUNT,
    REGION,
    STAGING_ACCOUNT,
    nag_findings,
    new_app,
    new_stack,
)

PROD = ReplicationDestination(PRODUCTION_ACCOUNT, REGION)
DR = ReplicationDestination(PRODUCTION_ACCOUNT, "eu-central-1")


@pytest.fixture(scope="module")
def two_services() -> cdk.Stack:
    # GIVEN two services, each getting the stack's registry through SourceRegistry.of
    stack = new_stack()
    for name in ("webapp", "orders-worker"):
        ServiceRepository(
            stack,
            name,
            repository_name=name,
            registry=SourceRegistry.of(stack),
            replicate_to=[PROD],
        )
    # and a third one replicating to two destinations
    SourceRegistry.of(stack).replicate("reports", destinations=[PROD, DR])
    return stack


@pytest.fixture(scope="module")
def template(two_services: cdk.Stack) -> Template:
    return Template.from_stack(two_services)


def _filters(names: list[str], kind: str = "PREFIX_MATCH") -> list[dict[str, str]]:
    return [{"Filter": name, "FilterType": kind} for name in names]


def test_two_services_share_one_replication_configuration(template: Template) -> None:
    # THEN there is ONE replication configuration, holding both services
    template.resource_count_is("AWS::ECR::ReplicationConfiguration", 1)
    template.has_resource_properties(
        "AWS::ECR::ReplicationConfiguration",
        {
            "ReplicationConfiguration": {
                "Rules": [
                    {
                        "Destinations": [{"Region": REGION, "RegistryId": PRODUCTION_ACCOUNT}],
                        "RepositoryFilters": _filters(["webapp", "orders-worker"]),
                    },
                    {
                        "Destinations": [
                            {"Region": REGION, "RegistryId": PRODUCTION_ACCOUNT},
                            {"Region": "eu-central-1", "RegistryId": PRODUCTION_ACCOUNT},
                        ],
                        "RepositoryFilters": _filters(["reports"]),
                    },
                ]
            }
        },
    )


def test_of_returns_the_same_registry_per_stack(two_services: cdk.Stack) -> None:
    assert SourceRegistry.of(two_services) is SourceRegistry.of(
        two_services.node.find_child("webapp")
    )
    assert SourceRegistry.of(new_stack("Other")) is not SourceRegistry.of(two_services)


def test_the_registry_scanning_is_left_alone_by_default(
    two_services: cdk.Stack, template: Template
) -> None:
    # A registry scanning configuration replaces the registry's own: BASIC would switch off an
    # organisation's Inspector enhanced scanning for the whole registry.
    template.resource_count_is("AWS::ECR::RegistryScanningConfiguration", 0)
    assert SourceRegistry.of(two_services).scanning_configuration is None
    # each repository still scans on push by itself
    for repository in template.find_resources("AWS::ECR::Repository").values():
        assert repository["Properties"]["ImageScanningConfiguration"] == {"ScanOnPush": True}


def test_scan_without_managed_scanning_says_how_to_opt_in() -> None:
    with pytest.raises(ValueError, match=r"scan\('webapp'\) needs manage_scanning=True"):
        _registry().scan("webapp")


def test_registered_repositories_are_scanned_on_push_by_one_scanning_configuration() -> None:
    # GIVEN a registry that manages scanning, and two services registering into it
    stack = new_stack()
    SourceRegistry(stack, SourceRegistry.DEFAULT_ID, manage_scanning=True)
    for name in ("webapp", "orders-worker"):
        ServiceRepository(
            stack,
            name,
            repository_name=name,
            registry=SourceRegistry.of(stack),
            replicate_to=[PROD],
        )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ECR::RegistryScanningConfiguration", 1)
    template.has_resource_properties(
        "AWS::ECR::RegistryScanningConfiguration",
        {
            "ScanType": "BASIC",
            "Rules": [
                {
                    "ScanFrequency": "SCAN_ON_PUSH",
                    "RepositoryFilters": _filters(["webapp", "orders-worker"], "WILDCARD"),
                }
            ],
        },
    )


def test_nothing_is_created_until_something_registers() -> None:
    stack = new_stack()
    registry = SourceRegistry.of(stack)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ECR::ReplicationConfiguration", 0)
    template.resource_count_is("AWS::ECR::RegistryScanningConfiguration", 0)
    assert registry.replication_configuration is None
    assert registry.scanning_configuration is None


def test_a_prefix_registered_again_with_another_destination_moves_to_a_merged_rule() -> None:
    stack = new_stack()
    registry = SourceRegistry.of(stack)
    registry.replicate("webapp", destinations=[PROD])
    registry.replicate("api", destinations=[PROD])
    registry.replicate("webapp", destinations=[DR])
    assert registry.rules() == [((PROD,), ["api"]), ((PROD, DR), ["webapp"])]


def test_enhanced_continuous_scanning() -> None:
    stack = new_stack()
    registry = SourceRegistry(
        stack, "Registry", manage_scanning=True, scan_type="ENHANCED", continuous_scan=True
    )
    registry.scan("team-*")
    Template.from_stack(stack).has_resource_properties(
        "AWS::ECR::RegistryScanningConfiguration",
        {
            "ScanType": "ENHANCED",
            "Rules": [Match.object_like({"ScanFrequency": "CONTINUOUS_SCAN"})],
        },
    )


def test_prefix_that_matches_another_repository_warns() -> None:
    # GIVEN 'app' and 'apples' both registered
    stack = new_stack()
    registry = SourceRegistry.of(stack)
    registry.replicate("app", destinations=[PROD])
    registry.replicate("apples", destinations=[PROD])
    registry.replicate("orders", destinations=[PROD])
    # THEN one warning names the pair, with the project's id
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("."))
    texts = [str(w.entry.data) for w in warnings]
    overlap = [t for t in texts if "container-delivery:prefix-overlap" in t]
    assert len(overlap) == 1, texts
    assert (
        "The replication filter 'app' (PREFIX_MATCH) also matches the repository 'apples'"
        in overlap[0]
    )


def _registry() -> SourceRegistry:
    return SourceRegistry.of(new_stack())


def test_too_many_rules_fail() -> None:
    registry = _registry()
    for index in range(MAX_RULES):
        registry.replicate(
            f"svc{index}",
            destinations=[
                ReplicationDestination(PRODUCTION_ACCOUNT, f"eu-west-{index % 3 + 1}"),
                ReplicationDestination(f"3333333333{index:02d}", REGION),
            ],
        )
    with pytest.raises(
        ValueError,
        match=r"^SourceRegistry 'Test/SourceRegistry': replicate\('extra'\): 11 replication rules \(one per "
        r"distinct set of destinations\); ECR allows 10 per registry",
    ):
        registry.replicate("extra", destinations=[ReplicationDestination("444444444444", REGION)])


def test_too_many_destinations_fail() -> None:
    registry = _registry()
    many = [
        ReplicationDestination(f"5555555555{i:02d}", REGION) for i in range(MAX_DESTINATIONS + 1)
    ]
    with pytest.raises(
        ValueError, match=r"26 distinct destinations across all rules; ECR allows 25"
    ):
        registry.replicate("webapp", destinations=many)


def test_too_many_filters_in_one_rule_fail() -> None:
    registry = _registry()
    for index in range(MAX_FILTERS_PER_RULE):
        registry.replicate(f"svc-{index:03d}", destinations=[PROD])
    with pytest.raises(
        ValueError,
        match=rf"the rule for {PRODUCTION_ACCOUNT}/{REGION} would hold 101 repository filters; ECR "
        r"allows 100 per rule",
    ):
        registry.replicate("one-more", destinations=[PROD])
    # the failed registration left the configuration unchanged
    assert len(registry.rules()[0][1]) == MAX_FILTERS_PER_RULE


@pytest.mark.parametrize(
    ("prefix", "destinations", "message"),
    [
        ("webapp", [], r"replicate\('webapp'\): no destination given"),
        (
            "webapp",
            [ReplicationDestination("12345", REGION)],
            r"destination of 'webapp': '12345' is not a 12-digit AWS account id",
        ),
        (
            "webapp",
            [ReplicationDestination(PRODUCTION_ACCOUNT, "Ireland")],
            r"destination of 'webapp': 'Ireland' is not an AWS region",
        ),
        (
            "webapp",
            [ReplicationDestination(PRODUCTION_ACCOUNT, "us-east-9")],
            r"destination of 'webapp': 'us-east-9' is not an AWS region \(did you mean 'us-east-",
        ),
        (
            "webapp",
            [ReplicationDestination(STAGING_ACCOUNT, REGION)],
            r"destination of 'webapp': 111111111111/eu-west-1 is the source registry itself",
        ),
        ("WebApp", [PROD], r"replicate: 'WebApp' is not a repository name prefix"),
    ],
)
def test_invalid_registration_fails(
    prefix: str, destinations: list[ReplicationDestination], message: str
) -> None:
    with pytest.raises(ValueError, match=rf"^SourceRegistry 'Test/SourceRegistry': .*{message}"):
        _registry().replicate(prefix, destinations=destinations)


def test_every_registration_problem_is_listed_at_once() -> None:
    with pytest.raises(
        ValueError,
        match=r"'1' is not a 12-digit.*'x' is not an AWS region.*'X' is not a repository",
    ):
        _registry().replicate("X", destinations=[ReplicationDestination("1", "x")])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scan_type": "FULL"}, r"scan_type: 'FULL' is not 'BASIC' or 'ENHANCED'"),
        ({"continuous_scan": True}, r"continuous_scan: True needs scan_type='ENHANCED'"),
    ],
)
def test_invalid_scan_settings_fail(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=rf"^SourceRegistry 'Test/Registry': {message}"):
        SourceRegistry(new_stack(), "Registry", **kwargs)


def test_invalid_scan_filter_fails() -> None:
    with pytest.raises(ValueError, match=r"scan filter 'Web App' is not a repository wildcard"):
        SourceRegistry(new_stack(), "Registry", manage_scanning=True).scan("Web App")


def test_of_refuses_a_foreign_construct_with_its_id() -> None:
    stack = new_stack()
    ecr.Repository(stack, SourceRegistry.DEFAULT_ID)
    with pytest.raises(
        ValueError, match=r"SourceRegistry.of: 'Test/SourceRegistry' exists and is a Repository"
    ):
        SourceRegistry.of(stack)


def test_no_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    stack = new_stack(app=app)
    ServiceRepository(
        stack,
        "Web",
        repository_name="webapp",
        registry=SourceRegistry.of(stack),
        replicate_to=[PROD],
    )
    assert nag_findings(app, tmp_path) == []
