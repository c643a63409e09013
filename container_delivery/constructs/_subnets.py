"""The subnet layout of ``ServiceNetwork``: the CIDRs, ids and tags that ``ec2.Vpc`` gave it."""

from __future__ import annotations

import contextlib
import ipaddress

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

PUBLIC_MASK = 24
PRIVATE_MASK = 20


def plan_subnets(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """(public, private) subnet CIDRs, one per zone, as ``ec2.Vpc`` allocated them.

    Public /24s from the start of the range, then private /20s from the next /20 boundary.
    Raises ``ValueError`` saying what is wrong when ``cidr`` is no VPC range that fits them.
    """
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError:
        example = "10.10.0.0/16"
        if "/" in cidr and cidr.count(".") == 3:  # host bits set: suggest the network it is in
            with contextlib.suppress(ValueError):
                example = str(ipaddress.IPv4Network(cidr, strict=False))
        raise ValueError(f"is not an IPv4 network in CIDR notation (try '{example}')") from None
    if not 16 <= network.prefixlen <= 28:
        raise ValueError("must be a /16 to /28 (the sizes a VPC can have)")
    base = int(network.network_address)
    public_size, private_size = 2 ** (32 - PUBLIC_MASK), 2 ** (32 - PRIVATE_MASK)
    private_start = -(-(base + zones * public_size) // private_size) * private_size
    end = private_start + zones * private_size
    if end > base + network.num_addresses:
        needed = 32 - (end - base - 1).bit_length()
        raise ValueError(
            f"is too small for {zones} public /{PUBLIC_MASK} and {zones} private "
            f"/{PRIVATE_MASK} subnets (use a /{needed} or larger)"
        )
    public = [
        f"{ipaddress.IPv4Address(base + i * public_size)}/{PUBLIC_MASK}" for i in range(zones)
    ]
    private = [
        f"{ipaddress.IPv4Address(private_start + i * private_size)}/{PRIVATE_MASK}"
        for i in range(zones)
    ]
    return public, private


class Subnet(Construct):
    """One subnet with its route table, named and tagged as ``ec2.Vpc`` names its subnets."""

    def __init__(
        self,
        scope: Construct,
        kind: str,
        index: int,
        vpc: ec2.CfnVPC,
        cidr_block: str,
        placement: str,
        by_zone_id: bool,
    ) -> None:
        super().__init__(scope, f"{kind}Subnet{index + 1}")
        self.subnet = ec2.CfnSubnet(
            self,
            "Subnet",
            vpc_id=vpc.ref,
            cidr_block=cidr_block,
            availability_zone=None if by_zone_id else placement,
            availability_zone_id=placement if by_zone_id else None,
            map_public_ip_on_launch=False,
        )
        self.route_table = ec2.CfnRouteTable(self, "RouteTable", vpc_id=vpc.ref)
        self.association = ec2.CfnSubnetRouteTableAssociation(
            self,
            "RouteTableAssociation",
            route_table_id=self.route_table.ref,
            subnet_id=self.subnet.ref,
        )
        only_subnet = ["AWS::EC2::Subnet"]
        cdk.Tags.of(self).add("aws-cdk:subnet-name", kind, include_resource_types=only_subnet)
        cdk.Tags.of(self).add(
            "aws-cdk:subnet-type", kind.capitalize(), include_resource_types=only_subnet
        )
        cdk.Tags.of(self).add("Name", self.node.path)

    def default_route(
        self, *, gateway_id: str | None = None, nat_gateway_id: str | None = None
    ) -> ec2.CfnRoute:
        return ec2.CfnRoute(
            self,
            "DefaultRoute",
            route_table_id=self.route_table.ref,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway_id,
            nat_gateway_id=nat_gateway_id,
        )

    def nat_gateway(self, route: ec2.CfnRoute) -> ec2.CfnNatGateway:
        eip = ec2.CfnEIP(self, "EIP", domain="vpc")
        nat = ec2.CfnNatGateway(
            self, "NATGateway", subnet_id=self.subnet.ref, allocation_id=eip.attr_allocation_id
        )
        nat.node.add_dependency(route, self.association)
        return nat
