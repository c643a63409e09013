"""Renderers of a Decision: Markdown summary, JUnit XML, JSON result and console text.

All are pure functions returning text; the command line writes them to files.
"""

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from .model import Decision, Finding, FindingResult, Severity, Suppression

JSON_SCHEMA_VERSION = 1
CONSOLE_LIMIT = 50
_SEVERITY_ORDER = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
    Severity.UNKNOWN,
)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def verdict(decision: Decision) -> str:
    return "PASSED" if decision.passed else "FAILED"


def policy_text(decision: Decision) -> str:
    policy = decision.policy
    parts = [
        f"threshold {policy.threshold.value}",
        "only findings with a fix block" if policy.fixed_only else "with or without a fix",
        f"UNKNOWN counts as {policy.unknown_as.value}",
        f"KEV catalog: {len(policy.kev_ids)} ids" if policy.kev_ids else "no KEV catalog given",
        f"repository {policy.repository}" if policy.repository else "no repository given",
        f"today {decision.today.isoformat()}",
    ]
    return ", ".join(parts)


def _package(finding: Finding) -> str:
    if finding.package is None:
        return "-"
    return (
        f"{finding.package} {finding.installed_version}".strip()
        if (finding.installed_version)
        else finding.package
    )


def _entry_text(s: Suppression) -> str:
    where = f"{s.source} " if s.source else ""
    return f"{where}{s.label}"


def _days(decision: Decision, s: Suppression) -> int:
    return (s.expires - decision.today).days


def _entries(count: int) -> str:
    return f"{count} entry is" if count == 1 else f"{count} entries are"


def _blocking_note(result: FindingResult) -> str:
    text = "; ".join(result.blocking_reasons)
    for s in result.expired_suppressions:
        text += f"; suppression {s.label} expired on {s.expires.isoformat()} (owner {s.owner})"
    return text


# --- Markdown -------------------------------------------------------------------------------


def _cell(value: object) -> str:
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;") or "-"


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines


def render_markdown(decision: Decision) -> str:
    """Human summary: verdict, counts, blocking and suppressed findings, expiring entries."""
    d = decision
    days = d.policy.expiring_within_days
    out = [
        f"# Scan gate: {verdict(d)}",
        "",
        f"Policy: {policy_text(d)}.",
        "",
        f"**{len(d.blocking)} blocking**, {len(d.suppressed)} suppressed, "
        f"{d.allowed_count} allowed by the policy, {d.total} findings in total.",
        "",
        *_table(
            [*(s.value for s in _SEVERITY_ORDER), "total"],
            [[*(d.severity_counts.get(s, 0) for s in _SEVERITY_ORDER), d.total]],
        ),
    ]
    if d.blocking:
        out += ["", f"## Blocking findings ({len(d.blocking)})", ""]
        out += _table(
            ["Severity", "ID", "Title", "Package", "Fixed in", "Target", "Why it blocks"],
            (
                [
                    r.finding.severity.value,
                    r.finding.id,
                    r.finding.title,
                    _package(r.finding),
                    r.finding.fixed_version or "no fix yet",
                    r.finding.target,
                    _blocking_note(r),
                ]
                for r in d.blocking
            ),
        )
    if d.suppressed:
        out += ["", f"## Suppressed findings ({len(d.suppressed)})", ""]
        out += _table(
            ["Severity", "ID", "Package", "Entry", "Reason", "Owner", "Expires"],
            (
                [
                    r.finding.severity.value,
                    r.finding.id,
                    _package(r.finding),
                    _entry_text(r.suppressed_by),
                    r.suppressed_by.reason,
                    r.suppressed_by.owner,
                    r.suppressed_by.expires.isoformat(),
                ]
                for r in d.suppressed
                if r.suppressed_by is not None
            ),
        )
    if d.expired:
        out += [
            "",
            f"## Expired suppressions ({len(d.expired)})",
            "",
            "These entries no longer suppress anything: fix the finding, or renew the entry with "
            "a new expiry and an up-to-date reason, or remove it.",
            "",
        ]
        out += _table(
            ["Entry", "Package", "Repository", "Owner", "Expired on", "Reason"],
            (
                [
                    _entry_text(s),
                    s.package or "any",
                    s.repository or "any",
                    s.owner,
                    s.expires.isoformat(),
                    s.reason,
                ]
                for s in d.expired
            ),
        )
    if d.expiring_soon:
        out += ["", f"## Suppressions expiring within {days} days ({len(d.expiring_soon)})", ""]
        out += _table(
            ["Entry", "Package", "Owner", "Expires", "Days left", "Reason"],
            (
                [
                    _entry_text(s),
                    s.package or "any",
                    s.owner,
                    s.expires.isoformat(),
                    _days(d, s),
                    s.reason,
                ]
                for s in d.expiring_soon
            ),
        )
    if d.unused:
        out += [
            "",
            f"## Unused suppressions ({len(d.unused)})",
            "",
            "These active entries matched no finding in this run; remove them if the finding is "
            "gone for good.",
            "",
        ]
        out += _table(
            ["Entry", "Package", "Owner", "Expires"],
            (
                [_entry_text(s), s.package or "any", s.owner, s.expires.isoformat()]
                for s in d.unused
            ),
        )
    if d.other_repository:
        names = sorted({s.repository or "" for s in d.other_repository})
        out += [
            "",
            f"{_entries(len(d.other_repository))} limited to other repositories "
            f"({', '.join(names)}) and were not applied"
            + ("." if d.policy.repository else "; pass --repository to apply them."),
        ]
    return "\n".join(out) + "\n"


