"""The registry scanning configuration: one per account and region, rendered lazily."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, Literal

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ecr as ecr
from constructs import Construct

ScanType = Literal["BASIC", "ENHANCED"]

#: RegistryScanningConfiguration filter values (CloudFormation schema): WILDCARD patterns.
SCAN_FILTER: Final = re.compile(r"^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$")
#: Filters per scanning rule (CloudFormation schema maxItems).
MAX_SCAN_FILTERS: Final = 100


@jsii.implements(cdk.IStableAnyProducer)
class LazyValue:
    """Adapter from a Python function to ``cdk.Lazy.any``: evaluated once, when synthesized
    (after every service registered)."""

    def __init__(self, produce: Callable[[], Any]) -> None:
        self._produce = produce

    def produce(self) -> Any:
        return self._produce()


def check_scan_settings(scan_type: str, continuous: bool) -> list[str]:
    problems: list[str] = []
    if scan_type not in ("BASIC", "ENHANCED"):
        problems.append(f"scan_type: {scan_type!r} is not 'BASIC' or 'ENHANCED'")
    if continuous and scan_type != "ENHANCED":
        problems.append(
            "continuous_scan: True needs scan_type='ENHANCED' (BASIC scanning only scans on push)"
        )
    return problems


class RegistryScanning:
    """The filters of one ``AWS::ECR::RegistryScanningConfiguration``, created on first use.

    The resource is created only when a filter is registered: an empty configuration would turn
    scan on push off for every repository of the registry.
    """

    def __init__(self, owner: Construct, *, scan_type: ScanType, continuous: bool) -> None:
        self._owner = owner
        self._scan_type = scan_type
        self._continuous = continuous
        self._filters: list[str] = []
        self.resource: ecr.CfnRegistryScanningConfiguration | None = None

    @property
    def filters(self) -> list[str]:
        return list(self._filters)

    def check(self, pattern: str) -> list[str]:
        problems: list[str] = []
        if not cdk.Token.is_unresolved(pattern) and not SCAN_FILTER.match(pattern):
            problems.append(
                f"scan filter {pattern!r} is not a repository wildcard (lowercase name, '*' allowed)"
            )
        if pattern not in self._filters and len(self._filters) + 1 > MAX_SCAN_FILTERS:
            problems.append(
                f"scan filter {pattern!r} would be filter {len(self._filters) + 1}; a scanning "
                f"rule holds at most {MAX_SCAN_FILTERS} (use a wildcard such as 'team-*')"
            )
        return problems

    def add(self, pattern: str) -> None:
        if pattern in self._filters:
            return
        self._filters.append(pattern)
        if self.resource is None:
            self.resource = ecr.CfnRegistryScanningConfiguration(
                self._owner,
                "Scanning",
                scan_type=self._scan_type,
                rules=cdk.Lazy.any(LazyValue(self._render)),
            )

    def _render(self) -> list[dict[str, Any]]:
        # camelCase: the L1 maps these to CloudFormation's names after resolving the Lazy.
        return [
            {
                "scanFrequency": "CONTINUOUS_SCAN" if self._continuous else "SCAN_ON_PUSH",
                "repositoryFilters": [
                    {"filter": pattern, "filterType": "WILDCARD"} for pattern in self._filters
                ],
            }
        ]
