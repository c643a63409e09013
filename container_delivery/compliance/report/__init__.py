"""The auditors' report: what cdk-nag found and what was acknowledged, and why.

``build_report(assembly_dir)`` reads a synthesized cloud assembly; ``render_markdown``,
``render_html`` and ``write_report`` turn it into ``report.md`` and a self-contained
``report.html``. ``python -m container_delivery.compliance.report`` (``make audit``) synthesizes
the reference app and writes both; see docs/audit.md.
"""

from .model import (
    Acknowledgment,
    AssemblyError,
    AuditReport,
    CustomRuleInfo,
    Finding,
    Resource,
    StackReport,
    build_report,
)
from .render import render_html, render_markdown, write_report

__all__ = [
    "Acknowledgment",
    "AssemblyError",
    "AuditReport",
    "CustomRuleInfo",
    "Finding",
    "Resource",
    "StackReport",
    "build_report",
    "render_html",
    "render_markdown",
    "write_report",
]
