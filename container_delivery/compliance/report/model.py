"""What the audit report says: the records read from a cloud assembly and the counts on them.

``build_report`` (``_build.py``) fills an ``AuditReport`` from the files ``app.synth()`` writes;
the renderers (``render.py``, ``sarif.py``, ``asff.py``) only read it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .coverage import FRAMEWORKS, Coverage, RuleResult
from .provenance import Blame, GitState
from .sources import source_of

_GRANULAR = re.compile(r"\[.*\]$")

AckStatus = Literal["used", "unused", "pack not run", "other validator"]


class AssemblyError(ValueError):
    """The directory is not a readable cloud assembly; the message says what is missing."""


@dataclass(frozen=True)
class Resource:
    """A CloudFormation resource of a stack."""

    stack: str
    logical_id: str
    type: str
    construct_path: str


@dataclass(frozen=True)
class Source:
    """A line of source code (repository-relative when inside the checkout), and its git blame."""

    file: str
    line: int
    blame: Blame | None = None

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Finding:
    """One rule reported on one construct: unacknowledged (a violation) or acknowledged."""

    pack: str
    rule: str
    description: str
    severity: str
    construct_path: str
    stack: str
    logical_id: str
    resource_type: str
    acknowledged: bool
    reason: str = ""
    acknowledged_at: str = ""
    acknowledged_id: str = ""
    #: Where the acknowledgment was made (the ``acknowledge()`` call).
    source: Source | None = None
    #: The construct option that chose this exception, and the config key that set it.
    chosen_by: str = ""
    config_key: str = ""
    env_name: str = ""
    #: Resources a granular id names: (logical id, construct path).
    named: tuple[tuple[str, str], ...] = ()

    @property
    def base_rule(self) -> str:
        """The rule without its granular finding: ``AwsSolutions-IAM5[Resource::*]`` -> ``...IAM5``."""
        return _GRANULAR.sub("", self.rule)


@dataclass(frozen=True)
class Acknowledgment:
    """An acknowledgment as declared in the construct tree, and how many findings it covered."""

    stack: str
    construct_path: str
    qualified_id: str
    reason: str
    findings: int
    status: AckStatus
    source: Source | None = None
    chosen_by: str = ""
    config_key: str = ""
    env_name: str = ""

    @property
    def pack(self) -> str:
        return self.qualified_id.split("::", 1)[0] if "::" in self.qualified_id else ""

    @property
    def rule(self) -> str:
        return (
            self.qualified_id.split("::", 1)[1] if "::" in self.qualified_id else self.qualified_id
        )


@dataclass(frozen=True)
class StackReport:
    """A stack of the assembly with its resources."""

    name: str
    construct_path: str
    environment: str
    template_file: str
    resources: tuple[Resource, ...]


@dataclass(frozen=True)
class CustomRuleInfo:
    """A rule of the project's own pack, as listed in the report."""

    rule_id: str
    resource_type: str
    info: str
    explanation: str


@dataclass(frozen=True)
class RuleCoverage:
    """One rule's row of the coverage table."""

    result: RuleResult
    acknowledged: int
    unacknowledged: int
    #: Not compliant when the rule is evaluated again on the template, but not reported by the
    #: synth: the synth's pack did not check these resources for this rule (docs/audit.md).
    not_reported: tuple[str, ...] = ()
    #: Reported by the synth, but compliant or not applicable when evaluated again.
    not_recounted: tuple[str, ...] = ()

    @property
    def pack(self) -> str:
        return self.result.pack

    @property
    def rule(self) -> str:
        return self.result.rule

    @property
    def evaluated(self) -> int:
        return self.result.evaluated

    @property
    def compliant(self) -> int:
        return self.result.compliant

    @property
    def not_applicable(self) -> int:
        return self.result.not_applicable

    @property
    def framework(self) -> str:
        return FRAMEWORKS.get(self.pack, "")


