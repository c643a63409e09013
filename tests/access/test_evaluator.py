"""The evaluator's semantics, one documented IAM rule per test (the access check relies on them)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.access.evaluator import (
    Principal,
    Request,
    arn_matches,
    condition_matches,
    evaluate,
)

A = "111111111111"
B = "222222222222"
ROLE = f"arn:aws:iam::{A}:role/builder"
BUCKET_OBJECT = "arn:aws:s3:::artifacts/webapp/build.zip"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(
    action: Any = "s3:GetObject", resource: Any = BUCKET_OBJECT, **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def request(
    action: str = "s3:GetObject",
    resource: str = BUCKET_OBJECT,
    principal: str = ROLE,
    **context: Any,
) -> Request:
    return Request(Principal.role(principal), action, resource, context)


def test_nothing_allows_is_an_implicit_deny() -> None:
    assert evaluate(request()).effect == "ImplicitDeny"


def test_an_identity_allow_allows_in_the_same_account() -> None:
    assert evaluate(request(), identity_policies=[policy(allow())]).allowed


def test_an_explicit_deny_wins_over_any_allow() -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    decision = evaluate(
        request(),
        identity_policies=[policy(allow())],
        resource_policy=policy({**allow(), "Principal": {"AWS": ROLE}}, {**deny, "Principal": "*"}),
    )
    assert decision.effect == "ExplicitDeny"


def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert evaluate(request("S3:getobject"), identity_policies=[policy(allow("s3:Get*"))]).allowed
    assert not evaluate(
        request("s3:PutObject"), identity_policies=[policy(allow("s3:Get*"))]
    ).allowed
    assert evaluate(
        request("s3:GetObject"), identity_policies=[policy(allow("s3:GetObjec?"))]
    ).allowed


def test_not_action_allows_everything_else() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert evaluate(request("s3:GetObject"), identity_policies=[policy(statement)]).allowed
    assert not evaluate(
        request("iam:PassRole", "arn:aws:iam::1:role/x"), identity_policies=[policy(statement)]
    ).allowed


def test_not_resource_allows_every_other_resource() -> None:
    statement = {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert evaluate(request(), identity_policies=[policy(statement)]).allowed
    assert not evaluate(
        request(resource="arn:aws:s3:::secret/a"), identity_policies=[policy(statement)]
    ).allowed


def test_arn_wildcards_do_not_cross_arn_segments() -> None:
    assert arn_matches(
        "arn:aws:ecr:eu-west-1:*:repository/web*", f"arn:aws:ecr:eu-west-1:{A}:repository/webapp"
    )
    assert not arn_matches(
        "arn:aws:ecr:*:repository/webapp", f"arn:aws:ecr:eu-west-1:{A}:repository/webapp"
    )
    assert arn_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c")
    assert not arn_matches("arn:aws:s3:::bucket/*", "arn:aws:s3:::other/a")


def test_cross_account_needs_both_identity_and_resource_allow() -> None:
    role_b = f"arn:aws:iam::{B}:role/reader"
    resource_policy = policy({**allow(), "Principal": {"AWS": role_b}})
    req = request(principal=role_b)
    assert not evaluate(req, resource_policy=resource_policy, resource_account=A).allowed
    assert not evaluate(req, identity_policies=[policy(allow())], resource_account=A).allowed
    assert evaluate(
        req,
        identity_policies=[policy(allow())],
        resource_policy=resource_policy,
        resource_account=A,
    ).allowed


def test_a_resource_policy_naming_the_account_delegates_to_iam() -> None:
    root = policy({**allow(), "Principal": {"AWS": f"arn:aws:iam::{A}:root"}})
    # The account grant alone allows nothing, also in the same account ...
    assert not evaluate(request(), resource_policy=root, resource_policy_required=True).allowed
    # ... an identity Allow is still needed.
    assert evaluate(
        request(),
        identity_policies=[policy(allow())],
        resource_policy=root,
        resource_policy_required=True,
    ).allowed


def test_a_key_policy_must_allow_even_when_iam_does() -> None:
    other = policy({**allow(), "Principal": {"AWS": f"arn:aws:iam::{A}:role/someone-else"}})
    decision = evaluate(
        request(),
        identity_policies=[policy(allow())],
        resource_policy=other,
        resource_policy_required=True,
    )
    assert decision.effect == "ImplicitDeny"


def test_a_resource_policy_naming_the_role_allows_in_the_same_account_without_iam() -> None:
    direct = policy({**allow(), "Principal": {"AWS": ROLE}})
    assert evaluate(request(), resource_policy=direct, resource_policy_required=True).allowed


def test_service_principals_are_decided_by_the_resource_policy() -> None:
    topic = "arn:aws:sns:eu-west-1:111111111111:alarms"
    req = Request(
        Principal.service("cloudwatch.amazonaws.com"),
        "sns:Publish",
        topic,
        {"aws:SourceAccount": A},
    )
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic,
        "Condition": {"StringEquals": {"aws:SourceAccount": A}},
    }
    assert evaluate(req, resource_policy=policy(statement), resource_account=A).allowed
    assert not evaluate(
        req,
        resource_policy=policy({**statement, "Principal": {"Service": "events.amazonaws.com"}}),
        resource_account=A,
    ).allowed
    assert not evaluate(
        Request(req.principal, req.action, req.resource, {"aws:SourceAccount": B}),
        resource_policy=policy(statement),
        resource_account=A,
    ).allowed


def test_not_principal_applies_to_everyone_else() -> None:
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "s3:*", "Resource": "*"}
    other = f"arn:aws:iam::{A}:role/other"
    rp = policy(deny)
    assert (
        evaluate(
            request(principal=other), identity_policies=[policy(allow())], resource_policy=rp
        ).effect
        == "ExplicitDeny"
    )
    assert evaluate(request(), identity_policies=[policy(allow())], resource_policy=rp).allowed


@pytest.mark.parametrize(
    ("operator", "policy_values", "context", "expected"),
    [
        ("StringEquals", "a", {"k": "a"}, True),
        ("StringEquals", ["a", "b"], {"k": "b"}, True),  # the values of one key are alternatives
        ("StringEquals", "a", {"k": "A"}, False),
        ("StringEqualsIgnoreCase", "a", {"k": "A"}, True),
        ("StringEquals", "a", {}, False),  # a missing key never matches a positive operator
        ("StringEqualsIfExists", "a", {}, True),
        ("StringEqualsIfExists", "a", {"k": "b"}, False),
        ("StringNotEquals", "a", {"k": "b"}, True),
        ("StringNotEquals", "a", {"k": "a"}, False),
        ("StringNotEquals", "a", {}, True),  # negated operators match a missing key
        (
            "StringLike",
            "repo:org/web:ref:refs/tags/v*",
            {"k": "repo:org/web:ref:refs/tags/v1.2"},
            True,
        ),
        (
            "StringLike",
            "repo:org/web:ref:refs/tags/v*",
            {"k": "repo:org/web:ref:refs/heads/main"},
            False,
        ),
        ("StringNotLike", "x*", {"k": "xy"}, False),
        (
            "ArnLike",
            "arn:aws:cloudwatch:eu-west-1:1:alarm:*",
            {"k": "arn:aws:cloudwatch:eu-west-1:1:alarm:cpu"},
            True,
        ),
        (
            "ArnLike",
            "arn:aws:cloudwatch:eu-west-1:1:alarm:*",
            {"k": "arn:aws:events:eu-west-1:1:rule/x"},
            False,
        ),
        ("ArnEquals", "arn:aws:iam::1:role/r", {"k": "arn:aws:iam::1:role/r"}, True),
        ("ArnNotEquals", "arn:aws:iam::1:role/r", {"k": "arn:aws:iam::1:role/r"}, False),
        ("Bool", "false", {"k": False}, True),
        ("Bool", "false", {"k": True}, False),
        ("Bool", "false", {}, False),
        ("BoolIfExists", "false", {}, True),
        ("Null", "true", {}, True),
        ("Null", "true", {"k": "x"}, False),
        ("Null", "false", {"k": "x"}, True),
        ("NumericLessThanEquals", "3600", {"k": "900"}, True),
        ("NumericGreaterThan", "3600", {"k": "900"}, False),
        ("ForAnyValue:StringEquals", ["a", "b"], {"k": ["c", "b"]}, True),
        ("ForAnyValue:StringEquals", ["a", "b"], {"k": ["c"]}, False),
        ("ForAllValues:StringEquals", ["a", "b"], {"k": ["a", "b"]}, True),
        ("ForAllValues:StringEquals", ["a", "b"], {"k": ["a", "c"]}, False),
        ("ForAllValues:StringEquals", ["a"], {}, True),  # vacuously true without the key
    ],
)
def test_condition_operators(
    operator: str, policy_values: Any, context: dict[str, Any], expected: bool
) -> None:
    assert condition_matches(operator, "k", policy_values, context) is expected


def test_every_key_and_every_operator_must_match() -> None:
    statement = allow(
        Condition={
            "StringEquals": {"aws:SourceAccount": A, "aws:PrincipalTag/team": "web"},
            "Bool": {"aws:SecureTransport": "true"},
        }
    )
    ok = {"aws:SourceAccount": A, "aws:PrincipalTag/team": "web", "aws:SecureTransport": True}
    assert evaluate(request(**{}), identity_policies=[policy(statement)]).effect == "ImplicitDeny"
    assert evaluate(
        Request(Principal.role(ROLE), "s3:GetObject", BUCKET_OBJECT, ok),
        identity_policies=[policy(statement)],
    ).allowed
    for key in ok:
        partial = {k: v for k, v in ok.items() if k != key}
        assert not evaluate(
            Request(Principal.role(ROLE), "s3:GetObject", BUCKET_OBJECT, partial),
            identity_policies=[policy(statement)],
        ).allowed


def test_the_tls_deny_of_a_topic_policy_refuses_plain_http() -> None:
    topic = "arn:aws:sns:eu-west-1:111111111111:alarms"
    tls_only = policy(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    identity = [policy(allow("sns:Publish", topic))]
    assert (
        evaluate(
            Request(Principal.role(ROLE), "sns:Publish", topic, {"aws:SecureTransport": False}),
            identity_policies=identity,
            resource_policy=tls_only,
        ).effect
        == "ExplicitDeny"
    )
    assert evaluate(
        Request(Principal.role(ROLE), "sns:Publish", topic, {"aws:SecureTransport": True}),
        identity_policies=identity,
        resource_policy=tls_only,
    ).allowed


def test_policy_variables_in_resources_are_substituted_from_the_context() -> None:
    statement = allow(resource="arn:aws:s3:::artifacts/${aws:PrincipalTag/service}/*")
    req = Request(
        Principal.role(ROLE), "s3:GetObject", BUCKET_OBJECT, {"aws:PrincipalTag/service": "webapp"}
    )
    assert evaluate(req, identity_policies=[policy(statement)]).allowed
    other = Request(
        Principal.role(ROLE), "s3:GetObject", BUCKET_OBJECT, {"aws:PrincipalTag/service": "orders"}
    )
    assert not evaluate(other, identity_policies=[policy(statement)]).allowed


def test_unsupported_operators_fail_loudly() -> None:
    with pytest.raises(ValueError, match="not supported"):
        condition_matches("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "10.1.2.3"})
