"""``ContainerDelivery``: the project's own cdk-nag pack, for what the public packs do not check.

Each rule is a small pure function of a ``CfnResource`` returning a ``NagRuleCompliance``;
the pack applies every rule to every resource. Rule ids are ``ContainerDelivery-<suffix>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ecr as ecr
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

RuleFn = Callable[[cdk.CfnResource], NagRuleCompliance]


@dataclass(frozen=True)
class Rule:
    """One check: its id suffix, what it reports and why it exists."""

    suffix: str
    info: str
    explanation: str
    check: RuleFn


def _resolve(node: cdk.CfnResource, value: Any) -> Any:
    return cdk.Stack.of(node).resolve(value)


def ecr_tags_immutable(node: cdk.CfnResource) -> NagRuleCompliance:
    if not isinstance(node, ecr.CfnRepository):
        return NagRuleCompliance.NOT_APPLICABLE
    mutability = _resolve(node, node.image_tag_mutability)
    if mutability in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


RULES: tuple[Rule, ...] = (
    Rule(
        "ECR1",
        "The ECR repository allows image tags to be overwritten.",
        "A release tag must always name the image that was scanned and verified in staging; "
        "mutable tags let a push silently replace it. Use IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION "
        "for tags declared mutable on purpose).",
        ecr_tags_immutable,
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

    PACK_NAME = "ContainerDelivery"

    def __init__(self, scope: IConstruct | None = None) -> None:
        super().__init__(scope)
        self._pack_name = self.PACK_NAME

    @property
    def name(self) -> str:
        return self.PACK_NAME

    def _check_resource(self, node: cdk.CfnResource) -> None:
        for rule in RULES:
            # jsii checks the interface at run time; the Protocol's setters do not apply here.
            self._apply_rule(cast(IApplyRule, _AppliedRule(rule, node)))
