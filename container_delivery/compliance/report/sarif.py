"""The findings as SARIF 2.1.0 (``report.sarif``) for GitHub code scanning.

One run; its tool's rules are every rule the packs ran (description, control ids, documentation).
Each finding is one result on a source line of the repository:

* an acknowledged finding on the line of its ``acknowledge()`` call, with
  ``suppressions: [{kind: inSource, justification: <reason>}]`` (code scanning shows it as
  suppressed, with the reason);
* an unacknowledged finding on the line that created the resource's construct (or its nearest
  ancestor created from Python), recorded while the audit built the app (``sources.py``), else
  on ``app.py``.

The construct path is the result's logical location, and a partial fingerprint keeps the alert
the same across runs while the construct path and rule do not change.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .coverage import FRAMEWORKS
from .model import AuditReport, Finding

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/cdklabs/cdk-nag"
#: Where a finding goes when no source line is known (the app's entry point).
FALLBACK_FILE = "app.py"


def _level(severity: str) -> str:
    return {"error": "error", "warning": "warning"}.get(severity.lower(), "note")


def _location(report: AuditReport, finding: Finding) -> tuple[str, int]:
    if finding.acknowledged and finding.source and finding.source.line:
        return finding.source.file, finding.source.line
    return report.source_for(finding.construct_path) or (FALLBACK_FILE, 1)


def _rules(report: AuditReport) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for result in report.coverage.rules:
        properties: dict[str, Any] = {"pack": result.pack, "tags": ["security", result.pack]}
        if result.controls:
            properties["controls"] = list(result.controls)
            properties["framework"] = FRAMEWORKS.get(result.pack, result.pack)
        seen[result.rule] = {
            "id": result.rule,
            "name": result.rule.replace(".", "").replace("-", ""),
            "shortDescription": {"text": result.description or result.rule},
            "fullDescription": {"text": result.explanation or result.description or result.rule},
            "help": {"text": result.explanation or result.description or result.rule},
            "defaultConfiguration": {"level": _level(result.level)},
            "properties": properties,
        }
        if result.doc_link.startswith("https://"):  # the own pack's rules are in the report
            seen[result.rule]["helpUri"] = result.doc_link
    for finding in report.findings:  # rules seen only in findings (coverage not measured)
        if finding.base_rule not in seen:
            seen[finding.base_rule] = {
                "id": finding.base_rule,
                "shortDescription": {"text": finding.description or finding.base_rule},
                "helpUri": INFORMATION_URI,
                "defaultConfiguration": {"level": _level(finding.severity)},
                "properties": {"pack": finding.pack, "tags": ["security", finding.pack]},
            }
    return sorted(seen.values(), key=lambda rule: str(rule["id"]))


def _result(report: AuditReport, finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    file, line = _location(report, finding)
    named = "".join(f" {lid} is {path or 'unknown'}." for lid, path in finding.named)
    text = (
        f"{finding.rule}: {finding.description} Resource {finding.logical_id or 'unknown'} "
        f"({finding.resource_type or 'unknown type'}) at {finding.construct_path} in stack "
        f"{finding.stack}.{named}"
    )
    fingerprint = hashlib.sha256(f"{finding.construct_path}|{finding.rule}".encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": finding.base_rule,
        "level": _level(finding.severity),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(line, 1)},
                },
                "logicalLocations": [
                    {"fullyQualifiedName": finding.construct_path, "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {"constructPathAndRule/v1": fingerprint},
        "properties": {
            "pack": finding.pack,
            "granularRule": finding.rule,
            "stack": finding.stack,
            "logicalId": finding.logical_id,
            "constructPath": finding.construct_path,
        },
    }
    if finding.base_rule in rule_index:
        result["ruleIndex"] = rule_index[finding.base_rule]
    if finding.acknowledged:
        result["suppressions"] = [{"kind": "inSource", "justification": finding.reason}]
        if finding.chosen_by:
            result["properties"]["chosenByConfiguration"] = finding.config_key
    return result


def render_sarif(report: AuditReport) -> str:
    rules = _rules(report)
    rule_index = {str(rule["id"]): index for index, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "container-delivery audit (cdk-nag)",
                "informationUri": INFORMATION_URI,
                "version": report.tool_versions.get("cdk-nag", "unknown"),
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
        "results": [_result(report, f, rule_index) for f in report.findings],
        "properties": {
            "packs": list(report.packs),
            "generatedAt": report.generated_at,
            "configDigest": report.config_digest,
            "commit": report.git.commit,
            "dirty": report.git.dirty,
        },
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=1) + "\n"
