"""Promote a released image: tag the digest staging ran, then wait until the tag is replicated.

The function adds the release tag to the exact image that passed staging (by digest, or by the
source tag that resolves to it) in the source registry, and then waits, bounded and with backoff,
until ECR replication has delivered that release tag, on that digest, to the production registry. Production deploys by
digest only; tags are for people.

Dependencies: boto3/botocore and the standard library only. boto3 is part of the AWS Lambda Python
runtime, so the function is shipped as this folder, without a ``requirements.txt``. Lambda loads
this file as ``index`` with the folder on ``sys.path``, so the modules beside it are imported by
their plain names:

- ``parsing``: the settings from the environment and the request from the event;
- ``tagging``: the promotion itself, in the source registry;
- ``replication``: the wait for the release tags in the destination registry;
- ``release``: one release, tagging then waiting, and its output variables;
- ``job``: the CodePipeline job protocol (results, continuations);
- ``model``, ``errors``, ``log``, ``clients``: payloads, errors, JSON logs, AWS clients.

ECR calls per promotion: one ``BatchGetImage`` (the source image and the current state of every
release tag in one call) plus one ``PutImage`` per release tag that is not there yet: 2 for one new
tag, 1 when the promotion is repeated. The replication check is a ``DescribeImages`` by release
tag per poll (one per release tag not confirmed yet) in the destination registry.

See README.md next to this file for the event shapes, outputs, errors and environment variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clients import (
    RETRY_CONFIG,
    Dependencies,
    _codepipeline_client,
    _ecr_client,
    _sts_client,
    destination_client,
)
from errors import (
    ImageNotFound,
    InvalidRequest,
    PromotionError,
    ReleaseTagConflict,
    ReplicationTimeout,
    error_code,
)
from job import run_job
from log import log
from model import Destination, Promotion, Request, Settings, image_uri
from parsing import parse_request, settings_from_env
from release import execute, invocation_budget_end
from replication import wait_for_replication
from tagging import ACCEPTED_MEDIA_TYPES, lookup_tag, promote

__all__ = [
    "ACCEPTED_MEDIA_TYPES",
    "RETRY_CONFIG",
    "Dependencies",
    "Destination",
    "ImageNotFound",
    "InvalidRequest",
    "Promotion",
    "PromotionError",
    "ReleaseTagConflict",
    "ReplicationTimeout",
    "Request",
    "Settings",
    "_codepipeline_client",
    "_ecr_client",
    "_sts_client",
    "destination_client",
    "error_code",
    "execute",
    "handler",
    "image_uri",
    "log",
    "lookup_tag",
    "parse_request",
    "promote",
    "run",
    "run_job",
    "settings_from_env",
    "wait_for_replication",
]


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point: a CodePipeline job event, or a direct promotion request."""
    return run(event, context, Dependencies())


def run(event: Mapping[str, Any], context: Any, deps: Dependencies) -> dict[str, str]:
    if isinstance(event, Mapping) and "CodePipeline.job" in event:
        return run_job(event["CodePipeline.job"], context, deps)
    started_at = deps.clock()
    try:
        settings = settings_from_env(deps.env)
        request = parse_request(event, settings)
        outputs = execute(
            request,
            settings,
            deps,
            started_at=started_at,
            budget_end=invocation_budget_end(context, deps.clock),
        )
    except Exception as error:  # logged for the alarm, raised for the caller
        log("ERROR", "promotion_failed", error=type(error).__name__, message=str(error))
        raise
    return outputs
