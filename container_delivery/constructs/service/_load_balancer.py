"""The Application Load Balancer: security group, target group, listeners and access logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from container_delivery.compliance import acknowledge

from . import checks
from ._defaults import (
    HEALTH_CHECK_INTERVAL,
    HEALTH_CHECK_TIMEOUT,
    HEALTHY_THRESHOLD,
    UNHEALTHY_THRESHOLD,
)
from ._options import LoadBalancerOptions
from ._props import ServiceProps
from ._waf import add_web_acl

if TYPE_CHECKING:
    from .construct import FargateService


def add_load_balancer(
    service: FargateService, props: ServiceProps, options: LoadBalancerOptions, container_port: int
) -> None:
    """The load balancer in front of ``service``; sets its ``load_balancer``, ``url`` and co."""
    vpc = props.cluster.vpc
    alb_sg = _security_group(service, options, vpc)
    service.service.connections.allow_from(
        alb_sg, ec2.Port.tcp(container_port), "the load balancer"
    )
    load_balancer = elbv2.ApplicationLoadBalancer(
        service,
        "LoadBalancer",
        vpc=vpc,
        internet_facing=options.public,
        vpc_subnets=ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PUBLIC
            if options.public
            else ec2.SubnetType.PRIVATE_WITH_EGRESS
        ),
        security_group=alb_sg,
        drop_invalid_header_fields=True,
        deletion_protection=options.deletion_protection,
        idle_timeout=options.idle_timeout,
    )
    service.load_balancer = load_balancer
    service.access_logs_bucket = options.access_logs_bucket or _access_logs_bucket(
        service, props.removal_policy
    )
    load_balancer.log_access_logs(service.access_logs_bucket, prefix="alb")
    target_group = _target_group(service, props, container_port)
    service.target_group = target_group
    add_web_acl(service, load_balancer, options.web_acl_arn, props.removal_policy)
    if options.certificate is not None:
        _https_listeners(load_balancer, options.certificate, target_group)
        service.url = f"https://{load_balancer.load_balancer_dns_name}"
    else:
        _http_listener(load_balancer, target_group)
        service.url = f"http://{load_balancer.load_balancer_dns_name}"


def _security_group(
    scope: Construct, options: LoadBalancerOptions, vpc: ec2.IVpc
) -> ec2.SecurityGroup:
    """Clients on the listener ports: anyone for a public balancer, else the VPC's CIDR."""
    alb_sg = ec2.SecurityGroup(
        scope,
        "LoadBalancerSecurityGroup",
        vpc=vpc,
        description=f"{scope.node.path} load balancer",
        allow_all_outbound=False,
    )
    peer = ec2.Peer.any_ipv4() if options.public else ec2.Peer.ipv4(vpc.vpc_cidr_block)
    ports = [443, 80] if options.certificate is not None else [80]
    for port in ports:
        alb_sg.add_ingress_rule(peer, ec2.Port.tcp(port), f"clients on {port}")
    if not options.public and not checks.literal(vpc.vpc_cidr_block):
        acknowledge(
            alb_sg,
            [
                "AwsSolutions-EC23",
                "NIST.800.53.R5-EC2RestrictedCommonPorts",
                "NIST.800.53.R5-EC2RestrictedSSH",
                "HIPAA.Security-EC2RestrictedCommonPorts",
                "HIPAA.Security-EC2RestrictedSSH",
                "PCI.DSS.321-EC2RestrictedCommonPorts",
                "PCI.DSS.321-EC2RestrictedSSH",
            ],
            "Ingress of this internal load balancer is the VPC's own CIDR on the listener "
            "ports only; cdk-nag cannot resolve the CIDR reference and reports a rule error "
            "instead of checking it.",
        )
    if options.public:
        acknowledge(
            alb_sg,
            ["AwsSolutions-EC23"],
            "This is a public web entry point: the load balancer must accept clients from "
            "any address, on the listener ports only; the tasks accept traffic from this "
            "security group only.",
        )
    return alb_sg


def _target_group(
    service: FargateService, props: ServiceProps, container_port: int
) -> elbv2.ApplicationTargetGroup:
    return elbv2.ApplicationTargetGroup(
        service,
        "TargetGroup",
        vpc=props.cluster.vpc,
        port=container_port,
        protocol=elbv2.ApplicationProtocol.HTTP,
        target_type=elbv2.TargetType.IP,
        deregistration_delay=props.deregistration_delay,
        health_check=elbv2.HealthCheck(
            path=props.health_check_path,
            interval=HEALTH_CHECK_INTERVAL,
            timeout=HEALTH_CHECK_TIMEOUT,
            healthy_threshold_count=HEALTHY_THRESHOLD,
            unhealthy_threshold_count=UNHEALTHY_THRESHOLD,
            healthy_http_codes="200",
        ),
        targets=[
            service.service.load_balancer_target(
                container_name=service.container.container_name, container_port=container_port
            )
        ],
    )


