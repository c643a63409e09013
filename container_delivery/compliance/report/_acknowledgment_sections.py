"""The sections for sign-off: exceptions chosen by configuration, and every acknowledgment with
the line that made it and who wrote that line."""

from __future__ import annotations

from ._blocks import Block, Cell, Heading, Many, Paragraph, RuleRef, Table
from ._cells import blame_label, group_findings, rule_refs, source_label
from .model import Acknowledgment, AuditReport


def configuration_blocks(report: AuditReport) -> list[Block]:
    out: list[Block] = [
        Heading(2, "Exceptions chosen by configuration", "configuration-exceptions")
    ]
    out.append(
        Paragraph(
            "Findings acknowledged because a configuration value chose them (not exceptions the "
            "library makes by design). Each needs the sign-off of the environment's owner. "
            f"In production: {len(report.configuration_exceptions_in('production'))}."
        )
    )
    exceptions = report.configuration_exceptions
    if not exceptions:
        out.append(Paragraph("None."))
        return out
    rows: list[list[Cell]] = []
    for group in group_findings(exceptions):
        f = group.first
        rows.append(
            [
                f.env_name,
                f.config_key,
                Many((f.stack, f.construct_path)),
                rule_refs(group),
                f.reason,
                source_label(f.source),
                "",
            ]
        )
    out.append(
        Table(
            [
                "Environment",
                "Chosen by (config key)",
                "Stack, construct path",
                "Rules",
                "Reason",
                "Acknowledged in",
                "Sign-off (name, date)",
            ],
            rows,
            "configuration-exceptions-table",
        )
    )
    return out


def acknowledgment_blocks(report: AuditReport) -> list[Block]:
    out: list[Block] = [Heading(2, "Acknowledgments and who made them", "acknowledgments")]
    out.append(
        Paragraph(
            "Every acknowledgment declared in the code, with the line of its acknowledge() call, "
            "the author and date of that line (git blame) and its commit. Rules acknowledged "
            "with the same reason on the same construct are one row."
        )
    )
    groups: dict[tuple[str, str, str], list[Acknowledgment]] = {}
    for a in report.nag_acknowledgments:
        groups.setdefault((a.construct_path, a.reason, source_label(a.source)), []).append(a)
    rows: list[list[Cell]] = []
    for (path, reason, where), members in groups.items():
        first = members[0]
        rows.append(
            [
                Many(tuple(RuleRef(a.rule) for a in members)),
                ", ".join(dict.fromkeys(a.pack for a in members)),
                path,
                sum(a.findings for a in members),
                reason,
                where,
                blame_label(first.source),
                first.config_key or "by design",
            ]
        )
    out.append(
        Table(
            [
                "Rules",
                "Packs",
                "Acknowledged at",
                "Findings",
                "Reason",
                "Acknowledged in",
                "Author, date, commit",
                "Chosen by",
            ],
            rows,
            "acknowledgments-table",
        )
    )
    return out
