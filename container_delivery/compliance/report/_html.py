"""The report as one self-contained HTML page: inline CSS, no script, no external asset.

It opens from a file share or an e-mail attachment. Every value from the assembly is escaped.
"""

from __future__ import annotations

import html
import re

from ._blocks import TITLE, Cell, Heading, Link, Many, Paragraph, RuleRef, rule_anchor
from ._sections import blocks
from .model import _GRANULAR, AuditReport

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