def _https_listeners(
    load_balancer: elbv2.ApplicationLoadBalancer,
    certificate: acm.ICertificate,
    target_group: elbv2.ApplicationTargetGroup,
) -> None:
    """HTTPS on 443 to the tasks; port 80 only redirects to it."""
    load_balancer.add_listener(
        "Https",
        port=443,
        protocol=elbv2.ApplicationProtocol.HTTPS,
        certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
        ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
        default_target_groups=[target_group],
        open=False,
    )
    redirect = load_balancer.add_redirect(
        source_port=80,
        source_protocol=elbv2.ApplicationProtocol.HTTP,
        target_port=443,
        target_protocol=elbv2.ApplicationProtocol.HTTPS,
        open=False,
    )
    acknowledge(
        redirect,
        [
            "NIST.800.53.R5-ELBv2ACMCertificateRequired",
            "HIPAA.Security-ELBv2ACMCertificateRequired",
            "PCI.DSS.321-ELBv2ACMCertificateRequired",
        ],
        "This port 80 listener only answers with a permanent redirect to the HTTPS "
        "listener on 443, which uses the ACM certificate; it forwards nothing to the tasks.",
    )


def _http_listener(
    load_balancer: elbv2.ApplicationLoadBalancer, target_group: elbv2.ApplicationTargetGroup
) -> None:
    """Plain HTTP on 80, chosen explicitly with ``allow_plain_http``."""
    listener = load_balancer.add_listener(
        "Http",
        port=80,
        protocol=elbv2.ApplicationProtocol.HTTP,
        default_target_groups=[target_group],
        open=False,
    )
    acknowledge(
        listener,
        [
            "NIST.800.53.R5-ALBHttpToHttpsRedirection",
            "HIPAA.Security-ALBHttpToHttpsRedirection",
            "PCI.DSS.321-ALBHttpToHttpsRedirection",
            "NIST.800.53.R5-ELBv2ACMCertificateRequired",
            "HIPAA.Security-ELBv2ACMCertificateRequired",
            "PCI.DSS.321-ELBv2ACMCertificateRequired",
        ],
        "Plain HTTP was chosen explicitly (allow_plain_http=True) because no certificate "
        "is configured for this environment; giving LoadBalancerOptions(certificate=...) "
        "replaces this listener with HTTPS and an HTTP-to-HTTPS redirect.",
        chosen_by="allow_plain_http",
    )


def _access_logs_bucket(scope: Construct, removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
    """SSL only, versioned, SSE-S3 (ALB cannot write SSE-KMS), kept a year."""
    bucket = s3.Bucket(
        scope,
        "AccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=removal_policy,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireOldAccessLogs",
                expiration=cdk.Duration.days(365),
                noncurrent_version_expiration=cdk.Duration.days(30),
            )
        ],
    )
    acknowledge(
        bucket,
        [
            "AwsSolutions-S1",
            "NIST.800.53.R5-S3BucketLoggingEnabled",
            "HIPAA.Security-S3BucketLoggingEnabled",
            "PCI.DSS.321-S3BucketLoggingEnabled",
        ],
        "This bucket holds the load balancer's access logs and only the ELB log delivery "
        "service writes to it; logging its access to yet another bucket would repeat the "
        "problem one level down, and API access to it is recorded by CloudTrail.",
    )
    acknowledge(
        bucket,
        [
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
            "HIPAA.Security-S3DefaultEncryptionKMS",
            "PCI.DSS.321-S3DefaultEncryptionKMS",
        ],
        "ALB access logging supports only SSE-S3 (Amazon S3 managed keys); with SSE-KMS the "
        "load balancer cannot write its logs, so the bucket is encrypted with SSE-S3.",
    )
    acknowledge(
        bucket,
        [
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "HIPAA.Security-S3BucketReplicationEnabled",
            "PCI.DSS.321-S3BucketReplicationEnabled",
        ],
        "Access logs are operational evidence kept for one year in a versioned bucket with a "
        "RETAIN policy; a cross-region copy is not required for them (pass "
        "access_logs_bucket to use a replicated central log bucket instead).",
    )
    return bucket
