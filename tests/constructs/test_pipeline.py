"""DeliveryPipeline: stages, trigger, GitHub trust, keys, digest flow, deploy IAM, notifications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from botocore.validate import ParamValidator

from container_delivery.constructs.pipeline import (
    STAGES,
    DeliveryPipeline,
    DeployTarget,
    github_oidc_provider_arn,
)
from tests.helpers import (
    PRODUCTION_ACCOUNT,
    REGION,
    STAGING_ACCOUNT,
    nag_findings,
    new_app,
    new_stack,
)

STAGING = DeployTarget(
    stack_name="webapp-staging",
    account=STAGING_ACCOUNT,
    region=REGION,
    role_name="container-delivery-deploy-webapp",
)
PRODUCTION = DeployTarget(
    stack_name="webapp-production",
    account=PRODUCTION_ACCOUNT,
    region=REGION,
    role_name="container-delivery-deploy-webapp",
)
URL = "https://webapp.staging.example.com"


def _pipeline(stack: cdk.Stack, **overrides: Any) -> DeliveryPipeline:
    props: dict[str, Any] = {
        "service_name": "webapp",
        "repository": ecr.Repository.from_repository_name(stack, "Repo", "webapp"),
        "github_repository": "example-org/webapp",
        "oidc_provider_arn": github_oidc_provider_arn(STAGING_ACCOUNT),
        "staging": STAGING,
        "production": PRODUCTION,
        "promote_function": lambda_.Function.from_function_arn(
            stack,
            "Promote",
            f"arn:aws:lambda:{REGION}:{STAGING_ACCOUNT}:function:container-delivery-promote-webapp",
        ),
        "staging_url": URL,
        "notification_emails": ["platform-team@example.com"],
    }
    props.update(overrides)
    return DeliveryPipeline(stack, "Pipeline", **props)


@pytest.fixture(scope="module")
def built() -> tuple[DeliveryPipeline, Template]:
    stack = new_stack()
    pipeline = _pipeline(stack)
    return pipeline, Template.from_stack(stack)


@pytest.fixture(scope="module")
def template(built: tuple[DeliveryPipeline, Template]) -> Template:
    return built[1]


@pytest.fixture(scope="module")
def resources(template: Template) -> dict[str, dict[str, Any]]:
    return template.to_json()["Resources"]  # type: ignore[no-any-return]


def _flat(value: Any) -> Any:
    """Fn::Join flattened to a string, Ref/GetAtt as <Id> / <Id.Attr> (readable assertions)."""
    if isinstance(value, dict):
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(_flat(part)) for part in parts)
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::GetAtt" in value:
            return f"<{'.'.join(value['Fn::GetAtt'])}>"
        return {key: _flat(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_flat(item) for item in value]
    return value


def _of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def _one(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, Any]:
    found = list(_of_type(resources, kind).values())
    assert len(found) == 1, f"{len(found)} {kind}"
    return found[0]["Properties"]  # type: ignore[no-any-return]


def _actions(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    stages = _one(resources, "AWS::CodePipeline::Pipeline")["Stages"]
    return {action["Name"]: action for stage in stages for action in stage["Actions"]}


def _policy_of_role(resources: dict[str, dict[str, Any]], role_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in _of_type(resources, "AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return _flat(statements)  # type: ignore[no-any-return]


def _role_id(resources: dict[str, dict[str, Any]], fragment: str) -> str:
    matches = [k for k in _of_type(resources, "AWS::IAM::Role") if fragment in k]
    assert len(matches) == 1, matches
    return matches[0]


# --- stages ---------------------------------------------------------------------------------
def test_the_stages_run_source_build_staging_approval_promote_production(
    resources: dict[str, dict[str, Any]],
) -> None:
    pipeline = _one(resources, "AWS::CodePipeline::Pipeline")
    assert [stage["Name"] for stage in pipeline["Stages"]] == list(STAGES)
    assert [[a["Name"] for a in stage["Actions"]] for stage in pipeline["Stages"]] == [
        ["Source"],
        ["BuildAndGate"],
        ["DeployStaging"],
        ["Approve"],
        ["Promote"],
        ["DeployProduction"],
    ]
    assert pipeline["PipelineType"] == "V2"


# --- source and trigger ---------------------------------------------------------------------
def test_an_object_created_event_for_the_source_key_starts_the_pipeline(
    resources: dict[str, dict[str, Any]],
) -> None:
    rule = _one(resources, "AWS::Events::Rule")
    source_bucket = _actions(resources)["Source"]["Configuration"]["S3Bucket"]
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [source_bucket]}, "object": {"key": ["source/webapp.zip"]}},
    }
    pipeline_id = next(iter(_of_type(resources, "AWS::CodePipeline::Pipeline")))
    assert _flat(rule["Targets"][0]["Arn"]).endswith(f":<{pipeline_id}>")


#: An S3 "Object Created" event as EventBridge delivers it (S3 user guide, EventBridge examples).
OBJECT_CREATED = {
    "version": "0",
    "id": "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "account": STAGING_ACCOUNT,
    "time": "2026-12-02T14:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:s3:::webapp-source"],
    "detail": {
        "version": "0",
        "bucket": {"name": "webapp-source"},
        "object": {
            "key": "source/webapp.zip",
            "size": 5,
            "etag": "b1946ac92492d2347c6235b4d2611184",
            "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
            "sequencer": "00617F08299329D189",
        },
        "request-id": "N4N7GDK58NMKJ12R",
        "requester": STAGING_ACCOUNT,
        "source-ip-address": "1.2.3.4",
        "reason": "PutObject",
    },
}


def _transform(transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """EventBridge's input transformer: dot paths, then <name> placeholders in the template.

    A placeholder inside quotes takes the raw text; one outside quotes takes the JSON value.
    """
    values: dict[str, Any] = {}
    for name, path in transformer["InputPathsMap"].items():
        value: Any = event
        for part in path.removeprefix("$.").split("."):
            value = value[part]
        values[name] = value
    text = transformer["InputTemplate"]
    for name, value in values.items():
        text = text.replace(f'"<{name}>"', json.dumps(str(value)))
        text = text.replace(f"<{name}>", json.dumps(value))
    return json.loads(text)


def test_the_trigger_starts_the_pipeline_on_the_uploaded_object_version(
    resources: dict[str, dict[str, Any]],
) -> None:
    # GIVEN the trigger rule's target, and an upload of the source archive
    (target,) = _one(resources, "AWS::Events::Rule")["Targets"]
    # WHEN EventBridge transforms the Object Created event for the pipeline
    request = _transform(target["InputTransformer"], OBJECT_CREATED)
    # THEN the execution builds exactly that version with the S3 source action
    assert request == {
        "sourceRevisions": [
            {
                "actionName": "Source",
                "revisionType": "S3_OBJECT_VERSION_ID",
                "revisionValue": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
            }
        ]
    }
    assert request["sourceRevisions"][0]["actionName"] in _actions(resources)
    assert _actions(resources)["Source"]["ActionTypeId"]["Provider"] == "S3"
    # ... in a shape StartPipelineExecution accepts (botocore's service model)
    shape = (
        botocore.session.get_session()
        .get_service_model("codepipeline")
        .operation_model("StartPipelineExecution")
        .input_shape
    )
    report = ParamValidator().validate({"name": "container-delivery-webapp", **request}, shape)
    assert not report.has_errors(), report.generate_report()


def test_nothing_polls_and_no_trail_is_needed(resources: dict[str, dict[str, Any]]) -> None:
    assert '"PollForSourceChanges": true' not in json.dumps(resources)
    assert _actions(resources)["Source"]["Configuration"]["PollForSourceChanges"] is False
    assert _of_type(resources, "AWS::CloudTrail::Trail") == {}
    # EventBridge notifications are set natively, without CDK's notification custom resource
    assert _of_type(resources, "Custom::S3BucketNotifications") == {}


def test_the_source_bucket_is_versioned_encrypted_logged_and_expires_old_versions(
    resources: dict[str, dict[str, Any]],
) -> None:
    bucket_id = _actions(resources)["Source"]["Configuration"]["S3Bucket"]["Ref"]
    bucket = resources[bucket_id]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert "DestinationBucketName" in bucket["LoggingConfiguration"]
    rule = bucket["LifecycleConfiguration"]["Rules"][0]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    policies = [
        p["Properties"]
        for p in _of_type(resources, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    deny_http = policies[0]["PolicyDocument"]["Statement"][0]
    assert deny_http["Effect"] == "Deny"
    assert deny_http["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_github_actions_may_assume_the_upload_role_only_for_the_repo_and_tags(
    resources: dict[str, dict[str, Any]],
) -> None:
    role = resources[_role_id(resources, "UploadRole")]["Properties"]
    (statement,) = _flat(role["AssumeRolePolicyDocument"]["Statement"])
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {
        "Federated": f"arn:<AWS::Partition>:iam::{STAGING_ACCOUNT}:oidc-provider/"
        "token.actions.githubusercontent.com"
    }
    assert statement["Condition"] == {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {
            "token.actions.githubusercontent.com:sub": "repo:example-org/webapp:ref:refs/tags/v*"
        },
    }
    assert role["RoleName"] == "container-delivery-github-webapp"


def test_the_upload_role_may_only_put_the_source_object(
    resources: dict[str, dict[str, Any]],
) -> None:
    statements = _policy_of_role(resources, _role_id(resources, "UploadRole"))
    bucket_id = _actions(resources)["Source"]["Configuration"]["S3Bucket"]["Ref"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("s3:PutObject", f"<{bucket_id}.Arn>/source/webapp.zip"),
        ("kms:GenerateDataKey", statements[1]["Resource"]),
    ]
    assert statements[1]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    }


# --- build ----------------------------------------------------------------------------------
def _project(resources: dict[str, dict[str, Any]], action: str) -> dict[str, Any]:
    project_id = _actions(resources)[action]["Configuration"]["ProjectName"]["Ref"]
    return resources[project_id]["Properties"]  # type: ignore[no-any-return]


def test_the_build_keeps_the_kev_catalog_in_the_artifact_bucket_and_may_use_it(
    resources: dict[str, dict[str, Any]],
) -> None:
    # GIVEN the build project's variables and its role's statements
    variables = {
        v["Name"]: _flat(v["Value"])
        for v in _project(resources, "BuildAndGate")["Environment"]["EnvironmentVariables"]
    }
    bucket = next(k for k in _of_type(resources, "AWS::S3::Bucket") if "Artifacts" in k)
    # THEN the cached catalog is an object of the artifact bucket
    key = "kev-cache/known_exploited_vulnerabilities.json"
    assert variables["KEV_CACHE_S3_URL"] == f"s3://<{bucket}>/{key}"
    # ... which the build role may read (a failed download) and write (a good one)
    statements = _policy_of_role(resources, _role_id(resources, "BuildRole"))
    allowed = {
        action
        for statement in statements
        if statement["Effect"] == "Allow" and statement["Resource"] == f"<{bucket}.Arn>/*"
        for action in statement["Action"]
    }
    assert {"s3:GetObject", "s3:PutObject"} <= allowed


def test_only_the_build_project_is_privileged(resources: dict[str, dict[str, Any]]) -> None:
    build = _project(resources, "BuildAndGate")
    deploy = _project(resources, "DeployStaging")
    assert build["Environment"]["PrivilegedMode"] is True
    assert deploy["Environment"].get("PrivilegedMode", False) is False
    assert build["Environment"]["Type"] == "ARM_CONTAINER"


def test_build_logs_go_to_cloudwatch_and_s3_encrypted_with_the_pipeline_key(
    resources: dict[str, dict[str, Any]],
) -> None:
    build = _project(resources, "BuildAndGate")
    logs = build["LogsConfig"]
    assert logs["CloudWatchLogs"]["Status"] == "ENABLED"
    assert logs["S3Logs"]["Status"] == "ENABLED" and logs["S3Logs"]["EncryptionDisabled"] is False
    key_id = next(iter(_of_type(resources, "AWS::KMS::Key")))
    assert build["EncryptionKey"] == {"Fn::GetAtt": [key_id, "Arn"]}
    group = _one(resources, "AWS::Logs::LogGroup")
    assert group["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert group["RetentionInDays"] == 365


def test_the_build_spec_reports_the_gate_to_the_report_group(
    resources: dict[str, dict[str, Any]],
) -> None:
    spec = json.loads(_flat(_project(resources, "BuildAndGate")["Source"]["BuildSpec"]))
    group_id = next(iter(_of_type(resources, "AWS::CodeBuild::ReportGroup")))
    assert spec["reports"] == {
        f"<{group_id}.Arn>": {
            "files": ["scan-gate.xml"],
            "base-directory": "reports",
            "file-format": "JUNITXML",
        }
    }


def test_the_build_may_push_only_to_its_repository(resources: dict[str, dict[str, Any]]) -> None:
    statements = {s["Sid"]: s for s in _policy_of_role(resources, _role_id(resources, "BuildRole"))}
    push = statements["PushAndCacheInTheStagingRepository"]
    assert push["Resource"] == (f"arn:aws:ecr:{REGION}:{STAGING_ACCOUNT}:repository/webapp")
    assert "ecr:PutImage" in push["Action"]
    assert statements["EcrLogin"] == {
        "Sid": "EcrLogin",
        "Effect": "Allow",
        "Action": "ecr:GetAuthorizationToken",
        "Resource": "*",
    }
    assert "sts:AssumeRole" not in json.dumps(statements)


def test_the_build_cache_lives_in_its_own_repository_outside_replication(
    resources: dict[str, dict[str, Any]],
) -> None:
    # The cache is written before the gate runs: it must not enter a replicated repository.
    cache = _one(resources, "AWS::ECR::Repository")
    assert cache["RepositoryName"] == "build-cache/webapp"
    assert cache["ImageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert cache["ImageTagMutabilityExclusionFilters"] == [
        {
            "ImageTagMutabilityExclusionFilterType": "WILDCARD",
            "ImageTagMutabilityExclusionFilterValue": "buildcache",
        }
    ]
    assert cache["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert "LifecyclePolicyText" in cache["LifecyclePolicy"]
    build = _project(resources, "BuildAndGate")
    variables = {v["Name"]: v["Value"] for v in build["Environment"]["EnvironmentVariables"]}
    cache_id = next(iter(_of_type(resources, "AWS::ECR::Repository")))
    assert _flat(variables["CACHE_REPOSITORY_URI"]).endswith(f"/<{cache_id}>")
    statements = {s["Sid"]: s for s in _policy_of_role(resources, _role_id(resources, "BuildRole"))}
    assert statements["ReadAndWriteTheBuildCache"]["Resource"] == f"<{cache_id}.Arn>"


def test_a_cache_repository_under_the_service_prefix_is_refused() -> None:
    stack = new_stack()
    with pytest.raises(
        ValueError, match="build_cache_repository_name 'webapp-cache' starts with the service name"
    ):
        _pipeline(stack, build_cache_repository_name="webapp-cache")


# --- the digest from build to both deploys ---------------------------------------------------
def _env(action: dict[str, Any]) -> dict[str, str]:
    flat = _flat(action["Configuration"]["EnvironmentVariables"])
    return {item["name"]: item["value"] for item in json.loads(flat)}


def test_the_build_digest_flows_to_both_deploys_and_the_promotion(
    resources: dict[str, dict[str, Any]],
) -> None:
    actions = _actions(resources)
    assert actions["BuildAndGate"]["Namespace"] == "Build"
    assert _env(actions["DeployStaging"])["IMAGE_DIGEST"] == "#{Build.IMAGE_DIGEST}"
    assert _env(actions["DeployProduction"])["IMAGE_DIGEST"] == "#{Build.IMAGE_DIGEST}"
    assert json.loads(actions["Promote"]["Configuration"]["UserParameters"]) == {
        "repository": "webapp",
        "digest": "#{Build.IMAGE_DIGEST}",
        "git_tag": "#{Build.GIT_TAG}",
    }
    assert actions["Promote"]["Namespace"] == "Promote"


def test_each_deploy_targets_its_stack_and_role_in_its_account(
    resources: dict[str, dict[str, Any]],
) -> None:
    actions = _actions(resources)
    production = _env(actions["DeployProduction"])
    assert production["STACK_NAME"] == "webapp-production"
    assert production["DEPLOY_ROLE_ARN"] == (
        f"arn:<AWS::Partition>:iam::{PRODUCTION_ACCOUNT}:role/container-delivery-deploy-webapp"
    )
    # The stack's own CloudFormation execution role, never the bootstrap cfn-exec-role.
    assert production["CFN_EXEC_ROLE_ARN"] == (
        f"arn:<AWS::Partition>:iam::{PRODUCTION_ACCOUNT}:role/container-delivery-deploy-webapp-cfn"
    )
    staging = _env(actions["DeployStaging"])
    assert staging["STACK_NAME"] == "webapp-staging"
    assert (
        f":iam::{STAGING_ACCOUNT}:role/container-delivery-deploy-webapp"
        in staging["DEPLOY_ROLE_ARN"]
    )


def test_the_deploy_project_may_only_assume_the_two_deploy_roles(
    resources: dict[str, dict[str, Any]],
) -> None:
    role_id = _role_id(resources, "DeployProjectRole")
    assert resources[role_id]["Properties"]["RoleName"] == "container-delivery-deployer-webapp"
    statements = {s["Sid"]: s for s in _policy_of_role(resources, role_id)}
    assert statements["AssumeTheDeployRoles"]["Resource"] == [
        f"arn:<AWS::Partition>:iam::{STAGING_ACCOUNT}:role/container-delivery-deploy-webapp",
        f"arn:<AWS::Partition>:iam::{PRODUCTION_ACCOUNT}:role/container-delivery-deploy-webapp",
    ]
    assert "cloudformation" not in json.dumps(statements)


def test_the_staging_deploy_role_may_update_only_the_staging_service_stack(
    resources: dict[str, dict[str, Any]],
) -> None:
    (role_id,) = [
        k
        for k in _of_type(resources, "AWS::IAM::Role")
        if "StagingDeployRole" in k and "ExecutionRole" not in k
    ]
    role = resources[role_id]["Properties"]
    assert role["RoleName"] == "container-delivery-deploy-webapp"
    (trust,) = _flat(role["AssumeRolePolicyDocument"]["Statement"])
    assert trust["Condition"] == {
        "ArnEquals": {
            "aws:PrincipalArn": f"arn:<AWS::Partition>:iam::{STAGING_ACCOUNT}:role/"
            "container-delivery-deployer-webapp"
        }
    }
    statements = {s["Sid"]: s for s in _policy_of_role(resources, role_id)}
    stack_arn = (
        f"arn:<AWS::Partition>:cloudformation:{REGION}:{STAGING_ACCOUNT}:stack/webapp-staging/*"
    )
    own_role = (
        f"arn:<AWS::Partition>:iam::{STAGING_ACCOUNT}:role/container-delivery-deploy-webapp-cfn"
    )
    assert sorted(statements["DescribeTheServiceStack"]["Action"]) == [
        "cloudformation:DescribeStackEvents",
        "cloudformation:DescribeStacks",
    ]
    update = statements["UpdateTheServiceStackWithItsRole"]
    assert (update["Action"], update["Resource"]) == ("cloudformation:UpdateStack", stack_arn)
    # Without --role-arn CloudFormation would reuse the role the stack was last deployed with.
    assert update["Condition"] == {"ArnEquals": {"cloudformation:RoleArn": own_role}}
    assert statements["PassTheStackExecutionRole"]["Resource"] == own_role
    assert statements["PassTheStackExecutionRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}
    }
    assert set(statements) == {
        "DescribeTheServiceStack",
        "UpdateTheServiceStackWithItsRole",
        "PassTheStackExecutionRole",
        "ReadTheBootstrapVersion",
    }


def test_the_staging_stack_execution_role_may_only_roll_the_staging_service(
    resources: dict[str, dict[str, Any]],
) -> None:
    role_id = _role_id(resources, "StagingDeployRoleExecutionRole")
    role = resources[role_id]["Properties"]
    assert role["RoleName"] == "container-delivery-deploy-webapp-cfn"
    (trust,) = _flat(role["AssumeRolePolicyDocument"]["Statement"])
    assert trust["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    statements = {s["Sid"]: s for s in _policy_of_role(resources, role_id)}
    prefix = "webapp-staging-"
    assert statements["UpdateTheStackService"]["Resource"] == [
        f"arn:<AWS::Partition>:ecs:{REGION}:{STAGING_ACCOUNT}:service/*/{prefix}*",
        f"arn:<AWS::Partition>:ecs:{REGION}:{STAGING_ACCOUNT}:task-definition/*",
    ]
    assert statements["PassTheStackTaskRoles"] == {
        "Sid": "PassTheStackTaskRoles",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": f"arn:<AWS::Partition>:iam::{STAGING_ACCOUNT}:role/{prefix}*",
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    }
    actions = json.dumps([s["Action"] for s in statements.values()])
    for forbidden in ("iam:Create", "iam:Put", "iam:Attach", "ecs:CreateService", "ec2:", "s3:"):
        assert forbidden not in actions


# --- keys -----------------------------------------------------------------------------------
def test_the_artifact_key_lets_only_the_production_deploy_role_decrypt(
    resources: dict[str, dict[str, Any]],
) -> None:
    key = _one(resources, "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    statements = _flat(key["KeyPolicy"]["Statement"])
    outside = [s for s in statements if PRODUCTION_ACCOUNT in json.dumps(s)]
    assert outside == [
        {
            "Sid": "ProductionDeployRoleMayDecrypt",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PRODUCTION_ACCOUNT}:root"},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {
                "ArnEquals": {
                    "aws:PrincipalArn": f"arn:<AWS::Partition>:iam::{PRODUCTION_ACCOUNT}:role/"
                    "container-delivery-deploy-webapp"
                }
            },
        }
    ]
    artifacts = _one(resources, "AWS::CodePipeline::Pipeline")["ArtifactStore"]
    assert artifacts["EncryptionKey"]["Type"] == "KMS"


# --- approval and notifications --------------------------------------------------------------
def test_the_approval_notifies_the_topic_with_digest_tag_and_staging_url(
    resources: dict[str, dict[str, Any]],
) -> None:
    approval = _actions(resources)["Approve"]["Configuration"]
    topic_id = next(iter(_of_type(resources, "AWS::SNS::Topic")))
    assert approval["NotificationArn"] == {"Ref": topic_id}
    assert "#{Build.IMAGE_DIGEST}" in approval["CustomData"]
    assert "#{Build.GIT_TAG}" in approval["CustomData"]
    assert URL in approval["CustomData"]
    assert approval["ExternalEntityLink"] == URL


def test_pipeline_events_are_notified_to_the_encrypted_tls_only_topic(
    template: Template, resources: dict[str, dict[str, Any]]
) -> None:
    rule = _one(resources, "AWS::CodeStarNotifications::NotificationRule")
    assert set(rule["EventTypeIds"]) == {
        "codepipeline-pipeline-pipeline-execution-started",
        "codepipeline-pipeline-pipeline-execution-failed",
        "codepipeline-pipeline-pipeline-execution-succeeded",
        "codepipeline-pipeline-manual-approval-needed",
        "codepipeline-pipeline-stage-execution-failed",
        "codepipeline-pipeline-action-execution-failed",
    }
    topic_id = next(iter(_of_type(resources, "AWS::SNS::Topic")))
    assert rule["Targets"] == [{"TargetAddress": {"Ref": topic_id}, "TargetType": "SNS"}]
    assert "KmsMasterKeyId" in resources[topic_id]["Properties"]
    topic_policy = json.dumps(_one(resources, "AWS::SNS::TopicPolicy"))
    assert "codestar-notifications.amazonaws.com" in topic_policy
    assert '"aws:SecureTransport": "false"' in topic_policy
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "platform-team@example.com"}
    )


def test_the_pipeline_role_is_limited_to_its_projects_function_and_topic(
    resources: dict[str, dict[str, Any]],
) -> None:
    statements = {
        s["Sid"]: s for s in _policy_of_role(resources, _role_id(resources, "PipelineRole"))
    }
    assert statements["InvokeThePromotion"]["Resource"] == (
        f"arn:aws:lambda:{REGION}:{STAGING_ACCOUNT}:function:container-delivery-promote-webapp"
    )
    assert len(statements["RunTheProjects"]["Resource"]) == 2
    assert all("*" not in str(s["Action"]) for s in statements.values())


# --- validation and nag -----------------------------------------------------------------------
def test_bad_props_are_reported_together() -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match="DeliveryPipeline 'Test/Pipeline': ") as error:
        _pipeline(
            stack,
            service_name="Web App",
            staging_url="webapp.example.com",
            production=DeployTarget(
                stack_name="webapp-production", account="2222", region=REGION, role_name="r"
            ),
        )
    message = str(error.value)
    assert "service_name 'Web App' must be a lowercase ECR-style name" in message
    assert "staging_url 'webapp.example.com' must start with https://" in message
    assert "production.account '2222' must be a 12-digit AWS account id" in message


def test_a_bad_github_repository_or_tag_pattern_fails_at_synth() -> None:
    stack = new_stack()
    with pytest.raises(ValueError, match="ReleaseSource 'Test/Pipeline/Source': ") as error:
        _pipeline(stack, github_repository="webapp", tag_pattern="refs/tags/v*")
    assert "github_repository 'webapp' must be 'owner/repo'" in str(error.value)
    assert "tag_pattern: 'refs/tags/v*' is not a git tag pattern" in str(error.value)


def test_a_log_retention_in_days_is_a_value_error_naming_the_prop() -> None:
    stack = new_stack()
    with pytest.raises(
        ValueError,
        match=r"^DeliveryPipeline 'Test/Pipeline': log_retention: 365 is a number of days; pass "
        r"logs\.RetentionDays\.ONE_YEAR",
    ):
        _pipeline(stack, log_retention=365)


@pytest.mark.parametrize("pattern", ["*", "*-rc", "?1.0"])
def test_a_tag_pattern_without_a_fixed_prefix_is_refused(pattern: str) -> None:
    # GIVEN a tag pattern that starts with a wildcard (the OIDC role would trust every tag)
    stack = new_stack()
    # WHEN the pipeline is built THEN it is refused with the fix
    with pytest.raises(
        ValueError,
        match=rf"ReleaseSource 'Test/Pipeline/Source': tag_pattern: '\{pattern[0]}.*' starts with a "
        r"wildcard, so the release role trusts every tag of the repository .* start with a "
        r"fixed prefix, e.g. 'v\*'",
    ):
        _pipeline(stack, tag_pattern=pattern)


def test_role_names_longer_than_iam_allows_are_refused() -> None:
    stack = new_stack()
    long_name = "a" * 40
    with pytest.raises(ValueError, match=r"deploy_project_role_name '.*' must be 1 to 64"):
        _pipeline(stack, service_name=long_name, build_cache_repository_name="cache/a")
    with pytest.raises(ValueError, match=r"upload_role_name 'container-delivery-github-a+' must"):
        _pipeline(
            new_stack(),
            service_name=long_name,
            build_cache_repository_name="cache/a",
            deploy_project_role_name="deployer",
        )


def test_the_pipeline_has_no_unacknowledged_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    stack = new_stack(app=app)
    _pipeline(stack)
    assert nag_findings(app, tmp_path) == []


def test_the_release_workflow_values_are_stack_outputs_with_fixed_names(
    built: tuple[DeliveryPipeline, Template],
) -> None:
    pipeline, template = built
    outputs = template.to_json()["Outputs"]
    stack = cdk.Stack.of(pipeline)
    # THEN the names are fixed (not derived from the construct path) and the values resolve to
    # the upload role, the source bucket and the one object key the role may write
    assert outputs["UploadRoleArn"]["Value"] == stack.resolve(pipeline.source.upload_role.role_arn)
    assert outputs["SourceBucket"]["Value"] == stack.resolve(pipeline.source.bucket.bucket_name)
    assert outputs["SourceKey"]["Value"] == "source/webapp.zip"
    assert (
        outputs["UploadRoleArn"]["Description"] == "AWS_ROLE_ARN of the release workflow (webapp)"
    )


def test_two_pipelines_in_one_stack_need_an_output_prefix() -> None:
    stack = new_stack()
    _pipeline(stack, output_prefix="Webapp")
    outputs = Template.from_stack(stack).to_json()["Outputs"]
    assert sorted(outputs) == ["WebappSourceBucket", "WebappSourceKey", "WebappUploadRoleArn"]
    with pytest.raises(
        ValueError, match="output_prefix 'web-app' may hold only letters and digits"
    ):
        _pipeline(new_stack(), output_prefix="web-app")
