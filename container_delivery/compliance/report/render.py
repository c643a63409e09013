"""Render an ``AuditReport`` as Markdown and as one self-contained HTML file.

Both come from the same list of blocks (headings, paragraphs, tables), so they always say the
same thing. The HTML has inline CSS, no script and no external asset: it opens from a file share
or an e-mail attachment. Every value from the assembly is escaped.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .coverage import DOC_LINKS, FRAMEWORKS
from .model import _GRANULAR, Acknowledgment, AuditReport, Finding, Source, StackReport

TITLE = "Compliance audit report"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    css_class: str = ""


@dataclass(frozen=True)
class RuleRef:
    """A rule id, never broken inside; linked to its row of the coverage table. ``named`` are the
    resources a granular id names: (logical id, construct path)."""

    rule: str
    named: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        names = "; ".join(f"{lid} = {path or 'unknown'}" for lid, path in self.named)
        return f"{self.rule} ({names})" if names else self.rule


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Many:
    """Several values in one cell (one per line in HTML, comma-separated in Markdown)."""

    items: tuple[Cell, ...]


Cell = str | int | RuleRef | Link | Many


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    table_id: str = ""


Block = Heading | Paragraph | Table


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def rule_anchor(rule: str) -> str:
    return "rule-" + _anchor(_GRANULAR.sub("", rule))


def cell_text(cell: Cell) -> str:
    """A cell as plain text (Markdown, JSON)."""
    if isinstance(cell, RuleRef):
        return cell.text
    if isinstance(cell, Link):
        return f"{cell.text} ({cell.href})" if cell.href != cell.text else cell.text
    if isinstance(cell, Many):
        return ", ".join(cell_text(item) for item in cell.items)
    return str(cell)


def _resource_label(finding: Finding) -> str:
    return finding.logical_id or "(no CloudFormation resource)"


def _who(source: Source | None) -> str:
    if source is None:
        return "not recorded (acknowledged without container_delivery.compliance.acknowledge)"
    return source.blame.label if source.blame else "no git history"


def _where(source: Source | None) -> str:
    return source.label if source else "not recorded"


def _controls(report: AuditReport, rules: Sequence[str]) -> str:
    parts: list[str] = []
    for rule in dict.fromkeys(_GRANULAR.sub("", r) for r in rules):
        result = report.coverage.rule(rule)
        if result and result.controls:
            framework = FRAMEWORKS.get(result.pack, result.pack)
            parts.append(f"{framework}: {', '.join(result.controls)}")
    return "; ".join(parts)


def _description(report: AuditReport, rules: Sequence[str], fallback: str) -> str:
    for rule in rules:
        result = report.coverage.rule(_GRANULAR.sub("", rule))
        if result is not None:
            return re.sub(r"\s*-\s*\(Control IDs?:.*\)\s*\.?$", "", result.description).strip()
    return fallback


@dataclass(frozen=True)
class _Group:
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


def group_findings(findings: Sequence[Finding]) -> list[_Group]:
    """Identical reasons on one resource (typically the same fact in several packs): one group."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        key = (finding.construct_path, finding.acknowledged_at, finding.reason)
        groups.setdefault(key, []).append(finding)
    return [_Group(tuple(g)) for g in groups.values()]


def _rule_refs(group: _Group) -> Many:
    return Many(tuple(RuleRef(f.rule, f.named) for f in group.findings))


def _meaning(report: AuditReport, rules: Sequence[str], fallback: str) -> Many:
    """What the rules check, then their control ids (one cell)."""
    controls = _controls(report, rules)
    description = _description(report, rules, fallback)
    return Many((description, f"Controls: {controls}") if controls else (description,))


def _acknowledged(source: Source | None, at: str) -> Many:
    """Where and by whom an acknowledgment was made (one cell)."""
    return Many((f"at {at}", f"in {_where(source)}", _who(source)))


