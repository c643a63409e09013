"""The cells the sections share: how a finding, a rule or an acknowledgment reads in a table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ._blocks import Cell, Many, RuleRef
from .coverage import FRAMEWORKS
from .model import _GRANULAR, AuditReport, Finding, Source


def resource_label(finding: Finding) -> str:
    return finding.logical_id or "(no CloudFormation resource)"


def blame_label(source: Source | None) -> str:
    if source is None:
        return "not recorded (acknowledged without container_delivery.compliance.acknowledge)"
    return source.blame.label if source.blame else "no git history"


def source_label(source: Source | None) -> str:
    return source.label if source else "not recorded"


def controls_text(report: AuditReport, rules: Sequence[str]) -> str:
    parts: list[str] = []
    for rule in dict.fromkeys(_GRANULAR.sub("", r) for r in rules):
        result = report.coverage.rule(rule)
        if result and result.controls:
            framework = FRAMEWORKS.get(result.pack, result.pack)
            parts.append(f"{framework}: {', '.join(result.controls)}")
    return "; ".join(parts)


def rule_description(report: AuditReport, rules: Sequence[str], fallback: str) -> str:
    for rule in rules:
        result = report.coverage.rule(_GRANULAR.sub("", rule))
        if result is not None:
            return re.sub(r"\s*-\s*\(Control IDs?:.*\)\s*\.?$", "", result.description).strip()
    return fallback


@dataclass(frozen=True)
class Group:
    """Acknowledged findings of one resource with one reason, across rules and packs."""

    findings: tuple[Finding, ...]

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def rules(self) -> list[str]:
        return [f.rule for f in self.findings]

    @property
    def packs(self) -> list[str]:
        return list(dict.fromkeys(f.pack for f in self.findings))


def group_findings(findings: Sequence[Finding]) -> list[Group]:
    """Identical reasons on one resource (typically the same fact in several packs): one group."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        key = (finding.construct_path, finding.acknowledged_at, finding.reason)
        groups.setdefault(key, []).append(finding)
    return [Group(tuple(g)) for g in groups.values()]


def rule_refs(group: Group) -> Many:
    return Many(tuple(RuleRef(f.rule, f.named) for f in group.findings))


def meaning(report: AuditReport, rules: Sequence[str], fallback: str) -> Many:
    """What the rules check, then their control ids (one cell)."""
    controls = controls_text(report, rules)
    description = rule_description(report, rules, fallback)
    return Many((description, f"Controls: {controls}") if controls else (description,))


def acknowledged_cell(source: Source | None, at: str) -> Many:
    """Where and by whom an acknowledgment was made (one cell)."""
    return Many((f"at {at}", f"in {source_label(source)}", blame_label(source)))


def acknowledged_rows(report: AuditReport, findings: Sequence[Finding]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for group in group_findings(findings):
        f = group.first
        rows.append(
            [
                rule_refs(group),
                ", ".join(group.packs),
                Many((resource_label(f), f.construct_path)),
                meaning(report, group.rules, f.description),
                f.reason,
                acknowledged_cell(f.source, f.acknowledged_at),
            ]
        )
    return rows


ACK_HEADERS = (
    "Rules",
    "Packs",
    "Resource (logical id, construct path)",
    "What the rules check",
    "Reason",
    "Acknowledged (at, in, author, date, commit)",
)
