"""What the synth's packs found, and the acknowledgments the code declared.

* ``validation-report.json``: per pack (``pluginReports[]``) the unacknowledged findings
  (``violations[]``) and the acknowledged ones (``suppressedViolations[]``, with the
  acknowledgment's id, reason and the construct it was declared on). A pack with neither is not
  listed at all, so the packs that ran are given by the caller.
* the stacks' metadata: every acknowledgment declared, ``aws:cdk:acknowledged-rules`` entries keyed
  by construct path. One that matched no finding appears only there: the report lists it as
  unused (a stale suppression, or a pack not run).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from ._assembly import StackArtifact, owner, read_json
from .model import Acknowledgment, AckStatus, Finding

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"


def read_findings(
    assembly_dir: Path,
    stack_paths: Sequence[str],
    stack_by_path: Mapping[str, str],
    by_path: Mapping[str, tuple[str, str]],
) -> tuple[list[Finding], list[str], list[str]]:
    report_file = assembly_dir / "validation-report.json"
    if not report_file.exists():  # no plugin reported anything: every pack passed
        return [], [], []
    report = read_json(report_file)
    findings: list[Finding] = []
    packs: list[str] = []
    errors: list[str] = []
    for plugin in report.get("pluginReports") or []:
        pack = str(plugin.get("pluginName", ""))
        packs.append(pack)
        error = (plugin.get("metadata") or {}).get("error")
        if error:
            errors.append(f"{pack}: {error}")
        entries = [(v, False) for v in plugin.get("violations") or []] + [
            (v, True) for v in plugin.get("suppressedViolations") or []
        ]
        for violation, acknowledged in entries:
            for construct in violation.get("violatingConstructs") or []:
                path = str(construct.get("constructPath", ""))
                logical_id, resource_type = by_path.get(path, ("", ""))
                cfn = construct.get("cloudFormationResource") or {}
                findings.append(
                    Finding(
                        pack=pack,
                        rule=str(violation.get("ruleName", "")),
                        description=str(violation.get("description", "")),
                        severity=str(violation.get("severity", "error")),
                        construct_path=path,
                        stack=stack_by_path.get(owner(path, stack_paths), ""),
                        logical_id=logical_id or str(cfn.get("logicalId", "")),
                        resource_type=resource_type,
                        acknowledged=acknowledged,
                        reason=str(violation.get("reason") or "") if acknowledged else "",
                        acknowledged_at=str(violation.get("acknowledgedAt") or ""),
                        acknowledged_id=str(violation.get("acknowledgedId") or ""),
                    )
                )
    findings.sort(key=lambda f: (f.stack, f.construct_path, f.pack, f.rule))
    return findings, packs, errors


def read_acknowledgments(
    artifacts: Sequence[StackArtifact], findings: Sequence[Finding], packs: Sequence[str]
) -> list[Acknowledgment]:
    used = Counter((f.acknowledged_at, f.acknowledged_id) for f in findings if f.acknowledged)
    result: list[Acknowledgment] = []
    for artifact in artifacts:
        for key, entries in artifact.metadata.items():
            path = key.lstrip("/")
            for entry in entries:
                if entry.get("type") != ACKNOWLEDGED_RULES or not isinstance(
                    entry.get("data"), dict
                ):
                    continue
                for qualified_id, reason in entry["data"].items():
                    count = used.get((path, qualified_id), 0)
                    pack, _, rule = qualified_id.partition("::")
                    status: AckStatus
                    if count:
                        status = "used"
                    elif not pack or not rule.startswith(f"{pack}-"):
                        status = "other validator"  # not a rule pack's id (e.g. W3010)
                    else:
                        status = "unused" if pack in packs else "pack not run"
                    result.append(
                        Acknowledgment(
                            stack=artifact.name,
                            construct_path=path,
                            qualified_id=qualified_id,
                            reason=str(reason),
                            findings=count,
                            status=status,
                        )
                    )
    result.sort(key=lambda a: (a.stack, a.construct_path, a.qualified_id))
    return result