@dataclass(frozen=True)
class AuditReport:
    """Everything the audit report shows, with the counts tests assert on."""

    source: str
    generated_at: str
    tool_versions: Mapping[str, str]
    packs: tuple[str, ...]
    stacks: tuple[StackReport, ...]
    findings: tuple[Finding, ...]
    acknowledgments: tuple[Acknowledgment, ...]
    pack_errors: tuple[str, ...] = ()
    custom_rules: tuple[CustomRuleInfo, ...] = ()
    notes: tuple[str, ...] = field(default=())
    git: GitState = field(default_factory=lambda: GitState(root=None, commit="", dirty=None))
    config: str = ""
    config_digest: str = ""
    coverage: Coverage = field(default_factory=Coverage)
    #: Construct path -> the Python line that created it (or an ancestor): SARIF locations.
    construct_sources: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def violations(self) -> tuple[Finding, ...]:
        """Findings nobody acknowledged: each one fails synth."""
        return tuple(f for f in self.findings if not f.acknowledged)

    @property
    def acknowledged(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.acknowledged)

    @property
    def nag_acknowledgments(self) -> tuple[Acknowledgment, ...]:
        """Acknowledgments of rule-pack findings (``<Pack>::<Pack>-<Rule>``)."""
        return tuple(a for a in self.acknowledgments if a.status != "other validator")

    @property
    def unused_acknowledgments(self) -> tuple[Acknowledgment, ...]:
        """Pack acknowledgments that matched no finding: stale, mistyped, or their pack is off."""
        return tuple(a for a in self.acknowledgments if a.status in ("unused", "pack not run"))

    @property
    def other_acknowledgments(self) -> tuple[Acknowledgment, ...]:
        """Acknowledgments for other validators, e.g. aws-cdk-lib's own ``CloudFormation-Validate``
        ones declared inside its constructs (not cdk-nag rules; listed for completeness)."""
        return tuple(a for a in self.acknowledgments if a.status == "other validator")

    @property
    def resource_count(self) -> int:
        return sum(len(stack.resources) for stack in self.stacks)

    @property
    def acknowledged_per_rule(self) -> dict[str, int]:
        """Acknowledged findings per rule as reported (granular ids kept), sorted by rule."""
        return dict(sorted(Counter(f.rule for f in self.acknowledged).items()))

    @property
    def violations_per_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.violations).items()))

    @property
    def configuration_exceptions(self) -> tuple[Finding, ...]:
        """Acknowledged findings that a configuration option chose (they need sign-off)."""
        return tuple(f for f in self.acknowledged if f.chosen_by)

    def configuration_exceptions_in(self, env_name: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.configuration_exceptions if f.env_name == env_name)

    def rule_coverage(self) -> list[RuleCoverage]:
        """Per pack and rule: resources evaluated, compliant, not applicable, acknowledged,
        unacknowledged (the last two from the synth's findings, per resource)."""
        acknowledged: dict[str, set[str]] = {}
        unacknowledged: dict[str, set[str]] = {}
        for finding in self.findings:
            target = acknowledged if finding.acknowledged else unacknowledged
            target.setdefault(finding.base_rule, set()).add(finding.construct_path)
        paths = {
            (r.stack, r.logical_id): r.construct_path or f"{r.stack}/{r.logical_id}"
            for stack in self.stacks
            for r in stack.resources
        }
        rows: list[RuleCoverage] = []
        for result in self.coverage.rules:
            reported = acknowledged.get(result.rule, set()) | unacknowledged.get(result.rule, set())
            failing = {
                paths.get((stack, lid), f"{stack}/{lid}")
                for stack, lid in [
                    *result.non_compliant,
                    *((s, lid) for s, lid, _ in result.errors),
                ]
            }
            rows.append(
                RuleCoverage(
                    result=result,
                    acknowledged=len(acknowledged.get(result.rule, ())),
                    unacknowledged=len(unacknowledged.get(result.rule, ())),
                    not_reported=tuple(sorted(failing - reported)),
                    not_recounted=tuple(sorted(reported - failing)),
                )
            )
        return rows

    def source_for(self, construct_path: str) -> tuple[str, int] | None:
        """The Python line that made the construct (or its nearest recorded ancestor)."""
        return source_of(construct_path, self.construct_sources)

    @property
    def passed(self) -> bool:
        """No unacknowledged finding and no pack that failed to run."""
        return not self.violations and not self.pack_errors

    @property
    def summary(self) -> dict[str, int]:
        """The summary table: stacks, resources, packs, findings, acknowledgments."""
        return {
            "stacks": len(self.stacks),
            "resources": self.resource_count,
            "packs": len(self.packs),
            "unacknowledged findings": len(self.violations),
            "acknowledged findings": len(self.acknowledged),
            "acknowledgments declared": len(self.nag_acknowledgments),
            "unused acknowledgments": len(self.unused_acknowledgments),
            "configuration exceptions": len(self.configuration_exceptions),
            "configuration exceptions in production": len(
                self.configuration_exceptions_in("production")
            ),
        }

    def stack_findings(self, stack: str, pack: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.stack == stack and (pack is None or f.pack == pack)]
