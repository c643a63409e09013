"""A small offline IAM policy evaluator for the access check.

No maintained PyPI package evaluates a request against identity, trust and resource policies with
conditions offline (``iam-ape`` flattens a principal's permission set from an account's
authorization details, ``policyuniverse`` matches ARNs and actions without conditions,
``policy_sentry`` writes policies). This module implements the parts of AWS's documented
evaluation logic that our templates use; ``test_evaluator.py`` pins each rule.

Semantics (IAM user guide, "Policy evaluation logic"):

* An explicit ``Deny`` in any applicable policy wins.
* Same account: an ``Allow`` in the identity policy or in the resource policy is enough, except
  for resources whose policy must itself allow (KMS key policies, role trust policies). A
  resource-policy statement naming the account (``arn:aws:iam::<id>:root`` or ``<id>``) delegates
  to IAM: it allows only together with an identity ``Allow``.
* Cross account: the identity policy AND the resource policy must both allow.
* Service principals (``cloudwatch.amazonaws.com``) have no identity policy: the resource policy
  decides.
* ``Action``/``NotAction``, ``Resource``/``NotResource``, ``Principal``/``NotPrincipal``;
  ``*`` and ``?`` wildcards (actions case-insensitive; ARNs matched segment by segment).
* Conditions: every operator block and every key in it must match (AND), the values of one key
  are alternatives (OR). ``...IfExists`` matches a missing key; negated operators
  (``StringNotEquals``, ``ArnNotLike``...) match a missing key; ``ForAnyValue:``/``ForAllValues:``
  for multi-valued keys; ``Null``; ``Bool``; numeric operators.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ContextValue = str | bool | int | Sequence[str]
Effect = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]


@dataclass(frozen=True)
class Principal:
    """Who makes the request.

    ``kind`` ``aws`` (an IAM role: ``arn`` is the role ARN), ``service`` (``arn`` is the service
    principal name) or ``federated`` (``arn`` is the identity provider ARN or name).
    """

    kind: Literal["aws", "service", "federated"]
    arn: str

    @property
    def account(self) -> str | None:
        if self.kind != "aws":
            return None
        return self.arn.split(":")[4]

    @staticmethod
    def role(arn: str) -> Principal:
        return Principal("aws", arn)

    @staticmethod
    def service(name: str) -> Principal:
        return Principal("service", name)


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    effect: Effect
    reasons: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"

    def __str__(self) -> str:
        return f"{self.effect}: " + "; ".join(self.reasons)


# --- matching --------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character, nothing else."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


def action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """ARN match: the first five ``:`` segments one by one, the resource part as a whole."""
    if pattern == "*":
        return True
    p_parts = pattern.split(":", 5)
    a_parts = arn.split(":", 5)
    if len(p_parts) != 6 or len(a_parts) != 6:
        # Not an ARN pattern (or not an ARN): only an exact match; never across segments.
        return pattern == arn
    return all(_glob(p, a) for p, a in zip(p_parts, a_parts, strict=True))


def _principal_matches(block: Any, principal: Principal) -> tuple[bool, bool]:
    """(matches, delegates_to_iam) for a ``Principal`` element."""
    if block == "*":
        return True, principal.kind == "aws"
    if not isinstance(block, Mapping):
        return False, False
    if principal.kind == "service":
        return principal.arn in _as_list(block.get("Service")), False
    if principal.kind == "federated":
        return principal.arn in _as_list(block.get("Federated")), False
    for value in _as_list(block.get("AWS")):
        value = str(value)
        if value == "*":
            return True, True
        if value == principal.arn:
            return True, False
        account = principal.account
        if value in (account, f"arn:aws:iam::{account}:root"):
            return True, True
    return False, False


# --- conditions ------------------------------------------------------------------------------

_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
}


def _compare(base: str, policy_value: Any, value: ContextValue) -> bool:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    expected = str(policy_value).lower() if isinstance(policy_value, bool) else str(policy_value)
    if base in ("StringEquals", "StringNotEquals"):
        return text == expected
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return text.lower() == expected.lower()
    if base in ("StringLike", "StringNotLike"):
        return _glob(expected, text)
    if base in ("ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"):
        return arn_matches(expected, text)
    if base == "Bool":
        return text == expected
    if base.startswith("Numeric"):
        a, b = float(text), float(expected)
        return {
            "NumericEquals": a == b,
            "NumericNotEquals": a == b,
            "NumericLessThan": a < b,
            "NumericLessThanEquals": a <= b,
            "NumericGreaterThan": a > b,
            "NumericGreaterThanEquals": a >= b,
        }[base]
    raise ValueError(f"condition operator {base!r} is not supported by this evaluator")


def condition_matches(
    operator: str, key: str, policy_values: Any, context: Mapping[str, Any]
) -> bool:
    """One key of one operator block."""
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    values = _as_list(policy_values)
    present = key in context and context[key] is not None
    if base == "Null":
        wanted_missing = str(values[0]).lower() == "true"
        return (not present) == wanted_missing
    if not present:
        if qualifier == "ForAllValues":
            return True
        return if_exists or base in _NEGATED
    raw = context[key]
    actual = [str(v) for v in raw] if isinstance(raw, list | tuple) else [raw]
    negated = base in _NEGATED

    def one(value: ContextValue) -> bool:
        hit = any(_compare(base, expected, value) for expected in values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in actual)
    if qualifier == "ForAnyValue" or len(actual) == 1:
        return any(one(v) for v in actual)
    # A multi-valued key without a set operator: AWS compares the key as a single value, which
    # never matches a list; policies here must use ForAnyValue/ForAllValues.
    return negated


def conditions_match(block: Mapping[str, Any] | None, context: Mapping[str, Any]) -> bool:
    for operator, keys in (block or {}).items():
        for key, values in keys.items():
            if not condition_matches(operator, key, values, context):
                return False
    return True


# --- statements ------------------------------------------------------------------------------


def _substitute(text: str, context: Mapping[str, Any]) -> str:
    return re.sub(r"\$\{([^}]+)\}", lambda m: str(context.get(m.group(1), m.group(0))), text)


def statement_applies(
    statement: Mapping[str, Any], request: Request, *, resource_policy: bool
) -> tuple[bool, bool]:
    """(applies, delegates_to_iam) of one statement for ``request``."""
    delegates = False
    if resource_policy:
        if "Principal" in statement:
            matched, delegates = _principal_matches(statement["Principal"], request.principal)
            if not matched:
                return False, False
        elif "NotPrincipal" in statement:
            matched, _ = _principal_matches(statement["NotPrincipal"], request.principal)
            if matched:
                return False, False
        else:
            raise ValueError(f"resource policy statement without Principal: {statement}")
    if "Action" in statement:
        acted = any(action_matches(str(a), request.action) for a in _as_list(statement["Action"]))
    elif "NotAction" in statement:
        acted = not any(
            action_matches(str(a), request.action) for a in _as_list(statement["NotAction"])
        )
    else:
        raise ValueError(f"statement without Action or NotAction: {statement}")
    if not acted:
        return False, False
    if "Resource" in statement:
        patterns = [_substitute(str(r), request.context) for r in _as_list(statement["Resource"])]
        if not any(arn_matches(p, request.resource) for p in patterns):
            return False, False
    elif "NotResource" in statement:
        patterns = [
            _substitute(str(r), request.context) for r in _as_list(statement["NotResource"])
        ]
        if any(arn_matches(p, request.resource) for p in patterns):
            return False, False
    elif not resource_policy:
        raise ValueError(f"identity policy statement without Resource: {statement}")
    return conditions_match(statement.get("Condition"), request.context), delegates


def _statements(policies: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for policy in policies:
        yield from _as_list(policy.get("Statement"))


def _label(statement: Mapping[str, Any], where: str) -> str:
    return (
        f"{where} {statement.get('Sid') or statement.get('Action') or statement.get('NotAction')}"
    )


def evaluate(
    request: Request,
    *,
    identity_policies: Sequence[Mapping[str, Any]] = (),
    resource_policy: Mapping[str, Any] | None = None,
    resource_account: str | None = None,
    resource_policy_required: bool = False,
) -> Decision:
    """Decide ``request`` like AWS's policy evaluation logic (see the module docstring).

    :param identity_policies: The principal's policies (ignored for service/federated principals).
    :param resource_policy: The policy of the resource (key policy, trust policy, bucket policy...).
    :param resource_account: The account owning the resource. Default: - the principal's.
    :param resource_policy_required: The resource policy must allow on its own or by delegating to
        IAM (KMS keys, role trust); an identity Allow alone is not enough.
    """
    principal = request.principal
    identities = list(identity_policies) if principal.kind == "aws" else []
    same_account = resource_account is None or resource_account == principal.account
    identity_allow: list[str] = []
    resource_allow: list[str] = []
    resource_delegates: list[str] = []
    for statement in _statements(identities):
        applies, _ = statement_applies(statement, request, resource_policy=False)
        if applies and statement.get("Effect") == "Deny":
            return Decision("ExplicitDeny", (_label(statement, "identity"),))
        if applies and statement.get("Effect") == "Allow":
            identity_allow.append(_label(statement, "identity"))
    for statement in _statements([resource_policy] if resource_policy else []):
        applies, delegates = statement_applies(statement, request, resource_policy=True)
        if applies and statement.get("Effect") == "Deny":
            return Decision("ExplicitDeny", (_label(statement, "resource"),))
        if applies and statement.get("Effect") == "Allow":
            target = resource_delegates if delegates else resource_allow
            target.append(_label(statement, "resource"))

    if principal.kind != "aws":
        if resource_allow:
            return Decision("Allow", tuple(resource_allow))
        return Decision("ImplicitDeny", ("no resource policy statement allows the service",))
    # A delegating statement is the account's own grant to its principals: it only counts
    # together with an identity Allow.
    resource_grants = bool(resource_allow) or (bool(resource_delegates) and bool(identity_allow))
    if resource_policy_required or not same_account:
        if not resource_grants:
            return Decision(
                "ImplicitDeny",
                ("the resource policy does not allow the principal",)
                + (("(cross-account)",) if not same_account else ()),
            )
        if same_account and resource_allow:
            return Decision("Allow", tuple(resource_allow))
        if not identity_allow:
            return Decision("ImplicitDeny", ("no identity policy statement allows it",))
        return Decision("Allow", tuple(identity_allow + resource_allow + resource_delegates))
    if identity_allow or resource_allow:
        return Decision("Allow", tuple(identity_allow + resource_allow))
    return Decision("ImplicitDeny", ("no statement allows it",))
