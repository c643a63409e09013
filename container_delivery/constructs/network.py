"""``ServiceNetwork``: the VPC and ECS cluster the services of one environment share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from container_delivery.compliance import acknowledge

from ._encryption import log_encryption_key


class ServiceNetwork(Construct):
    """A VPC with public and private subnets, flow logs, and a Fargate cluster.

    Tasks run in the private subnets and reach AWS APIs through NAT gateways; only load balancers
    use the public subnets. The default security group is closed (CDK's custom resource).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        availability_zones: Sequence[str],
        availability_zone_ids: Sequence[str] | None = None,
        nat_gateways: int = 1,
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        container_insights: ecs.ContainerInsights = ecs.ContainerInsights.ENHANCED,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param cidr: IPv4 CIDR of the VPC, e.g. ``10.10.0.0/16``.
        :param availability_zones: Explicit zones (no lookup), at least two.
        :param availability_zone_ids: Pin the subnets by zone id instead (e.g. ``euw1-az1``), one per
            zone of ``availability_zones``: the same physical zones in every account, and no
            hard-coded zone names in the template (cfn-lint W3010). Default: - zone names.
        :param nat_gateways: 1 is cheaper; one per zone survives a zone failure.
            Default: - 1.
        :param flow_log_retention: Retention of the VPC flow log group.
            Default: - one year.
        :param container_insights: CloudWatch Container Insights of the cluster.
            Default: - ENHANCED.
        :param removal_policy: Flow log group and its key.
            Default: - RETAIN.
        """
        super().__init__(scope, construct_id)
        problems: list[str] = []
        if len(availability_zones) < 2:
            problems.append(
                f"availability_zones {list(availability_zones)} has fewer than 2 zones; "
                "an ALB needs two"
            )
        if not 1 <= nat_gateways <= max(1, len(availability_zones)):
            problems.append(
                f"nat_gateways {nat_gateways} must be from 1 to the number of zones "
                f"({len(availability_zones)})"
            )
        if availability_zone_ids is not None and len(availability_zone_ids) != len(
            availability_zones
        ):
            problems.append(
                f"availability_zone_ids {list(availability_zone_ids)} must name one zone id per "
                f"zone of availability_zones {list(availability_zones)}"
            )
        if problems:
            raise ValueError(f"ServiceNetwork '{construct_id}': " + "; ".join(problems))

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=list(availability_zones),
            nat_gateways=nat_gateways,
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=24,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
            ],
        )
        if availability_zone_ids is not None:
            by_name = dict(zip(availability_zones, availability_zone_ids, strict=True))
            for subnet in [*self.vpc.public_subnets, *self.vpc.private_subnets]:
                cfn_subnet = cast(ec2.CfnSubnet, subnet.node.default_child)
                cfn_subnet.add_property_deletion_override("AvailabilityZone")
                cfn_subnet.add_property_override(
                    "AvailabilityZoneId", by_name[subnet.availability_zone]
                )
        for subnet in self.vpc.public_subnets:
            route = subnet.node.try_find_child("DefaultRoute")
            if route is not None:
                acknowledge(
                    route,
                    [
                        "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
                        "HIPAA.Security-VPCNoUnrestrictedRouteToIGW",
                        "PCI.DSS.321-VPCNoUnrestrictedRouteToIGW",
                    ],
                    "Public subnets hold only NAT gateways and internet-facing load balancers, "
                    "which need the route to the internet gateway; tasks run in private subnets "
                    "without public IPs and public IP auto-assignment is off.",
                )
        self.flow_log_key = log_encryption_key(
            self,
            "FlowLogKey",
            description=f"Encrypts the VPC flow logs of {self.node.path}",
            removal_policy=removal_policy,
        )
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            retention=flow_log_retention,
            encryption_key=self.flow_log_key,
            removal_policy=removal_policy,
        )
        self.flow_log = self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        flow_log_policy = self.flow_log.node.try_find_child("IAMRole")
        if flow_log_policy is not None and flow_log_policy.node.try_find_child("DefaultPolicy"):
            acknowledge(
                flow_log_policy.node.find_child("DefaultPolicy"),
                [
                    "NIST.800.53.R5-IAMNoInlinePolicy",
                    "HIPAA.Security-IAMNoInlinePolicy",
                    "PCI.DSS.321-IAMNoInlinePolicy",
                ],
                "CDK generates this policy for the flow log delivery role alone: it allows "
                "writing to the one flow log group and passing this role; a customer managed "
                "policy with the same statements would be attached to this role only as well.",
            )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.vpc,
            container_insights_v2=container_insights,
            enable_fargate_capacity_providers=True,
        )
