"""The coverage section: per pack and rule, what was evaluated and how it came out."""

from __future__ import annotations

from collections.abc import Sequence

from ._blocks import Block, Cell, Heading, Link, Many, Paragraph, RuleRef, Table, anchor
from ._cells import rule_description
from .coverage import DOC_LINKS
from .model import AuditReport, RuleCoverage


def coverage_blocks(report: AuditReport) -> list[Block]:
    out: list[Block] = [Heading(2, "Coverage per pack and rule", "coverage")]
    out.append(
        Paragraph(
            "Every rule of every pack evaluated again on every resource of the synthesized "
            "templates (docs/audit.md, 'How coverage is counted'): resources evaluated (the rule "
            "applied to them), compliant, not applicable; acknowledged and unacknowledged "
            "resources come from the synth's own findings."
        )
    )
    out.extend(Paragraph(error, "fail") for error in report.coverage.errors)
    rows = report.rule_coverage()
    if not rows:
        out.append(Paragraph("Coverage was not measured.", "note"))
        return out
    out.append(_pack_table(report, rows))
    out.extend(_difference_blocks(rows))
    for pack in report.packs:
        mine = [r for r in rows if r.pack == pack]
        if mine:
            out.extend(_pack_rule_blocks(report, pack, mine))
    return out


def _pack_table(report: AuditReport, rows: Sequence[RuleCoverage]) -> Table:
    """One row per pack: its rules and the sums of their counts."""
    pack_rows: list[list[Cell]] = []
    for pack in report.packs:
        mine = [r for r in rows if r.pack == pack]
        if not mine:
            continue
        pack_rows.append(
            [
                Link(pack, DOC_LINKS.get(pack, "")) if pack in DOC_LINKS else pack,
                len(mine),
                sum(1 for r in mine if r.evaluated),
                sum(r.evaluated for r in mine),
                sum(r.compliant for r in mine),
                sum(r.not_applicable for r in mine),
                sum(r.acknowledged for r in mine),
                sum(r.unacknowledged for r in mine),
                sum(len(r.not_reported) for r in mine),
            ]
        )
    return Table(
        [
            "Pack",
            "Rules run",
            "Rules that applied",
            "Evaluations",
            "Compliant",
            "Not applicable",
            "Acknowledged",
            "Unacknowledged",
            "Not reported by the synth",
        ],
        pack_rows,
        "coverage-table",
    )


def _difference_blocks(rows: Sequence[RuleCoverage]) -> list[Block]:
    """The rules where the synth and the second evaluation disagree, if any."""
    differences = [r for r in rows if r.not_reported or r.not_recounted]
    if not differences:
        return []
    return [
        Paragraph(
            "Where the synth and the second evaluation disagree (docs/audit.md, 'How "
            "coverage is counted'): 'not reported by the synth' are resources that fail the "
            "rule when it is evaluated on the template but that the synth's pack did not "
            "report: either the synth's rule did not check them (CDK created them as a "
            "generic CfnResource, which the rule does not recognise; they cannot be "
            "acknowledged, review them here), or the rule reads the construct tree, which "
            "the template does not have (VPCDefaultSecurityGroupClosed looks for the "
            "construct that closes the default security group beside the VPC).",
            "note",
        ),
        Table(
            ["Rule", "Not reported by the synth", "Reported by the synth only"],
            [[RuleRef(r.rule), Many(r.not_reported), Many(r.not_recounted)] for r in differences],
            "coverage-differences-table",
        ),
    ]


def _pack_rule_blocks(report: AuditReport, pack: str, mine: Sequence[RuleCoverage]) -> list[Block]:
    """A pack's rules that applied, one row each; those that applied to nothing in a note."""
    out: list[Block] = [Heading(3, f"Rules of {pack}", f"coverage-{anchor(pack)}")]
    applied = [r for r in mine if r.evaluated]
    out.append(
        Table(
            [
                "Rule",
                "What it checks",
                "Controls",
                "Evaluated",
                "Compliant",
                "Not applicable",
                "Acknowledged",
                "Unacknowledged",
                "Documentation",
            ],
            [
                [
                    RuleRef(r.rule),
                    rule_description(report, [r.rule], r.result.description),
                    ", ".join(r.result.controls),
                    r.evaluated,
                    r.compliant,
                    r.not_applicable,
                    r.acknowledged,
                    r.unacknowledged,
                    Link("rule documentation", r.result.doc_link),
                ]
                for r in applied
            ],
            f"coverage-{anchor(pack)}-table",
        )
    )
    idle = [r.rule for r in mine if not r.evaluated]
    if idle:
        out.append(
            Paragraph(
                f"Rules of {pack} that applied to no resource here ({len(idle)}): "
                + ", ".join(idle)
                + ".",
                "note",
            )
        )
    return out