def _acknowledged_rows(report: AuditReport, findings: Sequence[Finding]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for group in group_findings(findings):
        f = group.first
        rows.append(
            [
                _rule_refs(group),
                ", ".join(group.packs),
                Many((_resource_label(f), f.construct_path)),
                _meaning(report, group.rules, f.description),
                f.reason,
                _acknowledged(f.source, f.acknowledged_at),
            ]
        )
    return rows


_ACK_HEADERS = (
    "Rules",
    "Packs",
    "Resource (logical id, construct path)",
    "What the rules check",
    "Reason",
    "Acknowledged (at, in, author, date, commit)",
)


def blocks(report: AuditReport) -> list[Block]:
    """The report's content, in reading order."""
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

    out.extend(_configuration_blocks(report))

    out.append(Heading(2, "Summary", "summary"))
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

    out.extend(_coverage_blocks(report))

    out.append(Heading(2, "Unacknowledged findings", "unacknowledged-findings"))
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
                        _resource_label(f),
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

    out.extend(_acknowledgment_blocks(report))

    out.append(Heading(2, "Unused acknowledgments", "unused-acknowledgments"))
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
                    [a.qualified_id, a.construct_path, a.status, a.reason, _where(a.source)]
                    for a in report.unused_acknowledgments
                ],
                "unused-table",
            )
        )
    else:
        out.append(Paragraph("None: every acknowledgment matched at least one finding."))

    if report.other_acknowledgments:
        out.append(Heading(2, "Acknowledgments of other validators", "other-acknowledgments"))
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
                [
                    [a.qualified_id, a.construct_path, a.reason]
                    for a in report.other_acknowledgments
                ],
                "other-acknowledgments-table",
            )
        )

    for stack in report.stacks:
        out.extend(_stack_blocks(report, stack))

    out.append(Heading(2, "The project's own rules (ContainerDelivery pack)", "custom-rules"))
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


def _configuration_blocks(report: AuditReport) -> list[Block]:
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
                _rule_refs(group),
                f.reason,
                _where(f.source),
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


def _coverage_blocks(report: AuditReport) -> list[Block]:
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
    out.append(
        Table(
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
    )
    differences = [r for r in rows if r.not_reported or r.not_recounted]
    if differences:
        out.append(
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
            )
        )
        out.append(
            Table(
                ["Rule", "Not reported by the synth", "Reported by the synth only"],
                [
                    [RuleRef(r.rule), Many(r.not_reported), Many(r.not_recounted)]
                    for r in differences
                ],
                "coverage-differences-table",
            )
        )
    for pack in report.packs:
        mine = [r for r in rows if r.pack == pack]
        if not mine:
            continue
        out.append(Heading(3, f"Rules of {pack}", f"coverage-{_anchor(pack)}"))
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
                        _description(report, [r.rule], r.result.description),
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
                f"coverage-{_anchor(pack)}-table",
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


def _acknowledgment_blocks(report: AuditReport) -> list[Block]:
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
        groups.setdefault((a.construct_path, a.reason, _where(a.source)), []).append(a)
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
                _who(first.source),
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


