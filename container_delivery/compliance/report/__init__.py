"""The auditors' report: what cdk-nag found and what was acknowledged, and why.

``build_report(assembly_dir)`` reads a synthesized cloud assembly (and counts what each rule
checked); ``render_markdown``, ``render_html``, ``render_json``, ``render_sarif`` and
``write_report`` turn it into ``report.md``, a self-contained ``report.html``, ``report.json`` and
``report.sarif`` (``render_asff``: Security Hub findings). The library only reads the files a
synth writes; ``python -m container_delivery.audit`` (``make audit``, app level) synthesizes the
reference app and writes them; see docs/audit.md.
"""

from ._build import build_report
from .asff import render_asff
from .model import (
    Acknowledgment,
    AssemblyError,
    AuditReport,
    CustomRuleInfo,
    Finding,
    Resource,
    StackReport,
)
from .render import render_html, render_json, render_markdown, write_report
from .sarif import render_sarif

__all__ = [
    "Acknowledgment",
    "AssemblyError",
    "AuditReport",
    "CustomRuleInfo",
    "Finding",
    "Resource",
    "StackReport",
    "build_report",
    "render_asff",
    "render_html",
    "render_json",
    "render_markdown",
    "render_sarif",
    "write_report",
]
