"""Read a synthesized cloud assembly into an ``AuditReport``: what cdk-nag found, what was acknowledged.

Pure Python (JSON files only): no CDK app is built here. The sources, all written by ``app.synth()``:

* ``validation-report.json``: the findings of each pack, acknowledged or not (``_findings.py``).
* ``<Stack>.metadata.json`` (or the manifest's ``metadata``): every acknowledgment declared, and
  where it was made (``_findings.py``, ``_origins.py``).
* ``manifest.json``, ``*.template.json`` and ``tree.json``: stacks, resources, construct paths
  (``_assembly.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._assembly import ResourceIndex, index_resources, read_json, read_stacks, stack_artifacts
from ._findings import read_acknowledgments, read_findings
from ._origins import Origins
from .coverage import Coverage, merge, run_node, run_own_pack
from .model import AuditReport, CustomRuleInfo, Finding
from .provenance import git_state, tool_versions
from .sources import read_sources

#: ``<LogicalId>`` or ``<LogicalId.Attribute>`` inside a granular finding.
_NAMED = re.compile(r"<([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?>")


def build_report(
    assembly_dir: Path,
    *,
    packs: Sequence[str] = (),
    source: str | None = None,
    custom_rules: Iterable[CustomRuleInfo] | None = None,
    generated_at: datetime | None = None,
    root: Path | None = None,
    config: str = "",
    config_digest: str = "",
    measure_coverage: bool = True,
) -> AuditReport:
    """Read the cloud assembly in ``assembly_dir`` into an ``AuditReport``.

    :param packs: The packs that ran (a pack with no finding and no acknowledgment leaves no
        trace in the assembly). Default: - the packs that appear in the validation report.
    :param source: What the report describes, shown in its header. Default: - the directory.
    :param custom_rules: The project's own rules to list. Default: - ``custom_pack.RULES``.
    :param generated_at: Default: - now (UTC).
    :param root: The checkout whose git commit, blame and ``node_modules`` the report uses.
        Default: - the current directory.
    :param config: The config file the app was built from, as shown. Default: - not known.
    :param config_digest: ``sha256:...`` of that file. Default: - not known.
    :param measure_coverage: Evaluate every rule again to count compliant and not applicable
        resources (``coverage.py``; a few seconds). Default: - True.
    :raises AssemblyError: no ``manifest.json``, or an unreadable file.
    """
    root = Path(root or Path.cwd())
    assembly_dir = Path(assembly_dir)
    artifacts = list(stack_artifacts(assembly_dir))
    stack_paths = [a.construct_path for a in artifacts]
    stack_by_path = {a.construct_path: a.name for a in artifacts}
    index = index_resources(assembly_dir, artifacts)
    stacks, templates = read_stacks(artifacts, index)

    findings, seen_packs, pack_errors = read_findings(
        assembly_dir, stack_paths, stack_by_path, index.by_path
    )
    all_packs = tuple(dict.fromkeys([*packs, *seen_packs]))
    acknowledgments = read_acknowledgments(artifacts, findings, all_packs)

    git = git_state(root)
    origins = Origins.read(artifacts, stack_by_path, stack_paths, git.root or root)
    findings = _with_names_and_origins(findings, index, origins)
    acknowledgments = [
        replace(a, **origins.of(a.construct_path, a.qualified_id, a.stack)) for a in acknowledgments
    ]

    coverage = Coverage()
    if measure_coverage:
        coverage = _measure_coverage(assembly_dir, all_packs, root, templates)

    notes: list[str] = []
    if not packs:
        notes.append(
            "The packs listed are those with a finding or an acknowledgment in the assembly; "
            "a pack that found nothing leaves no trace there (pass the packs that ran)."
        )

    return AuditReport(
        source=source or str(assembly_dir),
        generated_at=(generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
        tool_versions=_versions(root, coverage, index, assembly_dir),
        packs=all_packs,
        stacks=tuple(stacks),
        findings=tuple(findings),
        acknowledgments=tuple(acknowledgments),
        pack_errors=tuple(pack_errors),
        custom_rules=tuple(_own_rules() if custom_rules is None else custom_rules),
        notes=tuple(notes),
        git=git,
        config=config,
        config_digest=config_digest,
        coverage=coverage,
        construct_sources=read_sources(assembly_dir),
    )


def _with_names_and_origins(
    findings: Sequence[Finding], index: ResourceIndex, origins: Origins
) -> list[Finding]:
    """Each finding with the resources its granular id names, and an acknowledged one with
    where it was acknowledged and which configuration chose it."""
    result: list[Finding] = []
    for f in findings:
        named = tuple(
            (lid, index.by_logical_id.get((f.stack, lid), ""))
            for lid in dict.fromkeys(_NAMED.findall(f.rule))
        )
        if f.acknowledged:
            result.append(
                replace(f, named=named, **origins.of(f.acknowledged_at, f.acknowledged_id, f.stack))
            )
        else:
            result.append(replace(f, named=named))
    return result


def _measure_coverage(
    assembly_dir: Path, packs: Sequence[str], root: Path, templates: Mapping[str, Any]
) -> Coverage:
    parts = [run_node(assembly_dir, packs, root)]
    if "ContainerDelivery" in packs:
        parts.append(run_own_pack(templates))
    return merge(*parts)


def _versions(
    root: Path, coverage: Coverage, index: ResourceIndex, assembly_dir: Path
) -> dict[str, str]:
    """The tools' versions, then those the assembly itself records."""
    versions = tool_versions(root, coverage.versions)
    if index.versions:
        versions["aws-cdk-lib (in the assembly)"] = ", ".join(sorted(index.versions))
    manifest_version = read_json(assembly_dir / "manifest.json").get("version")
    if manifest_version:
        versions["cloud assembly schema"] = str(manifest_version)
    return versions


def _own_rules() -> list[CustomRuleInfo]:
    from ..custom_pack import RULES  # the pack's own table (imports aws_cdk, already loaded)

    return [
        CustomRuleInfo(r.rule_id, ", ".join(r.resource_types), r.info, r.explanation) for r in RULES
    ]
