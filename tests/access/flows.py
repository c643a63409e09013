"""The runtime flows of the reference app: who calls what, on which resource, in which context.

Each function derives its flows from the synthesized templates (the buildspecs' ``aws`` commands,
the pipeline's deploy actions, the task definitions, alarm actions, rule targets...) so that a new
call, topic or secret shows up here without being listed by hand. ``check`` evaluates a flow
against the synthesized identity, trust and resource policies.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.access.cfn import Assembly, Stack
from tests.access.evaluator import ContextValue, Decision, Principal, Request, evaluate
from tests.access.model import PolicyModel

STAGING_PIPELINE = "container-delivery-pipeline-{service}"
ACCESS_STACK = "container-delivery-pipeline-access-production"
GITHUB_PROVIDER = "token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Flow:
    actor: str
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    assume: bool = False
    """``resource`` is a role: evaluate the caller's identity policy and the role's trust."""
    identity: tuple[dict[str, Any], ...] = ()
    """Identity policies of a principal outside the templates (an AWS service account...)."""

    def __str__(self) -> str:
        ctx = f" {dict(self.context)}" if self.context else ""
        return f"[{self.actor}] {self.principal.arn} {self.action} {self.resource}{ctx}"


def check(model: PolicyModel, flow: Flow) -> Decision:
    if flow.assume:
        return model.assume(flow.principal, flow.resource, flow.context, action=flow.action)
    return model.check(
        flow.principal, flow.action, flow.resource, flow.context, extra_identity=flow.identity
    )


def default_key_policy(account: str) -> dict[str, Any]:
    """The default key policy of a key outside the app: the account's IAM policies decide."""
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    }


def check_external_key(model: PolicyModel, flow: Flow, account: str) -> Decision:
    """A flow on a KMS key that is not in the templates, with its default key policy."""
    role = model.roles.get(flow.principal.arn)
    ctx: dict[str, ContextValue] = {"aws:PrincipalArn": flow.principal.arn, **flow.context}
    return evaluate(
        Request(flow.principal, flow.action, flow.resource, ctx),
        identity_policies=role.policies if role else [],
        resource_policy=default_key_policy(account),
        resource_account=account,
        resource_policy_required=True,
    )


# --- helpers ---------------------------------------------------------------------------------


