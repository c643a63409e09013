"""The default-security-group closer: EC2 calls per request type, and every outcome reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from container_delivery.constructs import _default_sg_handler as closer

GROUP = "sg-0123456789abcdef0"
ACCOUNT = "111111111111"
INGRESS = {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": GROUP, "UserId": ACCOUNT}]}
EGRESS = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def _event(request_type: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response.s3.amazonaws.com/x?sig=1",
        "StackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/Plain/1",
        "RequestId": "req-1",
        "LogicalResourceId": "NetworkVpcRestrictDefaultSecurityGroupCustomResource491E144D",
        "ResourceProperties": {"DefaultSecurityGroupId": GROUP, "Account": ACCOUNT},
    }


@pytest.fixture
def ec2() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("ec2", region_name="eu-west-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    class _Response:
        def __enter__(self) -> _Response:
            return self

        def __exit__(self, *_: object) -> None:
            return None

    def urlopen(request: Any, timeout: float) -> _Response:
        assert request.get_method() == "PUT"
        assert request.get_header("Content-type") == ""
        sent.append(json.loads(request.data))
        return _Response()

    monkeypatch.setattr(closer.urllib.request, "urlopen", urlopen)
    return sent


def test_create_revokes_both_default_rules(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    client, stubber = ec2
    stubber.add_response(
        "revoke_security_group_ingress", {}, {"GroupId": GROUP, "IpPermissions": [INGRESS]}
    )
    stubber.add_response(
        "revoke_security_group_egress", {}, {"GroupId": GROUP, "IpPermissions": [EGRESS]}
    )

    closer.handler(_event("Create"), None, ec2=client)

    assert responses == [
        {
            "Status": "SUCCESS",
            "Reason": f"default security group {GROUP}",
            "PhysicalResourceId": GROUP,
            "StackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/Plain/1",
            "RequestId": "req-1",
            "LogicalResourceId": "NetworkVpcRestrictDefaultSecurityGroupCustomResource491E144D",
        }
    ]


def test_an_update_keeps_the_physical_id_so_cloudformation_sends_no_delete(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    # GIVEN the resource was created by another handler (CDK's provider used the request id)
    event = {
        **_event("Update"),
        "PhysicalResourceId": "4c2a1f0e-request-id",
        "OldResourceProperties": {"DefaultSecurityGroupId": GROUP, "Account": ACCOUNT},
    }
    client, stubber = ec2
    stubber.add_response("revoke_security_group_ingress", {})
    stubber.add_response("revoke_security_group_egress", {})
    # WHEN this function handles the update
    closer.handler(event, None, ec2=client)
    # THEN the physical id is unchanged (a new one would make CloudFormation reopen the group)
    assert responses[0]["PhysicalResourceId"] == "4c2a1f0e-request-id"
    assert responses[0]["Status"] == "SUCCESS"


def test_an_update_to_another_group_reopens_the_old_and_closes_the_new(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    old = "sg-0aaaaaaaaaaaaaaaa"
    event = {
        **_event("Update"),
        "PhysicalResourceId": GROUP,
        "OldResourceProperties": {"DefaultSecurityGroupId": old, "Account": ACCOUNT},
    }
    old_ingress = {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": old, "UserId": ACCOUNT}]}
    client, stubber = ec2
    stubber.add_response(
        "authorize_security_group_ingress", {}, {"GroupId": old, "IpPermissions": [old_ingress]}
    )
    stubber.add_response(
        "authorize_security_group_egress", {}, {"GroupId": old, "IpPermissions": [EGRESS]}
    )
    stubber.add_response(
        "revoke_security_group_ingress", {}, {"GroupId": GROUP, "IpPermissions": [INGRESS]}
    )
    stubber.add_response(
        "revoke_security_group_egress", {}, {"GroupId": GROUP, "IpPermissions": [EGRESS]}
    )

    closer.handler(event, None, ec2=client)

    assert responses[0]["Status"] == "SUCCESS"


def test_a_rule_already_revoked_is_not_an_error(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    client, stubber = ec2
    stubber.add_client_error("revoke_security_group_ingress", "InvalidPermission.NotFound")
    stubber.add_response("revoke_security_group_egress", {})

    closer.handler(_event("Create"), None, ec2=client)

    assert responses[0]["Status"] == "SUCCESS"


def test_delete_puts_the_default_rules_back(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    client, stubber = ec2
    stubber.add_response(
        "authorize_security_group_ingress", {}, {"GroupId": GROUP, "IpPermissions": [INGRESS]}
    )
    stubber.add_client_error("authorize_security_group_egress", "InvalidPermission.Duplicate")

    closer.handler(_event("Delete"), None, ec2=client)

    assert responses[0]["Status"] == "SUCCESS"


def test_a_failure_reaches_cloudformation_with_its_reason(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    client, stubber = ec2
    stubber.add_client_error(
        "revoke_security_group_ingress", "UnauthorizedOperation", "not allowed"
    )

    closer.handler(_event("Create"), None, ec2=client)

    assert responses[0]["Status"] == "FAILED"
    assert "UnauthorizedOperation" in responses[0]["Reason"]
    assert responses[0]["PhysicalResourceId"] == GROUP


def test_a_response_url_that_is_not_https_is_refused() -> None:
    event = {**_event("Create"), "ResponseURL": "file:///etc/passwd"}
    with pytest.raises(ValueError, match="is not an https URL"):
        closer.respond(event, "SUCCESS", "", GROUP)
