"""The report's sections, in reading order: what ``render_markdown``, ``render_html`` and
``render_json`` all show."""

from __future__ import annotations

from collections import Counter

from ._acknowledgment_sections import acknowledgment_blocks, configuration_blocks
from ._blocks import TITLE, Block, Heading, Paragraph, RuleRef, Table, anchor
from ._cells import ACK_HEADERS, acknowledged_rows, resource_label, source_label
from ._coverage_section import coverage_blocks
from .model import AuditReport, StackReport


def blocks(report: AuditReport) -> list[Block]:
    """The report's content, in reading order."""
    return [
        *_header_blocks(report),
        *configuration_blocks(report),
        *_summary_blocks(report),
        *coverage_blocks(report),
        *_violation_blocks(report),
        *acknowledgment_blocks(report),
        *_unused_blocks(report),
        *_other_validator_blocks(report),
        *(block for stack in report.stacks for block in _stack_blocks(report, stack)),
        *_custom_rule_blocks(report),
    ]


def _header_blocks(report: AuditReport) -> list[Block]:
    """Title, provenance (code, config, tools), packs run and the result."""
    out: list[Block] = [Heading(1, TITLE, "top")]
    versions = ", ".join(f"{name} {version}" for name, version in report.tool_versions.items())
    out.append(Paragraph(f"Generated at {report.generated_at} from {report.source}."))
    out.append(Paragraph(f"Code: git commit {report.git.label}."))
    if report.config:
        out.append(
            Paragraph(f"Config: {report.config}, {report.config_digest or 'digest unknown'}.")
        )
    else:
        out.append(Paragraph("Config: not known (an existing assembly was read without --config)."))
    out.append(Paragraph(f"Tools: {versions}."))
    out.append(Paragraph(f"Rule packs run: {', '.join(report.packs) or 'none'}."))
    if report.passed:
        out.append(
            Paragraph(
                "Result: PASS. Every finding of every pack is acknowledged with a reason.",
                "pass",
            )
        )
    else:
        out.append(
            Paragraph(
                f"Result: FAIL. {len(report.violations)} unacknowledged finding(s)"
                + (f" and {len(report.pack_errors)} pack error(s)" if report.pack_errors else "")
                + ": synth fails until each is fixed or acknowledged.",
                "fail",
            )
        )
    out.extend(Paragraph(note, "note") for note in report.notes)
    return out


def _summary_blocks(report: AuditReport) -> list[Block]:
    out: list[Block] = [Heading(2, "Summary", "summary")]
    out.append(
        Table(
            [name.capitalize() for name in report.summary],
            [list(report.summary.values())],
            "summary-table",
        )
    )
    out.append(Heading(3, "Findings per pack", "findings-per-pack"))
    per_pack_v = Counter(f.pack for f in report.violations)
    per_pack_a = Counter(f.pack for f in report.acknowledged)
    out.append(
        Table(
            ["Pack", "Unacknowledged findings", "Acknowledged findings"],
            [[pack, per_pack_v[pack], per_pack_a[pack]] for pack in report.packs],
            "packs-table",
        )
    )
    out.append(Heading(3, "Acknowledged findings per rule", "acknowledged-per-rule"))
    if report.acknowledged:
        reasons: dict[str, set[str]] = {}
        for finding in report.acknowledged:
            reasons.setdefault(finding.rule, set()).add(finding.reason)
        named: dict[str, tuple[tuple[str, str], ...]] = {}
        for finding in report.acknowledged:
            named[finding.rule] = tuple(
                dict.fromkeys([*named.get(finding.rule, ()), *finding.named])
            )
        out.append(
            Table(
                ["Rule", "Acknowledged findings", "Distinct reasons"],
                [
                    [RuleRef(rule, named.get(rule, ())), count, len(reasons[rule])]
                    for rule, count in report.acknowledged_per_rule.items()
                ],
                "acknowledged-per-rule-table",
            )
        )
    else:
        out.append(Paragraph("No acknowledged finding."))
    return out


def _violation_blocks(report: AuditReport) -> list[Block]:
    out: list[Block] = [Heading(2, "Unacknowledged findings", "unacknowledged-findings")]
    if report.pack_errors:
        out.append(Table(["Pack error"], [[error] for error in report.pack_errors]))
    if report.violations:
        out.append(
            Table(
                ["Rule", "Stack", "Resource", "Construct path", "Description", "Created in"],
                [
                    [
                        RuleRef(f.rule, f.named),
                        f.stack,
                        resource_label(f),
                        f.construct_path,
                        f.description,
                        ":".join(map(str, report.source_for(f.construct_path) or ("unknown",))),
                    ]
                    for f in report.violations
                ],
                "violations-table",
            )
        )
    else:
        out.append(Paragraph("None."))
    return out


