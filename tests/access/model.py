"""The policies of a synthesized assembly, indexed for ``check(principal, action, resource)``.

Identity policies per role (inline ``Policies``, ``AWS::IAM::Policy`` and customer managed
policies attached through ``Roles`` or ``ManagedPolicyArns``), trust policies, and the resource
policies that AWS consults: KMS key policies, SNS topic policies, S3 bucket policies, ECR registry
and repository policies, Lambda permissions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.access.cfn import Assembly, Stack
from tests.access.evaluator import ContextValue, Decision, Principal, Request, arn_matches, evaluate


@dataclass
class Role:
    arn: str
    stack: str
    logical_id: str
    trust: dict[str, Any]
    policies: list[dict[str, Any]] = field(default_factory=list)
    aws_managed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ResourcePolicy:
    pattern: str
    """ARN pattern of the resources the policy governs."""
    account: str
    policy: dict[str, Any]
    required: bool
    """The policy must allow by itself (KMS key policies)."""
    where: str


def _doc(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


class PolicyModel:
    """Roles and resource policies of every stack in an assembly."""

    def __init__(self, assembly: Assembly) -> None:
        self.assembly = assembly
        self.roles: dict[str, Role] = {}
        self.resource_policies: list[ResourcePolicy] = []
        for stack in assembly.stacks.values():
            self._load_roles(stack)
        for stack in assembly.stacks.values():
            self._load_policies(stack)
            self._load_resource_policies(stack)

    # --- loading ------------------------------------------------------------------------------
    def _load_roles(self, stack: Stack) -> None:
        for logical_id, resource in stack.of_type("AWS::IAM::Role"):
            props = resource["Properties"]
            arn = stack.arn(logical_id)
            role = Role(
                arn, stack.name, logical_id, stack.resolve(props["AssumeRolePolicyDocument"])
            )
            for inline in props.get("Policies", []):
                role.policies.append(stack.resolve(inline["PolicyDocument"]))
            for managed in stack.resolve(props.get("ManagedPolicyArns", [])):
                if ":iam::aws:policy/" in managed:
                    role.aws_managed.append(managed)
            self.roles[arn] = role

    def _role_by_name(self, stack: Stack, name: str) -> Role:
        arn = f"arn:aws:iam::{stack.account}:role/{name}"
        return self.roles[arn]

    def _load_policies(self, stack: Stack) -> None:
        managed_arns: dict[str, dict[str, Any]] = {}
        for logical_id, resource in stack.of_type("AWS::IAM::ManagedPolicy"):
            document = stack.resolve(resource["Properties"]["PolicyDocument"])
            managed_arns[stack.arn(logical_id)] = document
            for name in stack.resolve(resource["Properties"].get("Roles", [])):
                self._role_by_name(stack, name).policies.append(document)
        for _logical_id, resource in stack.of_type("AWS::IAM::Policy"):
            document = stack.resolve(resource["Properties"]["PolicyDocument"])
            for name in stack.resolve(resource["Properties"].get("Roles", [])):
                self._role_by_name(stack, name).policies.append(document)
        for logical_id, resource in stack.of_type("AWS::IAM::Role"):
            for arn in stack.resolve(resource["Properties"].get("ManagedPolicyArns", [])):
                if arn in managed_arns:
                    self.roles[stack.arn(logical_id)].policies.append(managed_arns[arn])

    def _add(self, pattern: str, account: str, policy: Any, required: bool, where: str) -> None:
        self.resource_policies.append(
            ResourcePolicy(pattern, account, _doc(policy), required, where)
        )

    def _load_resource_policies(self, stack: Stack) -> None:
        a = stack.account
        for logical_id, resource in stack.of_type("AWS::KMS::Key"):
            policy = stack.resolve(resource["Properties"]["KeyPolicy"])
            self._add(stack.arn(logical_id), a, policy, True, f"{stack.name}/{logical_id}")
        for logical_id, resource in stack.of_type("AWS::SNS::TopicPolicy"):
            props = stack.resolve(resource["Properties"])
            for topic in props["Topics"]:
                self._add(topic, a, props["PolicyDocument"], False, f"{stack.name}/{logical_id}")
        for logical_id, resource in stack.of_type("AWS::S3::BucketPolicy"):
            props = stack.resolve(resource["Properties"])
            bucket = props["Bucket"]
            for pattern in (f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"):
                self._add(pattern, a, props["PolicyDocument"], False, f"{stack.name}/{logical_id}")
        for logical_id, resource in stack.of_type("AWS::ECR::RegistryPolicy"):
            props = stack.resolve(resource["Properties"])
            pattern = f"arn:aws:ecr:{stack.region}:{a}:repository/*"
            self._add(pattern, a, props["PolicyText"], False, f"{stack.name}/{logical_id}")
        for logical_id, resource in stack.of_type("AWS::ECR::Repository"):
            text = resource["Properties"].get("RepositoryPolicyText")
            if text:
                self._add(
                    stack.arn(logical_id),
                    a,
                    stack.resolve(text),
                    False,
                    f"{stack.name}/{logical_id}",
                )
        for logical_id, resource in stack.of_type("AWS::Lambda::Permission"):
            props = stack.resolve(resource["Properties"])
            principal = props["Principal"]
            statement: dict[str, Any] = {
                "Effect": "Allow",
                "Principal": {"Service": principal}
                if principal.endswith(".amazonaws.com")
                else {"AWS": principal},
                "Action": props["Action"],
                "Resource": props["FunctionName"],
            }
            conditions: dict[str, Any] = {}
            if "SourceArn" in props:
                conditions.setdefault("ArnLike", {})["aws:SourceArn"] = props["SourceArn"]
            if "SourceAccount" in props:
                conditions.setdefault("StringEquals", {})["aws:SourceAccount"] = props[
                    "SourceAccount"
                ]
            if conditions:
                statement["Condition"] = conditions
            self._add(
                props["FunctionName"],
                a,
                {"Statement": [statement]},
                False,
                f"{stack.name}/{logical_id}",
            )

    # --- queries ------------------------------------------------------------------------------
    def role(self, name_or_arn: str) -> Role:
        if name_or_arn in self.roles:
            return self.roles[name_or_arn]
        matches = [r for arn, r in self.roles.items() if arn.endswith(f":role/{name_or_arn}")]
        if len(matches) != 1:
            raise KeyError(f"role {name_or_arn!r}: {len(matches)} matches")
        return matches[0]

    def roles_in(self, stack: str, logical_id_prefix: str) -> list[Role]:
        return [
            r
            for r in self.roles.values()
            if r.stack == stack and r.logical_id.startswith(logical_id_prefix)
        ]

    def resource_policy(self, resource: str) -> ResourcePolicy | None:
        hits = [rp for rp in self.resource_policies if arn_matches(rp.pattern, resource)]
        if len(hits) > 1:
            # One policy per resource in AWS: merge statements of the same resource (a bucket
            # and its objects are two patterns of one policy).
            docs = {json.dumps(h.policy, sort_keys=True) for h in hits}
            if len(docs) > 1:
                raise AssertionError(
                    f"{resource}: several resource policies: {[h.where for h in hits]}"
                )
        return hits[0] if hits else None

    def check(
        self,
        principal: Principal,
        action: str,
        resource: str,
        context: Mapping[str, ContextValue] | None = None,
        *,
        resource_account: str | None = None,
        extra_identity: Sequence[dict[str, Any]] = (),
    ) -> Decision:
        """Decide one request against the synthesized identity and resource policies."""
        ctx: dict[str, ContextValue] = {"aws:SecureTransport": True}
        identity: list[dict[str, Any]] = list(extra_identity)
        if principal.kind == "aws":
            ctx["aws:PrincipalArn"] = principal.arn
            ctx["aws:PrincipalAccount"] = principal.account or ""
            role = self.roles.get(principal.arn)
            if role is not None:
                identity += role.policies
        ctx.update(context or {})
        rp = self.resource_policy(resource)
        account = resource_account or (rp.account if rp else None) or _arn_account(resource)
        return evaluate(
            Request(principal, action, resource, ctx),
            identity_policies=identity,
            resource_policy=rp.policy if rp else None,
            resource_account=account,
            resource_policy_required=rp.required if rp else False,
        )

    def assume(
        self,
        caller: Principal,
        role_arn: str,
        context: Mapping[str, ContextValue] | None = None,
        action: str = "sts:AssumeRole",
    ) -> Decision:
        """Can ``caller`` assume ``role_arn``: caller identity policy and the role's trust."""
        role = self.roles[role_arn]
        ctx: dict[str, ContextValue] = {"aws:SecureTransport": True}
        identity: list[dict[str, Any]] = []
        if caller.kind == "aws":
            ctx["aws:PrincipalArn"] = caller.arn
            ctx["aws:PrincipalAccount"] = caller.account or ""
            if caller.arn in self.roles:
                identity = self.roles[caller.arn].policies
        ctx.update(context or {})
        return evaluate(
            Request(caller, action, role_arn, ctx),
            identity_policies=identity,
            resource_policy=role.trust,
            resource_account=role_arn.split(":")[4],
            resource_policy_required=True,
        )


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None
