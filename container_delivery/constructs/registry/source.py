"""``SourceRegistry``: the replication and scanning configuration of the build registry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from constructs import Construct, IConstruct

from ._rules import check_account, check_not_self, check_region
from ._scanning import LazyValue, RegistryScanning, ScanType, check_scan_settings
from ._singleton import stack_singleton

# ECR replication limits (ECR user guide and API reference; the newest API pages allow more,
# these are the documented minimums every account has).
MAX_RULES: Final = 10
"""ECR limit: replication rules per registry (one rule per distinct set of destinations)."""
MAX_DESTINATIONS: Final = 25
"""ECR limit: distinct destinations across all replication rules of a registry."""
MAX_FILTERS_PER_RULE: Final = 100
"""ECR limit: repository filters (name prefixes) per replication rule."""


@dataclass(frozen=True)
class ReplicationDestination:
    """A registry images replicate to: an account and a region."""

    account: str
    """The destination account (12 digits)."""
    region: str
    """The destination region, e.g. ``eu-west-1``."""


Rules = dict[tuple[ReplicationDestination, ...], list[str]]


def _plan(rules: Rules, prefix: str, destinations: tuple[ReplicationDestination, ...]) -> Rules:
    """``rules`` after replicating ``prefix`` to ``destinations`` (``rules`` is not changed).

    Repositories with the same destinations share one rule. A prefix registered again with other
    destinations moves to the rule of all its destinations together.
    """
    planned = {key: list(value) for key, value in rules.items()}
    for key, prefixes in list(planned.items()):
        if prefix in prefixes and key != destinations:
            destinations = tuple(dict.fromkeys([*key, *destinations]))
            prefixes.remove(prefix)
            if not prefixes:
                del planned[key]
    planned.setdefault(destinations, [])
    if prefix not in planned[destinations]:
        planned[destinations].append(prefix)
    return planned


def _name_of(repository: str | ecr.IRepository) -> str:
    return repository if isinstance(repository, str) else repository.repository_name


class SourceRegistry(Construct):
    """The registry-level replication and scanning configuration of one account and region.

    ``AWS::ECR::ReplicationConfiguration`` and ``AWS::ECR::RegistryScanningConfiguration`` exist
    once per registry: a second one overwrites the first. This construct owns both, for the stack
    it is in; services register into it (``replicate``, ``scan``) and it renders ONE resource of
    each kind from everything registered, merging repositories that replicate to the same
    destinations into one rule. Use ``SourceRegistry.of(scope)`` to get the stack's registry.

    Nothing is created until something registers: an empty replication configuration would
    switch off replication rules created outside this app.
    """

    #: The construct id under the stack; ``of`` finds the registry by it.
    DEFAULT_ID: Final = "SourceRegistry"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        manage_scanning: bool = False,
        scan_type: ScanType = "BASIC",
        continuous_scan: bool = False,
    ) -> None:
        """
        :param manage_scanning: Own the registry scanning configuration. There is one
            ``AWS::ECR::RegistryScanningConfiguration`` per account and region and it replaces
            whatever scanning the registry has, e.g. an organisation's Amazon Inspector enhanced
            scanning, which ``BASIC`` switches off for the whole registry.
            Default: - False: the registry's scanning is left as it is and every
            ``ServiceRepository`` keeps its own scan on push.
        :param scan_type: Registry scanning with ``manage_scanning``, ``BASIC`` (free, on push)
            or ``ENHANCED`` (Amazon Inspector). Default: - BASIC.
        :param continuous_scan: With ENHANCED, rescan continuously instead of on push only.
            Default: - False (scan on push).
        """
        super().__init__(scope, construct_id)
        problems = check_scan_settings(scan_type, continuous_scan)
        if problems:
            raise ValueError(f"SourceRegistry '{self.node.path}': " + "; ".join(problems))
        self._id = construct_id
        # destinations (in registration order) -> repository prefixes
        self._rules: Rules = {}
        self._scanning = RegistryScanning(self, scan_type=scan_type, continuous=continuous_scan)
        self.manages_scanning = manage_scanning
        """Whether this registry renders the registry scanning configuration."""
        self.replication_configuration: ecr.CfnReplicationConfiguration | None = None
        """The replication configuration, once a repository registered for replication."""

    @staticmethod
    def of(scope: IConstruct) -> SourceRegistry:
        """The source registry of ``scope``'s stack, created with defaults on first use."""
        return stack_singleton(scope, SourceRegistry, SourceRegistry.DEFAULT_ID)

    @property
    def scanning_configuration(self) -> ecr.CfnRegistryScanningConfiguration | None:
        """The registry scanning configuration, once a repository registered for scanning."""
        return self._scanning.resource

    @property
    def replicated_prefixes(self) -> list[str]:
        """Every registered repository prefix, in registration order."""
        return list(dict.fromkeys(p for prefixes in self._rules.values() for p in prefixes))

    def rules(self) -> list[tuple[tuple[ReplicationDestination, ...], list[str]]]:
        """The replication rules as rendered: (destinations, repository prefixes)."""
        return [(destinations, list(prefixes)) for destinations, prefixes in self._rules.items()]

    def replicate(
        self,
        repository: str | ecr.IRepository,
        *,
        destinations: Sequence[ReplicationDestination],
    ) -> None:
        """Replicate every repository whose name starts with ``repository`` to ``destinations``.

        ``repository`` is a repository (its name is the prefix) or a name prefix. ECR matches
        PREFIX_MATCH filters as plain prefixes: ``app`` also replicates ``apples``; a warning
        ``container-delivery:prefix-overlap`` names such pairs among registered prefixes.

        :raises ValueError: the configuration would break an ECR limit or a value is invalid;
            the message lists every problem.
        """
        prefix = _name_of(repository)
        unique = tuple(dict.fromkeys(destinations))
        problems = self._check(prefix, unique)
        if problems:
            raise ValueError(f"SourceRegistry '{self.node.path}': " + "; ".join(problems))
        self._warn_overlaps(prefix)
        self._rules = _plan(self._rules, prefix, unique)
        if self.replication_configuration is None:
            self.replication_configuration = ecr.CfnReplicationConfiguration(
                self,
                "Replication",
                replication_configuration=cdk.Lazy.any(LazyValue(self._render)),
            )

    def scan(self, repository: str | ecr.IRepository) -> None:
        """Scan ``repository`` (a repository, a name, or a wildcard such as ``team-*``) on push.

        :raises ValueError: the pattern is invalid or the scanning rule is full.
        """
        pattern = _name_of(repository)
        if not self.manages_scanning:
            raise ValueError(
                f"SourceRegistry '{self._id}': scan({pattern!r}) needs manage_scanning=True "
                "(the registry scanning configuration replaces the registry's existing one; "
                "create the registry as SourceRegistry(stack, SourceRegistry.DEFAULT_ID, "
                "manage_scanning=True) before SourceRegistry.of)"
            )
        problems = self._scanning.check(pattern)
        if problems:
            raise ValueError(f"SourceRegistry '{self.node.path}': " + "; ".join(problems))
        self._scanning.add(pattern)

    def _check(self, prefix: str, destinations: tuple[ReplicationDestination, ...]) -> list[str]:
        problems: list[str] = []
        if not destinations:
            problems.append(
                f"replicate({prefix!r}): no destination given; pass at least one "
                "ReplicationDestination(account, region)"
            )
        for destination in destinations:
            problems += check_account(f"destination of {prefix!r}", destination.account)
            problems += check_region(f"destination of {prefix!r}", destination.region)
            problems += check_not_self(
                f"destination of {prefix!r}",
                cdk.Stack.of(self).account,
                cdk.Stack.of(self).region,
                destination.account,
                destination.region,
            )
        if not cdk.Token.is_unresolved(prefix) and (
            len(prefix) < 2 or not prefix[0].isalnum() or prefix != prefix.lower()
        ):
            problems.append(
                f"replicate: {prefix!r} is not a repository name prefix (lowercase, at least 2 "
                "characters, starting with a letter or digit)"
            )
        rules = _plan(self._rules, prefix, destinations)
        if len(rules) > MAX_RULES:
            problems.append(
                f"replicate({prefix!r}): {len(rules)} replication rules (one per distinct set of "
                f"destinations); ECR allows {MAX_RULES} per registry: replicate more repositories "
                "to the same destinations"
            )
        unique_destinations = {d for key in rules for d in key}
        if len(unique_destinations) > MAX_DESTINATIONS:
            problems.append(
                f"replicate({prefix!r}): {len(unique_destinations)} distinct destinations across "
                f"all rules; ECR allows {MAX_DESTINATIONS}"
            )
        for key, prefixes in rules.items():
            if len(prefixes) > MAX_FILTERS_PER_RULE:
                where = ", ".join(f"{d.account}/{d.region}" for d in key)
                problems.append(
                    f"replicate({prefix!r}): the rule for {where} would hold {len(prefixes)} "
                    f"repository filters; ECR allows {MAX_FILTERS_PER_RULE} per rule: share a "
                    "name prefix (e.g. 'team-') and register that prefix once"
                )
        return problems

    def _warn_overlaps(self, prefix: str) -> None:
        if cdk.Token.is_unresolved(prefix):
            return
        for other in self.replicated_prefixes:
            if other == prefix or cdk.Token.is_unresolved(other):
                continue
            shorter, longer = sorted((prefix, other), key=len)
            if longer.startswith(shorter):
                cdk.Annotations.of(self).add_warning_v2(
                    "container-delivery:prefix-overlap",
                    f"The replication filter {shorter!r} (PREFIX_MATCH) also matches the "
                    f"repository {longer!r}: its images replicate to the destinations of both. "
                    "Name repositories so that no name is the prefix of another (e.g. 'app-web' "
                    "and 'app-worker', not 'app' and 'app-worker').",
                )

    def _render(self) -> dict[str, Any]:
        # camelCase: the L1 maps these to CloudFormation's names after resolving the Lazy.
        return {
            "rules": [
                {
                    "destinations": [
                        {"region": d.region, "registryId": d.account} for d in destinations
                    ],
                    "repositoryFilters": [
                        {"filter": prefix, "filterType": "PREFIX_MATCH"} for prefix in prefixes
                    ],
                }
                for destinations, prefixes in self._rules.items()
                if prefixes
            ]
        }
