"""The error alarm on the service's logs, and the deploy rollback it may trigger."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs

from ._props import ServiceProps

if TYPE_CHECKING:
    from .construct import FargateService


def error_metric_filter(service: FargateService, props: ServiceProps) -> logs.MetricFilter:
    """``ContainerDelivery/<service name>`` ``ErrorLogRecords``: error records per minute."""
    return service.log_group.add_metric_filter(
        "ErrorRecords",
        filter_pattern=logs.FilterPattern.literal(props.error_log_pattern),
        metric_namespace=f"ContainerDelivery/{service.service_name}",
        metric_name="ErrorLogRecords",
        metric_value="1",
        default_value=0,
    )


def error_alarm(
    service: FargateService, props: ServiceProps, metric_filter: logs.MetricFilter
) -> cloudwatch.Alarm:
    """The alarm on error records, notifying ``alarm_topic``, rolling back a deploy if asked."""
    # The service names this alarm in its deployment configuration: a literal name keeps that
    # reference free of the alarm's logical id (CDK warns of a possible circular dependency).
    rollback_alarm_name = (
        cdk.Names.unique_resource_name(service, max_length=200, separator="-") + "-errors"
        if props.alarm_rollback
        else None
    )
    alarm = cloudwatch.Alarm(
        service,
        "ErrorAlarm",
        alarm_description=(
            f"Error records ({props.error_log_pattern}) in the logs of {service.node.path}"
        ),
        metric=metric_filter.metric(statistic="Sum", period=cdk.Duration.minutes(1)),
        threshold=props.error_alarm_threshold,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_name=rollback_alarm_name,
    )
    if props.alarm_topic is not None:
        alarm.add_alarm_action(cw_actions.SnsAction(props.alarm_topic))
    if rollback_alarm_name is not None:
        service.service.enable_deployment_alarms(
            [rollback_alarm_name], behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
        )
    return alarm
