"""The option objects ``FargateService`` takes: an injected secret, a load balancer."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager


@dataclass(frozen=True)
class ServiceSecret:
    """A Secrets Manager secret injected by ECS as one environment variable.

    :param secret: The secret, known by its complete ARN (``Secret.from_secret_complete_arn``
        or a secret created in the app).
    :param json_key: Inject only this key of a JSON secret.
        Default: - the whole secret string.
    :param version_stage: Version stage, e.g. ``AWSPREVIOUS``.
        Default: - ``AWSCURRENT``.
    :param version_id: Pin one version by id.
        Default: - the stage's version.
    :param encryption_key: The customer managed KMS key the secret is encrypted with; the task
        execution role may decrypt with it through Secrets Manager only (``kms:ViaService``).
        An imported secret does not know its key: name it here.
        Default: - the secret's own ``encryption_key``, or none (the AWS managed key).
    """

    secret: secretsmanager.ISecret
    json_key: str | None = None
    version_stage: str | None = None
    version_id: str | None = None
    encryption_key: kms.IKey | None = None


@dataclass(frozen=True)
class LoadBalancerOptions:
    """An Application Load Balancer in front of the service.

    :param public: Internet-facing in public subnets (ingress from anywhere on 443/80).
        Default: - internal, reachable from the VPC's CIDR only.
    :param certificate: ACM certificate; HTTPS listener on 443 and HTTP 80 redirecting to it.
        Default: - none; then ``allow_plain_http`` must be set.
    :param allow_plain_http: Without a certificate, serve plain HTTP on port 80. Must be set
        explicitly; cdk-nag's HTTPS-only findings are acknowledged only then. Default: - False.
    :param access_logs_bucket: Bucket for ALB access logs, SSE-S3 (ALB cannot write SSE-KMS).
        Default: - a bucket is created (SSL only, versioned, SSE-S3, retained).
    :param deletion_protection: The load balancer cannot be deleted while this is on.
        Default: - True; turn it off before deleting the stack.
    :param idle_timeout: How long an idle connection stays open.
        Default: - 60 s (the ALB default).
    :param web_acl_arn: AWS WAF web ACL to associate.
        Default: - a web ACL is created with the AWS managed common and known-bad-inputs rule
        groups, logging to an encrypted log group.
    """

    public: bool = False
    certificate: acm.ICertificate | None = None
    allow_plain_http: bool = False
    access_logs_bucket: s3.IBucket | None = None
    deletion_protection: bool = True
    idle_timeout: cdk.Duration | None = None
    web_acl_arn: str | None = None
