"""Read a synthesized cloud assembly into an ``AuditReport``: what cdk-nag found, what was acknowledged.

Pure Python (JSON files only): no CDK app is built here. The sources, all written by ``app.synth()``:

* ``validation-report.json``: per pack (``pluginReports[]``) the unacknowledged findings
  (``violations[]``) and the acknowledged ones (``suppressedViolations[]``, with the
  acknowledgment's id, reason and the construct it was declared on). A pack with neither is not
  listed at all, so the packs that ran are given by the caller.
* ``<Stack>.metadata.json`` (or the manifest's ``metadata``): every acknowledgment declared,
  ``aws:cdk:acknowledged-rules`` entries keyed by construct path. One that matched no finding
  appears only there: the report lists it as unused (a stale suppression, or a pack not run).
* ``manifest.json``, ``*.template.json`` and ``tree.json``: stacks, resources, construct paths.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..acknowledge import ACKNOWLEDGMENT_METADATA, CHOICE_METADATA
from .coverage import FRAMEWORKS, Coverage, RuleResult, merge, run_node, run_own_pack
from .provenance import Blame, GitState, blame_lines, git_state, tool_versions
from .sources import read_sources, source_of

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
TREE_ARTIFACT = "cdk:tree"
_GRANULAR = re.compile(r"\[.*\]$")
#: ``<LogicalId>`` or ``<LogicalId.Attribute>`` inside a granular finding.
_NAMED = re.compile(r"<([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?>")

AckStatus = Literal["used", "unused", "pack not run", "other validator"]


class AssemblyError(ValueError):
    """The directory is not a readable cloud assembly; the message says what is missing."""


@dataclass(frozen=True)
class Resource:
    """A CloudFormation resource of a stack."""

    stack: str
    logical_id: str
    type: str
    construct_path: str


@dataclass(frozen=True)
class Source:
    """A line of source code (repository-relative when inside the checkout), and its git blame."""

    file: str
    line: int
    blame: Blame | None = None

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Finding:
    """One rule reported on one construct: unacknowledged (a violation) or acknowledged."""

    pack: str
    rule: str
    description: str
    severity: str
    construct_path: str
    stack: str
    logical_id: str
    resource_type: str
    acknowledged: bool
    reason: str = ""
    acknowledged_at: str = ""
    acknowledged_id: str = ""
    #: Where the acknowledgment was made (the ``acknowledge()`` call).
    source: Source | None = None
    #: The construct option that chose this exception, and the config key that set it.
    chosen_by: str = ""
    config_key: str = ""
    env_name: str = ""
    #: Resources a granular id names: (logical id, construct path).
    named: tuple[tuple[str, str], ...] = ()

    @property
    def base_rule(self) -> str:
        """The rule without its granular finding: ``AwsSolutions-IAM5[Resource::*]`` -> ``...IAM5``."""
        return _GRANULAR.sub("", self.rule)


@dataclass(frozen=True)
class Acknowledgment:
    """An acknowledgment as declared in the construct tree, and how many findings it covered."""

    stack: str
    construct_path: str
    qualified_id: str
    reason: str
    findings: int
    status: AckStatus
    source: Source | None = None
    chosen_by: str = ""
    config_key: str = ""
    env_name: str = ""

    @property
    def pack(self) -> str:
        return self.qualified_id.split("::", 1)[0] if "::" in self.qualified_id else ""

    @property
    def rule(self) -> str:
        return (
            self.qualified_id.split("::", 1)[1] if "::" in self.qualified_id else self.qualified_id
        )


@dataclass(frozen=True)
class StackReport:
    """A stack of the assembly with its resources."""

    name: str
    construct_path: str
    environment: str
    template_file: str
    resources: tuple[Resource, ...]


@dataclass(frozen=True)
class CustomRuleInfo:
    """A rule of the project's own pack, as listed in the report."""

    rule_id: str
    resource_type: str
    info: str
    explanation: str