def _stack_blocks(report: AuditReport, stack: StackReport) -> list[Block]:
    out: list[Block] = [Heading(2, f"Stack {stack.name}", f"stack-{_anchor(stack.name)}")]
    out.append(
        Paragraph(
            f"Construct path {stack.construct_path}; environment {stack.environment or 'unknown'}; "
            f"template {stack.template_file}; {len(stack.resources)} resources."
        )
    )
    findings = report.stack_findings(stack.name)
    violations = Counter(f.construct_path for f in findings if not f.acknowledged)
    acknowledged = Counter(f.construct_path for f in findings if f.acknowledged)
    out.append(Heading(3, "Resources", f"stack-{_anchor(stack.name)}-resources"))

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
        out.append(
            Heading(3, f"Unacknowledged in {stack.name}", f"stack-{_anchor(stack.name)}-bad")
        )
        out.append(
            Table(
                ["Rule", "Resource", "Construct path", "Description"],
                [
                    [RuleRef(f.rule, f.named), _resource_label(f), f.construct_path, f.description]
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
                f"stack-{_anchor(stack.name)}-acknowledged",
            )
        )
        out.append(Table(_ACK_HEADERS, _acknowledged_rows(report, good)))
    return out


# --- Markdown ---------------------------------------------------------------------------------


def _md_cell(value: Cell) -> str:
    text = " ".join(cell_text(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|") or " "


def render_markdown(report: AuditReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines: list[str] = []
    for block in blocks(report):
        if isinstance(block, Heading):
            lines += [f"{'#' * block.level} {block.text}", ""]
        elif isinstance(block, Paragraph):
            text = f"**{block.text}**" if block.css_class in ("pass", "fail") else block.text
            lines += [text, ""]
        else:
            lines.append("| " + " | ".join(_md_cell(h) for h in block.headers) + " |")
            lines.append("|" + "---|" * len(block.headers))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
    return "\n".join(lines)


# --- HTML -------------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1400px; padding: 0 1em; color: #1b1f23; }
h1 { border-bottom: 2px solid #1b1f23; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1em; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f6f8fa; overflow-wrap: normal; }
tr:nth-child(even) td { background: #fbfcfd; }
/* Long paths and reasons wrap anywhere (above); a rule id is one token and never breaks inside:
   nowrap leaves it no break opportunity (a granular finding may wrap after "[", "::" or "/"). */
.rid { white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
       font-size: 12.5px; }
.named { display: block; color: #57606a; font-size: 12px; }
.many > span { display: block; }
.pass { color: #1a7f37; font-weight: bold; }
.fail { color: #cf222e; font-weight: bold; }
.note { color: #57606a; font-style: italic; }
.signoff { min-width: 12em; }
nav ul { columns: 3; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 9.5pt; max-width: none; margin: 0; padding: 0; color: #000; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-before: page; }
  h1 + p, h2 + p { break-before: avoid; }
  h2, h3 { break-after: avoid; }
  thead { display: table-header-group; }
  tr, td, th { break-inside: avoid; }
  tr:nth-child(even) td { background: none; }
  .rid { font-size: 8.5pt; }
}
"""


def _html_cell(cell: Cell, anchors: set[str] | None = None) -> str:
    """One cell; a rule id links to its coverage row when ``anchors`` has it (None: always)."""
    esc = html.escape
    if isinstance(cell, RuleRef):
        base = _GRANULAR.sub("", cell.rule)
        detail = cell.rule[len(base) :]
        inner = f'<span class="rid">{esc(base)}</span>'
        if detail:
            # A long finding may wrap only after its separators ("::", "/"), never mid-name.
            parts = re.split(r"(?<=::)|(?<=/)", detail)
            inner += "<wbr>" + "<wbr>".join(
                f'<span class="rid">{esc(part)}</span>' for part in parts if part
            )
        anchor = rule_anchor(cell.rule)
        text = (
            f'<a href="#{esc(anchor)}">{inner}</a>'
            if anchors is None or anchor in anchors
            else inner
        )
        for logical_id, path in cell.named:
            text += f'<span class="named">{esc(logical_id)} = {esc(path or "unknown")}</span>'
        return text
    if isinstance(cell, Link):
        return f'<a href="{esc(cell.href)}">{esc(cell.text)}</a>'
    if isinstance(cell, Many):
        return (
            '<span class="many">'
            + "".join(f"<span>{_html_cell(item, anchors)}</span>" for item in cell.items)
            + "</span>"
        )
    return esc(str(cell))


def render_html(report: AuditReport) -> str:
    """The report as one self-contained HTML page (inline CSS, no script, no external asset)."""
    content = blocks(report)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(TITLE)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    toc = [b for b in content if isinstance(b, Heading) and b.level == 2]
    anchors = {rule_anchor(r.rule) for r in report.coverage.rules}
    for index, block in enumerate(content):
        if isinstance(block, Heading):
            parts.append(
                f'<h{block.level} id="{esc(block.anchor)}">{esc(block.text)}</h{block.level}>'
            )
            if index == 0:
                parts.append("<nav><ul>")
                parts += [f'<li><a href="#{esc(h.anchor)}">{esc(h.text)}</a></li>' for h in toc]
                parts.append("</ul></nav>")
        elif isinstance(block, Paragraph):
            css = f' class="{esc(block.css_class)}"' if block.css_class else ""
            parts.append(f"<p{css}>{esc(block.text)}</p>")
        else:
            table_id = f' id="{esc(block.table_id)}"' if block.table_id else ""
            parts.append(f"<table{table_id}>")
            parts.append(
                "<thead><tr>"
                + "".join(f"<th>{esc(h)}</th>" for h in block.headers)
                + "</tr></thead>"
            )
            parts.append("<tbody>")
            anchored = block.table_id.startswith("coverage-") and block.table_id != "coverage-table"
            for row in block.rows:
                row_id = ""
                if anchored and row and isinstance(row[0], RuleRef):
                    row_id = f' id="{esc(rule_anchor(row[0].rule))}"'
                cells = "".join(
                    f'<td class="signoff">{_html_cell(c, anchors)}</td>'
                    if block.headers[i].startswith("Sign-off")
                    else f"<td>{_html_cell(c, anchors)}</td>"
                    for i, c in enumerate(row)
                )
                parts.append(f"<tr{row_id}>{cells}</tr>")
            parts.append("</tbody></table>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# --- JSON -------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {
            ("/".join(k) if isinstance(k, tuple) else str(k)): _jsonable(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def render_json(report: AuditReport) -> str:
    """The page's content (``sections``: every heading, paragraph and table, cells as text) and
    the data it is made of (``data``: findings, acknowledgments, coverage, header)."""
    sections: list[dict[str, Any]] = []
    for block in blocks(report):
        if isinstance(block, Heading):
            sections.append({"heading": block.text, "level": block.level, "anchor": block.anchor})
        elif isinstance(block, Paragraph):
            sections.append({"paragraph": block.text, "class": block.css_class})
        else:
            sections.append(
                {
                    "table": block.table_id,
                    "headers": list(block.headers),
                    "rows": [
                        [c if isinstance(c, int) else cell_text(c) for c in row]
                        for row in block.rows
                    ],
                }
            )
    data = _jsonable(report)
    data["summary"] = report.summary
    data["passed"] = report.passed
    data["rule_coverage"] = [
        {
            "pack": r.pack,
            "rule": r.rule,
            "description": r.result.description,
            "controls": list(r.result.controls),
            "documentation": r.result.doc_link,
            "evaluated": r.evaluated,
            "compliant": r.compliant,
            "not_applicable": r.not_applicable,
            "acknowledged": r.acknowledged,
            "unacknowledged": r.unacknowledged,
        }
        for r in report.rule_coverage()
    ]
    return json.dumps({"title": TITLE, "sections": sections, "data": data}, indent=1) + "\n"


def write_report(report: AuditReport, out_dir: Path) -> tuple[Path, Path, Path, Path]:
    """Write ``report.html``, ``report.md``, ``report.json`` and ``report.sarif`` into
    ``out_dir`` (created); return their paths."""
    from .sarif import render_sarif

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (
        out_dir / "report.html",
        out_dir / "report.md",
        out_dir / "report.json",
        out_dir / "report.sarif",
    )
    paths[0].write_text(render_html(report), encoding="utf-8")
    paths[1].write_text(render_markdown(report), encoding="utf-8")
    paths[2].write_text(render_json(report), encoding="utf-8")
    paths[3].write_text(render_sarif(report), encoding="utf-8")
    return paths
