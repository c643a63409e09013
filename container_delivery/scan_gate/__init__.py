"""The scan gate: decide from scanner reports whether an image may go on.

Standard library and PyYAML only (it runs inside CodeBuild, without aws-cdk-lib); imports inside
the package are relative so the folder can be shipped and run on its own as
``python -m container_delivery.scan_gate``.

Library use::

    from container_delivery.scan_gate import Policy, evaluate, load_report, load_suppressions

    findings = load_report("trivy.json")
    entries = load_suppressions("suppressions.yaml", today=today)
    decision = evaluate(findings, entries, Policy(threshold=Severity.HIGH), today)
"""

from .gate import evaluate, purl_key
from .inspector import parse_inspector
from .kev import load_kev, parse_kev
from .model import (
    Decision,
    Finding,
    FindingResult,
    InputError,
    Policy,
    Severity,
    Suppression,
)
from .render import decision_dict, render_console, render_json, render_junit, render_markdown
from .reports import detect_format, load_report, parse_report
from .suppressions import load_suppressions, parse_suppressions
from .trivy import parse_trivy

__all__ = [
    "Decision",
    "Finding",
    "FindingResult",
    "InputError",
    "Policy",
    "Severity",
    "Suppression",
    "decision_dict",
    "detect_format",
    "evaluate",
    "load_kev",
    "load_report",
    "load_suppressions",
    "parse_inspector",
    "parse_kev",
    "parse_report",
    "parse_suppressions",
    "parse_trivy",
    "purl_key",
    "render_console",
    "render_json",
    "render_junit",
    "render_markdown",
]
