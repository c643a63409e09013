"""ServiceNetwork: subnets, NAT, default group closed, flow logs, cluster, and no context lookup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Match, Template

from container_delivery.constructs.network import ServiceNetwork
from tests.helpers import nag_findings, new_stack

ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
HANDLER = (
    Path(__file__).resolve().parents[2] / "container_delivery/constructs/_default_sg_handler.py"
)


@pytest.fixture(scope="module")
def built() -> tuple[cdk.Stack, ServiceNetwork, Template]:
    stack = new_stack()
    network = ServiceNetwork(
        stack, "Network", cidr="10.10.0.0/16", availability_zones=ZONES, nat_gateways=2
    )
    elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=network.vpc, internet_facing=True)
    return stack, network, Template.from_stack(stack)


@pytest.fixture(scope="module")
def template(built: tuple[cdk.Stack, ServiceNetwork, Template]) -> Template:
    return built[2]


def _ids(template: Template, resource_type: str, props: dict[str, Any]) -> list[str]:
    return sorted(template.find_resources(resource_type, {"Properties": Match.object_like(props)}))


def test_one_public_24_and_one_private_20_per_zone_as_ec2_vpc_allocated(template: Template) -> None:
    subnets = template.find_resources("AWS::EC2::Subnet")
    placed = sorted(
        (s["Properties"]["CidrBlock"], s["Properties"]["AvailabilityZone"], tag["Value"])
        for s in subnets.values()
        for tag in s["Properties"]["Tags"]
        if tag["Key"] == "aws-cdk:subnet-type"
    )
    assert placed == [
        ("10.10.0.0/24", "eu-west-1a", "Public"),
        ("10.10.1.0/24", "eu-west-1b", "Public"),
        ("10.10.16.0/20", "eu-west-1a", "Private"),
        ("10.10.2.0/24", "eu-west-1c", "Public"),
        ("10.10.32.0/20", "eu-west-1b", "Private"),
        ("10.10.48.0/20", "eu-west-1c", "Private"),
    ]
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())


def test_logical_ids_are_those_of_ec2_vpc_so_deployed_networks_keep_their_resources(
    template: Template,
) -> None:
    # Taken from the template ec2.Vpc synthesized for the same construct tree.
    resources = template.to_json()["Resources"]
    for logical_id in (
        "NetworkVpc7FB7348F",
        "NetworkVpcIGW6BEA7B02",
        "NetworkVpcVPCGW8F3799B5",
        "NetworkVpcpublicSubnet1Subnet00617657",
        "NetworkVpcpublicSubnet1NATGateway939C8F7E",
        "NetworkVpcprivateSubnet3DefaultRouteC9A352FA",
        "NetworkVpcRestrictDefaultSecurityGroupCustomResource491E144D",
        "NetworkVpcFlowLog9B71FB8D",
        "NetworkCluster17B54D11",
    ):
        assert logical_id in resources


def test_nat_gateways_in_the_first_zones_and_the_third_zone_uses_the_first(
    template: Template,
) -> None:
    assert len(template.find_resources("AWS::EC2::EIP")) == 2
    nats = template.find_resources("AWS::EC2::NatGateway")
    assert sorted(nats) == [
        "NetworkVpcpublicSubnet1NATGateway939C8F7E",
        "NetworkVpcpublicSubnet2NATGatewayCA65A467",
    ]
    routes = template.find_resources(
        "AWS::EC2::Route", {"Properties": {"NatGatewayId": Match.any_value()}}
    )
    targets = {rid: r["Properties"]["NatGatewayId"]["Ref"] for rid, r in routes.items()}
    assert targets == {
        "NetworkVpcprivateSubnet1DefaultRoute026EC3C9": "NetworkVpcpublicSubnet1NATGateway939C8F7E",
        "NetworkVpcprivateSubnet2DefaultRoute85168916": "NetworkVpcpublicSubnet2NATGatewayCA65A467",
        "NetworkVpcprivateSubnet3DefaultRouteC9A352FA": "NetworkVpcpublicSubnet1NATGateway939C8F7E",
    }
    # A NAT gateway needs its subnet's route to the internet first.
    assert set(nats["NetworkVpcpublicSubnet1NATGateway939C8F7E"]["DependsOn"]) == {
        "NetworkVpcpublicSubnet1DefaultRoute19622567",
        "NetworkVpcpublicSubnet1RouteTableAssociation203B743E",
    }


def test_public_routes_go_to_the_attached_internet_gateway(template: Template) -> None:
    routes = template.find_resources(
        "AWS::EC2::Route", {"Properties": {"GatewayId": {"Ref": "NetworkVpcIGW6BEA7B02"}}}
    )
    assert len(routes) == 3
    for route in routes.values():
        assert route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
        assert route["DependsOn"] == ["NetworkVpcVPCGW8F3799B5"]


def test_an_internet_facing_load_balancer_waits_for_the_internet_routes(template: Template) -> None:
    (alb,) = template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert set(alb["DependsOn"]) >= {
        "NetworkVpcVPCGW8F3799B5",
        "NetworkVpcpublicSubnet1DefaultRoute19622567",
        "NetworkVpcpublicSubnet2DefaultRouteF6C22611",
        "NetworkVpcpublicSubnet3DefaultRouteB75369CF",
    }
    assert alb["Properties"]["Subnets"] == [
        {"Ref": "NetworkVpcpublicSubnet1Subnet00617657"},
        {"Ref": "NetworkVpcpublicSubnet2SubnetDCAA7C9A"},
        {"Ref": "NetworkVpcpublicSubnet3SubnetB6CE113A"},
    ]


def test_the_vpc_exposes_private_subnets_for_tasks(
    built: tuple[cdk.Stack, ServiceNetwork, Template],
) -> None:
    stack, network, _ = built
    private = network.vpc.select_subnets(subnet_group_name="private")
    assert stack.resolve(private.subnet_ids) == [
        {"Ref": "NetworkVpcprivateSubnet1Subnet9EC58498"},
        {"Ref": "NetworkVpcprivateSubnet2Subnet6E5E8804"},
        {"Ref": "NetworkVpcprivateSubnet3SubnetC252FE86"},
    ]
    assert stack.resolve(network.vpc.vpc_cidr_block) == {
        "Fn::GetAtt": ["NetworkVpc7FB7348F", "CidrBlock"]
    }


def test_the_default_security_group_is_closed_by_a_custom_resource(template: Template) -> None:
    template.has_resource(
        "Custom::VpcRestrictDefaultSG",
        {
            "Properties": {
                "ServiceToken": {
                    "Fn::GetAtt": [Match.string_like_regexp("DefaultSecurityGroupCloser"), "Arn"]
                },
                "DefaultSecurityGroupId": {
                    "Fn::GetAtt": ["NetworkVpc7FB7348F", "DefaultSecurityGroup"]
                },
                "Account": "111111111111",
            },
            # The function may only edit the group once its policy is attached.
            "DependsOn": [Match.string_like_regexp("DefaultSecurityGroupCloserPolicy")],
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Handler": "index.handler",
            "Code": {"ZipFile": HANDLER.read_text()},
            "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("CloserLogs")}},
        },
    )
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": [
                            "ec2:AuthorizeSecurityGroupEgress",
                            "ec2:AuthorizeSecurityGroupIngress",
                            "ec2:RevokeSecurityGroupEgress",
                            "ec2:RevokeSecurityGroupIngress",
                        ],
                        "Effect": "Allow",
                        "Resource": {
                            "Fn::Join": [
                                "",
                                [
                                    "arn:aws:ec2:eu-west-1:111111111111:security-group/",
                                    {"Fn::GetAtt": ["NetworkVpc7FB7348F", "DefaultSecurityGroup"]},
                                ],
                            ]
                        },
                    },
                    {
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Effect": "Allow",
                        "Resource": {"Fn::GetAtt": [Match.string_like_regexp("CloserLogs"), "Arn"]},
                    },
                ],
                "Version": "2012-10-17",
            },
            "Roles": [{"Ref": Match.string_like_regexp("DefaultSecurityGroupCloserRole")}],
        },
    )
    assert len(template.find_resources("AWS::IAM::ManagedPolicy")) == 1


def test_the_inlined_handler_fits_in_a_zip_file_property() -> None:
    assert len(HANDLER.read_text()) < 4096


def test_all_traffic_is_logged_to_an_encrypted_log_group(template: Template) -> None:
    template.has_resource_properties(
        "AWS::EC2::FlowLog",
        {
            "ResourceId": {"Ref": "NetworkVpc7FB7348F"},
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": {"Ref": Match.string_like_regexp("NetworkFlowLogs")},
        },
    )
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("NetworkFlowLogKey"), "Arn"]},
                "RetentionInDays": 365,
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_the_cluster_has_container_insights_and_fargate_capacity(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "enhanced"}]},
    )
    template.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        {"CapacityProviders": ["FARGATE", "FARGATE_SPOT"]},
    )


def test_zone_ids_pin_the_subnets_instead_of_zone_names() -> None:
    stack = new_stack()
    ServiceNetwork(
        stack,
        "Network",
        cidr="10.20.0.0/16",
        availability_zones=ZONES[:2],
        availability_zone_ids=["euw1-az3", "euw1-az1"],
    )
    subnets = Template.from_stack(stack).find_resources("AWS::EC2::Subnet").values()
    placed = sorted(
        (s["Properties"]["CidrBlock"], s["Properties"]["AvailabilityZoneId"]) for s in subnets
    )
    assert placed == [
        ("10.20.0.0/24", "euw1-az3"),
        ("10.20.1.0/24", "euw1-az1"),
        ("10.20.16.0/20", "euw1-az3"),
        ("10.20.32.0/20", "euw1-az1"),
    ]
    assert not any("AvailabilityZone" in s["Properties"] for s in subnets)


def test_every_problem_is_refused_in_one_message() -> None:
    with pytest.raises(ValueError, match="ServiceNetwork 'Test/Network': ") as refused:
        ServiceNetwork(
            new_stack(),
            "Network",
            cidr="10.10.0.1/16",
            availability_zones=["eu-west-1a"],
            availability_zone_ids=["euw1-az1", "euw1-az1"],
            nat_gateways=3,
        )
    message = str(refused.value)
    for part in (
        "cidr '10.10.0.1/16' is not an IPv4 network in CIDR notation (try '10.10.0.0/16')",
        "availability_zones ['eu-west-1a'] must list at least 2 zones",
        "availability_zone_ids lists ['euw1-az1'] more than once",
        "nat_gateways 3 must be from 1 to the number of zones (1)",
        "availability_zone_ids ['euw1-az1', 'euw1-az1'] must name one zone id per zone",
    ):
        assert part in message


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        (
            "10.10.0.0/20",
            "cidr '10.10.0.0/20' is too small for 2 public /24 and 2 private /20 subnets (use a /18 or larger)",
        ),
        ("10.0.0.0/8", "cidr '10.0.0.0/8' must be a /16 to /28"),
        ("ten", "cidr 'ten' is not an IPv4 network in CIDR notation (try '10.10.0.0/16')"),
    ],
)
def test_a_cidr_that_cannot_hold_the_subnets_is_refused(cidr: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        ServiceNetwork(new_stack(), "Network", cidr=cidr, availability_zones=ZONES[:2])


def test_a_token_cidr_is_refused_because_subnets_are_carved_at_synth() -> None:
    stack = new_stack()
    cidr = cdk.CfnParameter(stack, "Cidr").value_as_string
    with pytest.raises(
        ValueError, match=r"cidr must be a literal such as '10\.10\.0\.0/16', not a token"
    ):
        ServiceNetwork(stack, "Network", cidr=cidr, availability_zones=ZONES[:2])


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A bare app (no cdk.json context, no feature flags, built-in validation on), every pack."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir))
    plain = cdk.Stack(app, "Plain", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    ServiceNetwork(
        plain,
        "Network",
        cidr="10.10.0.0/16",
        availability_zones=ZONES[:2],
        availability_zone_ids=["euw1-az1", "euw1-az2"],
    )
    tokens = cdk.Stack(
        app, "Tokens", env=cdk.Environment(account="111111111111", region="eu-west-1")
    )
    ServiceNetwork(
        tokens,
        "Network",
        cidr="10.20.0.0/16",
        availability_zones=[cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(3)],
        nat_gateways=3,
    )
    agnostic = cdk.Stack(app, "Agnostic")
    ServiceNetwork(
        agnostic,
        "Network",
        cidr="10.30.0.0/16",
        availability_zones=[cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(2)],
    )
    return outdir, nag_findings(app, outdir)


def test_a_plain_stack_with_account_and_region_needs_no_context_lookup(
    plain_app: tuple[Path, list[str]],
) -> None:
    outdir, _ = plain_app
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert "missing" not in manifest
    assert {"Plain", "Tokens", "Agnostic"} <= set(manifest["artifacts"])


def test_every_nag_pack_finds_nothing_unacknowledged(plain_app: tuple[Path, list[str]]) -> None:
    _, findings = plain_app
    assert findings == []
