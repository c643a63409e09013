"""The AWS clients the handler uses, built once per execution environment, and ``Dependencies``."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import boto3
from botocore.config import Config
from model import Destination

if TYPE_CHECKING:  # the stubs are a development dependency only
    from mypy_boto3_codepipeline import CodePipelineClient
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_sts import STSClient

# Throttling and transient errors are retried by botocore (standard mode: exponential backoff with
# jitter on throttling, 5xx and connection errors).
RETRY_CONFIG: Final = Config(
    retries={"mode": "standard", "total_max_attempts": 8},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="container-delivery-promote",
)

ROLE_SESSION_NAME: Final = "container-delivery-promote"


@functools.cache
def _ecr_client() -> ECRClient:
    return boto3.client("ecr", config=RETRY_CONFIG)


@functools.cache
def _codepipeline_client() -> CodePipelineClient:
    return boto3.client("codepipeline", config=RETRY_CONFIG)


@functools.cache
def _sts_client() -> STSClient:
    return boto3.client("sts", config=RETRY_CONFIG)


def destination_client(
    destination: Destination, *, default_region: str, sts: Callable[[], STSClient] = _sts_client
) -> ECRClient:
    """An ECR client for the destination: the assumed role's credentials when a role is set."""
    region = destination.region or default_region
    if destination.role_arn is None:
        return boto3.client("ecr", region_name=region, config=RETRY_CONFIG)
    credentials = sts().assume_role(
        RoleArn=destination.role_arn, RoleSessionName=ROLE_SESSION_NAME, DurationSeconds=900
    )["Credentials"]
    return boto3.client(
        "ecr",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=RETRY_CONFIG,
    )


@dataclass
class Dependencies:
    """What the handler talks to; tests pass their own (stubbed clients, fake sleep and clock)."""

    ecr: Callable[[], ECRClient] = _ecr_client
    codepipeline: Callable[[], CodePipelineClient] = _codepipeline_client
    destination_ecr: Callable[[Destination, str], ECRClient] = field(
        default=lambda destination, region: destination_client(destination, default_region=region)
    )
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
