"""container_delivery.rules: AWS's own data, checked against botocore's models and partitions."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from importlib import resources
from typing import Any

import pytest

from container_delivery import rules
from tests.helpers import ROOT


def _service_model(service: str) -> dict[str, Any]:
    folder = resources.files("botocore").joinpath("data", service)
    (version,) = [entry for entry in folder.iterdir() if entry.is_dir()]
    for name in ("service-2.json.gz", "service-2.json"):
        path = version.joinpath(name)
        if path.is_file():
            data = path.read_bytes()
            return json.loads(gzip.decompress(data) if name.endswith(".gz") else data)  # type: ignore[no-any-return]
    raise AssertionError(f"no service model for {service}")


def test_retention_values_are_the_ones_cloudwatch_logs_documents() -> None:
    documentation = _service_model("logs")["shapes"]["Days"]["documentation"]
    listed = re.search(r"Possible values are: ([\d, and]+)\.", documentation)
    assert listed is not None, documentation
    assert [int(v) for v in re.findall(r"\d+", listed[1])] == list(rules.RETENTION_DAYS)


def _documented_fargate_sizes() -> dict[int, tuple[int, ...]]:
    """The ECS API reference's table (RegisterTaskDefinition ``memory``) as cpu -> memory."""
    documentation = _service_model("ecs")["shapes"]["RegisterTaskDefinitionRequest"]["members"][
        "memory"
    ]["documentation"]
    sizes: dict[int, tuple[int, ...]] = {}
    for item in re.findall(r"<li> <p>(.*?)</p>", documentation):
        cpu = int(re.search(r"Available <code>cpu</code> values: (\d+)", item)[1])  # type: ignore[index]
        if between := re.search(
            r"Between (\d+) \(\d+ GB\) and (\d+) .*? increments of (\d+)", item
        ):
            low, high, step = map(int, between.groups())
        elif between_gb := re.search(r"Between (\d+) ?GB and (\d+) GB in (\d+) GB", item):
            low, high, step = (int(v) * 1024 for v in between_gb.groups())
        else:
            sizes[cpu] = tuple(int(v) for v in re.findall(r"(\d+) \(\d+(?:\.\d+)? GB\)", item))
            continue
        sizes[cpu] = tuple(range(low, high + 1, step))
    return sizes


def test_fargate_sizes_are_the_ones_the_ecs_api_reference_lists() -> None:
    assert _documented_fargate_sizes() == dict(rules.FARGATE_SIZES)


def test_regions_come_from_botocore_and_know_their_partition() -> None:
    assert "eu-west-1" in rules.regions("aws")
    assert rules.partition_of("cn-north-1") == "aws-cn"
    assert rules.partition_of("us-gov-west-1") == "aws-us-gov"
    assert not any(region.endswith("-global") for region in rules.regions())
    assert rules.check_region("eu-west-1") == []
    assert rules.check_region("us-east-9")[0].startswith(
        "'us-east-9' is not an AWS region (did you mean 'us-east-"
    )


@pytest.mark.parametrize(
    ("arn", "problem"),
    [
        ("arn:aws:acm:eu-west-1:111111111111:certificate/abc", None),
        ("arn:aws-cn:acm:eu-west-1:111111111111:certificate/abc", "region 'eu-west-1' is in partition 'aws', not 'aws-cn'"),
        ("arn:aws:acm:eu-west-9:111111111111:certificate/abc", "'eu-west-9' is not an AWS region"),
        ("arn:aws:iam::111111111111:role/x", "is an ARN of iam:role, not of acm:certificate"),
        ("arn:aws:acm:eu-west-1:1111:certificate/abc", "account '1111' is not 12 digits"),
        ("arn:awz:acm:eu-west-1:111111111111:certificate/abc", "partition 'awz', which does not exist"),
        ("certificate/abc", "is not an ARN"),
    ],
)  # fmt: skip
def test_arns_are_parsed_by_partition_service_region_account_and_type(
    arn: str, problem: str | None
) -> None:
    problems = rules.check_certificate_arn(arn)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_an_arn_splits_into_its_parts() -> None:
    arn = rules.parse_arn("arn:aws:secretsmanager:eu-west-1:111111111111:secret:web/db-AbCdEf")
    assert arn == rules.Arn(
        "aws", "secretsmanager", "eu-west-1", "111111111111", "secret:web/db-AbCdEf"
    )
    assert (arn.resource_type, arn.resource_id) == ("secret", "web/db-AbCdEf")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("arn:aws:secretsmanager:eu-west-1:111111111111:secret:web/db-AbCdEf", None),
        ("web/db", "is a secret name or not an ARN"),
        ("arn:aws:secretsmanager:eu-west-1:111111111111:secret:web/db", "is a partial ARN"),
        (
            "arn:aws:secretsmanager:eu-west-1:111111111111:secret:web/db-AbCdEf:password::",
            "has a JSON key or version after the secret name",
        ),
        ("arn:aws:ssm:eu-west-1:111111111111:parameter/x", "not of secretsmanager:secret"),
    ],
)
def test_secret_arns_must_be_complete(value: str, problem: str | None) -> None:
    problems = rules.check_secret_arn(value)
    assert (problems == []) if problem is None else (problem in problems[0]), problems


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("webapp", None),
        ("prodigy", None),
        ("web-production", "'web-production' ends with an environment"),
        ("stg_webapp", "'stg_webapp' starts with an environment"),
        ("team/web-dev", "ends with an environment"),
    ],
)
def test_repository_names_may_not_carry_an_environment(name: str, problem: str | None) -> None:
    problems = rules.check_repository_environment(name)
    assert (problems == []) if problem is None else (problem in problems[0])


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [("v*", True), ("release-*", True), ("v?.*", True), ("*", False), ("?", False), ("*v", False)],
)
def test_tag_patterns_need_a_fixed_prefix(pattern: str, ok: bool) -> None:
    assert (rules.check_tag_pattern(pattern) == []) is ok


def test_the_rules_never_import_aws_cdk_or_the_config() -> None:
    code = (
        "import sys, container_delivery.rules; "
        "print(sorted(m for m in sys.modules if m.startswith(('aws_cdk', 'container_delivery.config', 'pydantic'))))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"
