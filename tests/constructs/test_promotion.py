"""PromotionFunction and PromotionReadRole: function configuration, every IAM statement, validation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template
from constructs import IConstruct

from container_delivery.constructs.promotion import (
    PromotionFunction,
    PromotionReadRole,
    ReplicationCheck,
)
from tests.helpers import (
    PRODUCTION_ACCOUNT,
    REGION,
    STAGING_ACCOUNT,
    nag_findings,
    new_app,
    new_stack,
)

PROMOTION_ROLE = "container-delivery-promote"
READ_ROLE = "container-delivery-promotion-read"
PRODUCTION_REGION = "eu-central-1"
REPOSITORY_NAMES = ("webapp", "team/api")
CHECK = ReplicationCheck(account=PRODUCTION_ACCOUNT, region=PRODUCTION_REGION, role_name=READ_ROLE)


def _repositories(stack: cdk.Stack) -> list[ecr.IRepository]:
    return [
        ecr.Repository.from_repository_name(stack, f"Repo{i}", name)
        for i, name in enumerate(REPOSITORY_NAMES)
    ]


def _add_function(stack: cdk.Stack, **props: Any) -> PromotionFunction:
    return PromotionFunction(
        stack,
        "Promote",
        repositories=props.pop("repositories", None) or _repositories(stack),
        role_name=PROMOTION_ROLE,
        replication_check=CHECK,
        **props,
    )


def _add_read_role(stack: cdk.Stack, **props: Any) -> PromotionReadRole:
    return PromotionReadRole(
        stack,
        "Read",
        **{
            "source_account": STAGING_ACCOUNT,
            "promotion_role_name": PROMOTION_ROLE,
            "repository_names": list(REPOSITORY_NAMES),
            "role_name": READ_ROLE,
            **props,
        },
    )


def _repository_arn(account: str, name: str, region: str = REGION) -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/{name}"


def _statements(template: Template, logical_id: str) -> list[dict[str, Any]]:
    policy = template.to_json()["Resources"][logical_id]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _logical_id(stack: cdk.Stack, construct: IConstruct) -> str:
    resource = construct.node.default_child
    assert isinstance(resource, cdk.CfnElement), construct.node.path
    return stack.get_logical_id(resource)


# ----------------------------------------------------------------------------------- fixtures
class Built:
    def __init__(self) -> None:
        app = new_app()
        self.staging = new_stack("Staging", app=app)
        self.promotion = _add_function(self.staging)
        self.pipeline_role = iam.Role(
            self.staging,
            "PipelineRole",
            assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com"),
        )
        self.promotion.grant_invoke(self.pipeline_role)
        self.production = new_stack("Production", app=app, account=PRODUCTION_ACCOUNT)
        self.read_role = _add_read_role(self.production)
        self.function_template = Template.from_stack(self.staging)
        self.read_template = Template.from_stack(self.production)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


@pytest.fixture(scope="module")
def without_check() -> Template:
    stack = new_stack()
    PromotionFunction(stack, "Promote", repositories=_repositories(stack))
    return Template.from_stack(stack)


# ------------------------------------------------------------------------------ the function
def test_function_runs_the_newest_python_on_arm64_with_the_promote_handler(built: Built) -> None:
    # GIVEN a PromotionFunction with default props
    # THEN the function uses the newest Python runtime CDK knows, on Graviton, index.handler
    newest = max(
        (r.name for r in lambda_.Runtime.ALL if re.fullmatch(r"python3\.\d+", r.name)),
        key=lambda name: int(name.split(".")[1]),
    )
    built.function_template.has_resource_properties(
        "AWS::Lambda::Function",
        Match.object_like(
            {
                "Runtime": newest,
                "Architectures": ["arm64"],
                "Handler": "index.handler",
                "Timeout": 300,
                "MemorySize": 256,
            }
        ),
    )


def test_function_reserves_no_concurrency_by_default(built: Built) -> None:
    # GIVEN a PromotionFunction with default props, deployed into a new account whose Lambda
    # concurrency quota is 10 (Lambda refuses any reservation there)
    # THEN the function reserves no concurrency
    function = next(iter(built.function_template.find_resources("AWS::Lambda::Function").values()))
    assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_reserved_concurrency_is_set_when_asked_for() -> None:
    stack = new_stack()
    _add_function(stack, reserved_concurrency=5)
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function", {"ReservedConcurrentExecutions": 5}
    )


def test_function_environment_names_repositories_template_and_destination(built: Built) -> None:
    built.function_template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    "RELEASE_TAG_TEMPLATE": "release-{git_tag}",
                    "ALLOWED_REPOSITORIES": "webapp,team/api",
                    "REPLICATION_TIMEOUT_SECONDS": "1800",
                    "DESTINATION_ROLE_ARN": f"arn:aws:iam::{PRODUCTION_ACCOUNT}:role/{READ_ROLE}",
                    "DESTINATION_REGION": PRODUCTION_REGION,
                    "DESTINATION_REGISTRY_ID": PRODUCTION_ACCOUNT,
                }
            }
        },
    )


def test_without_replication_check_no_destination_variable_is_set(without_check: Template) -> None:
    variables = without_check.find_resources("AWS::Lambda::Function")
    (function,) = variables.values()
    env = function["Properties"]["Environment"]["Variables"]
    assert not {key for key in env if key.startswith("DESTINATION_")}
    assert env["ALLOWED_REPOSITORIES"] == "webapp,team/api"


def test_repositories_created_in_the_stack_are_joined_at_deploy_time() -> None:
    # GIVEN a repository whose name is a CloudFormation reference
    stack = new_stack()
    repositories = [ecr.Repository(stack, "Web"), ecr.Repository(stack, "Api")]
    # WHEN the function may tag them
    PromotionFunction(stack, "Promote", repositories=repositories)
    # THEN ALLOWED_REPOSITORIES is an Fn::Join of the references
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function",
        Match.object_like(
            {
                "Environment": {
                    "Variables": Match.object_like(
                        {
                            "ALLOWED_REPOSITORIES": {
                                "Fn::Join": [
                                    ",",
                                    [
                                        {"Ref": Match.string_like_regexp("^Web")},
                                        {"Ref": Match.string_like_regexp("^Api")},
                                    ],
                                ]
                            }
                        }
                    )
                }
            }
        ),
    )


def test_function_logs_as_text_to_its_own_encrypted_log_group_kept_one_year(built: Built) -> None:
    template = built.function_template
    log_group_id = _logical_id(built.staging, built.promotion.log_group)
    key_id = _logical_id(built.staging, built.promotion.encryption_key)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        Match.object_like(
            {"LoggingConfig": {"LogFormat": "Text", "LogGroup": {"Ref": log_group_id}}}
        ),
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 365, "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}},
    )


def test_log_retention_is_configurable() -> None:
    stack = new_stack()
    PromotionFunction(
        stack,
        "Promote",
        repositories=_repositories(stack),
        log_retention=logs.RetentionDays.TEN_YEARS,
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::Logs::LogGroup", Match.object_like({"RetentionInDays": 3653})
    )


def test_failed_async_invocations_go_to_an_encrypted_tls_only_dead_letter_queue(
    built: Built,
) -> None:
    template = built.function_template
    queue_id = _logical_id(built.staging, built.promotion.dead_letter_queue)
    key_id = _logical_id(built.staging, built.promotion.encryption_key)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        Match.object_like({"DeadLetterConfig": {"TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}}),
    )
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {"KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}, "MessageRetentionPeriod": 1209600},
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": Match.object_like(
                {
                    "Statement": [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sqs:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                }
            ),
            "Queues": [{"Ref": queue_id}],
        },
    )


def test_key_rotates_and_lets_cloudwatch_logs_of_this_account_and_region_use_it(
    built: Built,
) -> None:
    built.function_template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": Match.object_like(
                {
                    "Statement": Match.array_with(
                        [
                            {
                                "Sid": "CloudWatchLogsOfThisAccount",
                                "Effect": "Allow",
                                "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
                                "Action": [
                                    "kms:Decrypt*",
                                    "kms:Describe*",
                                    "kms:Encrypt*",
                                    "kms:GenerateDataKey*",
                                    "kms:ReEncrypt*",
                                ],
                                "Resource": "*",
                                "Condition": {
                                    "ArnLike": {
                                        "kms:EncryptionContext:aws:logs:arn": (
                                            f"arn:aws:logs:{REGION}:{STAGING_ACCOUNT}:log-group:*"
                                        )
                                    }
                                },
                            }
                        ]
                    )
                }
            ),
            "Description": Match.any_value(),
        },
    )


def _imported_vpc(stack: cdk.Stack) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=[f"{REGION}a", f"{REGION}b"],
        private_subnet_ids=["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
        private_subnet_route_table_ids=["rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb"],
    )


@pytest.fixture(scope="module")
def in_vpc() -> tuple[cdk.Stack, PromotionFunction, Template]:
    stack = new_stack()
    promotion = _add_function(stack, vpc=_imported_vpc(stack))
    return stack, promotion, Template.from_stack(stack)


def test_in_a_vpc_the_function_uses_private_subnets_and_https_only_egress(
    in_vpc: tuple[cdk.Stack, PromotionFunction, Template],
) -> None:
    stack, promotion, template = in_vpc
    assert promotion.security_group is not None
    group_id = _logical_id(stack, promotion.security_group)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        Match.object_like(
            {
                "VpcConfig": {
                    "SubnetIds": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
                    "SecurityGroupIds": [{"Fn::GetAtt": [group_id, "GroupId"]}],
                }
            }
        ),
    )
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "VpcId": "vpc-0123456789abcdef0",
            "GroupDescription": Match.any_value(),
            "SecurityGroupEgress": [
                {
                    "CidrIp": "0.0.0.0/0",
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "Description": Match.any_value(),
                }
            ],
        },
    )
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)


def test_in_a_vpc_the_role_may_manage_network_interfaces_before_the_function_exists(
    in_vpc: tuple[cdk.Stack, PromotionFunction, Template],
) -> None:
    stack, promotion, template = in_vpc
    assert promotion.vpc_policy is not None
    policy_id = _logical_id(stack, promotion.vpc_policy)
    assert _statements(template, policy_id) == [
        {
            "Sid": "ManageVpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:AssignPrivateIpAddresses",
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": "*",
        }
    ]
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    assert policy_id in function["DependsOn"]


def test_outside_a_vpc_there_is_no_security_group_nor_network_permission(built: Built) -> None:
    assert built.promotion.security_group is None and built.promotion.vpc_policy is None
    built.function_template.resource_count_is("AWS::EC2::SecurityGroup", 0)
    (function,) = built.function_template.find_resources("AWS::Lambda::Function").values()
    assert "VpcConfig" not in function["Properties"]


# ----------------------------------------------------------------------------------------- IAM
def test_role_is_named_and_assumed_by_lambda_only_with_no_inline_or_aws_managed_policy(
    built: Built,
) -> None:
    template = built.function_template
    roles = template.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": PROMOTION_ROLE}})
    (role,) = roles.values()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    assert "Policies" not in role["Properties"]
    assert "ManagedPolicyArns" not in role["Properties"]
    # no inline policy anywhere in the stack except the pipeline role's own (from grant_invoke)
    role_id = _logical_id(built.staging, built.promotion.role)
    for policy in template.find_resources("AWS::IAM::Policy").values():
        assert {"Ref": role_id} not in policy["Properties"]["Roles"]


def test_function_policy_has_exactly_these_statements(built: Built) -> None:
    stack, promotion = built.staging, built.promotion
    statements = _statements(built.function_template, _logical_id(stack, promotion.policy))
    log_group_id = _logical_id(stack, promotion.log_group)
    queue_id = _logical_id(stack, promotion.dead_letter_queue)
    key_id = _logical_id(stack, promotion.encryption_key)
    assert statements == [
        {
            "Sid": "TagReleasedImages",
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:PutImage"],
            "Resource": sorted(_repository_arn(STAGING_ACCOUNT, n) for n in REPOSITORY_NAMES),
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
        {
            "Sid": "SendFailedInvocations",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        },
        {
            "Sid": "EncryptFailedInvocations",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
        },
        {
            "Sid": "CheckReplication",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": f"arn:aws:iam::{PRODUCTION_ACCOUNT}:role/{READ_ROLE}",
        },
    ]


def test_job_result_policy_is_the_only_statement_on_every_resource(built: Built) -> None:
    stack, promotion = built.staging, built.promotion
    job_id = _logical_id(stack, promotion.job_result_policy)
    assert _statements(built.function_template, job_id) == [
        {
            "Sid": "ReportCodePipelineJob",
            "Effect": "Allow",
            "Action": ["codepipeline:PutJobFailureResult", "codepipeline:PutJobSuccessResult"],
            "Resource": "*",
        }
    ]
    # every other statement of every policy attached to the role names its resources
    for logical_id, policy in built.function_template.find_resources(
        "AWS::IAM::ManagedPolicy"
    ).items():
        if logical_id == job_id:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = statement["Resource"]
            assert resources != "*" and "*" not in (
                resources if isinstance(resources, list) else []
            )


def test_both_policies_are_attached_to_the_role_and_precede_the_function(built: Built) -> None:
    stack, promotion = built.staging, built.promotion
    role_id = _logical_id(stack, promotion.role)
    policy_ids = {
        _logical_id(stack, promotion.policy),
        _logical_id(stack, promotion.job_result_policy),
    }
    policies = built.function_template.find_resources("AWS::IAM::ManagedPolicy")
    assert set(policies) == policy_ids
    assert all(p["Properties"]["Roles"] == [{"Ref": role_id}] for p in policies.values())
    (function,) = built.function_template.find_resources("AWS::Lambda::Function").values()
    assert policy_ids <= set(function["DependsOn"])


def test_statements_added_to_the_function_role_later_create_no_inline_policy() -> None:
    # GIVEN a PromotionFunction
    stack = new_stack()
    promotion = PromotionFunction(stack, "Promote", repositories=_repositories(stack))
    # WHEN something adds to its role the way LambdaInvokeAction does
    promotion.function.add_to_role_policy(
        iam.PolicyStatement(actions=["codepipeline:PutJobSuccessResult"], resources=["*"])
    )
    # THEN no inline policy appears (the JobResultPolicy already holds that permission)
    Template.from_stack(stack).resource_count_is("AWS::IAM::Policy", 0)


def test_without_replication_check_the_role_cannot_assume_any_role(without_check: Template) -> None:
    for policy in without_check.find_resources("AWS::IAM::ManagedPolicy").values():
        actions = [s["Action"] for s in policy["Properties"]["PolicyDocument"]["Statement"]]
        assert "sts:AssumeRole" not in actions


def test_grant_invoke_lets_the_pipeline_role_invoke_the_function(built: Built) -> None:
    function_id = _logical_id(built.staging, built.promotion.function)
    built.function_template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": Match.object_like(
                {
                    "Statement": [
                        {
                            "Action": "lambda:InvokeFunction",
                            "Effect": "Allow",
                            "Resource": [
                                {"Fn::GetAtt": [function_id, "Arn"]},
                                {
                                    "Fn::Join": [
                                        "",
                                        [{"Fn::GetAtt": [function_id, "Arn"]}, ":*"],
                                    ]
                                },
                            ],
                        }
                    ]
                }
            ),
            "Roles": [{"Ref": _logical_id(built.staging, built.pipeline_role)}],
            "PolicyName": Match.any_value(),
        },
    )


# --------------------------------------------------------------------------- the read role
def test_read_role_trusts_the_source_account_only_for_the_promotion_role(built: Built) -> None:
    built.read_template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": READ_ROLE,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{STAGING_ACCOUNT}:root"},
                        "Condition": {
                            "ArnEquals": {
                                "aws:PrincipalArn": (
                                    f"arn:aws:iam::{STAGING_ACCOUNT}:role/{PROMOTION_ROLE}"
                                )
                            }
                        },
                    }
                ],
            },
            "Description": Match.any_value(),
        },
    )


def test_read_role_may_only_describe_images_of_the_named_repositories(built: Built) -> None:
    resources = built.read_template.to_json()["Resources"]
    assert {r["Type"] for r in resources.values()} == {"AWS::IAM::Role", "AWS::IAM::ManagedPolicy"}
    policy_id = _logical_id(built.production, built.read_role.policy)
    assert _statements(built.read_template, policy_id) == [
        {
            "Sid": "DescribeReplicatedImages",
            "Effect": "Allow",
            "Action": "ecr:DescribeImages",
            "Resource": sorted(_repository_arn(PRODUCTION_ACCOUNT, n) for n in REPOSITORY_NAMES),
        }
    ]
    role = next(r for r in resources.values() if r["Type"] == "AWS::IAM::Role")
    assert "Policies" not in role["Properties"]
    assert "MaxSessionDuration" not in role["Properties"]


# ---------------------------------------------------------------------------------- validation
def _function_error(**props: Any) -> str:
    stack = new_stack()
    with pytest.raises(ValueError, match=r"^PromotionFunction 'Test/Promote': ") as error:
        PromotionFunction(stack, "Promote", **{"repositories": _repositories(stack), **props})
    return str(error.value)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"repositories": []}, "repositories: none given"),
        (
            {"release_tag_template": "release"},
            "release_tag_template: 'release' must contain '{git_tag}'",
        ),
        (
            {"release_tag_template": "-{git_tag}"},
            "release_tag_template: '-{git_tag}' does not make a valid image tag "
            "(for git tag 'v1.4.0' it gives '-v1.4.0')",
        ),
        (
            {"release_tag_template": "release/{git_tag}"},
            "does not make a valid image tag",
        ),
        ({"timeout": Duration.minutes(16)}, "timeout: 16 minutes is out of range"),
        ({"timeout": Duration.seconds(10)}, "timeout: 10 seconds is out of range"),
        (
            {"replication_timeout": Duration.seconds(30)},
            "replication_timeout: 30 seconds is out of range, give between 1 minute and 1 day",
        ),
        ({"reserved_concurrency": 0}, "reserved_concurrency: 0 is out of range"),
        ({"memory_size": 64}, "memory_size: 64 is out of range"),
        ({"role_name": "a" * 65}, "role_name: 'aaaa.*' is not a valid IAM role name"),
        ({"role_name": "path/role"}, "role_name: 'path/role' is not a valid IAM role name"),
        (
            {
                "role_name": PROMOTION_ROLE,
                "replication_check": ReplicationCheck("12345", PRODUCTION_REGION, READ_ROLE),
            },
            "replication_check.account: '12345' is not an AWS account id",
        ),
        (
            {
                "role_name": PROMOTION_ROLE,
                "replication_check": ReplicationCheck(PRODUCTION_ACCOUNT, "Europe", READ_ROLE),
            },
            "replication_check.region: 'Europe' is not an AWS region",
        ),
        (
            {
                "role_name": PROMOTION_ROLE,
                "replication_check": ReplicationCheck(
                    PRODUCTION_ACCOUNT, PRODUCTION_REGION, "arn:aws:iam::1:role/x"
                ),
            },
            "replication_check.role_name: 'arn:aws:iam::1:role/x' is not a valid IAM role name",
        ),
        (
            {"replication_check": CHECK},
            "role_name: required with replication_check",
        ),
        (
            {"log_retention": 30},
            "log_retention: 30 is a number of days; pass logs.RetentionDays.ONE_MONTH",
        ),
    ],
)
def test_function_refuses_bad_props_with_a_message(props: dict[str, Any], message: str) -> None:
    error = _function_error(**props)
    assert error.startswith("PromotionFunction 'Test/Promote': ")
    assert re.search(message, error) or message in error, error


def test_function_lists_every_problem_in_one_error() -> None:
    error = _function_error(
        repositories=[],
        release_tag_template="x",
        timeout=Duration.hours(1),
        replication_check=CHECK,
    )
    for part in ("repositories:", "release_tag_template:", "timeout:", "role_name: required"):
        assert part in error, error
    assert error.count("; ") == 3


def test_function_skips_checks_of_unresolved_values() -> None:
    # GIVEN an account id, a role name and a duration known only at deploy time
    stack = new_stack()
    account = cdk.CfnParameter(stack, "Account").value_as_string
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number
    # WHEN the function is built THEN nothing is refused at synth
    PromotionFunction(
        stack,
        "Promote",
        repositories=_repositories(stack),
        role_name=PROMOTION_ROLE,
        timeout=Duration.seconds(seconds),
        replication_check=ReplicationCheck(account, PRODUCTION_REGION, READ_ROLE),
    )


def test_function_refuses_a_missing_handler_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a broken installation: neither lambda/promote nor the packaged copy exists
    from container_delivery.constructs import promotion

    monkeypatch.setattr(promotion, "HANDLER_DIR", None)
    # THEN the function says where it looked and how to fix it
    error = _function_error()
    assert (
        "code: the promotion handler is in neither lambda/promote of a source checkout nor "
        "container_delivery/_lambda/promote of the installed package; reinstall" in error
    )
    # AND explicit code is accepted
    stack = new_stack()
    PromotionFunction(
        stack,
        "Promote",
        repositories=_repositories(stack),
        code=lambda_.Code.from_inline("def handler(event, context): pass"),
    )


def _read_role_error(**props: Any) -> str:
    with pytest.raises(ValueError, match=r"^PromotionReadRole 'Test/Read': ") as error:
        _add_read_role(new_stack(account=PRODUCTION_ACCOUNT), **props)
    return str(error.value)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"source_account": "1111"}, "source_account: '1111' is not an AWS account id"),
        ({"promotion_role_name": "a b"}, "promotion_role_name: 'a b' is not a valid IAM role name"),
        ({"role_name": "x" * 65}, "role_name: 'x{65}' is not a valid IAM role name"),
        ({"repository_names": []}, "repository_names: none given"),
        ({"repository_names": "webapp"}, "repository_names: 'webapp' is a string"),
        (
            {"repository_names": ["WebApp"]},
            "repository_names: 'WebApp' is not a valid ECR repository name",
        ),
    ],
)
def test_read_role_refuses_bad_props_with_a_message(props: dict[str, Any], message: str) -> None:
    error = _read_role_error(**props)
    assert error.startswith("PromotionReadRole 'Test/Read': ")
    assert re.search(message, error) or message in error, error


def test_a_replication_timeout_known_at_deploy_time_reaches_the_environment() -> None:
    stack = new_stack()
    seconds = cdk.CfnParameter(stack, "Seconds", type="Number").value_as_number
    PromotionFunction(
        stack,
        "Promote",
        repositories=_repositories(stack),
        replication_timeout=Duration.seconds(seconds),
    )
    (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["REPLICATION_TIMEOUT_SECONDS"] == {"Ref": "Seconds"}


# --------------------------------------------------------------------------------------- nag
def test_promotion_function_has_no_unacknowledged_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    _add_function(new_stack("Staging", app=app))
    assert nag_findings(app, tmp_path) == []


def test_promotion_function_in_a_vpc_has_no_unacknowledged_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    stack = new_stack("Staging", app=app)
    _add_function(stack, vpc=_imported_vpc(stack))
    assert nag_findings(app, tmp_path) == []


def test_promotion_read_role_has_no_unacknowledged_nag_finding(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    _add_read_role(new_stack("Production", app=app, account=PRODUCTION_ACCOUNT))
    assert nag_findings(app, tmp_path) == []
