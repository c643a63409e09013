"""DestinationRegistry and ReplicationMonitor: registry policy, creation template, events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from container_delivery.constructs.registry import (
    DestinationRegistry,
    ReplicationMonitor,
    lifecycle_policy_text,
)
from tests.helpers import (
    PRODUCTION_ACCOUNT,
    REGION,
    STAGING_ACCOUNT,
    nag_findings,
    new_app,
    new_stack,
)

OTHER_SOURCE = "333333333333"


@pytest.fixture(scope="module")
def template() -> Template:
    # GIVEN the production registry allowing two source accounts
    stack = new_stack("Prod", account=PRODUCTION_ACCOUNT)
    registry = DestinationRegistry.of(stack)
    registry.allow_replication(
        source_account=STAGING_ACCOUNT, repository_prefixes=["webapp", "orders-worker"]
    )
    DestinationRegistry.of(stack).allow_replication(
        source_account=OTHER_SOURCE, repository_prefixes=["reports"]
    )
    ReplicationMonitor(
        stack,
        "Monitor",
        emails=["platform@example.com"],
        source_accounts=[STAGING_ACCOUNT],
        repository_prefixes=["webapp"],
    )
    return Template.from_stack(stack)


def _one(template: Template, kind: str) -> dict[str, Any]:
    found = template.find_resources(kind)
    assert len(found) == 1, found
    return dict(next(iter(found.values()))["Properties"])


def test_registry_policy_allows_only_replication_from_source_accounts_on_their_prefixes(
    template: Template,
) -> None:
    policy = _one(template, "AWS::ECR::RegistryPolicy")["PolicyText"]

    def arn(prefix: str) -> str:
        return f"arn:aws:ecr:{REGION}:{PRODUCTION_ACCOUNT}:repository/{prefix}*"

    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"ReplicationFrom{STAGING_ACCOUNT}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{STAGING_ACCOUNT}:root"},
                "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                "Resource": [arn("webapp"), arn("orders-worker")],
            },
            {
                "Sid": f"ReplicationFrom{OTHER_SOURCE}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER_SOURCE}:root"},
                "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                "Resource": [arn("reports")],
            },
        ],
    }


def test_creation_template_gives_replicated_repositories_the_service_repository_settings(
    template: Template,
) -> None:
    properties = _one(template, "AWS::ECR::RepositoryCreationTemplate")
    assert properties["AppliedFor"] == ["REPLICATION"]
    assert properties["Prefix"] == "ROOT"
    assert properties["ImageTagMutability"] == "IMMUTABLE"
    assert properties["EncryptionConfiguration"] == {"EncryptionType": "AES256"}
    # the same text as ServiceRepository's: one function builds both
    assert properties["LifecyclePolicy"] == lifecycle_policy_text()
    rules = json.loads(properties["LifecyclePolicy"])["rules"]
    assert rules[0]["selection"]["tagPrefixList"] == ["release-"]
    assert "CustomRoleArn" not in properties  # AES256 and no tags need no role


def test_the_registry_scanning_is_left_alone_by_default(template: Template) -> None:
    # It is one per account and region: BASIC would switch off Inspector enhanced scanning.
    template.resource_count_is("AWS::ECR::RegistryScanningConfiguration", 0)


def test_replicated_prefixes_are_scanned_on_push_when_asked() -> None:
    stack = new_stack("Prod", account=PRODUCTION_ACCOUNT)
    registry = DestinationRegistry(stack, "Registry", scan_on_push=True)
    registry.allow_replication(
        source_account=STAGING_ACCOUNT, repository_prefixes=["webapp", "orders-worker"]
    )
    assert _one(Template.from_stack(stack), "AWS::ECR::RegistryScanningConfiguration") == {
        "ScanType": "BASIC",
        "Rules": [
            {
                "ScanFrequency": "SCAN_ON_PUSH",
                "RepositoryFilters": [
                    {"Filter": f"{p}*", "FilterType": "WILDCARD"}
                    for p in ("webapp", "orders-worker")
                ],
            }
        ],
    }


def test_an_existing_creation_template_can_be_kept() -> None:
    # GIVEN the organisation already has a ROOT creation template (a second one fails to create)
    stack = new_stack("Prod", account=PRODUCTION_ACCOUNT)
    registry = DestinationRegistry(
        stack, "Registry", creation_template=False, encryption_key=kms.Key(stack, "Key")
    )
    registry.allow_replication(source_account=STAGING_ACCOUNT, repository_prefixes=["webapp"])
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ECR::RepositoryCreationTemplate", 0)
    template.resource_count_is("AWS::IAM::Role", 0)  # nor the role only the template uses
    assert registry.creation_template is None
    template.resource_count_is("AWS::ECR::RegistryPolicy", 1)


def test_no_cross_account_pull_is_granted(template: Template) -> None:
    policy = json.dumps(_one(template, "AWS::ECR::RegistryPolicy"))
    assert "ecr:BatchGetImage" not in policy and "ecr:GetDownloadUrlForLayer" not in policy


def test_monitor_rule_matches_failed_replications_and_notifies_the_topic(
    template: Template,
) -> None:
    rule = _one(template, "AWS::Events::Rule")
    assert rule["EventPattern"] == {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Replication Action"],
        "detail": {
            "result": ["FAILED"],
            "action-type": ["REPLICATE"],
            "source-account": [STAGING_ACCOUNT],
            "repository-name": [{"prefix": "webapp"}],
        },
    }
    assert rule["Targets"][0]["Arn"]["Ref"].startswith("MonitorTopic")


def test_monitor_topic_is_kms_encrypted_tls_only_with_email_subscriptions(
    template: Template,
) -> None:
    topic = _one(template, "AWS::SNS::Topic")
    assert topic["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith("MonitorTopicKey")
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    statements = _one(template, "AWS::SNS::TopicPolicy")["PolicyDocument"]["Statement"]
    assert statements[0]["Action"] == "sns:Publish"
    assert statements[0]["Principal"] == "*"
    assert statements[0]["Effect"] == "Deny"
    assert statements[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements[1]["Principal"] == {"Service": "events.amazonaws.com"}
    assert statements[1]["Action"] == "sns:Publish"
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "platform@example.com"}
    )


def test_eventbridge_may_use_the_topic_key_only_through_sns(template: Template) -> None:
    key_policy = _one(template, "AWS::KMS::Key")["KeyPolicy"]["Statement"]
    assert {
        "Sid": "EventsPublishToTopic",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Condition": {"StringEquals": {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}},
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Resource": "*",
    } in key_policy


def test_a_given_topic_is_used_instead_of_creating_one() -> None:
    stack = new_stack()
    topic = sns.Topic.from_topic_arn(
        stack, "Existing", f"arn:aws:sns:{REGION}:{STAGING_ACCOUNT}:ops"
    )
    monitor = ReplicationMonitor(stack, "Monitor", topic=topic)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SNS::Topic", 0)
    assert monitor.key is None
    template.has_resource_properties(
        "AWS::Events::Rule",
        {"Targets": [Match.object_like({"Arn": f"arn:aws:sns:{REGION}:{STAGING_ACCOUNT}:ops"})]},
    )


def test_kms_template_gets_a_creation_role_limited_to_the_registry_and_the_key() -> None:
    # GIVEN a creation template with a customer managed key and resource tags
    stack = new_stack("Prod", account=PRODUCTION_ACCOUNT)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    registry = DestinationRegistry(
        stack,
        "Registry",
        encryption_key=key,
        resource_tags={"team": "platform"},
        mutable_tags=["latest"],
    )
    template = Template.from_stack(stack)
    # THEN the template names the key and a role ECR assumes
    properties = _one(template, "AWS::ECR::RepositoryCreationTemplate")
    assert properties["EncryptionConfiguration"]["EncryptionType"] == "KMS"
    assert properties["EncryptionConfiguration"]["KmsKey"]["Fn::GetAtt"][0].startswith("Key")
    assert properties["CustomRoleArn"]["Fn::GetAtt"][0].startswith("RegistryCreationRole")
    assert properties["ResourceTags"] == [{"Key": "team", "Value": "platform"}]
    assert properties["ImageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert registry.creation_role is not None
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {"Statement": [Match.object_like({"Principal": {"Service": "ecr.amazonaws.com"}})]}
            )
        },
    )
    statements = _one(template, "AWS::IAM::ManagedPolicy")["PolicyDocument"]["Statement"]
    assert statements[0] == {
        "Sid": "CreateReplicatedRepositories",
        "Effect": "Allow",
        "Action": ["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"],
        "Resource": f"arn:aws:ecr:{REGION}:{PRODUCTION_ACCOUNT}:repository/*",
    }
    assert statements[1]["Sid"] == "EncryptWithTheTemplateKey"
    assert sorted(statements[1]["Action"]) == [
        "kms:CreateGrant",
        "kms:DescribeKey",
        "kms:RetireGrant",
    ]
    assert statements[1]["Resource"]["Fn::GetAtt"][0].startswith("Key")


def test_namespaced_template_warns_about_prefixes_outside_its_namespace() -> None:
    stack = new_stack("Prod", account=PRODUCTION_ACCOUNT)
    registry = DestinationRegistry(stack, "Registry", template_prefix="team-a")
    registry.allow_replication(
        source_account=STAGING_ACCOUNT, repository_prefixes=["team-a/api", "webapp"]
    )
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("."))
    texts = [
        str(w.entry.data)
        for w in warnings
        if "container-delivery:template-prefix" in str(w.entry.data)
    ]
    assert len(texts) == 1
    assert "repositories replicated under 'webapp' are created mutable" in texts[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"template_prefix": "Team A"},
            r"template_prefix: 'Team A' is not 'ROOT' or a lowercase repository namespace",
        ),
        ({"mutable_tags": ["release-1"]}, r"mutable_tags: 'release-1' can match release tags"),
        ({"keep_build_images": -1}, r"keep_build_images: -1 must be a whole number of at least 1"),
        ({"resource_tags": {"": "x"}}, r"resource_tags: ''='x': keys have 1 to 128 characters"),
        ({"scan_type": "DEEP"}, r"scan_type: 'DEEP' is not 'BASIC' or 'ENHANCED'"),
    ],
)
def test_invalid_props_fail(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=rf"^DestinationRegistry 'Prod/Registry': .*{message}"):
        DestinationRegistry(new_stack("Prod", account=PRODUCTION_ACCOUNT), "Registry", **kwargs)


@pytest.mark.parametrize(
    ("account", "prefixes", "message"),
    [
        ("1234", ["webapp"], r"source_account: '1234' is not a 12-digit AWS account id"),
        (
            PRODUCTION_ACCOUNT,
            ["webapp"],
            rf"source_account: '{PRODUCTION_ACCOUNT}' is this registry's own account",
        ),
        (STAGING_ACCOUNT, [], r"repository_prefixes: empty; name the replicated repositories"),
        (STAGING_ACCOUNT, ["Web"], r"repository_prefixes: 'Web' is not a repository name prefix"),
    ],
)
def test_invalid_replication_grant_fails(account: str, prefixes: list[str], message: str) -> None:
    registry = DestinationRegistry.of(new_stack("Prod", account=PRODUCTION_ACCOUNT))
    with pytest.raises(
        ValueError, match=rf"^DestinationRegistry 'Prod/DestinationRegistry': .*{message}"
    ):
        registry.allow_replication(source_account=account, repository_prefixes=prefixes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source_accounts": ["42"]}, r"source_accounts: '42' is not a 12-digit AWS account id"),
        ({"emails": ["ops"]}, r"emails: 'ops' is not an email address"),
    ],
)
def test_invalid_monitor_props_fail(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=rf"^ReplicationMonitor 'Test/Monitor': {message}"):
        ReplicationMonitor(new_stack(), "Monitor", **kwargs)


def test_no_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    stack = new_stack("Prod", account=PRODUCTION_ACCOUNT, app=app)
    DestinationRegistry.of(stack).allow_replication(
        source_account=STAGING_ACCOUNT, repository_prefixes=["webapp"]
    )
    ReplicationMonitor(stack, "Monitor", emails=["ops@example.com"])
    kms_stack = new_stack("ProdKms", account=PRODUCTION_ACCOUNT, app=app)
    DestinationRegistry(
        kms_stack, "Registry", encryption_key=kms.Key(kms_stack, "Key", enable_key_rotation=True)
    )
    assert nag_findings(app, tmp_path) == []