def _unused_blocks(report: AuditReport) -> list[Block]:
    out: list[Block] = [Heading(2, "Unused acknowledgments", "unused-acknowledgments")]
    if report.unused_acknowledgments:
        out.append(
            Paragraph(
                "Declared in the code but matched no finding: the resource changed, the rule id "
                "is wrong, or its pack did not run. Remove or correct them."
            )
        )
        out.append(
            Table(
                ["Rule", "Acknowledged at", "Status", "Reason", "Acknowledged in"],
                [
                    [a.qualified_id, a.construct_path, a.status, a.reason, source_label(a.source)]
                    for a in report.unused_acknowledgments
                ],
                "unused-table",
            )
        )
    else:
        out.append(Paragraph("None: every acknowledgment matched at least one finding."))
    return out


def _other_validator_blocks(report: AuditReport) -> list[Block]:
    if not report.other_acknowledgments:
        return []
    out: list[Block] = [Heading(2, "Acknowledgments of other validators", "other-acknowledgments")]
    out.append(
        Paragraph(
            "Declared for validators that are not rule packs, typically by aws-cdk-lib itself "
            "inside its constructs for its built-in CloudFormation template validation "
            "(CloudFormation-Validate). Not cdk-nag findings; listed so nothing is hidden."
        )
    )
    out.append(
        Table(
            ["Id", "Acknowledged at", "Reason"],
            [[a.qualified_id, a.construct_path, a.reason] for a in report.other_acknowledgments],
            "other-acknowledgments-table",
        )
    )
    return out


def _custom_rule_blocks(report: AuditReport) -> list[Block]:
    out: list[Block] = [
        Heading(2, "The project's own rules (ContainerDelivery pack)", "custom-rules")
    ]
    out.append(
        Paragraph(
            "Security checks the public packs lack, run on every synth like the others "
            "(container_delivery/compliance/custom_pack.py)."
        )
    )
    out.append(
        Table(
            ["Rule", "Resource type", "Reported when", "Why it matters"],
            [[r.rule_id, r.resource_type, r.info, r.explanation] for r in report.custom_rules],
            "custom-rules-table",
        )
    )
    return out


def _stack_blocks(report: AuditReport, stack: StackReport) -> list[Block]:
    out: list[Block] = [Heading(2, f"Stack {stack.name}", f"stack-{anchor(stack.name)}")]
    out.append(
        Paragraph(
            f"Construct path {stack.construct_path}; environment {stack.environment or 'unknown'}; "
            f"template {stack.template_file}; {len(stack.resources)} resources."
        )
    )
    findings = report.stack_findings(stack.name)
    violations = Counter(f.construct_path for f in findings if not f.acknowledged)
    acknowledged = Counter(f.construct_path for f in findings if f.acknowledged)
    out.append(Heading(3, "Resources", f"stack-{anchor(stack.name)}-resources"))

    def applied(logical_id: str) -> str:
        per_pack = report.coverage.resources.get((stack.name, logical_id), {})
        return f"{sum(a for a, _ in per_pack.values())} ({sum(c for _, c in per_pack.values())})"

    out.append(
        Table(
            [
                "Logical id",
                "Type",
                "Construct path",
                "Rules applied (compliant)",
                "Unacknowledged",
                "Acknowledged",
            ],
            [
                [
                    r.logical_id,
                    r.type,
                    r.construct_path,
                    applied(r.logical_id),
                    violations[r.construct_path],
                    acknowledged[r.construct_path],
                ]
                for r in stack.resources
            ],
        )
    )
    quiet = [pack for pack in report.packs if not any(f.pack == pack for f in findings)]
    if quiet:
        out.append(Paragraph(f"No finding, acknowledged or not, of: {', '.join(quiet)}."))
    bad = [f for f in findings if not f.acknowledged]
    good = [f for f in findings if f.acknowledged]
    if bad:
        out.append(Heading(3, f"Unacknowledged in {stack.name}", f"stack-{anchor(stack.name)}-bad"))
        out.append(
            Table(
                ["Rule", "Resource", "Construct path", "Description"],
                [
                    [RuleRef(f.rule, f.named), resource_label(f), f.construct_path, f.description]
                    for f in bad
                ],
            )
        )
    if good:
        packs = ", ".join(dict.fromkeys(f.pack for f in good))
        out.append(
            Heading(
                3,
                f"Acknowledged in {stack.name} ({packs})",
                f"stack-{anchor(stack.name)}-acknowledged",
            )
        )
        out.append(Table(ACK_HEADERS, acknowledged_rows(report, good)))
    return out