def _one(stack: Stack, type_: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
    found = [(k, r) for k, r in stack.of_type(type_) if k.startswith(prefix)]
    assert len(found) == 1, f"{stack.name}: {len(found)} {type_} starting with {prefix!r}"
    return found[0]


def pipeline_stacks(assembly: Assembly) -> list[Stack]:
    return [
        s
        for n, s in assembly.stacks.items()
        if n.startswith("container-delivery-pipeline-") and n != ACCESS_STACK
    ]


def service_of(stack: Stack) -> str:
    return stack.name.removeprefix("container-delivery-pipeline-")


def _buildspec(stack: Stack, logical_prefix: str) -> tuple[dict[str, Any], dict[str, str]]:
    _, project = _one(stack, "AWS::CodeBuild::Project", logical_prefix)
    props = stack.resolve(project["Properties"])
    spec = yaml.safe_load(props["Source"]["BuildSpec"])
    env = {v["Name"]: str(v["Value"]) for v in props["Environment"].get("EnvironmentVariables", [])}
    return spec, env


def _commands(spec: Mapping[str, Any]) -> list[str]:
    return [c for phase in spec["phases"].values() for c in phase.get("commands", [])]


def _role_arn(stack: Stack, logical_prefix: str) -> str:
    logical_id, _ = _one(stack, "AWS::IAM::Role", logical_prefix)
    return stack.arn(logical_id)


def _expand(text: str, env: Mapping[str, str]) -> str:
    return re.sub(r"\$\{?([A-Z_][A-Z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), text)


#: CLI command -> IAM actions; every ``aws`` command of a buildspec must be listed here, so that a
#: new command without its permission fails the access check.
AWS_CLI_ACTIONS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("ecr", "get-login-password"): ("ecr:GetAuthorizationToken",),
    ("ecr", "describe-images"): ("ecr:DescribeImages",),
    ("ecr", "batch-get-image"): ("ecr:BatchGetImage",),
    ("s3", "cp"): ("s3:GetObject or s3:PutObject",),
    ("ecr-public", "get-login-password"): (
        "ecr-public:GetAuthorizationToken",
        "sts:GetServiceBearerToken",
    ),
    ("inspector-scan", "scan-sbom"): ("inspector-scan:ScanSbom",),
    ("cloudformation", "describe-stacks"): ("cloudformation:DescribeStacks",),
    ("cloudformation", "update-stack"): ("cloudformation:UpdateStack",),
    ("cloudformation", "wait"): ("cloudformation:DescribeStacks",),
    ("cloudformation", "describe-stack-events"): ("cloudformation:DescribeStackEvents",),
    ("configure", "set"): (),
}

AWS_COMMAND = re.compile(r"(?:^|[\s(|;&`$])aws\s+([a-z0-9-]+)\s+([a-z0-9-]+)")


def _code_only(line: str) -> str:
    """``line`` without quoted text, keeping command substitutions inside double quotes."""
    out: list[str] = []
    state, depth, index = "", 0, 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            if state != "'" and (state == "" or depth):
                out.append(line[index : index + 2])
            index += 2
            continue
        if state == "'":
            state = "" if char == "'" else state
        elif state == '"' and not depth:
            if line.startswith("$(", index):
                depth = 1
                out.append(" $(")
                index += 2
                continue
            state = "" if char == '"' else state
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            out.append(char if depth else ") ")
        elif char in "'\"":
            state = char
        else:
            out.append(char)
        index += 1
    return "".join(out)


def aws_commands(commands: list[str]) -> list[tuple[str, str, str]]:
    """(service, command, the command line) of every ``aws`` call in ``commands``."""
    found = []
    for command in commands:
        for line in command.replace("\\\n", " ").splitlines():
            for match in AWS_COMMAND.finditer(_code_only(line)):
                found.append((match.group(1), match.group(2), line.strip()))
    return found


# --- actors ----------------------------------------------------------------------------------


def build_flows(assembly: Assembly) -> Iterator[Flow]:
    """CodeBuild build-and-gate: its buildspec's ``aws`` and ``docker`` calls, logs, artifacts."""
    for stack in pipeline_stacks(assembly):
        service = service_of(stack)
        role = Principal.role(_role_arn(stack, "PipelineBuildRole"))
        spec, env = _buildspec(stack, "PipelineBuild")
        a, r = stack.account, stack.region
        repo = f"arn:aws:ecr:{r}:{a}:repository/{env['REPOSITORY_NAME']}"
        cache = "arn:aws:ecr:{}:{}:repository/{}".format(
            r, a, env["CACHE_REPOSITORY_URI"].split("/", 1)[1]
        )
        actor = f"build {service}"
        for svc, cmd, line in aws_commands(_commands(spec)):
            actions = AWS_CLI_ACTIONS.get((svc, cmd))
            assert actions is not None, f"{actor}: `aws {svc} {cmd}` has no IAM mapping: {line}"
            for action in actions:
                if (svc, cmd) == ("s3", "cp"):
                    yield _s3_copy(actor, role, line, env)
                elif action in ("ecr:GetAuthorizationToken", "ecr-public:GetAuthorizationToken"):
                    yield Flow(actor, role, action, "*")
                elif action.startswith("ecr:"):
                    yield Flow(actor, role, action, repo)
                else:
                    yield Flow(actor, role, action, "*")
        docker = [c for c in _commands(spec) if c.startswith("docker ")]
        if any(c.startswith("docker push") for c in docker):
            for action in (
                "BatchCheckLayerAvailability",
                "InitiateLayerUpload",
                "UploadLayerPart",
                "CompleteLayerUpload",
                "PutImage",
            ):
                yield Flow(actor, role, f"ecr:{action}", repo)
        if any("--cache-to" in c for c in docker):
            for action in (
                "BatchGetImage",
                "GetDownloadUrlForLayer",
                "BatchCheckLayerAvailability",
                "InitiateLayerUpload",
                "UploadLayerPart",
                "CompleteLayerUpload",
                "PutImage",
            ):
                yield Flow(actor, role, f"ecr:{action}", cache)
        yield from _project_flows(stack, "PipelineBuild", role, actor, "build", writes=True)


def _s3_copy(actor: str, role: Principal, line: str, env: Mapping[str, str]) -> Flow:
    """``aws s3 cp SRC DST``: GetObject of an s3:// source, PutObject of an s3:// destination."""
    words = [w for w in shlex.split(line.split("aws s3 cp", 1)[1]) if not w.startswith("-")]
    source, destination = (_expand(w, env) for w in words[:2])
    if source.startswith("s3://"):
        return Flow(actor, role, "s3:GetObject", f"arn:aws:s3:::{source.removeprefix('s3://')}")
    assert destination.startswith("s3://"), f"{actor}: no S3 URL in {line}"
    key = destination.removeprefix("s3://")
    if key.endswith("/"):
        key += source.rsplit("/", 1)[-1]
    return Flow(actor, role, "s3:PutObject", f"arn:aws:s3:::{key}")


def _project_flows(
    stack: Stack, prefix: str, role: Principal, actor: str, kind: str, *, writes: bool
) -> Iterator[Flow]:
    """What CodeBuild does as the project's role: logs, the pipeline artifacts and their key."""
    _logical_id, project = _one(stack, "AWS::CodeBuild::Project", prefix)
    props = stack.resolve(project["Properties"])
    logs = props["LogsConfig"]
    group = logs["CloudWatchLogs"]["GroupName"]
    stream = logs["CloudWatchLogs"].get("StreamName", "")
    stream_arn = f"arn:aws:logs:{stack.region}:{stack.account}:log-group:{group}:log-stream:{stream}/build-id"
    yield Flow(actor, role, "logs:CreateLogStream", stream_arn)
    yield Flow(actor, role, "logs:PutLogEvents", stream_arn)
    s3_logs = logs.get("S3Logs", {})
    if s3_logs.get("Status") == "ENABLED":
        yield Flow(actor, role, "s3:PutObject", f"arn:aws:s3:::{s3_logs['Location']}/build-id.gz")
    artifacts_id, _ = _one(stack, "AWS::S3::Bucket", "PipelineArtifacts")
    artifacts = stack.physical_name(artifacts_id)
    key = stack.arn(_one(stack, "AWS::KMS::Key", "PipelineKey")[0])
    s3 = {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}
    yield Flow(
        actor, role, "s3:GetObject", f"arn:aws:s3:::{artifacts}/container-deliver/Source/in.zip"
    )
    yield Flow(actor, role, "kms:Decrypt", key, s3)
    if writes:
        yield Flow(
            actor,
            role,
            "s3:PutObject",
            f"arn:aws:s3:::{artifacts}/container-deliver/Release/out.zip",
        )
        yield Flow(actor, role, "kms:GenerateDataKey", key, s3)
        group_id, _ = _one(stack, "AWS::CodeBuild::ReportGroup", "PipelineGateReports")
        for action in (
            "codebuild:CreateReport",
            "codebuild:BatchPutTestCases",
            "codebuild:UpdateReport",
        ):
            yield Flow(actor, role, action, stack.arn(group_id))


def deploy_targets(stack: Stack) -> list[dict[str, str]]:
    """The environment variables of the pipeline's deploy actions (one dict per deploy)."""
    _, pipeline = _one(stack, "AWS::CodePipeline::Pipeline")
    stages = stack.resolve(pipeline["Properties"]["Stages"])
    targets = []
    for stage in stages:
        for action in stage["Actions"]:
            env = action.get("Configuration", {}).get("EnvironmentVariables")
            if env and "STACK_NAME" in env:
                targets.append({v["name"]: v["value"] for v in json.loads(env)})
    return targets


def deploy_flows(assembly: Assembly) -> Iterator[Flow]:
    """CodeBuild deploy: assume the target's deploy role, then the deploy script's calls."""
    for stack in pipeline_stacks(assembly):
        service = service_of(stack)
        deployer = Principal.role(_role_arn(stack, "PipelineDeployProjectRole"))
        spec, _ = _buildspec(stack, "PipelineDeploy")
        commands = aws_commands(_commands(spec))
        yield from _project_flows(
            stack, "PipelineDeploy", deployer, f"deploy {service}", "deploy", writes=False
        )
        for env in deploy_targets(stack):
            target = assembly.stack(env["STACK_NAME"])
            actor = f"deploy {env['STACK_NAME']}"
            role_arn = env["DEPLOY_ROLE_ARN"]
            yield Flow(actor, deployer, "sts:AssumeRole", role_arn, assume=True)
            role = Principal.role(role_arn)
            stack_arn = (
                f"arn:aws:cloudformation:{target.region}:{target.account}:stack/{target.name}/id"
            )
            for svc, cmd, line in commands:
                actions = AWS_CLI_ACTIONS.get((svc, cmd))
                assert actions is not None, f"{actor}: `aws {svc} {cmd}` has no IAM mapping: {line}"
                for action in actions:
                    context: dict[str, ContextValue] = {}
                    if action == "cloudformation:UpdateStack" and "--role-arn" in line:
                        context["cloudformation:RoleArn"] = env["CFN_EXEC_ROLE_ARN"]
                    yield Flow(actor, role, action, stack_arn, context)
                if (svc, cmd) == ("cloudformation", "update-stack") and "--role-arn" in line:
                    yield Flow(
                        actor,
                        role,
                        "iam:PassRole",
                        env["CFN_EXEC_ROLE_ARN"],
                        {"iam:PassedToService": "cloudformation.amazonaws.com"},
                    )
            # The template's CheckBootstrapVersion rule resolves an SSM parameter on update.
            parameter = target.template["Parameters"]["BootstrapVersion"]["Default"]
            yield Flow(
                actor,
                role,
                "ssm:GetParameters",
                f"arn:aws:ssm:{target.region}:{target.account}:parameter{parameter}",
            )
            yield Flow(
                actor,
                Principal.service("cloudformation.amazonaws.com"),
                "sts:AssumeRole",
                env["CFN_EXEC_ROLE_ARN"],
                assume=True,
            )
            yield from stack_update_flows(target, Principal.role(env["CFN_EXEC_ROLE_ARN"]), actor)


# --- what CloudFormation does when only ImageDigest changes -----------------------------------


@cache
def resource_schema(type_name: str) -> dict[str, Any]:
    """The CloudFormation registry schema of ``type_name`` (shipped with cfn-lint)."""
    import cfnlint

    folder = Path(cfnlint.__file__).parent / "data" / "schemas" / "resources"
    for path in folder.glob("*.json"):
        text = path.read_text()
        if f'"typeName": "{type_name}"' in text:
            return json.loads(text)  # type: ignore[no-any-return]
    raise KeyError(type_name)


def changed_resources(stack: Stack, before: str, after: str) -> dict[str, str]:
    """logical id -> ``replace`` / ``update`` when ``ImageDigest`` goes from before to after."""

    def props(digest: str) -> dict[str, Any]:
        saved = stack.parameter_values["ImageDigest"]
        stack.parameter_values["ImageDigest"] = digest
        try:
            return {k: stack.resolve(r.get("Properties", {})) for k, r in stack.resources.items()}
        finally:
            stack.parameter_values["ImageDigest"] = saved

    old, new = props(before), props(after)
    changes: dict[str, str] = {}
    for logical_id, resource in stack.resources.items():
        if old[logical_id] == new[logical_id]:
            continue
        create_only = {
            p.removeprefix("/properties/").split("/")[0]
            for p in resource_schema(resource["Type"]).get("createOnlyProperties", [])
        }
        changed = {
            k
            for k in set(old[logical_id]) | set(new[logical_id])
            if old[logical_id].get(k) != new[logical_id].get(k)
        }
        changes[logical_id] = "replace" if changed & create_only else "update"
    # A replaced resource gets a new physical id: whatever refers to it is updated too.
    for _ in range(3):
        for logical_id, resource in stack.resources.items():
            text = json.dumps(resource.get("Properties", {}))
            if logical_id not in changes and any(
                f'"{replaced}"' in text for replaced, how in changes.items() if how == "replace"
            ):
                changes[logical_id] = "update"
    return changes


#: Handler permissions that do not apply to an ECS service stack, with the reason.
NOT_NEEDED: Mapping[str, str] = {
    "lambda:GetProvisionedConcurrencyConfig": "Lambda scalable targets only",
    "lambda:PutProvisionedConcurrencyConfig": "Lambda scalable targets only",
    "lambda:DeleteProvisionedConcurrencyConfig": "Lambda scalable targets only",
    "cloudwatch:PutMetricAlarm": "alarms of scheduled actions: the target has none",
    "cloudwatch:DeleteAlarms": "alarms of scheduled actions: the target has none",
    "application-autoscaling:PutScheduledAction": "the scalable target has no ScheduledActions",
    "application-autoscaling:DeleteScheduledAction": "the scalable target has no ScheduledActions",
    "application-autoscaling:TagResource": "the scalable target has no Tags",
    "application-autoscaling:UntagResource": "the scalable target has no Tags",
    "application-autoscaling:ListTagsForResource": "the scalable target has no Tags",
}


def stack_update_flows(stack: Stack, exec_role: Principal, actor: str) -> Iterator[Flow]:
    """The CloudFormation execution role's calls for a new digest (first release and later)."""
    changes: dict[str, str] = {}
    for before, after in (("", "sha256:" + "a" * 64), ("sha256:" + "a" * 64, "sha256:" + "b" * 64)):
        for logical_id, how in changed_resources(stack, before, after).items():
            if changes.get(logical_id) != "replace":
                changes[logical_id] = how
    # Fn::GetStackOutput is resolved on every update, with the execution role by default.
    for reference in sorted(set(_stack_outputs(stack.template))):
        other = stack.assembly.stack(reference)
        yield Flow(
            f"{actor} (CloudFormation)",
            exec_role,
            "cloudformation:DescribeStacks",
            f"arn:aws:cloudformation:{other.region}:{other.account}:stack/{other.name}/id",
        )
    for logical_id, how in sorted(changes.items()):
        resource = stack.resources[logical_id]
        handlers = resource_schema(resource["Type"])["handlers"]
        # Replaced: create the new one, delete the old one (the reverse on rollback).
        phases = ("create", "delete", "update") if how == "replace" else ("update",)
        actions = sorted({a for phase in phases for a in handlers[phase]["permissions"]})
        arn = _changed_arn(stack, logical_id, resource)
        for action in actions:
            if action in NOT_NEEDED:
                continue
            if action in ("iam:PassRole", "iam:GetRole"):
                for role in _passed_roles(stack, resource):
                    ctx = (
                        {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
                        if action == "iam:PassRole"
                        else {}
                    )
                    yield Flow(f"{actor} (CloudFormation)", exec_role, action, role, ctx)
            elif action == "iam:CreateServiceLinkedRole":
                continue  # create only: the scalable target exists before the first release
            elif (
                action.startswith("ecs:")
                and "Deployment" in action
                and action != "ecs:ListServiceDeployments"
            ):
                yield Flow(
                    f"{actor} (CloudFormation)",
                    exec_role,
                    action,
                    arn.replace(":service/", ":service-deployment/") + "/deployment-id",
                )
            else:
                yield Flow(f"{actor} (CloudFormation)", exec_role, action, arn)


def _stack_outputs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "Fn::GetStackOutput" in value:
            yield value["Fn::GetStackOutput"]["StackName"]
        for item in value.values():
            yield from _stack_outputs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _stack_outputs(item)


def _changed_arn(stack: Stack, logical_id: str, resource: dict[str, Any]) -> str:
    if resource["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget":
        return f"arn:aws:application-autoscaling:{stack.region}:{stack.account}:scalable-target/0ec{logical_id.lower()}"
    return stack.arn(logical_id)


def _passed_roles(stack: Stack, resource: dict[str, Any]) -> list[str]:
    props = stack.resolve(resource.get("Properties", {}))
    if resource["Type"] == "AWS::ECS::TaskDefinition":
        return [props[k] for k in ("TaskRoleArn", "ExecutionRoleArn") if k in props]
    if resource["Type"] == "AWS::ECS::Service":
        _, task = next((k, r) for k, r in stack.of_type("AWS::ECS::TaskDefinition"))
        return _passed_roles(stack, task)
    return []


# --- ECS tasks --------------------------------------------------------------------------------


def service_stacks(assembly: Assembly) -> list[Stack]:
    return [
        s
        for s in assembly.stacks.values()
        if any(True for _ in s.of_type("AWS::ECS::TaskDefinition"))
    ]


def execution_role_flows(assembly: Assembly) -> Iterator[tuple[Flow, str | None]]:
    """ECS starting a task: pull by digest, write logs, read secrets and decrypt their keys.

    Yields (flow, account of an external KMS key or None).
    """
    for stack in service_stacks(assembly):
        _, task = _one(stack, "AWS::ECS::TaskDefinition")
        props = stack.resolve(task["Properties"])
        role = Principal.role(props["ExecutionRoleArn"])
        actor = f"task start {stack.name}"
        yield (
            Flow(
                actor,
                Principal.service("ecs-tasks.amazonaws.com"),
                "sts:AssumeRole",
                role.arn,
                assume=True,
            ),
            None,
        )
        for container in props["ContainerDefinitions"]:
            image = container["Image"]
            registry, rest = image.split("/", 1)
            account, _, _, region, *_ = registry.split(".")
            name = rest.split("@")[0].split(":")[0]
            repo = f"arn:aws:ecr:{region}:{account}:repository/{name}"
            yield Flow(actor, role, "ecr:GetAuthorizationToken", "*"), None
            for action in (
                "BatchCheckLayerAvailability",
                "GetDownloadUrlForLayer",
                "BatchGetImage",
            ):
                yield Flow(actor, role, f"ecr:{action}", repo), None
            options = container["LogConfiguration"]["Options"]
            group = options["awslogs-group"]
            stream = f"arn:aws:logs:{stack.region}:{stack.account}:log-group:{group}:log-stream:{options['awslogs-stream-prefix']}/App/task-id"
            yield Flow(actor, role, "logs:CreateLogStream", stream), None
            yield Flow(actor, role, "logs:PutLogEvents", stream), None
            for secret in container.get("Secrets", []):
                arn = ":".join(secret["ValueFrom"].split(":")[:7])
                yield Flow(actor, role, "secretsmanager:GetSecretValue", arn), None
        yield from _log_key_flows(stack)


def _log_key_flows(stack: Stack) -> Iterator[tuple[Flow, str | None]]:
    """CloudWatch Logs encrypting the service's log group with its key."""
    for logical_id, group in stack.of_type("AWS::Logs::LogGroup"):
        props = stack.resolve(group.get("Properties", {}))
        if "KmsKeyId" not in props:
            continue
        group_arn = stack.arn(logical_id).removesuffix(":*")
        logs = Principal.service(f"logs.{stack.region}.amazonaws.com")
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            yield (
                Flow(
                    f"logs {stack.name}",
                    logs,
                    action,
                    props["KmsKeyId"],
                    {"kms:EncryptionContext:aws:logs:arn": group_arn},
                ),
                None,
            )


def secret_key_flows(
    assembly: Assembly, keys: Mapping[tuple[str, str], str]
) -> Iterator[tuple[Flow, str]]:
    """kms:Decrypt of each configured secret key, through Secrets Manager only."""
    for (stack_name, _secret), key_arn in keys.items():
        stack = assembly.stack(stack_name)
        _, task = _one(stack, "AWS::ECS::TaskDefinition")
        role = Principal.role(stack.resolve(task["Properties"]["ExecutionRoleArn"]))
        yield (
            Flow(
                f"task start {stack_name}",
                role,
                "kms:Decrypt",
                key_arn,
                {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"},
            ),
            key_arn.split(":")[4],
        )


# --- notifications ----------------------------------------------------------------------------


def _topic_key(assembly: Assembly, topic_arn: str) -> str | None:
    for stack in assembly.stacks.values():
        for logical_id, topic in stack.of_type("AWS::SNS::Topic"):
            if stack.arn(logical_id) == topic_arn:
                return stack.resolve(topic["Properties"].get("KmsMasterKeyId"))  # type: ignore[no-any-return]
    raise KeyError(topic_arn)


#: What reaches KMS when SNS encrypts a message for a publishing service: SNS calls KMS on the
#: service's behalf (kms:ViaService); CloudWatch alarms also pass aws:SourceAccount, EventBridge
#: and CodeStar Notifications pass neither aws:SourceAccount nor aws:SourceArn to KMS.
KMS_SOURCE_KEYS: Mapping[str, tuple[str, ...]] = {
    "cloudwatch.amazonaws.com": ("aws:SourceAccount",)
}


def _publish(
    assembly: Assembly,
    actor: str,
    principal: Principal,
    topic: str,
    context: Mapping[str, ContextValue],
) -> Iterator[Flow]:
    yield Flow(actor, principal, "sns:Publish", topic, context)
    key = _topic_key(assembly, topic)
    if key:
        region = topic.split(":")[3]
        kms_context: dict[str, ContextValue] = {"kms:ViaService": f"sns.{region}.amazonaws.com"}
        for name in KMS_SOURCE_KEYS.get(principal.arn, ()):
            kms_context[name] = context[name]
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            yield Flow(actor, principal, action, key, kms_context)


def alarm_flows(assembly: Assembly) -> Iterator[Flow]:
    """CloudWatch alarms publishing to their SNS actions."""
    cloudwatch = Principal.service("cloudwatch.amazonaws.com")
    for stack in assembly.stacks.values():
        for logical_id, alarm in stack.of_type("AWS::CloudWatch::Alarm"):
            props = stack.resolve(alarm["Properties"])
            for topic in props.get("AlarmActions", []) + props.get("OKActions", []):
                context = {
                    "aws:SourceAccount": stack.account,
                    "aws:SourceArn": stack.arn(logical_id),
                }
                yield from _publish(
                    assembly, f"alarm {stack.name}/{logical_id}", cloudwatch, topic, context
                )


def rule_flows(assembly: Assembly) -> Iterator[Flow]:
    """EventBridge rules delivering to SNS, and rules starting pipelines through a role."""
    events = Principal.service("events.amazonaws.com")
    for stack in assembly.stacks.values():
        for logical_id, rule in stack.of_type("AWS::Events::Rule"):
            props = stack.resolve(rule["Properties"])
            rule_arn = stack.arn(logical_id)
            context = {"aws:SourceAccount": stack.account, "aws:SourceArn": rule_arn}
            for target in props.get("Targets", []):
                actor = f"rule {stack.name}/{logical_id}"
                if ":sns:" in target["Arn"]:
                    yield from _publish(assembly, actor, events, target["Arn"], context)
                elif ":codepipeline:" in target["Arn"]:
                    yield Flow(
                        actor, events, "sts:AssumeRole", target["RoleArn"], context, assume=True
                    )
                    yield Flow(
                        actor,
                        Principal.role(target["RoleArn"]),
                        "codepipeline:StartPipelineExecution",
                        target["Arn"],
                    )
                else:
                    raise AssertionError(f"{actor}: no flow for target {target['Arn']}")


def notification_rule_flows(assembly: Assembly) -> Iterator[Flow]:
    """CodeStar notification rules (pipeline events) publishing to SNS."""
    codestar = Principal.service("codestar-notifications.amazonaws.com")
    for stack in assembly.stacks.values():
        for logical_id, rule in stack.of_type("AWS::CodeStarNotifications::NotificationRule"):
            props = stack.resolve(rule["Properties"])
            for target in props["Targets"]:
                context = {
                    "aws:SourceAccount": stack.account,
                    "aws:SourceArn": stack.arn(logical_id),
                }
                yield from _publish(
                    assembly,
                    f"notifications {stack.name}",
                    codestar,
                    target["TargetAddress"],
                    context,
                )


# --- pipeline, source, promotion ---------------------------------------------------------------


def pipeline_flows(assembly: Assembly) -> Iterator[Flow]:
    """CodePipeline itself: read the source version, run the projects, invoke the promotion."""
    for stack in pipeline_stacks(assembly):
        service = service_of(stack)
        role = Principal.role(_role_arn(stack, "PipelinePipelineRole"))
        actor = f"pipeline {service}"
        _, pipeline = _one(stack, "AWS::CodePipeline::Pipeline")
        props = stack.resolve(pipeline["Properties"])
        key = stack.arn(_one(stack, "AWS::KMS::Key", "PipelineKey")[0])
        s3 = {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}
        for stage in props["Stages"]:
            for action in stage["Actions"]:
                kind = action["ActionTypeId"]
                config = action.get("Configuration", {})
                if kind["Provider"] == "S3":
                    obj = f"arn:aws:s3:::{config['S3Bucket']}/{config['S3ObjectKey']}"
                    yield Flow(actor, role, "s3:GetObject", obj)
                    yield Flow(actor, role, "s3:GetObjectVersion", obj)
                    yield Flow(actor, role, "kms:Decrypt", key, s3)
                elif kind["Provider"] == "CodeBuild":
                    project = f"arn:aws:codebuild:{stack.region}:{stack.account}:project/{config['ProjectName']}"
                    yield Flow(actor, role, "codebuild:StartBuild", project)
                    yield Flow(actor, role, "codebuild:BatchGetBuilds", project)
                elif kind["Provider"] == "Lambda":
                    function = f"arn:aws:lambda:{stack.region}:{stack.account}:function:{config['FunctionName']}"
                    yield Flow(actor, role, "lambda:InvokeFunction", function)
                elif kind["Provider"] == "Manual":
                    yield from _publish(assembly, actor, role, config["NotificationArn"], {})
                if "RoleArn" in action:
                    yield Flow(actor, role, "sts:AssumeRole", action["RoleArn"], assume=True)


def upload_flows(assembly: Assembly, config_services: Mapping[str, str]) -> Iterator[Flow]:
    """GitHub Actions: assume the upload role with the OIDC token, put the source archive."""
    for stack in pipeline_stacks(assembly):
        service = service_of(stack)
        role_arn = _role_arn(stack, "PipelineSourceUploadRole")
        provider = Principal(
            "federated", f"arn:aws:iam::{stack.account}:oidc-provider/{GITHUB_PROVIDER}"
        )
        token = {
            f"{GITHUB_PROVIDER}:aud": "sts.amazonaws.com",
            f"{GITHUB_PROVIDER}:sub": f"repo:{config_services[service]}:ref:refs/tags/v1.4.0",
        }
        actor = f"github {service}"
        yield Flow(actor, provider, "sts:AssumeRoleWithWebIdentity", role_arn, token, assume=True)
        bucket_id, _ = _one(stack, "AWS::S3::Bucket", "PipelineSource")
        role = Principal.role(role_arn)
        yield Flow(
            actor,
            role,
            "s3:PutObject",
            f"arn:aws:s3:::{stack.physical_name(bucket_id)}/source/{service}.zip",
        )
        key = stack.arn(_one(stack, "AWS::KMS::Key", "PipelineKey")[0])
        yield Flow(
            actor,
            role,
            "kms:GenerateDataKey",
            key,
            {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"},
        )


def replication_flows(assembly: Assembly) -> Iterator[Flow]:
    """ECR replicating every service repository into the production registry.

    The source registry's replication configuration acts as the identity policy of the source
    account (ECR replicates on its behalf); the destination's registry policy must allow it.
    """
    source = assembly.stack("container-delivery-registry-staging")
    _, replication = _one(source, "AWS::ECR::ReplicationConfiguration")
    rules = source.resolve(replication["Properties"])["ReplicationConfiguration"]["Rules"]
    identity = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
                "Resource": [
                    f"arn:aws:ecr:{d['Region']}:{d['RegistryId']}:repository/{f['Filter']}*"
                    for d in rule["Destinations"]
                    for f in rule["RepositoryFilters"]
                ],
            }
            for rule in rules
        ]
    }
    principal = Principal.role(f"arn:aws:iam::{source.account}:root")
    for rule in rules:
        for destination in rule["Destinations"]:
            for repo_filter in rule["RepositoryFilters"]:
                repo = f"arn:aws:ecr:{destination['Region']}:{destination['RegistryId']}:repository/{repo_filter['Filter']}"
                for action in ("ecr:CreateRepository", "ecr:ReplicateImage"):
                    yield Flow(
                        f"replication {repo_filter['Filter']}",
                        principal,
                        action,
                        repo,
                        identity=(identity,),
                    )


def alb_log_flows(assembly: Assembly) -> Iterator[Flow]:
    """Load balancers writing access logs to their bucket (ELB's regional account)."""
    elb_account_anything = {
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]
    }
    for stack in assembly.stacks.values():
        for _logical_id, lb in stack.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer"):
            attributes = {
                a["Key"]: a["Value"]
                for a in stack.resolve(lb["Properties"]).get("LoadBalancerAttributes", [])
            }
            if attributes.get("access_logs.s3.enabled") != "true":
                continue
            bucket, prefix = (
                attributes["access_logs.s3.bucket"],
                attributes.get("access_logs.s3.prefix", ""),
            )
            obj = f"arn:aws:s3:::{bucket}/{prefix}/AWSLogs/{stack.account}/elasticloadbalancing/{stack.region}/log.gz"
            elb = Principal.role(f"arn:aws:iam::{ELB_ACCOUNTS[stack.region]}:root")
            yield Flow(
                f"alb {stack.name}", elb, "s3:PutObject", obj, identity=(elb_account_anything,)
            )


#: Elastic Load Balancing's account per region (ELB user guide, "Enable access logs").
ELB_ACCOUNTS = {
    "eu-west-1": "156460612806",
    "eu-central-1": "054676820928",
    "us-east-1": "127311923021",
}


def flow_log_flows(assembly: Assembly) -> Iterator[Flow]:
    """VPC flow logs delivering to their encrypted log group through their role."""
    for stack in assembly.stacks.values():
        for _logical_id, flow_log in stack.of_type("AWS::EC2::FlowLog"):
            props = stack.resolve(flow_log["Properties"])
            if props.get("LogDestinationType", "cloud-watch-logs") != "cloud-watch-logs":
                continue
            role = props["DeliverLogsPermissionArn"]
            actor = f"flow logs {stack.name}"
            yield Flow(
                actor,
                Principal.service("vpc-flow-logs.amazonaws.com"),
                "sts:AssumeRole",
                role,
                {"aws:SourceAccount": stack.account},
                assume=True,
            )
            group = props["LogGroupName"]
            stream = (
                f"arn:aws:logs:{stack.region}:{stack.account}:log-group:{group}:log-stream:eni-1"
            )
            for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
                yield Flow(actor, Principal.role(role), action, stream)
        yield from (
            f
            for f, _ in _log_key_flows(stack)
            if stack.name.startswith("container-delivery-network")
        )
