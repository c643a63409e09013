"""Promotion: the Lambda function that releases an image, and its read role in production.

``PromotionFunction`` (staging / build account) runs ``lambda/promote``: it adds the release tag
to the digest that passed staging and waits until ECR replication has delivered that release tag,
on that digest, to the production registry. ``PromotionReadRole`` (production account) is the
role it assumes for that check: ``ecr:DescribeImages`` on the named repositories, nothing else.

Modules: ``_function`` (the function and its resources), ``_read_role`` (the production role),
``_permissions`` (every IAM statement and managed policy), ``_validation`` (the props checks).
Auditors: every cdk-nag acknowledgment of this package is made in ``_acknowledgments``, each on
the narrowest construct, with its reason.
"""

from __future__ import annotations

from typing import Final

from container_delivery.constructs._assets import lambda_source_dir

from ._function import (
    DEFAULT_REPLICATION_TIMEOUT,
    DEFAULT_TIMEOUT,
    MAX_LAMBDA_TIMEOUT,
    MAX_REPLICATION_TIMEOUT,
    MIN_LAMBDA_TIMEOUT,
    MIN_REPLICATION_TIMEOUT,
    RUNTIME,
    PromotionFunction,
)
from ._read_role import PromotionReadRole
from ._validation import ReplicationCheck

#: The handler's folder: ``lambda/promote`` of a source checkout, or its copy in the installed
#: package (``container_delivery/_lambda/promote``). None when neither exists. Read from here
#: each time a ``PromotionFunction`` is built without ``code``.
HANDLER_DIR: Final = lambda_source_dir("promote")

__all__ = [
    "DEFAULT_REPLICATION_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "HANDLER_DIR",
    "MAX_LAMBDA_TIMEOUT",
    "MAX_REPLICATION_TIMEOUT",
    "MIN_LAMBDA_TIMEOUT",
    "MIN_REPLICATION_TIMEOUT",
    "RUNTIME",
    "PromotionFunction",
    "PromotionReadRole",
    "ReplicationCheck",
]
