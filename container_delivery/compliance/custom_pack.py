"""``ContainerDelivery``: the project's own cdk-nag pack, for what the public packs do not check.

Each rule is a small pure function of a ``CfnResource`` returning a ``NagRuleCompliance``;
the pack applies every rule to every resource. Rule ids are ``ContainerDelivery-<suffix>``.

The rules read the resource's properties as CDK will render them (``Stack.resolve`` of the L1's
properties, camelCase keys as in cdk-nag's own rules), so values set through L2 constructs and
lazy values are seen. Like cdk-nag's rules, they do not see raw ``add_property_override`` escape
hatches. A value that is a CloudFormation intrinsic (a parameter, ``Fn::If``...) cannot be
verified at synth and counts as non-compliant: fix it or acknowledge it with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

import aws_cdk as cdk
import jsii
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

RuleFn = Callable[[cdk.CfnResource], NagRuleCompliance]

PACK_NAME: Final = "ContainerDelivery"


@dataclass(frozen=True)
class Rule:
    """One check: its id suffix, the resource type it applies to, what it reports and why."""

    suffix: str
    resource_types: tuple[str, ...]
    info: str
    explanation: str
    check: RuleFn

    @property
    def rule_id(self) -> str:
        return f"{PACK_NAME}-{self.suffix}"


def properties(node: cdk.CfnResource) -> dict[str, Any]:
    """The resource's properties, resolved (camelCase keys; intrinsics stay as ``{"Ref": ...}``)."""
    # ``_cfn_properties`` is CfnResource's protected view of the L1 props. Reading typed getters
    # instead (``node.lifecycle_policy``) loses lazily-produced structs in jsii (they arrive empty).
    if isinstance(node, _TemplateResource):
        return dict(node.template_properties)
    resolved = cdk.Stack.of(node).resolve(node._cfn_properties)
    return resolved if isinstance(resolved, dict) else {}


@dataclass(frozen=True)
class _TemplateResource:
    """A resource as the synthesized template has it (PascalCase keys): what the audit report's
    coverage counts evaluate the rules on, without building a CDK app."""

    cfn_resource_type: str
    template_properties: Mapping[str, Any]


def evaluate_template_resource(
    rule: Rule, resource_type: str, template_properties: Mapping[str, Any]
) -> bool | None:
    """``rule`` on a template resource: True compliant, False not, None not applicable."""
    if resource_type not in rule.resource_types:
        return None
    result = rule.check(
        cast(cdk.CfnResource, _TemplateResource(resource_type, template_properties))
    )
    if result == NagRuleCompliance.NOT_APPLICABLE:
        return None
    return bool(result == NagRuleCompliance.COMPLIANT)


def _get(data: Any, *keys: str) -> Any:
    """``data[key]`` for the first key present (camelCase or CloudFormation's PascalCase)."""
    if not isinstance(data, Mapping):
        return None
    for key in keys:
        if key in data:
            return data[key]
    return None


def _containers(node: cdk.CfnResource) -> list[Any] | None:
    """A task definition's container definitions, or None when they are not a plain list."""
    definitions = _get(properties(node), "containerDefinitions", "ContainerDefinitions")
    if definitions is None:
        return []
    return definitions if isinstance(definitions, list) else None


REPOSITORY = "AWS::ECR::Repository"
#: What replication (and pull-through cache) creates missing repositories from: its settings are
#: those of every replicated repository, so it is held to the repository's rules.
CREATION_TEMPLATE = "AWS::ECR::RepositoryCreationTemplate"
TASK_DEFINITION = "AWS::ECS::TaskDefinition"
SERVICE = "AWS::ECS::Service"


def _applies(node: cdk.CfnResource, *resource_types: str) -> bool:
    return node.cfn_resource_type in resource_types


def ecr_tags_immutable(node: cdk.CfnResource) -> NagRuleCompliance:
    """ECR1: ``ImageTagMutability`` is IMMUTABLE or IMMUTABLE_WITH_EXCLUSION."""
    if not _applies(node, REPOSITORY, CREATION_TEMPLATE):
        return NagRuleCompliance.NOT_APPLICABLE
    mutability = _get(properties(node), "imageTagMutability", "ImageTagMutability")
    if mutability in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def ecr_scan_on_push(node: cdk.CfnResource) -> NagRuleCompliance:
    """ECR2: ``ImageScanningConfiguration.ScanOnPush`` is true."""
    if not _applies(node, REPOSITORY):
        return NagRuleCompliance.NOT_APPLICABLE
    scanning = _get(properties(node), "imageScanningConfiguration", "ImageScanningConfiguration")
    if _get(scanning, "scanOnPush", "ScanOnPush") is True:
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def ecr_lifecycle_policy(node: cdk.CfnResource) -> NagRuleCompliance:
    """ECR3: the repository (or creation template) has a lifecycle policy with some text."""
    if not _applies(node, REPOSITORY, CREATION_TEMPLATE):
        return NagRuleCompliance.NOT_APPLICABLE
    policy = _get(properties(node), "lifecyclePolicy", "LifecyclePolicy")
    # A repository has {LifecyclePolicyText: ...}; a creation template has the text itself.
    text = (
        policy
        if isinstance(policy, str)
        else _get(policy, "lifecyclePolicyText", "LifecyclePolicyText")
    )
    if isinstance(text, str) and text.strip():
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def ecs_readonly_root_filesystem(node: cdk.CfnResource) -> NagRuleCompliance:
    """ECS1: every container of the task definition has ``ReadonlyRootFilesystem: true``."""
    if not _applies(node, TASK_DEFINITION):
        return NagRuleCompliance.NOT_APPLICABLE
    containers = _containers(node)
    if containers is None:
        return NagRuleCompliance.NON_COMPLIANT
    if all(_get(c, "readonlyRootFilesystem", "ReadonlyRootFilesystem") is True for c in containers):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def ecs_not_privileged(node: cdk.CfnResource) -> NagRuleCompliance:
    """ECS2: no container of the task definition is ``Privileged`` (absent or false)."""
    if not _applies(node, TASK_DEFINITION):
        return NagRuleCompliance.NOT_APPLICABLE
    containers = _containers(node)
    if containers is None:
        return NagRuleCompliance.NON_COMPLIANT
    if all(_get(c, "privileged", "Privileged") in (None, False) for c in containers):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def ecs_no_public_ip(node: cdk.CfnResource) -> NagRuleCompliance:
    """ECS3: the service does not assign public IPs to its tasks (``AssignPublicIp`` not ENABLED)."""
    if not _applies(node, SERVICE):
        return NagRuleCompliance.NOT_APPLICABLE
    network = _get(properties(node), "networkConfiguration", "NetworkConfiguration")
    awsvpc = _get(network, "awsvpcConfiguration", "AwsvpcConfiguration", "AwsVpcConfiguration")
    assign = _get(awsvpc, "assignPublicIp", "AssignPublicIp")
    if assign in (None, "DISABLED"):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


