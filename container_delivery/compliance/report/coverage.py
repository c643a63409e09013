"""What each pack checked: per rule, the resources evaluated, compliant and not applicable.

cdk-nag 3 records only violations, so the counts come from a second evaluation of the rules:

* the public packs run in Node (``coverage.js`` beside this file, with the project's pinned
  aws-cdk-lib and cdk-nag from ``node_modules``) on the synthesized templates, loaded with
  ``cloudformation-include``; a recording ``applyRule`` keeps every result;
* the project's own pack (``ContainerDelivery``) runs here, in Python, on the same templates.

Both read the templates, not the construct tree of the synth: docs/audit.md says where that may
differ. Acknowledged and unacknowledged counts come from the synth's own validation report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("coverage.js")
_TIMEOUT_S = 300
_RULES_DOC = "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md"
#: Where each pack's rules are documented (the pack's section of cdk-nag's RULES.md).
DOC_LINKS: Mapping[str, str] = {
    "AwsSolutions": f"{_RULES_DOC}#aws-solutions",
    "NIST.800.53.R5": f"{_RULES_DOC}#nist-800-53-rev-5",
    "HIPAA.Security": f"{_RULES_DOC}#hipaa-security",
    "PCI.DSS.321": f"{_RULES_DOC}#pci-dss-321",
    # The project's own rules are described in the report itself (and in docs/audit.md).
    "ContainerDelivery": "#custom-rules",
}
#: The control framework named by each compliance pack's control ids.
FRAMEWORKS: Mapping[str, str] = {
    "NIST.800.53.R5": "NIST 800-53 rev. 5",
    "HIPAA.Security": "HIPAA Security Rule",
    "PCI.DSS.321": "PCI DSS 3.2.1",
}


@dataclass(frozen=True)
class RuleResult:
    """One rule of one pack, evaluated on every resource of the assembly."""

    pack: str
    rule: str
    description: str
    explanation: str
    level: str
    compliant: int
    not_applicable: int
    non_compliant: tuple[tuple[str, str], ...]  # (stack, logical id)
    errors: tuple[tuple[str, str, str], ...] = ()  # (stack, logical id, message)

    @property
    def evaluated(self) -> int:
        """Resources the rule applied to (compliant, non-compliant or failing to evaluate)."""
        return self.compliant + len(self.non_compliant) + len(self.errors)

    @property
    def controls(self) -> tuple[str, ...]:
        """Control ids named in the rule's description (``AC-4(21)``, ``164.312(e)(1)``, ...)."""
        start = self.description.find("(Control ID")
        if start < 0:
            return ()
        text = self.description[start:]
        inner = text[text.find(":") + 1 : text.rfind(")")]
        return tuple(c.strip() for c in inner.split(", ") if c.strip())

    @property
    def doc_link(self) -> str:
        return DOC_LINKS.get(self.pack, _RULES_DOC)


@dataclass(frozen=True)
class Coverage:
    """Rule results of every pack, and per resource how many rules applied and passed."""

    rules: tuple[RuleResult, ...] = ()
    # (stack, logical id) -> pack -> (rules applicable, compliant)
    resources: Mapping[tuple[str, str], Mapping[str, tuple[int, int]]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)

    def pack_rules(self, pack: str) -> list[RuleResult]:
        return [r for r in self.rules if r.pack == pack]

    def rule(self, rule_id: str) -> RuleResult | None:
        return next((r for r in self.rules if r.rule == rule_id), None)


def _level(value: Any) -> str:
    return str(value).lower() if value else "error"


