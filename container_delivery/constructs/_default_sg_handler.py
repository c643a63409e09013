"""Custom resource handler: close a VPC's default security group (Delete reopens it).

The rules removed are the two AWS gives every default group: all traffic from the group itself,
all traffic out. Inlined as the function's code: stdlib and boto3 only, under 4096 characters.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

_ALL = "-1"


def default_rules(group_id: str, account: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (ingress, egress) rules of a new default security group."""
    pair = {"GroupId": group_id, "UserId": account}
    ingress = {"IpProtocol": _ALL, "UserIdGroupPairs": [pair]}
    egress = {"IpProtocol": _ALL, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    return ingress, egress


def close(ec2: Any, group_id: str, account: str) -> None:
    """Revoke both default rules; a rule already gone is fine."""
    ingress, egress = default_rules(group_id, account)
    for revoke, rule in (
        (ec2.revoke_security_group_ingress, ingress),
        (ec2.revoke_security_group_egress, egress),
    ):
        try:
            revoke(GroupId=group_id, IpPermissions=[rule])
        except ClientError as error:
            if error.response["Error"]["Code"] != "InvalidPermission.NotFound":
                raise


def reopen(ec2: Any, group_id: str, account: str) -> None:
    """Authorize both default rules again; a rule already there or a group gone is fine."""
    ingress, egress = default_rules(group_id, account)
    for authorize, rule in (
        (ec2.authorize_security_group_ingress, ingress),
        (ec2.authorize_security_group_egress, egress),
    ):
        try:
            authorize(GroupId=group_id, IpPermissions=[rule])
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code not in ("InvalidPermission.Duplicate", "InvalidGroup.NotFound"):
                raise


def respond(event: dict[str, Any], status: str, reason: str, physical_id: str) -> None:
    body = {
        "Status": status,
        "Reason": reason[:1000],
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
    }
    url = event["ResponseURL"]
    if not url.startswith("https://"):
        raise ValueError(f"ResponseURL {url!r} is not an https URL")
    # The URL is signed without a content type: send none.
    request = urllib.request.Request(  # noqa: S310 (https checked above)
        url, data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 (https checked above)
        pass


def handler(event: dict[str, Any], context: Any, ec2: Any = None) -> None:
    props = event["ResourceProperties"]
    group_id, account = props["DefaultSecurityGroupId"], props["Account"]
    # Never a new physical id on Update: CloudFormation would then delete the old one (reopening
    # the group), e.g. when this function replaces the handler of another version.
    physical_id = event.get("PhysicalResourceId", group_id)
    status, reason = "SUCCESS", f"default security group {group_id}"
    try:
        ec2 = ec2 or boto3.client("ec2", config=Config(retries={"mode": "standard"}))
        if event["RequestType"] == "Delete":
            reopen(ec2, group_id, account)
        else:
            old = event.get("OldResourceProperties", props)["DefaultSecurityGroupId"]
            if old != group_id:
                reopen(ec2, old, account)
            close(ec2, group_id, account)
    except Exception as error:  # CloudFormation must hear of every failure, or it waits an hour
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    print(json.dumps({"request": event["RequestType"], "status": status, "reason": reason}))
    respond(event, status, reason, physical_id)
