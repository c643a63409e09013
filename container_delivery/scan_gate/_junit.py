"""The JUnit XML of a Decision, for CodeBuild test reports."""

import re
import xml.etree.ElementTree as ET

from ._wording import blocking_note, entry_text, package_text, policy_text
from .model import Decision, Finding

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: object) -> str:
    return _XML_INVALID.sub("", str(text))


def _case_name(finding: Finding) -> str:
    name = f"{finding.severity.value} {finding.id}"
    if finding.package:
        name += f" in {package_text(finding)}"
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
            {"message": _xml(blocking_note(result)), "type": result.finding.severity.value},
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
            f"suppressed by {entry_text(s)} until {s.expires.isoformat()} "
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
