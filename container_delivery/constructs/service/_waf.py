"""The load balancer's AWS WAF web ACL: AWS managed rule groups, logged to an encrypted group."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

if TYPE_CHECKING:
    from .construct import FargateService

MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
"""AWS managed rule groups of the created web ACL, in priority order."""


def add_web_acl(
    service: FargateService,
    load_balancer: elbv2.ApplicationLoadBalancer,
    web_acl_arn: str | None,
    removal_policy: cdk.RemovalPolicy,
) -> None:
    """Associate ``web_acl_arn``, or a created web ACL (``service.web_acl``) when it is ``None``."""
    if web_acl_arn is None:
        web_acl = _managed_rules_web_acl(service)
        service.web_acl = web_acl
        service.web_acl_log_group = _log_web_acl(service, web_acl, removal_policy)
        web_acl_arn = web_acl.attr_arn
    wafv2.CfnWebACLAssociation(
        service,
        "WebAclAssociation",
        resource_arn=load_balancer.load_balancer_arn,
        web_acl_arn=web_acl_arn,
    )


def _managed_rules_web_acl(scope: Construct) -> wafv2.CfnWebACL:
    metric = cdk.Names.unique_id(scope)[-128:]
    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True,
            metric_name=metric,
            sampled_requests_enabled=True,
        ),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=index,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                    cloud_watch_metrics_enabled=True,
                    metric_name=f"{metric[: 127 - len(name)]}-{name}",
                    sampled_requests_enabled=True,
                ),
            )
            for index, name in enumerate(MANAGED_RULE_GROUPS)
        ],
    )


def _log_web_acl(
    service: FargateService, web_acl: wafv2.CfnWebACL, removal_policy: cdk.RemovalPolicy
) -> logs.LogGroup:
    """WAF logging into a log group named ``aws-waf-logs-...`` (a name WAF requires)."""
    log_name = f"aws-waf-logs-{cdk.Names.unique_id(service)}"[:512]
    group = logs.LogGroup(
        service,
        "WebAclLogs",
        log_group_name=log_name,
        retention=logs.RetentionDays.ONE_YEAR,
        encryption_key=service.log_encryption_key,
        removal_policy=removal_policy,
    )
    logging = wafv2.CfnLoggingConfiguration(
        service,
        "WebAclLogging",
        resource_arn=web_acl.attr_arn,
        log_destination_configs=[
            cdk.Stack.of(service).format_arn(
                service="logs",
                resource="log-group",
                resource_name=log_name,
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
    )
    logging.node.add_dependency(group)
    return group
