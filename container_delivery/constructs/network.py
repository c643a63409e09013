"""``ServiceNetwork``: the VPC and ECS cluster the services of one environment share.

The VPC is built from CloudFormation resources, not with ``ec2.Vpc``: that construct reads
``Stack.availability_zones`` even when it is given the zones, which in a stack with an account and
region is a context lookup, so ``cdk synth`` asks for AWS credentials. Subnets, CIDRs, tags and
construct ids are the ones ``ec2.Vpc`` produced, so a network deployed before keeps its resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, DependencyGroup

from container_delivery.compliance import acknowledge

from ._checks import check_log_retention
from ._encryption import log_encryption_key
from ._subnets import Subnet, plan_subnets

_HANDLER = Path(__file__).with_name("_default_sg_handler.py")


def _check(
    cidr: str,
    availability_zones: Sequence[str],
    availability_zone_ids: Sequence[str] | None,
    nat_gateways: int,
) -> list[str]:
    problems: list[str] = []
    zones = len(availability_zones)
    if cdk.Token.is_unresolved(cidr):
        problems.append(
            "cidr must be a literal such as '10.10.0.0/16', not a token: the subnets are carved "
            "from it at synth time"
        )
    else:
        try:
            plan_subnets(cidr, max(zones, 2))
        except ValueError as error:
            problems.append(f"cidr {cidr!r} {error}")
    if zones < 2:
        problems.append(
            f"availability_zones {list(availability_zones)} must list at least 2 zones (an ALB "
            "needs two), e.g. ['eu-west-1a', 'eu-west-1b'] or Fn.select(i, Fn.get_azs())"
        )
    for name, values in (
        ("availability_zones", availability_zones),
        ("availability_zone_ids", availability_zone_ids or []),
    ):
        literal = [v for v in values if not cdk.Token.is_unresolved(v)]
        repeated = sorted({v for v in literal if literal.count(v) > 1})
        if repeated:
            problems.append(f"{name} lists {repeated} more than once; give each zone once")
    if not 1 <= nat_gateways <= max(1, zones):
        problems.append(
            f"nat_gateways {nat_gateways} must be from 1 to the number of zones ({zones})"
        )
    if availability_zone_ids is not None and len(availability_zone_ids) != zones:
        problems.append(
            f"availability_zone_ids {list(availability_zone_ids)} must name one zone id per "
            f"zone of availability_zones {list(availability_zones)}"
        )
    return problems


def _subnets_and_routes(
    vpc_scope: Construct,
    vpc: ec2.CfnVPC,
    cidrs: tuple[list[str], list[str]],
    placements: list[str],
    *,
    by_id: bool,
    nat_gateways: int,
) -> tuple[list[Subnet], list[Subnet], DependencyGroup]:
    """Public and private subnets, the internet gateway, NAT gateways and the default routes.

    Returns the public and private subnets and what an internet-facing resource waits for.
    """
    public_cidrs, private_cidrs = cidrs
    igw = ec2.CfnInternetGateway(vpc_scope, "IGW")
    attachment = ec2.CfnVPCGatewayAttachment(
        vpc_scope, "VPCGW", vpc_id=vpc.ref, internet_gateway_id=igw.ref
    )
    public = [
        Subnet(vpc_scope, "public", i, vpc, block, place, by_id)
        for i, (block, place) in enumerate(zip(public_cidrs, placements, strict=True))
    ]
    private = [
        Subnet(vpc_scope, "private", i, vpc, block, place, by_id)
        for i, (block, place) in enumerate(zip(private_cidrs, placements, strict=True))
    ]
    internet = DependencyGroup(attachment)
    nats: list[ec2.CfnNatGateway] = []
    for index, subnet in enumerate(public):
        route = subnet.default_route(gateway_id=igw.ref)
        route.node.add_dependency(attachment)
        internet.add(route)
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
        if index < nat_gateways:
            nats.append(subnet.nat_gateway(route))
    for index, subnet in enumerate(private):
        # A zone without its own NAT gateway uses the others in turn, as ec2.Vpc did.
        nat = nats[index] if index < len(nats) else nats[(index - len(nats)) % len(nats)]
        subnet.default_route(nat_gateway_id=nat.ref)
    return public, private, internet


class ServiceNetwork(Construct):
    """A VPC with public and private subnets, flow logs, and a Fargate cluster.

    Tasks run in the private subnets and reach AWS APIs through NAT gateways; only load balancers
    use the public subnets. The default security group is closed by a custom resource. Works in
    any stack, with or without an account and region: nothing is looked up at synth time.
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
        :param cidr: Literal IPv4 CIDR of the VPC, e.g. ``10.10.0.0/16``; it must hold a public
            /24 and a private /20 per zone (2 zones: a /18 or larger).
        :param availability_zones: At least two zones, as names (``eu-west-1a``) or tokens such
            as ``Fn.select(0, Fn.get_azs())``. Never looked up.
        :param availability_zone_ids: Pin the subnets by zone id instead (e.g. ``euw1-az1``), one per
            zone of ``availability_zones``: the same physical zones in every account, and no
            hard-coded zone names in the template (cfn-lint W3010). Default: - zone names.
        :param nat_gateways: 1 is cheaper; one per zone survives a zone failure.
            Default: - 1.
        :param flow_log_retention: Retention of the VPC flow log group and the closer's logs.
            Default: - one year.
        :param container_insights: CloudWatch Container Insights of the cluster.
            Default: - ENHANCED.
        :param removal_policy: The log groups (flow logs, closer) and their key.
            Default: - RETAIN.
        """
        super().__init__(scope, construct_id)
        problems = [
            *check_log_retention("flow_log_retention", flow_log_retention),
            *_check(cidr, availability_zones, availability_zone_ids, nat_gateways),
        ]
        if problems:
            raise ValueError(f"ServiceNetwork '{self.node.path}': " + "; ".join(problems))

        zones = list(availability_zones)
        public_cidrs, private_cidrs = plan_subnets(cidr, len(zones))
        placements = list(availability_zone_ids) if availability_zone_ids is not None else zones
        # The ids of ec2.Vpc's tree, so existing deployments keep their logical ids.
        vpc_scope = Construct(self, "Vpc")
        self.vpc_resource = ec2.CfnVPC(
            vpc_scope,
            "Resource",
            cidr_block=cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            instance_tenancy="default",
        )
        cdk.Tags.of(vpc_scope).add("Name", vpc_scope.node.path)
        public, private, internet = _subnets_and_routes(
            vpc_scope,
            self.vpc_resource,
            (public_cidrs, private_cidrs),
            placements,
            by_id=availability_zone_ids is not None,
            nat_gateways=nat_gateways,
        )
        self.vpc: ec2.IVpc = self._import_vpc(
            zones, (public, private), (public_cidrs, private_cidrs), internet
        )
        self.flow_log_key = log_encryption_key(
            self,
            "FlowLogKey",
            description=f"Encrypts the VPC flow logs and closer logs of {self.node.path}",
            removal_policy=removal_policy,
        )
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            retention=flow_log_retention,
            encryption_key=self.flow_log_key,
            removal_policy=removal_policy,
        )
        self.default_security_group_closer = self._close_default_security_group(
            vpc_scope, flow_log_retention, removal_policy
        )
        self.flow_log = self._flow_log(vpc_scope)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.vpc,
            container_insights_v2=container_insights,
            enable_fargate_capacity_providers=True,
        )

    def _import_vpc(
        self,
        zones: list[str],
        subnets: tuple[list[Subnet], list[Subnet]],
        cidrs: tuple[list[str], list[str]],
        internet: DependencyGroup,
    ) -> ec2.IVpc:
        """The VPC as an ``ec2.IVpc`` for the constructs that take one (cluster, services)."""
        public, private = subnets
        public_cidrs, private_cidrs = cidrs
        vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "VpcAttributes",
            vpc_id=self.vpc_resource.ref,
            vpc_cidr_block=self.vpc_resource.attr_cidr_block,
            availability_zones=zones,
            public_subnet_ids=[s.subnet.ref for s in public],
            public_subnet_names=["public"],
            public_subnet_route_table_ids=[s.route_table.ref for s in public],
            public_subnet_ipv4_cidr_blocks=public_cidrs,
            private_subnet_ids=[s.subnet.ref for s in private],
            private_subnet_names=["private"],
            private_subnet_route_table_ids=[s.route_table.ref for s in private],
            private_subnet_ipv4_cidr_blocks=private_cidrs,
        )
        # An imported VPC has no internet dependency of its own: an internet-facing load balancer
        # in this stack must wait for the routes to the internet gateway, as with ec2.Vpc.
        for group in [
            vpc.internet_connectivity_established,
            *(subnet.internet_connectivity_established for subnet in vpc.public_subnets),
        ]:
            if not isinstance(group, DependencyGroup):  # aws-cdk-lib changed how it imports VPCs
                raise TypeError(f"cannot add the internet dependency to {type(group).__name__}")
            group.add(internet)
        return vpc

    def _flow_log(self, vpc_scope: Construct) -> ec2.FlowLog:
        """All of the VPC's traffic, logged to the encrypted flow log group."""
        flow_log = ec2.FlowLog(
            vpc_scope,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        flow_log_role = flow_log.node.try_find_child("IAMRole")
        if flow_log_role is not None and flow_log_role.node.try_find_child("DefaultPolicy"):
            acknowledge(
                flow_log_role.node.find_child("DefaultPolicy"),
                [
                    "NIST.800.53.R5-IAMNoInlinePolicy",
                    "HIPAA.Security-IAMNoInlinePolicy",
                    "PCI.DSS.321-IAMNoInlinePolicy",
                ],
                "CDK generates this policy for the flow log delivery role alone: it allows "
                "writing to the one flow log group and passing this role; a customer managed "
                "policy with the same statements would be attached to this role only as well.",
            )
        return flow_log

    def _close_default_security_group(
        self,
        vpc_scope: Construct,
        retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> lambda_.Function:
        """A function that removes the default group's rules, and the custom resource calling it.

        The custom resource keeps the id and type of ec2.Vpc's ``restrict_default_security_group``,
        which is what cdk-nag's VPCDefaultSecurityGroupClosed rules look for next to the VPC.
        """
        stack = cdk.Stack.of(self)
        group_id = self.vpc_resource.attr_default_security_group
        role = iam.Role(
            self,
            "DefaultSecurityGroupCloserRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Removes the rules of the VPC's default security group",
        )
        # Explicit, so that no feature flag decides whether the function has a log group.
        log_group = logs.LogGroup(
            self,
            "DefaultSecurityGroupCloserLogs",
            retention=retention,
            encryption_key=self.flow_log_key,
            removal_policy=removal_policy,
        )
        policy = self._closer_policy(role, group_id, log_group)
        function = lambda_.Function(
            self,
            "DefaultSecurityGroupCloser",
            description="Removes the rules of the VPC's default security group",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="index.handler",
            code=lambda_.Code.from_inline(_HANDLER.read_text()),
            role=role,
            timeout=cdk.Duration.minutes(2),
            log_group=log_group,
        )
        _acknowledge_closer(function)
        closer = cdk.CustomResource(
            vpc_scope,
            "RestrictDefaultSecurityGroupCustomResource",
            resource_type="Custom::VpcRestrictDefaultSG",
            service_token=function.function_arn,
            properties={"DefaultSecurityGroupId": group_id, "Account": stack.account},
        )
        closer.node.add_dependency(policy)
        return function

    def _closer_policy(
        self, role: iam.Role, group_id: str, log_group: logs.LogGroup
    ) -> iam.ManagedPolicy:
        """The closer may edit the default security group's rules and write its logs."""
        stack = cdk.Stack.of(self)
        return iam.ManagedPolicy(
            self,
            "DefaultSecurityGroupCloserPolicy",
            description="Lets the closer edit the VPC's default security group and write its logs",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "ec2:AuthorizeSecurityGroupEgress",
                        "ec2:AuthorizeSecurityGroupIngress",
                        "ec2:RevokeSecurityGroupEgress",
                        "ec2:RevokeSecurityGroupIngress",
                    ],
                    resources=[
                        stack.format_arn(
                            service="ec2", resource="security-group", resource_name=group_id
                        )
                    ],
                ),
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
            ],
        )


def _acknowledge_closer(function: lambda_.Function) -> None:
    acknowledge(
        function,
        [
            *(
                f"{pack}-{rule}"
                for pack in ("NIST.800.53.R5", "HIPAA.Security")
                for rule in ("LambdaConcurrency", "LambdaDLQ", "LambdaInsideVPC")
            ),
            "PCI.DSS.321-LambdaInsideVPC",
        ],
        "Runs only when CloudFormation creates, replaces or deletes the VPC, and reports "
        "every failure to CloudFormation, which fails the stack operation: no queue of "
        "failed events to keep, no concurrency to bound. It calls only the EC2 API; inside "
        "the VPC it would need the NAT gateway it runs before.",
    )