@dataclass(frozen=True)
class RuleCoverage:
    """One rule's row of the coverage table."""

    result: RuleResult
    acknowledged: int
    unacknowledged: int
    #: Not compliant when the rule is evaluated again on the template, but not reported by the
    #: synth: the synth's pack did not check these resources for this rule (docs/audit.md).
    not_reported: tuple[str, ...] = ()
    #: Reported by the synth, but compliant or not applicable when evaluated again.
    not_recounted: tuple[str, ...] = ()

    @property
    def pack(self) -> str:
        return self.result.pack

    @property
    def rule(self) -> str:
        return self.result.rule

    @property
    def evaluated(self) -> int:
        return self.result.evaluated

    @property
    def compliant(self) -> int:
        return self.result.compliant

    @property
    def not_applicable(self) -> int:
        return self.result.not_applicable

    @property
    def framework(self) -> str:
        return FRAMEWORKS.get(self.pack, "")


@dataclass(frozen=True)
class AuditReport:
    """Everything the audit report shows, with the counts tests assert on."""

    source: str
    generated_at: str
    tool_versions: Mapping[str, str]
    packs: tuple[str, ...]
    stacks: tuple[StackReport, ...]
    findings: tuple[Finding, ...]
    acknowledgments: tuple[Acknowledgment, ...]
    pack_errors: tuple[str, ...] = ()
    custom_rules: tuple[CustomRuleInfo, ...] = ()
    notes: tuple[str, ...] = field(default=())
    git: GitState = field(default_factory=lambda: GitState(root=None, commit="", dirty=None))
    config: str = ""
    config_digest: str = ""
    coverage: Coverage = field(default_factory=Coverage)
    #: Construct path -> the Python line that created it (or an ancestor): SARIF locations.
    construct_sources: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def violations(self) -> tuple[Finding, ...]:
        """Findings nobody acknowledged: each one fails synth."""
        return tuple(f for f in self.findings if not f.acknowledged)

    @property
    def acknowledged(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.acknowledged)

    @property
    def nag_acknowledgments(self) -> tuple[Acknowledgment, ...]:
        """Acknowledgments of rule-pack findings (``<Pack>::<Pack>-<Rule>``)."""
        return tuple(a for a in self.acknowledgments if a.status != "other validator")

    @property
    def unused_acknowledgments(self) -> tuple[Acknowledgment, ...]:
        """Pack acknowledgments that matched no finding: stale, mistyped, or their pack is off."""
        return tuple(a for a in self.acknowledgments if a.status in ("unused", "pack not run"))

    @property
    def other_acknowledgments(self) -> tuple[Acknowledgment, ...]:
        """Acknowledgments for other validators, e.g. aws-cdk-lib's own ``CloudFormation-Validate``
        ones declared inside its constructs (not cdk-nag rules; listed for completeness)."""
        return tuple(a for a in self.acknowledgments if a.status == "other validator")

    @property
    def resource_count(self) -> int:
        return sum(len(stack.resources) for stack in self.stacks)

    @property
    def acknowledged_per_rule(self) -> dict[str, int]:
        """Acknowledged findings per rule as reported (granular ids kept), sorted by rule."""
        return dict(sorted(Counter(f.rule for f in self.acknowledged).items()))

    @property
    def violations_per_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.violations).items()))

    @property
    def configuration_exceptions(self) -> tuple[Finding, ...]:
        """Acknowledged findings that a configuration option chose (they need sign-off)."""
        return tuple(f for f in self.acknowledged if f.chosen_by)

    def configuration_exceptions_in(self, env_name: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.configuration_exceptions if f.env_name == env_name)

    def rule_coverage(self) -> list[RuleCoverage]:
        """Per pack and rule: resources evaluated, compliant, not applicable, acknowledged,
        unacknowledged (the last two from the synth's findings, per resource)."""
        acknowledged: dict[str, set[str]] = {}
        unacknowledged: dict[str, set[str]] = {}
        for finding in self.findings:
            target = acknowledged if finding.acknowledged else unacknowledged
            target.setdefault(finding.base_rule, set()).add(finding.construct_path)
        paths = {
            (r.stack, r.logical_id): r.construct_path or f"{r.stack}/{r.logical_id}"
            for stack in self.stacks
            for r in stack.resources
        }
        rows: list[RuleCoverage] = []
        for result in self.coverage.rules:
            reported = acknowledged.get(result.rule, set()) | unacknowledged.get(result.rule, set())
            failing = {
                paths.get((stack, lid), f"{stack}/{lid}")
                for stack, lid in [
                    *result.non_compliant,
                    *((s, lid) for s, lid, _ in result.errors),
                ]
            }
            rows.append(
                RuleCoverage(
                    result=result,
                    acknowledged=len(acknowledged.get(result.rule, ())),
                    unacknowledged=len(unacknowledged.get(result.rule, ())),
                    not_reported=tuple(sorted(failing - reported)),
                    not_recounted=tuple(sorted(reported - failing)),
                )
            )
        return rows

    def source_for(self, construct_path: str) -> tuple[str, int] | None:
        """The Python line that made the construct (or its nearest recorded ancestor)."""
        return source_of(construct_path, self.construct_sources)

    @property
    def passed(self) -> bool:
        """No unacknowledged finding and no pack that failed to run."""
        return not self.violations and not self.pack_errors

    @property
    def summary(self) -> dict[str, int]:
        """The summary table: stacks, resources, packs, findings, acknowledgments."""
        return {
            "stacks": len(self.stacks),
            "resources": self.resource_count,
            "packs": len(self.packs),
            "unacknowledged findings": len(self.violations),
            "acknowledged findings": len(self.acknowledged),
            "acknowledgments declared": len(self.nag_acknowledgments),
            "unused acknowledgments": len(self.unused_acknowledgments),
            "configuration exceptions": len(self.configuration_exceptions),
            "configuration exceptions in production": len(
                self.configuration_exceptions_in("production")
            ),
        }

    def stack_findings(self, stack: str, pack: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.stack == stack and (pack is None or f.pack == pack)]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AssemblyError(f"{path}: not found; synthesize the app first") from error
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{path}: not valid JSON ({error})") from error