# --- JUnit ----------------------------------------------------------------------------------


def _xml(text: object) -> str:
    return _XML_INVALID.sub("", str(text))


def _case_name(finding: Finding) -> str:
    name = f"{finding.severity.value} {finding.id}"
    if finding.package:
        name += f" in {_package(finding)}"
    return _xml(name)


def _classname(finding: Finding) -> str:
    return _xml(f"scan-gate.{finding.target}" if finding.target else "scan-gate")


def _details(finding: Finding) -> str:
    lines = [
        f"id: {finding.id}",
        f"severity: {finding.severity.value}",
        f"package: {finding.package or '-'}",
        f"installed: {finding.installed_version or '-'}",
        f"fixed in: {finding.fixed_version or 'no fix yet'}",
        f"purl: {finding.purl or '-'}",
        f"target: {finding.target or '-'}",
        f"title: {finding.title or '-'}",
        f"report: {finding.source or '-'}",
    ]
    return _xml("\n".join(lines))


def render_junit(decision: Decision) -> str:
    """JUnit XML for CodeBuild test reports.

    One failing testcase per blocking finding, one skipped testcase per suppressed finding (the
    message carries entry, reason, owner and expiry), and one passing testcase when nothing blocks.
    """
    d = decision
    tests = len(d.blocking) + len(d.suppressed) + (1 if d.passed else 0)
    counts = {
        "tests": str(tests),
        "failures": str(len(d.blocking)),
        "errors": "0",
        "skipped": str(len(d.suppressed)),
    }
    root = ET.Element("testsuites", {"name": "scan-gate", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": "scan-gate", "timestamp": f"{d.today.isoformat()}T00:00:00", **counts},
    )
    ET.SubElement(suite, "properties")
    properties = suite[0]
    ET.SubElement(properties, "property", {"name": "policy", "value": _xml(policy_text(d))})
    for result in d.blocking:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": _classname(result.finding), "name": _case_name(result.finding)},
        )
        failure = ET.SubElement(
            case,
            "failure",
            {"message": _xml(_blocking_note(result)), "type": result.finding.severity.value},
        )
        failure.text = _details(result.finding)
    for result in d.suppressed:
        s = result.suppressed_by
        if s is None:  # pragma: no cover - suppressed results always carry their entry
            continue
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": _classname(result.finding), "name": _case_name(result.finding)},
        )
        message = (
            f"suppressed by {_entry_text(s)} until {s.expires.isoformat()} "
            f"(owner {s.owner}): {s.reason}"
        )
        ET.SubElement(case, "skipped", {"message": _xml(message)})
    if d.passed:
        ET.SubElement(
            suite,
            "testcase",
            {
                "classname": "scan-gate",
                "name": _xml(f"no blocking findings ({policy_text(d)})"),
            },
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


# --- JSON -----------------------------------------------------------------------------------


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "severity": finding.severity.value,
        "package": finding.package,
        "installed_version": finding.installed_version,
        "fixed_version": finding.fixed_version,
        "purl": finding.purl,
        "target": finding.target,
        "title": finding.title,
        "kev": finding.kev,
        "report": finding.source,
    }


