"""SecureTopic: alarms, rules and notifications can publish; the policies say exactly who."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from container_delivery.constructs.topic import SecureTopic
from tests.helpers import STAGING_ACCOUNT, nag_findings, new_app, new_stack

REGION = "eu-west-1"


def _build(stack: cdk.Stack) -> SecureTopic:
    topic = SecureTopic(stack, "Alarms", display_name="alarms", emails=["ops@example.com"])
    alarm = cloudwatch.Alarm(
        stack,
        "Alarm",
        metric=cloudwatch.Metric(namespace="Test", metric_name="Errors"),
        threshold=1,
        evaluation_periods=1,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic.topic))
    events.Rule(
        stack,
        "Rule",
        event_pattern=events.EventPattern(source=["aws.ecr"]),
        targets=[topic.rule_target()],
    )
    return topic


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    stack = new_stack()
    _build(stack)
    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


def _one(template: dict[str, Any], type_: str) -> dict[str, Any]:
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == type_]
    return resource["Properties"]  # type: ignore[no-any-return]


def test_topic_policy_lets_only_this_accounts_alarms_rules_and_notifications_publish(
    template: dict[str, Any],
) -> None:
    statements = _one(template, "AWS::SNS::TopicPolicy")["PolicyDocument"]["Statement"]
    allows = {s["Sid"]: s for s in statements if s["Effect"] == "Allow"}
    # THEN exactly three Allow statements: one per publishing service, each conditioned
    assert sorted(allows) == [
        "CloudwatchPublish",
        "CodestarNotificationsPublish",
        "EventsPublish",
    ]
    for sid, service, resource in [
        ("CloudwatchPublish", "cloudwatch", "alarm:*"),
        ("EventsPublish", "events", "rule/*"),
        ("CodestarNotificationsPublish", "codestar-notifications", "notificationrule/*"),
    ]:
        statement = allows[sid]
        assert statement["Action"] == "sns:Publish"
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": STAGING_ACCOUNT},
            "ArnLike": {
                "aws:SourceArn": f"arn:aws:{service}:{REGION}:{STAGING_ACCOUNT}:{resource}"
            },
        }
    # AND the TLS-only deny is still there
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert [d["Condition"] for d in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_key_policy_lets_the_publishers_use_the_key_only_through_sns(
    template: dict[str, Any],
) -> None:
    statements = _one(template, "AWS::KMS::Key")["KeyPolicy"]["Statement"]
    publishers = {
        s["Principal"]["Service"]: s
        for s in statements
        if isinstance(s["Principal"], dict) and "Service" in s["Principal"]
    }
    via_sns = {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}
    assert publishers["cloudwatch.amazonaws.com"]["Condition"] == {
        "StringEquals": {**via_sns, "aws:SourceAccount": STAGING_ACCOUNT}
    }
    # EventBridge and CodeStar Notifications send no aws:Source* keys to KMS
    assert publishers["events.amazonaws.com"]["Condition"] == {"StringEquals": via_sns}
    assert publishers["codestar-notifications.amazonaws.com"]["Condition"] == {
        "StringEquals": via_sns
    }
    for statement in publishers.values():
        assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_rule_target_adds_no_unconditioned_allow(template: dict[str, Any]) -> None:
    statements = _one(template, "AWS::SNS::TopicPolicy")["PolicyDocument"]["Statement"]
    assert all("Condition" in s for s in statements)
    (topic_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
    rule = _one(template, "AWS::Events::Rule")
    assert rule["Targets"][0]["Arn"] == {"Ref": topic_id}


def test_topic_is_encrypted_and_subscribed(template: dict[str, Any]) -> None:
    topic = _one(template, "AWS::SNS::Topic")
    assert "Fn::GetAtt" in topic["KmsMasterKeyId"]
    subscription = _one(template, "AWS::SNS::Subscription")
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "ops@example.com")


def test_bad_props_are_refused_in_one_message() -> None:
    with pytest.raises(ValueError, match=r"^SecureTopic 'Test/T': ") as error:
        SecureTopic(
            new_stack(),
            "T",
            emails=["ops"],
            publishers=["cloudwatch.amazonaws.com", "sqs.amazonaws.com"],
        )
    message = str(error.value)
    assert "publishers: ['sqs.amazonaws.com'] are not supported" in message
    assert "emails: 'ops' is not an e-mail address" in message


def test_rule_target_needs_eventbridge_among_the_publishers() -> None:
    topic = SecureTopic(new_stack(), "T", publishers=["cloudwatch.amazonaws.com"])
    with pytest.raises(ValueError, match=r"rule_target\(\) needs 'events.amazonaws.com'"):
        topic.rule_target()


def test_an_imported_key_gets_a_warning() -> None:
    stack = new_stack()
    key = kms.Key.from_key_arn(
        stack,
        "Imported",
        f"arn:aws:kms:{REGION}:{STAGING_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    topic = SecureTopic(stack, "T", master_key=key)
    warnings = [entry.data for entry in topic.node.metadata if entry.type == "aws:cdk:warning"]
    assert any("master_key is imported" in str(w) for w in warnings)


def test_no_unacknowledged_nag_finding_with_every_pack(tmp_path: Path) -> None:
    app = new_app(outdir=tmp_path)
    _build(new_stack(app=app))
    assert nag_findings(app, tmp_path) == []