@dataclass(frozen=True)
class _StackArtifact:
    name: str
    construct_path: str
    environment: str
    directory: Path
    template_file: str
    metadata: Mapping[str, Any]


def _stack_artifacts(directory: Path) -> Iterator[_StackArtifact]:
    manifest = _read_json(directory / "manifest.json")
    for name, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == NESTED_ASSEMBLY and props.get("directoryName"):
            yield from _stack_artifacts(directory / props["directoryName"])
        elif kind == STACK_ARTIFACT:
            meta: dict[str, Any] = dict(artifact.get("metadata") or {})
            extra = artifact.get("additionalMetadataFile")
            if extra and (directory / extra).exists():
                for key, entries in _read_json(directory / extra).items():
                    meta[key] = [*meta.get(key, []), *entries]
            yield _StackArtifact(
                name=name,
                construct_path=artifact.get("displayName") or name,
                environment=artifact.get("environment", ""),
                directory=directory,
                template_file=props.get("templateFile", f"{name}.template.json"),
                metadata=meta,
            )


def _tree_nodes(directory: Path) -> list[dict[str, Any]]:
    """Every node of ``tree.json`` (following the fragments CDK writes for very large trees)."""
    manifest = _read_json(directory / "manifest.json")
    files = [
        (a.get("properties") or {}).get("file", "tree.json")
        for a in (manifest.get("artifacts") or {}).values()
        if a.get("type") == TREE_ARTIFACT
    ]
    if not files or not (directory / files[0]).exists():
        return []
    root = _read_json(directory / files[0]).get("tree", {})
    forests: dict[str, Any] = {}
    nodes: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = [root]
    while pending:
        node = pending.pop()
        if "fileName" in node and "treeId" in node:  # a subtree stored in another file
            if node["fileName"] not in forests:
                forests[node["fileName"]] = _read_json(directory / node["fileName"])["forest"]
            node = forests[node["fileName"]][node["treeId"]]
        nodes.append(node)
        pending.extend((node.get("children") or {}).values())
    return nodes


