"""Render an ``AuditReport`` as Markdown and as one self-contained HTML file.

Both come from the same list of blocks (headings, paragraphs, tables), so they always say the
same thing. The HTML has inline CSS, no script and no external asset: it opens from a file share
or an e-mail attachment. Every value from the assembly is escaped.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .model import AuditReport, Finding, StackReport

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
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[str | int]]
    table_id: str = ""


Block = Heading | Paragraph | Table


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _resource_label(finding: Finding) -> str:
    return finding.logical_id or "(no CloudFormation resource)"


def blocks(report: AuditReport) -> list[Block]:
    """The report's content, in reading order."""
    out: list[Block] = [Heading(1, TITLE, "top")]
    versions = ", ".join(f"{name} {version}" for name, version in report.tool_versions.items())
    out.append(Paragraph(f"Generated at {report.generated_at} from {report.source}."))
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
    out.append(
        Paragraph(
            "cdk-nag reports only what fails a rule: resources a pack checked and found "
            "compliant are not listed. The project's own rules are listed at the end.",
            "note",
        )
    )
    out.append(Heading(3, "Acknowledged findings per rule", "acknowledged-per-rule"))
    if report.acknowledged:
        reasons: dict[str, set[str]] = {}
        for finding in report.acknowledged:
            reasons.setdefault(finding.rule, set()).add(finding.reason)
        out.append(
            Table(
                ["Rule", "Acknowledged findings", "Distinct reasons"],
                [
                    [rule, count, len(reasons[rule])]
                    for rule, count in report.acknowledged_per_rule.items()
                ],
                "acknowledged-per-rule-table",
            )
        )
    else:
        out.append(Paragraph("No acknowledged finding."))

    out.append(Heading(2, "Unacknowledged findings", "unacknowledged-findings"))
    if report.pack_errors:
        out.append(Table(["Pack error"], [[error] for error in report.pack_errors]))
    if report.violations:
        out.append(
            Table(
                ["Rule", "Stack", "Resource", "Construct path", "Description"],
                [
                    [f.rule, f.stack, _resource_label(f), f.construct_path, f.description]
                    for f in report.violations
                ],
                "violations-table",
            )
        )
    else:
        out.append(Paragraph("None."))

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
                ["Rule", "Acknowledged at", "Status", "Reason"],
                [
                    [a.qualified_id, a.construct_path, a.status, a.reason]
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
    out.append(
        Table(
            ["Logical id", "Type", "Construct path", "Unacknowledged", "Acknowledged"],
            [
                [
                    r.logical_id,
                    r.type,
                    r.construct_path,
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
    for pack in report.packs:
        pack_findings = [f for f in findings if f.pack == pack]
        if not pack_findings:
            continue
        anchor = f"stack-{_anchor(stack.name)}-{_anchor(pack)}"
        out.append(Heading(3, f"{pack} in {stack.name}", anchor))
        bad = [f for f in pack_findings if not f.acknowledged]
        good = [f for f in pack_findings if f.acknowledged]
        if bad:
            out.append(Paragraph(f"Unacknowledged findings: {len(bad)}.", "fail"))
            out.append(
                Table(
                    ["Rule", "Resource", "Construct path", "Description"],
                    [[f.rule, _resource_label(f), f.construct_path, f.description] for f in bad],
                )
            )
        else:
            out.append(Paragraph("Unacknowledged findings: none."))
        if good:
            out.append(Paragraph(f"Acknowledged findings: {len(good)}."))
            out.append(
                Table(
                    ["Rule", "Resource", "Construct path", "Acknowledged at", "Reason"],
                    [
                        [f.rule, _resource_label(f), f.construct_path, f.acknowledged_at, f.reason]
                        for f in good
                    ],
                )
            )
    return out


# --- Markdown ---------------------------------------------------------------------------------


def _md_cell(value: str | int) -> str:
    text = " ".join(str(value).split())
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
th { background: #f6f8fa; }
tr:nth-child(even) td { background: #fbfcfd; }
.pass { color: #1a7f37; font-weight: bold; }
.fail { color: #cf222e; font-weight: bold; }
.note { color: #57606a; font-style: italic; }
nav ul { columns: 3; }
@media print { nav { display: none; } }
"""


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
            for row in block.rows:
                parts.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>")
            parts.append("</tbody></table>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_report(report: AuditReport, out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` into ``out_dir`` (created); return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "report.html"
    md_path = out_dir / "report.md"
    html_path.write_text(render_html(report), encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return html_path, md_path
