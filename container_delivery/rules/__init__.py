"""What AWS accepts, decided once for the config and the constructs alike.

Pure Python (no aws_cdk, no config): the config models (``container_delivery.config``) and the
constructs (``container_delivery.constructs``) both call these checks, so a value the config
refuses is refused by the construct too, with the same reason. Each ``check_*`` returns a list of
problems (empty when the value is fine); a problem says what is wrong, repeats the value given and
says how to fix it, without naming the field: the caller prefixes its own field path or prop name.
Callers skip values that are CDK tokens (unknown until deploy time) before calling.

Regions and partitions come from botocore's partition data (installed with boto3), the Fargate
task sizes and CloudWatch Logs retention values from the ECS and CloudWatch Logs API references
(``tests/test_rules.py`` checks both against the documentation in botocore's service models).
"""

from .aws import (
    Arn,
    check_account_id,
    check_arn,
    check_certificate_arn,
    check_kms_key_arn,
    check_region,
    check_replication_destination,
    parse_arn,
    partition_of,
    regions,
)
from .ecs import (
    FARGATE_SIZES,
    check_env_var_name,
    check_fargate_size,
    check_secret_arn,
    check_secret_selector,
)
from .logs import RETENTION_DAYS, check_retention_days, retention_name
from .names import (
    ENVIRONMENT_WORDS,
    MAX_REGISTRY_FILTERS,
    check_repository_environment,
    check_tag_pattern,
)

__all__ = [
    "ENVIRONMENT_WORDS",
    "FARGATE_SIZES",
    "MAX_REGISTRY_FILTERS",
    "RETENTION_DAYS",
    "Arn",
    "check_account_id",
    "check_arn",
    "check_certificate_arn",
    "check_env_var_name",
    "check_fargate_size",
    "check_kms_key_arn",
    "check_region",
    "check_replication_destination",
    "check_repository_environment",
    "check_retention_days",
    "check_secret_arn",
    "check_secret_selector",
    "check_tag_pattern",
    "parse_arn",
    "partition_of",
    "regions",
    "retention_name",
]