RULES: tuple[Rule, ...] = (
    Rule(
        "ECR1",
        (REPOSITORY, CREATION_TEMPLATE),
        "The ECR repository (or repository creation template) allows image tags to be overwritten.",
        "A release tag must always name the image that was scanned and verified in staging; "
        "mutable tags let a push silently replace it. Use IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION "
        "for tags declared mutable on purpose); replication creates repositories from the "
        "repository creation template, so it must say the same.",
        ecr_tags_immutable,
    ),
    Rule(
        "ECR2",
        (REPOSITORY,),
        "The ECR repository does not scan images on push.",
        "Every pushed image must be scanned for known vulnerabilities before it can be promoted; "
        "set ImageScanningConfiguration.ScanOnPush to true on the repository (also when a "
        "registry-level scanning configuration exists, so the repository stays safe if that "
        "configuration is removed).",
        ecr_scan_on_push,
    ),
    Rule(
        "ECR3",
        (REPOSITORY, CREATION_TEMPLATE),
        "The ECR repository (or repository creation template) has no lifecycle policy.",
        "Without a lifecycle policy, build images accumulate forever (cost, and old vulnerable "
        "images stay pullable). Add a lifecycle policy that expires build images and keeps "
        "released ones, also to the repository creation template used by replication.",
        ecr_lifecycle_policy,
    ),
    Rule(
        "ECS1",
        (TASK_DEFINITION,),
        "A container of the ECS task definition has a writable root filesystem.",
        "A read-only root filesystem stops an attacker (or a bug) from modifying the image's "
        "binaries and configuration at run time. Set ReadonlyRootFilesystem to true on every "
        "container and mount a volume for the paths that must be writable (e.g. /tmp).",
        ecs_readonly_root_filesystem,
    ),
    Rule(
        "ECS2",
        (TASK_DEFINITION,),
        "A container of the ECS task definition runs privileged.",
        "A privileged container has root access to the host; no application container of the "
        "delivery platform needs it. Leave Privileged unset or false.",
        ecs_not_privileged,
    ),
    Rule(
        "ECS3",
        (SERVICE,),
        "The ECS service assigns public IP addresses to its tasks.",
        "Tasks run in private subnets behind a load balancer and reach AWS through NAT or VPC "
        "endpoints; a public IP exposes every task directly to the internet. Set AssignPublicIp "
        "to DISABLED (the default).",
        ecs_no_public_ip,
    ),
)


@jsii.implements(IApplyRule)
class _AppliedRule:
    """Adapter from a ``Rule`` to cdk-nag's jsii interface (properties, not attributes)."""

    def __init__(self, rule: Rule, node: cdk.CfnResource) -> None:
        self._rule = rule
        self._node = node

    @property
    def rule_suffix_override(self) -> str:
        return self._rule.suffix

    @property
    def info(self) -> str:
        return self._rule.info

    @property
    def explanation(self) -> str:
        return self._rule.explanation

    @property
    def level(self) -> NagMessageLevel:
        return NagMessageLevel.ERROR

    @property
    def node(self) -> cdk.CfnResource:
        return self._node

    def rule(self, node: cdk.CfnResource) -> NagRuleCompliance:
        return self._rule.check(node)


class ContainerDeliveryChecks(NagPack):
    """The library's own security checks (see ``RULES``)."""

    PACK_NAME = PACK_NAME

    def __init__(self, scope: IConstruct | None = None) -> None:
        super().__init__(scope)
        self._pack_name = self.PACK_NAME

    @property
    def name(self) -> str:
        return self.PACK_NAME

    def _check_resource(self, node: cdk.CfnResource) -> None:
        resource_type = node.cfn_resource_type
        for rule in RULES:
            if resource_type not in rule.resource_types:
                continue  # saves a jsii round trip per rule and resource
            # jsii checks the interface at run time; the Protocol's setters do not apply here.
            self._apply_rule(cast(IApplyRule, _AppliedRule(rule, node)))
