"""Accounts, regions (from botocore's partition data) and ARNs."""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Final

ACCOUNT_ID: Final = re.compile(r"^\d{12}$")
#: The shape of a region name in every partition; the region itself must be in botocore's data.
REGION_SHAPE: Final = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d+$")


@functools.cache
def _partitions() -> dict[str, tuple[str, ...]]:
    """Partition id -> its regions, from the ``partitions.json`` botocore ships."""
    data = resources.files("botocore").joinpath("data", "partitions.json").read_text()
    return {
        partition["id"]: tuple(
            sorted(name for name in partition["regions"] if not name.endswith("-global"))
        )
        for partition in json.loads(data)["partitions"]
    }


def regions(partition: str | None = None) -> tuple[str, ...]:
    """Every region botocore knows (of ``partition``, or of all partitions)."""
    data = _partitions()
    if partition is not None:
        return data.get(partition, ())
    return tuple(sorted(region for names in data.values() for region in names))


def partition_of(region: str) -> str | None:
    """The partition (``aws``, ``aws-cn``, ``aws-us-gov``...) of a known region, else None."""
    for partition, names in _partitions().items():
        if region in names:
            return partition
    return None


def check_account_id(value: str) -> list[str]:
    if ACCOUNT_ID.match(value):
        return []
    return [f"{value!r} is not a 12-digit AWS account id (quote it in YAML: '012345678901')"]


def check_region(value: str) -> list[str]:
    """The region must exist in botocore's partition data (a typo or an unknown region fails)."""
    if partition_of(value) is not None:
        return []
    known = regions()
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "e.g. 'eu-west-1'"
    return [
        f"{value!r} is not an AWS region ({hint}; regions come from botocore's partition data: "
        "upgrade boto3 if the region is newer)"
    ]


@dataclass(frozen=True)
class Arn:
    """An ARN split into its parts: ``arn:partition:service:region:account:resource``."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        """``secret`` of ``secret:name``, ``certificate`` of ``certificate/id``, else ''."""
        match = re.match(r"^([A-Za-z0-9-]+)[:/]", self.resource)
        return match[1] if match else ""

    @property
    def resource_id(self) -> str:
        """The resource after its type (``name-AbCdEf`` of ``secret:name-AbCdEf``)."""
        kind = self.resource_type
        return self.resource[len(kind) + 1 :] if kind else self.resource


def parse_arn(value: str) -> Arn | None:
    """The parts of ``value``, or None when it is not shaped like an ARN."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(*parts[1:])


def check_arn(
    value: str,
    *,
    service: str,
    resource_type: str,
    example: str,
    region: str | None = None,
    account: str | None = None,
    fix: str = "",
) -> list[str]:
    """Problems with an ARN of ``service``/``resource_type``; ``region``/``account`` if given must match.

    ``fix`` ends the region and account mismatch messages (what to do instead).

    The partition must exist and the ARN's region must belong to it (botocore's data), the account
    must be 12 digits.
    """
    arn = parse_arn(value)
    if arn is None:
        return [
            f"{value!r} is not an ARN (expected 'arn:<partition>:{service}:<region>:<account>:"
            f"{resource_type}...', e.g. {example!r})"
        ]
    problems: list[str] = []
    if arn.partition not in _partitions():
        problems.append(
            f"{value!r} names the partition {arn.partition!r}, which does not exist (known: "
            f"{', '.join(sorted(_partitions()))})"
        )
    if arn.service != service or arn.resource_type != resource_type:
        what = f"{arn.service}:{arn.resource_type or arn.resource}"
        problems.append(
            f"{value!r} is an ARN of {what}, not of {service}:{resource_type}; give one such as "
            f"{example!r}"
        )
    if region_problems := check_region(arn.region):
        problems.append(f"{value!r}: " + region_problems[0])
    elif arn.partition in _partitions() and partition_of(arn.region) != arn.partition:
        problems.append(
            f"{value!r}: region {arn.region!r} is in partition {partition_of(arn.region)!r}, "
            f"not {arn.partition!r}"
        )
    if not ACCOUNT_ID.match(arn.account):
        problems.append(f"{value!r}: account {arn.account!r} is not 12 digits")
    if region is not None and not problems and arn.region != region:
        problems.append(
            f"{value!r} is in {arn.region}, but it is used in {region}; {fix or 'use one'} "
            f"in {region}"
        )
    if account is not None and not problems and arn.account != account:
        problems.append(
            f"{value!r} belongs to account {arn.account}, but it is used in account {account}; "
            f"{fix or 'use one'} in account {account}"
        )
    return problems


#: A certificate ARN: ``arn:aws:acm:eu-west-1:111111111111:certificate/<uuid>``.
CERTIFICATE_EXAMPLE: Final = (
    "arn:aws:acm:eu-west-1:111111111111:certificate/12345678-1234-1234-1234-123456789012"
)


def check_certificate_arn(
    value: str, *, region: str | None = None, account: str | None = None
) -> list[str]:
    """An ACM certificate of the load balancer's own account and region.

    A load balancer can only use a certificate of its region (ACM certificates are regional) and
    of its account (they cannot be shared across accounts).
    """
    return check_arn(
        value,
        service="acm",
        resource_type="certificate",
        example=CERTIFICATE_EXAMPLE,
        region=region,
        account=account,
        fix="request or import the certificate",
    )


KMS_KEY_EXAMPLE: Final = (
    "arn:aws:kms:eu-west-1:111111111111:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)


def check_kms_key_arn(value: str, *, region: str | None = None) -> list[str]:
    """A KMS key by its key ARN (an alias or a bare key id cannot be granted in IAM by ARN).

    ``region``: the region of what the key encrypts (a secret's key is in the secret's region).
    """
    if parse_arn(value) is None:
        return [
            f"{value!r} is not a KMS key ARN (an alias or key id is not enough: IAM grants "
            f"decrypt by key ARN), e.g. {KMS_KEY_EXAMPLE!r}"
        ]
    return check_arn(
        value,
        service="kms",
        resource_type="key",
        example=KMS_KEY_EXAMPLE,
        region=region,
        fix="a secret is encrypted with a key of its own region: use the key",
    )


def check_replication_destination(
    source_account: str, source_region: str, account: str, region: str
) -> list[str]:
    """A replication destination must be another registry than the source's own."""
    if (account, region) != (source_account, source_region):
        return []
    return [
        f"{account}/{region} is the source registry itself; ECR refuses to replicate a registry "
        "to itself: give the production account (or another region)"
    ]
