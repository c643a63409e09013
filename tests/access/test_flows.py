"""The access check: every runtime actor's calls, evaluated against the synthesized policies.

Flows are derived from the reference app's templates (see ``flows.py``); each test lists every
denied flow with the evaluator's reason. Negative cases show the policies are not simply open.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from container_delivery.config import load_config
from tests.access import flows as fl
from tests.access.cfn import Assembly
from tests.access.evaluator import Principal
from tests.access.model import PolicyModel

STAGING = "111111111111"
PRODUCTION = "222222222222"
REGION = "eu-west-1"
BOOTSTRAP_EXEC_ROLE = (
    f"arn:aws:iam::{PRODUCTION}:role/cdk-hnb659fds-cfn-exec-role-{PRODUCTION}-{REGION}"
)


def denied(model: PolicyModel, flows: Iterable[fl.Flow]) -> list[str]:
    return [
        f"{flow} -> {decision}" for flow in flows if not (decision := fl.check(model, flow)).allowed
    ]


def test_build_step_may_make_every_call_of_its_buildspec(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = list(fl.build_flows(assembly))
    actions = {f.action for f in flows}
    assert {
        "ecr:GetAuthorizationToken",
        "ecr:DescribeImages",
        "ecr:PutImage",
        "s3:GetObject",
    } <= actions
    assert denied(model, flows) == []


def test_deploy_step_may_assume_update_and_wait_in_both_accounts(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = list(fl.deploy_flows(assembly))
    stacks = {f.resource.split("/")[1] for f in flows if f.action == "cloudformation:UpdateStack"}
    assert stacks == {
        "webapp-staging",
        "webapp-production",
        "orders-worker-staging",
        "orders-worker-production",
    }
    assert denied(model, flows) == []


def test_cloudformation_may_roll_each_service_stack_to_a_new_digest(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = [f for f in fl.deploy_flows(assembly) if "(CloudFormation)" in f.actor]
    # The task definition is replaced, the service and (first release) the scalable target updated.
    actions = {f.action for f in flows}
    assert {
        "ecs:RegisterTaskDefinition",
        "ecs:DeregisterTaskDefinition",
        "ecs:UpdateService",
        "application-autoscaling:RegisterScalableTarget",
        "iam:PassRole",
        "cloudformation:DescribeStacks",  # Fn::GetStackOutput of the network stack
    } <= actions
    assert denied(model, flows) == []


def test_an_image_digest_change_replaces_only_the_task_definition(assembly: Assembly) -> None:
    stack = assembly.stack("webapp-production")
    changes = fl.changed_resources(stack, "sha256:" + "a" * 64, "sha256:" + "b" * 64)
    kinds = {stack.resources[k]["Type"]: how for k, how in changes.items()}
    assert kinds == {"AWS::ECS::TaskDefinition": "replace", "AWS::ECS::Service": "update"}


def test_ecs_may_start_tasks_pull_by_digest_log_and_read_secrets(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = [flow for flow, _ in fl.execution_role_flows(assembly)]
    assert any(f.action == "secretsmanager:GetSecretValue" for f in flows)
    assert denied(model, flows) == []


def test_the_execution_role_may_decrypt_secrets_with_their_customer_managed_key(
    assembly: Assembly, model: PolicyModel
) -> None:
    # GIVEN the reference config names the production secret's customer managed key
    config = load_config()
    keys = {
        (f"{service.name}-{env}", name): ref.kms_key_arn
        for service in config.services
        for env in ("staging", "production")
        for name, ref in service.secrets_for(env).items()  # type: ignore[arg-type]
        if ref.kms_key_arn
    }
    assert keys, "the reference config should exercise a secret with a customer managed key"
    # THEN ECS (the execution role) may decrypt with it, through Secrets Manager only
    for flow, account in fl.secret_key_flows(assembly, keys):
        assert fl.check_external_key(model, flow, account).allowed, flow
        direct = fl.Flow(flow.actor, flow.principal, flow.action, flow.resource)
        assert not fl.check_external_key(model, direct, account).allowed, (
            "kms:ViaService is not enforced"
        )


def test_alarms_may_publish_to_their_encrypted_topics(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = list(fl.alarm_flows(assembly))
    assert len({f.resource for f in flows if f.action == "sns:Publish"}) == 2  # one per environment
    assert denied(model, flows) == []


def test_eventbridge_rules_may_publish_and_start_pipelines(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = list(fl.rule_flows(assembly))
    assert {f.action for f in flows} >= {"sns:Publish", "codepipeline:StartPipelineExecution"}
    assert denied(model, flows) == []


def test_pipeline_notifications_may_publish(assembly: Assembly, model: PolicyModel) -> None:
    flows = list(fl.notification_rule_flows(assembly))
    assert flows
    assert denied(model, flows) == []


def test_the_pipeline_may_read_its_source_run_its_steps_and_ask_for_approval(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = list(fl.pipeline_flows(assembly))
    assert {
        "codebuild:StartBuild",
        "lambda:InvokeFunction",
        "sns:Publish",
        "s3:GetObjectVersion",
    } <= {f.action for f in flows}
    assert denied(model, flows) == []


def test_github_actions_may_upload_the_release_source(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = list(fl.upload_flows(assembly, _repositories()))
    assert denied(model, flows) == []


def test_ecr_may_replicate_every_service_into_production(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = list(fl.replication_flows(assembly))
    assert {f.resource.rsplit("/", 1)[1] for f in flows} == {"webapp", "orders-worker"}
    assert denied(model, flows) == []


def test_load_balancers_and_flow_logs_may_write_their_logs(
    assembly: Assembly, model: PolicyModel
) -> None:
    flows = list(fl.alb_log_flows(assembly)) + list(fl.flow_log_flows(assembly))
    assert {f.actor.split()[0] for f in flows} >= {"alb", "flow", "logs"}
    assert denied(model, flows) == []


def test_at_least_forty_flows_across_the_actors(assembly: Assembly) -> None:
    flows = [
        *fl.build_flows(assembly),
        *fl.deploy_flows(assembly),
        *fl.alarm_flows(assembly),
        *fl.rule_flows(assembly),
        *fl.notification_rule_flows(assembly),
        *fl.pipeline_flows(assembly),
        *fl.upload_flows(assembly, _repositories()),
        *fl.replication_flows(assembly),
        *fl.alb_log_flows(assembly),
        *fl.flow_log_flows(assembly),
        *(f for f, _ in fl.execution_role_flows(assembly)),
    ]
    actors = {f.actor.split()[0] for f in flows}
    assert len(flows) >= 40
    assert actors >= {
        "build",
        "deploy",
        "alarm",
        "rule",
        "notifications",
        "pipeline",
        "github",
        "replication",
        "alb",
        "flow",
        "task",
    }


def _repositories() -> dict[str, str]:
    return {s.name: s.github_repository for s in load_config().services}


# --- negative cases ----------------------------------------------------------------------------


def _production_deploy_role(model: PolicyModel, service: str = "webapp") -> Principal:
    arn = f"arn:aws:iam::{PRODUCTION}:role/container-delivery-deploy-{service}"
    assert arn in model.roles
    return Principal.role(arn)


def test_the_deployer_cannot_pass_an_administrator_role(model: PolicyModel) -> None:
    deploy = _production_deploy_role(model)
    for role in (BOOTSTRAP_EXEC_ROLE, f"arn:aws:iam::{PRODUCTION}:role/Administrator"):
        decision = model.check(
            deploy, "iam:PassRole", role, {"iam:PassedToService": "cloudformation.amazonaws.com"}
        )
        assert decision.effect == "ImplicitDeny", (role, decision)


def test_the_deployer_cannot_update_the_stack_without_its_own_execution_role(
    model: PolicyModel,
) -> None:
    deploy = _production_deploy_role(model)
    stack = f"arn:aws:cloudformation:{REGION}:{PRODUCTION}:stack/webapp-production/id"
    # Without --role-arn CloudFormation would reuse the stack's previous (bootstrap) role.
    assert not model.check(deploy, "cloudformation:UpdateStack", stack).allowed
    assert not model.check(
        deploy, "cloudformation:UpdateStack", stack, {"cloudformation:RoleArn": BOOTSTRAP_EXEC_ROLE}
    ).allowed
    own = f"arn:aws:iam::{PRODUCTION}:role/container-delivery-deploy-webapp-cfn"
    assert model.check(
        deploy, "cloudformation:UpdateStack", stack, {"cloudformation:RoleArn": own}
    ).allowed


def test_the_deployer_cannot_touch_another_services_stack(model: PolicyModel) -> None:
    deploy = _production_deploy_role(model)
    other = f"arn:aws:cloudformation:{REGION}:{PRODUCTION}:stack/orders-worker-production/id"
    own_role = f"arn:aws:iam::{PRODUCTION}:role/container-delivery-deploy-webapp-cfn"
    assert not model.check(
        deploy, "cloudformation:UpdateStack", other, {"cloudformation:RoleArn": own_role}
    ).allowed
    other_exec = f"arn:aws:iam::{PRODUCTION}:role/container-delivery-deploy-orders-worker-cfn"
    assert not model.check(
        deploy, "iam:PassRole", other_exec, {"iam:PassedToService": "cloudformation.amazonaws.com"}
    ).allowed


def test_the_stack_execution_role_cannot_grant_itself_more(model: PolicyModel) -> None:
    exec_role = Principal.role(
        f"arn:aws:iam::{PRODUCTION}:role/container-delivery-deploy-webapp-cfn"
    )
    role = f"arn:aws:iam::{PRODUCTION}:role/webapp-production-ServiceTaskDefinitionTaskRole"
    for action, resource, context in [
        ("iam:CreateRole", f"arn:aws:iam::{PRODUCTION}:role/webapp-production-admin", {}),
        ("iam:PutRolePolicy", role, {}),
        ("iam:AttachRolePolicy", role, {}),
        ("iam:PassRole", BOOTSTRAP_EXEC_ROLE, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
        ("iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"}),
        (
            "iam:PassRole",
            f"arn:aws:iam::{PRODUCTION}:role/orders-worker-production-TaskRole",
            {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
        ),
        (
            "ecs:UpdateService",
            f"arn:aws:ecs:{REGION}:{PRODUCTION}:service/cluster/orders-worker-production-Service",
            {},
        ),
        (
            "ecs:CreateService",
            f"arn:aws:ecs:{REGION}:{PRODUCTION}:service/cluster/webapp-production-x",
            {},
        ),
        (
            "ec2:AuthorizeSecurityGroupIngress",
            f"arn:aws:ec2:{REGION}:{PRODUCTION}:security-group/sg-1",
            {},
        ),
        ("s3:GetObject", "arn:aws:s3:::any-bucket/any-key", {}),
        ("lambda:CreateFunction", f"arn:aws:lambda:{REGION}:{PRODUCTION}:function:x", {}),
    ]:
        assert not model.check(exec_role, action, resource, context).allowed, action


def test_only_the_pipeline_deployer_may_assume_the_production_deploy_role(
    model: PolicyModel,
) -> None:
    role = f"arn:aws:iam::{PRODUCTION}:role/container-delivery-deploy-webapp"
    own = Principal.role(f"arn:aws:iam::{STAGING}:role/container-delivery-deployer-webapp")
    other = Principal.role(f"arn:aws:iam::{STAGING}:role/container-delivery-deployer-orders-worker")
    assert model.assume(own, role).allowed
    assert not model.assume(other, role).allowed
    assert not model.assume(
        Principal.role("arn:aws:iam::333333333333:role/container-delivery-deployer-webapp"), role
    ).allowed


def test_the_upload_role_cannot_write_another_services_key(
    assembly: Assembly, model: PolicyModel
) -> None:
    webapp = Principal.role(f"arn:aws:iam::{STAGING}:role/container-delivery-github-webapp")
    for flow in fl.upload_flows(assembly, _repositories()):
        if flow.action == "s3:PutObject" and "orders-worker" in flow.resource:
            decision = model.check(webapp, "s3:PutObject", flow.resource)
            assert not decision.allowed, decision
    bucket = next(
        f.resource
        for f in fl.upload_flows(assembly, _repositories())
        if f.action == "s3:PutObject" and "webapp" in f.actor
    )
    assert not model.check(
        webapp, "s3:PutObject", bucket.replace("source/webapp.zip", "source/other.zip")
    ).allowed


def test_only_the_services_repository_and_release_tags_may_assume_the_upload_role(
    assembly: Assembly, model: PolicyModel
) -> None:
    role = f"arn:aws:iam::{STAGING}:role/container-delivery-github-webapp"
    github = Principal("federated", f"arn:aws:iam::{STAGING}:oidc-provider/{fl.GITHUB_PROVIDER}")
    aud = {f"{fl.GITHUB_PROVIDER}:aud": "sts.amazonaws.com"}
    for sub in (
        "repo:example-org/orders-worker:ref:refs/tags/v1.0.0",
        "repo:example-org/webapp:ref:refs/heads/main",
        "repo:example-org/webapp:pull_request",
    ):
        context = {**aud, f"{fl.GITHUB_PROVIDER}:sub": sub}
        assert not model.assume(github, role, context, "sts:AssumeRoleWithWebIdentity").allowed, sub
    tag = {**aud, f"{fl.GITHUB_PROVIDER}:sub": "repo:example-org/webapp:ref:refs/tags/v2.0.0"}
    assert model.assume(github, role, tag, "sts:AssumeRoleWithWebIdentity").allowed


def test_another_account_cannot_replicate_into_production(model: PolicyModel) -> None:
    repo = f"arn:aws:ecr:{REGION}:{PRODUCTION}:repository/webapp"
    everything = {"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}
    stranger = Principal.role("arn:aws:iam::333333333333:root")
    for action in ("ecr:ReplicateImage", "ecr:CreateRepository"):
        assert not model.check(stranger, action, repo, extra_identity=[everything]).allowed
    # nor may staging replicate a repository outside the services (e.g. the unscanned build cache)
    staging = Principal.role(f"arn:aws:iam::{STAGING}:root")
    cache = f"arn:aws:ecr:{REGION}:{PRODUCTION}:repository/build-cache/webapp"
    assert not model.check(
        staging, "ecr:ReplicateImage", cache, extra_identity=[everything]
    ).allowed


def test_services_cannot_publish_to_topics_without_tls(
    assembly: Assembly, model: PolicyModel
) -> None:
    flow = next(f for f in fl.alarm_flows(assembly) if f.action == "sns:Publish")
    plain = {**flow.context, "aws:SecureTransport": False}
    assert model.check(flow.principal, flow.action, flow.resource, plain).effect == "ExplicitDeny"


def test_alarms_of_another_account_cannot_publish(assembly: Assembly, model: PolicyModel) -> None:
    flow = next(f for f in fl.alarm_flows(assembly) if f.action == "sns:Publish")
    foreign = {
        "aws:SourceAccount": "333333333333",
        "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:333333333333:alarm:x",
    }
    assert not model.check(flow.principal, flow.action, flow.resource, foreign).allowed


@pytest.mark.parametrize("service", ["webapp", "orders-worker"])
def test_the_promotion_read_role_only_reads_its_own_repository(
    model: PolicyModel, service: str
) -> None:
    reader = Principal.role(
        f"arn:aws:iam::{PRODUCTION}:role/container-delivery-promotion-read-{service}"
    )
    own = f"arn:aws:ecr:{REGION}:{PRODUCTION}:repository/{service}"
    other = own.rsplit("/", 1)[0] + "/" + ("orders-worker" if service == "webapp" else "webapp")
    assert model.check(reader, "ecr:DescribeImages", own).allowed
    assert not model.check(reader, "ecr:DescribeImages", other).allowed
    assert not model.check(reader, "ecr:PutImage", own).allowed


# --- the command parser the build and deploy flows rely on ---------------------------------------


def test_aws_commands_are_found_in_pipes_substitutions_and_continued_lines() -> None:
    commands = [
        "aws ecr get-login-password | docker login --username AWS --password-stdin x",
        'IMAGE_DIGEST=$(aws ecr describe-images --repository-name "$R")',
        'if ! OUT=$(aws cloudformation update-stack --stack-name "$S" \\\n  --role-arn "$X" 2>&1); then',
        "echo 'the aws cli is not called here' && awsx s3 cp a b",
    ]
    found = [(svc, cmd, "--role-arn" in line) for svc, cmd, line in fl.aws_commands(commands)]
    assert found == [
        ("ecr", "get-login-password", False),
        ("ecr", "describe-images", False),
        ("cloudformation", "update-stack", True),
    ]
    # a new command has no IAM mapping until someone adds it (and its permission)
    assert ("ssm", "get-parameter") not in fl.AWS_CLI_ACTIONS


def test_s3_copies_read_an_s3_source_and_write_an_s3_destination() -> None:
    role = Principal.role(f"arn:aws:iam::{STAGING}:role/build")
    env = {"GATE": "s3://assets/gate.zip", "BUCKET": "cache"}
    read = fl._s3_copy("build", role, 'aws s3 cp --no-progress "$GATE" /tmp/gate.zip', env)
    write = fl._s3_copy("build", role, 'aws s3 cp /tmp/kev.json "s3://$BUCKET/kev/"', env)
    assert (read.action, read.resource) == ("s3:GetObject", "arn:aws:s3:::assets/gate.zip")
    assert (write.action, write.resource) == ("s3:PutObject", "arn:aws:s3:::cache/kev/kev.json")
