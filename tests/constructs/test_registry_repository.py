"""ServiceRepository: properties, lifecycle JSON, grants, validation, nag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from container_delivery.constructs.registry import (
    RELEASE_KEEP_COUNT,
    ReplicationDestination,
    ServiceRepository,
    SourceRegistry,
    lifecycle_policy_text,
)
from tests.helpers import REGION, STAGING_ACCOUNT, nag_findings, new_app, new_stack

REPOSITORY = "AWS::ECR::Repository"


@pytest.fixture(scope="module")
def template() -> Template:
    stack = new_stack()
    default = ServiceRepository(stack, "Web", repository_name="webapp")
    role = iam.Role(stack, "Builder", assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"))
    default.grant_push(role)
    puller = iam.Role(stack, "Puller", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    default.grant_pull(puller)
    promoter = iam.Role(stack, "Promoter", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    default.grant_tag_release(promoter)
    ServiceRepository(
        stack,
        "Worker",
        repository_name="orders-worker",
        mutable_tags=["latest", "dev-*"],
        encryption_key=kms.Key(stack, "Key", enable_key_rotation=True),
        keep_build_images=10,
        untagged_image_days=3,
        release_tag_prefix="rel-",
    )
    return Template.from_stack(stack)


def _repository(template: Template, name: str) -> dict[str, Any]:
    found = template.find_resources(REPOSITORY, {"Properties": {"RepositoryName": name}})
    assert len(found) == 1, found
    return dict(next(iter(found.values())))


def _lifecycle(template: Template, name: str) -> list[dict[str, Any]]:
    text = _repository(template, name)["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"]
    return json.loads(text)["rules"]  # type: ignore[no-any-return]


def test_default_repository_is_immutable_scanned_aes256_and_retained(template: Template) -> None:
    # GIVEN a ServiceRepository with defaults (WHEN synthesized)
    repository = _repository(template, "webapp")
    # THEN tags are immutable, images scanned on push, AES256, and the repository is retained
    assert repository["Properties"]["ImageTagMutability"] == "IMMUTABLE"
    assert "ImageTagMutabilityExclusionFilters" not in repository["Properties"]
    assert repository["Properties"]["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert repository["Properties"]["EncryptionConfiguration"] == {"EncryptionType": "AES256"}
    assert repository["DeletionPolicy"] == "Retain"
    assert repository["UpdateReplacePolicy"] == "Retain"


def test_declared_mutable_tags_become_exclusion_filters(template: Template) -> None:
    properties = _repository(template, "orders-worker")["Properties"]
    assert properties["ImageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert properties["ImageTagMutabilityExclusionFilters"] == [
        {
            "ImageTagMutabilityExclusionFilterType": "WILDCARD",
            "ImageTagMutabilityExclusionFilterValue": "latest",
        },
        {
            "ImageTagMutabilityExclusionFilterType": "WILDCARD",
            "ImageTagMutabilityExclusionFilterValue": "dev-*",
        },
    ]


def test_kms_key_encrypts_the_repository(template: Template) -> None:
    encryption = _repository(template, "orders-worker")["Properties"]["EncryptionConfiguration"]
    assert encryption["EncryptionType"] == "KMS"
    assert encryption["KmsKey"]["Fn::GetAtt"][0].startswith("Key")


def test_release_tags_are_protected_by_the_top_priority_rule(template: Template) -> None:
    # GIVEN the default lifecycle policy
    rules = _lifecycle(template, "webapp")
    # THEN rule 1 selects release-tagged images with a count they can never exceed
    assert [rule["rulePriority"] for rule in rules] == [1, 2, 3]
    first = rules[0]
    assert first["selection"] == {
        "tagStatus": "tagged",
        "tagPrefixList": ["release-"],
        "countType": "imageCountMoreThan",
        "countNumber": RELEASE_KEEP_COUNT,
    }
    assert RELEASE_KEEP_COUNT >= 100_000


def test_untagged_images_expire_after_days_and_build_images_are_capped(template: Template) -> None:
    rules = _lifecycle(template, "webapp")
    assert rules[1]["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14,
    }
    assert rules[2]["selection"] == {
        "tagStatus": "tagged",
        "tagPrefixList": ["git-"],
        "countType": "imageCountMoreThan",
        "countNumber": 50,
    }
    assert all(rule["action"] == {"type": "expire"} for rule in rules)
    # no rule selects "any": nothing but untagged and build-tagged images can expire
    assert {rule["selection"]["tagStatus"] for rule in rules} == {"tagged", "untagged"}


def test_lifecycle_settings_are_configurable(template: Template) -> None:
    rules = _lifecycle(template, "orders-worker")
    assert rules[0]["selection"]["tagPrefixList"] == ["rel-"]
    assert rules[1]["selection"]["countNumber"] == 3
    assert rules[2]["selection"]["countNumber"] == 10


def test_lifecycle_text_is_the_shared_function_output(template: Template) -> None:
    text = _repository(template, "webapp")["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"]
    assert text == lifecycle_policy_text()


def _statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if policy["Properties"]["Roles"][0]["Ref"].startswith(role_prefix)
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_grant_push_allows_layer_upload_and_put_image_on_the_repository(template: Template) -> None:
    statements = _statements(template, "Builder")
    on_repo = [s for s in statements if s["Resource"] != "*"]
    assert sorted(on_repo[0]["Action"]) == sorted(
        [
            "ecr:BatchCheckLayerAvailability",
            "ecr:CompleteLayerUpload",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
            "ecr:UploadLayerPart",
        ]
    )
    assert on_repo[0]["Resource"]["Fn::GetAtt"][0].startswith("Web")
    assert {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"} in statements


def test_grant_pull_allows_reading_images_only(template: Template) -> None:
    statements = _statements(template, "Puller")
    on_repo = [s for s in statements if s["Resource"] != "*"]
    assert sorted(on_repo[0]["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert on_repo[0]["Resource"]["Fn::GetAtt"][0].startswith("Web")


def test_grant_tag_release_allows_put_image_of_an_existing_manifest(template: Template) -> None:
    statements = _statements(template, "Promoter")
    assert len(statements) == 1
    assert sorted(statements[0]["Action"]) == [
        "ecr:BatchGetImage",
        "ecr:DescribeImageReplicationStatus",
        "ecr:DescribeImages",
        "ecr:PutImage",
    ]
    assert statements[0]["Resource"]["Fn::GetAtt"][0].startswith("Web")


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"repository_name": "Web-App"},
            r"repository_name: 'Web-App' is not a valid ECR repository name .*try 'web-app'",
        ),
        (
            {"repository_name": "a"},
            r"repository_name: 'a' is 1 characters; ECR names have 2 to 256",
        ),
        (
            {"repository_name": "prod-webapp"},
            r"'prod-webapp' starts with an environment; the repository has the same name in "
            r"staging and production .*try 'webapp'",
        ),
        (
            {"repository_name": "webapp-prod"},
            r"repository_name: 'webapp-prod' ends with an environment; .*try 'webapp'",
        ),
        ({"mutable_tags": ["release-*"]}, r"mutable_tags: 'release-\*' can match release tags"),
        ({"mutable_tags": ["*"]}, r"mutable_tags: '\*' can match release tags"),
        ({"mutable_tags": ["git-abc"]}, r"mutable_tags: 'git-abc' can match build tags"),
        ({"mutable_tags": ["a b"]}, r"mutable_tags: 'a b' is not a tag filter"),
        (
            {"mutable_tags": ["a", "b", "c", "d", "e", "f"]},
            r"6 filters given; ECR allows at most 5",
        ),
        ({"keep_build_images": 0}, r"keep_build_images: 0 must be a whole number of at least 1"),
        ({"untagged_image_days": 4000}, r"untagged_image_days: 4000 is more than 3650"),
        (
            {"release_tag_prefix": "g"},
            r"release_tag_prefix 'g' and build_tag_prefix 'git-' overlap",
        ),
        (
            {"build_tag_prefix": "git sha"},
            r"build_tag_prefix: 'git sha' is not an image tag prefix",
        ),
        (
            {"replicate_to": [object()]},
            r"replicate_to: destinations given without registry; pass registry=SourceRegistry.of\(self\)",
        ),
    ],
)
def test_invalid_props_fail_with_one_message(props: dict[str, Any], message: str) -> None:
    stack = new_stack()
    arguments: dict[str, Any] = {"repository_name": "webapp", **props}
    with pytest.raises(ValueError, match=rf"^ServiceRepository 'Test/Repo': .*{message}"):
        ServiceRepository(stack, "Repo", **arguments)


def test_replicating_to_its_own_registry_is_refused() -> None:
    # GIVEN a repository in the staging account and region
    stack = new_stack("Self")
    # WHEN it is told to replicate to that same account and region
    with pytest.raises(
        ValueError,
        match=r"^ServiceRepository 'Self/Repo': replicate_to: 111111111111/eu-west-1 is the source "
        r"registry itself; ECR refuses to replicate a registry to itself",
    ):
        ServiceRepository(
            stack,
            "Repo",
            repository_name="webapp",
            registry=SourceRegistry.of(stack),
            replicate_to=[ReplicationDestination(STAGING_ACCOUNT, REGION)],
        )
    # THEN nothing was registered for replication
    assert SourceRegistry.of(stack).replication_configuration is None


def test_every_problem_is_reported_at_once() -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match=r"^ServiceRepository 'Test/Repo': ") as error:
        ServiceRepository(
            stack, "Repo", repository_name="Bad_", keep_build_images=0, mutable_tags=["*"]
        )
    message = str(error.value)
    assert message.startswith("ServiceRepository 'Test/Repo': ")
    assert message.count("; ") >= 3
    assert (
        "repository_name" in message
        and "keep_build_images" in message
        and "mutable_tags" in message
    )


def test_token_names_are_not_validated() -> None:
    stack = new_stack()
    name = cdk.Fn.ref("AWS::StackName")
    ServiceRepository(stack, "Repo", repository_name=name)


def test_no_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    stack = new_stack(app=app)
    ServiceRepository(stack, "Web", repository_name="webapp", mutable_tags=["latest"])
    ServiceRepository(
        stack,
        "Kms",
        repository_name="kms-app",
        encryption_key=kms.Key(stack, "Key", enable_key_rotation=True),
    )
    assert nag_findings(app, tmp_path) == []
