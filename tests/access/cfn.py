"""Resolve a synthesized cloud assembly into concrete policies with fake physical ids.

Every stack of the assembly is loaded with its account and region (``manifest.json``); intrinsic
functions are resolved as CloudFormation would, with predictable fake names for what
CloudFormation generates: a resource without an explicit name is called
``<stack name>-<logical id>`` (CloudFormation's ``<stack>-<logical id>-<random>`` without the
random suffix), so ARN patterns that rely on the stack-name prefix are exercised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: A digest and values for parameters without a default.
FAKE_PARAMETERS: Mapping[str, str] = {
    "ImageDigest": "sha256:" + "d" * 64,
    "BootstrapVersion": "30",
}

# type -> (Ref attribute, Arn format); {name} is the physical name, {p}/{r}/{a} partition etc.
_REF_IS_ARN = {
    "AWS::SNS::Topic",
    "AWS::IAM::ManagedPolicy",
    "AWS::ECS::TaskDefinition",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::CertificateManager::Certificate",
    "AWS::IAM::OIDCProvider",
    "AWS::ECS::Service",
}
_NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::CodeBuild::Project": "Name",
    "AWS::CodePipeline::Pipeline": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::ECS::Service": "ServiceName",
    "AWS::ECS::TaskDefinition": "Family",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::CodeBuild::ReportGroup": "Name",
    "AWS::CodeStarNotifications::NotificationRule": "Name",
    "AWS::WAFv2::WebACL": "Name",
    "AWS::SQS::Queue": "QueueName",
}
_ARNS = {
    "AWS::IAM::Role": "arn:{p}:iam::{a}:role/{name}",
    "AWS::IAM::ManagedPolicy": "arn:{p}:iam::{a}:policy/{name}",
    "AWS::S3::Bucket": "arn:{p}:s3:::{name}",
    "AWS::SNS::Topic": "arn:{p}:sns:{r}:{a}:{name}",
    "AWS::KMS::Key": "arn:{p}:kms:{r}:{a}:key/{name}",
    "AWS::ECR::Repository": "arn:{p}:ecr:{r}:{a}:repository/{name}",
    "AWS::Logs::LogGroup": "arn:{p}:logs:{r}:{a}:log-group:{name}:*",
    "AWS::Lambda::Function": "arn:{p}:lambda:{r}:{a}:function:{name}",
    "AWS::CodeBuild::Project": "arn:{p}:codebuild:{r}:{a}:project/{name}",
    "AWS::CodeBuild::ReportGroup": "arn:{p}:codebuild:{r}:{a}:report-group/{name}",
    "AWS::CodePipeline::Pipeline": "arn:{p}:codepipeline:{r}:{a}:{name}",
    "AWS::Events::Rule": "arn:{p}:events:{r}:{a}:rule/{name}",
    "AWS::ECS::Cluster": "arn:{p}:ecs:{r}:{a}:cluster/{name}",
    "AWS::ECS::TaskDefinition": "arn:{p}:ecs:{r}:{a}:task-definition/{name}:1",
    "AWS::CloudWatch::Alarm": "arn:{p}:cloudwatch:{r}:{a}:alarm:{name}",
    "AWS::KinesisFirehose::DeliveryStream": "arn:{p}:firehose:{r}:{a}:deliverystream/{name}",
    "AWS::SecretsManager::Secret": "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-AbCdEf",
    "AWS::CodeStarNotifications::NotificationRule": "arn:{p}:codestar-notifications:{r}:{a}:notificationrule/{name}",
    "AWS::IAM::OIDCProvider": "arn:{p}:iam::{a}:oidc-provider/token.actions.githubusercontent.com",
    "AWS::WAFv2::WebACL": "arn:{p}:wafv2:{r}:{a}:regional/webacl/{name}/id",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "arn:{p}:elasticloadbalancing:{r}:{a}:loadbalancer/app/{name}/id",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "arn:{p}:elasticloadbalancing:{r}:{a}:targetgroup/{name}/id",
    "AWS::ECS::Service": "arn:{p}:ecs:{r}:{a}:service/{cluster}/{name}",
    "AWS::SQS::Queue": "arn:{p}:sqs:{r}:{a}:{name}",
    "AWS::StepFunctions::StateMachine": "arn:{p}:states:{r}:{a}:stateMachine:{name}",
}


@dataclass
class Stack:
    """One synthesized stack, its environment and its template."""

    name: str
    account: str
    region: str
    template: dict[str, Any]
    assembly: Assembly = field(repr=False)
    parameter_values: dict[str, str] = field(default_factory=lambda: dict(FAKE_PARAMETERS))

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template.get("Resources", {})  # type: ignore[no-any-return]

    def of_type(self, type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource["Type"] == type_:
                yield logical_id, resource

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        prop = _NAME_PROPERTIES.get(resource["Type"])
        explicit = resource.get("Properties", {}).get(prop) if prop else None
        if explicit is not None:
            return str(self.resolve(explicit))
        if resource["Type"] == "AWS::S3::Bucket":
            return f"{self.name}-{logical_id}".lower()[:63]
        if resource["Type"] == "AWS::KMS::Key":
            return f"key-{self.name}-{logical_id}"
        return f"{self.name}-{logical_id}"

    def arn(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        fmt = _ARNS.get(resource["Type"])
        if fmt is None:
            raise KeyError(f"{self.name}/{logical_id}: no ARN format for {resource['Type']}")
        cluster = ""
        if resource["Type"] == "AWS::ECS::Service":
            cluster = self.resolve(resource["Properties"]["Cluster"]).split("/")[-1]
        return fmt.format(
            p="aws",
            r=self.region,
            a=self.account,
            name=self.physical_name(logical_id),
            cluster=cluster,
        )

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.name}/id",
            "AWS::NoValue": None,
        }
        if name in pseudo:
            return pseudo[name]
        parameters = self.template.get("Parameters", {})
        if name in parameters:
            if name in self.parameter_values:
                return self.parameter_values[name]
            return parameters[name].get("Default", f"param-{name}")
        resource = self.resources[name]
        if resource["Type"] in _REF_IS_ARN:
            return self.arn(name)
        if resource["Type"] == "AWS::KMS::Key":
            return self.physical_name(name)
        return self.physical_name(name)

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self.resources[logical_id]
        if attribute == "Arn":
            if resource["Type"] == "AWS::Logs::LogGroup":
                return self.arn(logical_id)
            return self.arn(logical_id)
        if attribute in ("RepositoryUri",):
            return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{self.physical_name(logical_id)}"
        if attribute == "TopicName":
            return self.physical_name(logical_id)
        if attribute in ("Name", "ServiceName"):
            return self.physical_name(logical_id)
        if attribute == "KeyId":
            return self.physical_name(logical_id)
        if attribute == "RoleId":
            return f"AROA{logical_id.upper()[:16]}"
        if attribute == "DNSName":
            return f"{logical_id.lower()}.{self.region}.elb.amazonaws.com"
        return f"{logical_id}.{attribute}"

    def condition(self, name: str) -> bool:
        return bool(self._condition(self.template["Conditions"][name]))

    def _condition(self, expr: Any) -> Any:
        if isinstance(expr, Mapping) and len(expr) == 1:
            ((fn, args),) = expr.items()
            if fn == "Fn::Equals":
                a, b = (self.resolve(x) for x in args)
                return a == b
            if fn == "Fn::Not":
                return not self._condition(args[0])
            if fn == "Fn::And":
                return all(self._condition(x) for x in args)
            if fn == "Fn::Or":
                return any(self._condition(x) for x in args)
            if fn == "Condition":
                return self.condition(args)
        return self.resolve(expr)

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its (fake) value."""
        if isinstance(value, list):
            return [v for v in (self.resolve(x) for x in value) if v is not None]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((fn, args),) = value.items()
            if fn == "Ref":
                return self._ref(args)
            if fn == "Fn::GetAtt":
                logical_id, attribute = args if isinstance(args, list) else args.split(".", 1)
                return self._get_att(logical_id, attribute)
            if fn == "Fn::Join":
                sep, parts = args
                return str(sep).join(str(self.resolve(p)) for p in parts)
            if fn == "Fn::Select":
                index, items = args
                return self.resolve(items)[int(self.resolve(index))]
            if fn == "Fn::Split":
                sep, text = args
                return str(self.resolve(text)).split(sep)
            if fn == "Fn::If":
                name, yes, no = args
                return self.resolve(yes if self.condition(name) else no)
            if fn == "Fn::Sub":
                text, variables = (args, {}) if isinstance(args, str) else args
                return self._sub(text, variables)
            if fn == "Fn::GetStackOutput":
                other = self.assembly.stack(args["StackName"])
                return other.resolve(other.template["Outputs"][args["OutputName"]]["Value"])
            if fn == "Fn::ImportValue":
                return self.assembly.export(self.resolve(args))
            if fn == "Fn::GetAZs":
                return [f"{self.region}a", f"{self.region}b", f"{self.region}c"]
            if fn == "Fn::Base64":
                return self.resolve(args)
            if fn == "Fn::FindInMap":
                name, key1, key2 = (self.resolve(x) for x in args)
                return self.template["Mappings"][name][key1][key2]
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            return str(self._ref(name))

        return re.sub(r"\$\{([^!}][^}]*)\}", replace, text)


class Assembly:
    """Every stack of a synthesized cloud assembly directory."""

    def __init__(self, outdir: Path) -> None:
        manifest = json.loads((outdir / "manifest.json").read_text())
        self.stacks: dict[str, Stack] = {}
        for artifact in manifest["artifacts"].values():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            env = artifact["environment"].removeprefix("aws://")
            account, region = env.split("/")
            props = artifact["properties"]
            template = json.loads((outdir / props["templateFile"]).read_text())
            name = props.get("stackName") or Path(props["templateFile"]).stem.split(".")[0]
            self.stacks[name] = Stack(name, account, region, template, self)

    def stack(self, name: str) -> Stack:
        return self.stacks[name]

    def export(self, name: str) -> Any:
        for stack in self.stacks.values():
            for output in stack.template.get("Outputs", {}).values():
                export = output.get("Export")
                if export and stack.resolve(export["Name"]) == name:
                    return stack.resolve(output["Value"])
        raise KeyError(f"no stack exports {name!r}")