def run_node(assembly_dir: Path, packs: Sequence[str], root: Path) -> Coverage:
    """Evaluate the public packs in ``packs`` with ``coverage.js`` (Node from ``root``)."""
    public = [p for p in packs if p in DOC_LINKS and p != "ContainerDelivery"]
    if not public:
        return Coverage()
    bin_dir = root / "node_modules" / ".bin"
    node = shutil.which("node", path=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    if node is None or not (root / "node_modules" / "cdk-nag").exists():
        return Coverage(
            errors=(
                "coverage of the public packs not measured: Node and the npm packages aws-cdk-lib "
                "and cdk-nag are not installed (make setup installs them)",
            )
        )
    env = {**os.environ, "NODE_PATH": str(root / "node_modules")}
    try:
        result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [node, str(SCRIPT), str(assembly_dir), *public],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Coverage(errors=(f"coverage of the public packs not measured: {error}",))
    if result.returncode != 0:
        tail = " ".join(result.stderr.strip().splitlines()[-3:])
        return Coverage(errors=(f"coverage of the public packs not measured: {tail}",))
    return parse_node_output(json.loads(result.stdout))


def parse_node_output(data: Mapping[str, Any]) -> Coverage:
    rules: list[RuleResult] = []
    for pack, pack_rules in (data.get("packs") or {}).items():
        for rule_id, body in pack_rules.items():
            rules.append(
                RuleResult(
                    pack=pack,
                    rule=rule_id,
                    description=str(body.get("info", "")),
                    explanation=str(body.get("explanation", "")),
                    level=_level(body.get("level")),
                    compliant=int(body.get("compliant", 0)),
                    not_applicable=int(body.get("not_applicable", 0)),
                    non_compliant=tuple((s, lid) for s, lid, _ in body.get("non_compliant") or []),
                    errors=tuple((s, lid, msg) for s, lid, msg in body.get("errors") or []),
                )
            )
    resources: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
    for key, per_pack in (data.get("resources") or {}).items():
        stack, _, logical_id = str(key).partition("/")
        resources[(stack, logical_id)] = {p: (int(a), int(c)) for p, (a, c) in per_pack.items()}
    return Coverage(
        rules=tuple(rules),
        resources=resources,
        errors=tuple(str(e) for e in data.get("errors") or []),
        versions={str(k): str(v) for k, v in (data.get("versions") or {}).items()},
    )


def run_own_pack(templates: Mapping[str, Mapping[str, Any]]) -> Coverage:
    """Evaluate the project's own rules on the templates (stack name -> template), in Python."""
    from ..custom_pack import PACK_NAME, RULES, evaluate_template_resource

    rules: list[RuleResult] = []
    resources: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
    for rule in RULES:
        compliant = not_applicable = 0
        non_compliant: list[tuple[str, str]] = []
        errors: list[tuple[str, str, str]] = []
        for stack, template in templates.items():
            for logical_id, body in (template.get("Resources") or {}).items():
                resource_type = str(body.get("Type", ""))
                if resource_type not in rule.resource_types:
                    not_applicable += 1
                    continue
                counts = resources.setdefault((stack, logical_id), {}).get(PACK_NAME, (0, 0))
                try:
                    passed = evaluate_template_resource(
                        rule, resource_type, body.get("Properties") or {}
                    )
                except Exception as error:  # reported, as cdk-nag reports a rule that throws
                    errors.append((stack, logical_id, str(error)))
                    resources[(stack, logical_id)][PACK_NAME] = (counts[0] + 1, counts[1])
                    continue
                if passed is None:
                    not_applicable += 1
                    continue
                resources[(stack, logical_id)][PACK_NAME] = (
                    counts[0] + 1,
                    counts[1] + (1 if passed else 0),
                )
                if passed:
                    compliant += 1
                else:
                    non_compliant.append((stack, logical_id))
        rules.append(
            RuleResult(
                pack=PACK_NAME,
                rule=rule.rule_id,
                description=rule.info,
                explanation=rule.explanation,
                level="error",
                compliant=compliant,
                not_applicable=not_applicable,
                non_compliant=tuple(non_compliant),
                errors=tuple(errors),
            )
        )
    return Coverage(rules=tuple(rules), resources=resources)


def merge(*parts: Coverage) -> Coverage:
    resources: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}
    for part in parts:
        for key, per_pack in part.resources.items():
            resources.setdefault(key, {}).update(per_pack)
    return Coverage(
        rules=tuple(r for part in parts for r in part.rules),
        resources=resources,
        errors=tuple(e for part in parts for e in part.errors),
        versions={k: v for part in parts for k, v in part.versions.items()},
    )