def suppression_dict(s: Suppression, decision: Decision | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file": s.source,
        "entry": s.index,
        "id": s.id,
        "package": s.package,
        "repository": s.repository,
        "owner": s.owner,
        "expires": s.expires.isoformat(),
        "reason": s.reason,
    }
    if decision is not None:
        data["days_left"] = _days(decision, s)
    return data


def decision_dict(decision: Decision) -> dict[str, Any]:
    """The machine-readable result (``schema_version`` 1)."""
    d = decision
    p = d.policy
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "passed": d.passed,
        "exit_code": d.exit_code,
        "today": d.today.isoformat(),
        "policy": {
            "threshold": p.threshold.value,
            "fixed_only": p.fixed_only,
            "unknown_as": p.unknown_as.value,
            "kev_catalog_size": len(p.kev_ids),
            "repository": p.repository,
            "expiring_within_days": p.expiring_within_days,
        },
        "counts": {
            "total": d.total,
            "blocking": len(d.blocking),
            "suppressed": len(d.suppressed),
            "allowed": d.allowed_count,
            "by_severity": {s.value: d.severity_counts.get(s, 0) for s in _SEVERITY_ORDER},
        },
        "blocking": [
            {
                **finding_dict(r.finding),
                "reasons": list(r.blocking_reasons),
                "expired_suppressions": [suppression_dict(s) for s in r.expired_suppressions],
            }
            for r in d.blocking
        ],
        "suppressed": [
            {
                **finding_dict(r.finding),
                "would_block": bool(r.blocking_reasons),
                "suppression": suppression_dict(r.suppressed_by),
            }
            for r in d.suppressed
            if r.suppressed_by is not None
        ],
        "expired_suppressions": [suppression_dict(s, d) for s in d.expired],
        "expiring_soon": [suppression_dict(s, d) for s in d.expiring_soon],
        "unused_suppressions": [suppression_dict(s, d) for s in d.unused],
        "other_repository_suppressions": [suppression_dict(s, d) for s in d.other_repository],
    }


def render_json(decision: Decision) -> str:
    """The decision as indented JSON (``decision_dict``), the ``--json`` output file."""
    return json.dumps(decision_dict(decision), indent=2, ensure_ascii=False) + "\n"


# --- console --------------------------------------------------------------------------------


def render_console(decision: Decision, limit: int = CONSOLE_LIMIT) -> str:
    """Short plain-text summary for the build log."""
    d = decision
    lines = [
        f"scan-gate: {verdict(d)}: {len(d.blocking)} blocking, {len(d.suppressed)} suppressed, "
        f"{d.allowed_count} allowed, {d.total} findings ({policy_text(d)})"
    ]
    for r in d.blocking[:limit]:
        f = r.finding
        fix = f" (fixed in {f.fixed_version})" if f.fixed_version else ""
        where = f" [{f.target}]" if f.target else ""
        lines.append(
            f"  BLOCKING {f.severity.value} {f.id} {_package(f)}{fix}{where}: {_blocking_note(r)}"
        )
    if len(d.blocking) > limit:
        lines.append(
            f"  ... and {len(d.blocking) - limit} more blocking findings "
            "(see the --summary, --junit or --json output)"
        )
    for s in d.expired:
        lines.append(
            f"  EXPIRED {_entry_text(s)} expired on {s.expires.isoformat()} "
            f"(owner {s.owner}): it no longer suppresses"
        )
    for s in d.expiring_soon:
        lines.append(
            f"  EXPIRING {_entry_text(s)} expires on {s.expires.isoformat()}, in "
            f"{_days(d, s)} days (owner {s.owner})"
        )
    if d.other_repository and not d.policy.repository:
        lines.append(
            f"  NOTE {_entries(len(d.other_repository))} limited to a repository and not "
            "applied: pass --repository NAME to apply them"
        )
    return "\n".join(lines) + "\n"
