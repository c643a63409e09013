"""Render an ``AuditReport`` as Markdown, as one self-contained HTML file and as JSON.

All come from the same list of blocks (headings, paragraphs, tables; ``_blocks.py``, filled by
``_sections.py``), so they always say the same thing. The HTML (``_html.py``) has inline CSS, no
script and no external asset: it opens from a file share or an e-mail attachment. Every value
from the assembly is escaped.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._blocks import (
    TITLE,
    Block,
    Cell,
    Heading,
    Link,
    Many,
    Paragraph,
    RuleRef,
    Table,
    cell_text,
    rule_anchor,
)
from ._cells import group_findings
from ._html import render_html
from ._sections import blocks
from .model import AuditReport

__all__ = [
    "TITLE",
    "Block",
    "Cell",
    "Heading",
    "Link",
    "Many",
    "Paragraph",
    "RuleRef",
    "Table",
    "blocks",
    "cell_text",
    "group_findings",
    "render_html",
    "render_json",
    "render_markdown",
    "rule_anchor",
    "write_report",
]


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