def _owner(path: str, stack_paths: Sequence[str]) -> str:
    """The stack path that is the longest prefix of ``path`` ("" when none)."""
    best = ""
    for stack_path in stack_paths:
        if (path == stack_path or path.startswith(stack_path + "/")) and len(stack_path) > len(
            best
        ):
            best = stack_path
    return best


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
    artifacts = list(_stack_artifacts(assembly_dir))
    stack_paths = [a.construct_path for a in artifacts]
    stack_by_path = {a.construct_path: a.name for a in artifacts}

    # Construct paths of CloudFormation resources, from the tree (the template has them only
    # when path metadata is on, which the CLI sets and a plain App does not).
    by_path: dict[str, tuple[str, str]] = {}
    by_logical_id: dict[tuple[str, str], str] = {}
    tree_versions: set[str] = set()
    for node in _tree_nodes(assembly_dir):
        attributes = node.get("attributes") or {}
        logical_id = attributes.get("aws:cdk:cloudformation:logicalId")
        version = (node.get("constructInfo") or {}).get("version")
        if version and (node.get("constructInfo") or {}).get("fqn", "").startswith("aws-cdk-lib."):
            tree_versions.add(version)
        if isinstance(logical_id, str):
            path = node.get("path", "")
            resource_type = attributes.get("aws:cdk:cloudformation:type", "")
            by_path[path] = (logical_id, resource_type)
            owner = _owner(path, stack_paths)
            by_logical_id[(stack_by_path.get(owner, ""), logical_id)] = path

    stacks: list[StackReport] = []
    templates: dict[str, Any] = {}
    for artifact in artifacts:
        template = _read_json(artifact.directory / artifact.template_file)
        templates[artifact.name] = template
        resources = tuple(
            Resource(
                stack=artifact.name,
                logical_id=logical_id,
                type=str(body.get("Type", "")),
                construct_path=by_logical_id.get((artifact.name, logical_id))
                or str((body.get("Metadata") or {}).get("aws:cdk:path", "")),
            )
            for logical_id, body in (template.get("Resources") or {}).items()
        )
        stacks.append(
            StackReport(
                name=artifact.name,
                construct_path=artifact.construct_path,
                environment=artifact.environment,
                template_file=artifact.template_file,
                resources=resources,
            )
        )

    findings, seen_packs, pack_errors = _findings(assembly_dir, stack_paths, stack_by_path, by_path)
    all_packs = tuple(dict.fromkeys([*packs, *seen_packs]))
    acknowledgments = _acknowledgments(artifacts, findings, all_packs)

    git = git_state(root)
    origins = _Origins.read(artifacts, stack_by_path, stack_paths, git.root or root)
    findings = [
        replace(
            f,
            named=tuple(
                (lid, by_logical_id.get((f.stack, lid), ""))
                for lid in dict.fromkeys(_NAMED.findall(f.rule))
            ),
            **origins.of(f.acknowledged_at, f.acknowledged_id, f.stack),
        )
        if f.acknowledged
        else replace(
            f,
            named=tuple(
                (lid, by_logical_id.get((f.stack, lid), ""))
                for lid in dict.fromkeys(_NAMED.findall(f.rule))
            ),
        )
        for f in findings
    ]
    acknowledgments = [
        replace(a, **origins.of(a.construct_path, a.qualified_id, a.stack)) for a in acknowledgments
    ]

    coverage = Coverage()
    if measure_coverage:
        parts = [run_node(assembly_dir, all_packs, root)]
        if "ContainerDelivery" in all_packs:
            parts.append(run_own_pack(templates))
        coverage = merge(*parts)

    notes: list[str] = []
    if not packs:
        notes.append(
            "The packs listed are those with a finding or an acknowledgment in the assembly; "
            "a pack that found nothing leaves no trace there (pass the packs that ran)."
        )
    versions = tool_versions(root, coverage.versions)
    if tree_versions:
        versions["aws-cdk-lib (in the assembly)"] = ", ".join(sorted(tree_versions))
    manifest_version = _read_json(assembly_dir / "manifest.json").get("version")
    if manifest_version:
        versions["cloud assembly schema"] = str(manifest_version)

    if custom_rules is None:
        from ..custom_pack import RULES  # the pack's own table (imports aws_cdk, already loaded)

        custom_rules = [
            CustomRuleInfo(r.rule_id, ", ".join(r.resource_types), r.info, r.explanation)
            for r in RULES
        ]

    return AuditReport(
        source=source or str(assembly_dir),
        generated_at=(generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
        tool_versions=versions,
        packs=all_packs,
        stacks=tuple(stacks),
        findings=tuple(findings),
        acknowledgments=tuple(acknowledgments),
        pack_errors=tuple(pack_errors),
        custom_rules=tuple(custom_rules),
        notes=tuple(notes),
        git=git,
        config=config,
        config_digest=config_digest,
        coverage=coverage,
        construct_sources=read_sources(assembly_dir),
    )


class _Origins:
    """Where each acknowledgment was made, and which configuration chose it (from metadata)."""

    def __init__(
        self,
        calls: Mapping[tuple[str, str], tuple[Source, str]],
        choices: Mapping[str, tuple[Mapping[str, str], str]],
        environments: Mapping[str, str],
    ) -> None:
        self._calls = calls
        self._choices = choices
        self._environments = environments

    @classmethod
    def read(
        cls,
        artifacts: Sequence[_StackArtifact],
        stack_by_path: Mapping[str, str],
        stack_paths: Sequence[str],
        root: Path,
    ) -> _Origins:
        raw: dict[tuple[str, str], tuple[str, int, str]] = {}
        choices: dict[str, tuple[Mapping[str, str], str]] = {}
        for artifact in artifacts:
            for key, entries in artifact.metadata.items():
                path = key.lstrip("/")
                for entry in entries:
                    data = entry.get("data")
                    if not isinstance(data, dict):
                        continue
                    if entry.get("type") == ACKNOWLEDGMENT_METADATA:
                        file = _relative(str(data.get("file", "")), root)
                        for rule in data.get("rules") or []:
                            raw[(path, str(rule))] = (
                                file,
                                int(data.get("line") or 0),
                                str(data.get("chosenBy") or ""),
                            )
                    elif entry.get("type") == CHOICE_METADATA:
                        choices[path] = (
                            {str(k): str(v) for k, v in (data.get("choices") or {}).items()},
                            str(data.get("environment") or ""),
                        )
        blames = blame_lines(
            root, {(file, line) for file, line, _ in raw.values() if not Path(file).is_absolute()}
        )
        calls = {
            key: (Source(file, line, blames.get((file, line))), chosen_by)
            for key, (file, line, chosen_by) in raw.items()
        }
        environments = {a.name: a.environment for a in artifacts}
        return cls(calls, choices, environments)

    def of(self, path: str, qualified_id: str, stack: str) -> dict[str, Any]:
        """Fields for a finding or acknowledgment declared at ``path`` for ``qualified_id``."""
        call = self._calls.get((path, qualified_id))
        if call is None:
            return {}
        source, chosen_by = call
        fields: dict[str, Any] = {"source": source, "chosen_by": chosen_by}
        if chosen_by:
            key, env_name = "", ""
            probe = path
            while probe:
                if probe in self._choices and chosen_by in self._choices[probe][0]:
                    key, env_name = self._choices[probe][0][chosen_by], self._choices[probe][1]
                    break
                probe = probe.rpartition("/")[0]
            fields["config_key"] = key or f"{chosen_by} (construct option set in code)"
            fields["env_name"] = env_name or self._environments.get(stack, "")
        return fields


def _relative(file: str, root: Path) -> str:
    """``file`` relative to ``root`` when inside it, else as recorded."""
    if not file:
        return ""
    try:
        return str(Path(file).resolve().relative_to(root.resolve()))
    except ValueError:
        return file


def _findings(
    assembly_dir: Path,
    stack_paths: Sequence[str],
    stack_by_path: Mapping[str, str],
    by_path: Mapping[str, tuple[str, str]],
) -> tuple[list[Finding], list[str], list[str]]:
    report_file = assembly_dir / "validation-report.json"
    if not report_file.exists():  # no plugin reported anything: every pack passed
        return [], [], []
    report = _read_json(report_file)
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
                        stack=stack_by_path.get(_owner(path, stack_paths), ""),
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


def _acknowledgments(
    artifacts: Sequence[_StackArtifact], findings: Sequence[Finding], packs: Sequence[str]
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
