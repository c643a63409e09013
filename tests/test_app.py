"""App-level checks on the reference app: synthesized once, with validation and every pack on."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from container_delivery.config import load_config
from container_delivery.plan import app_stacks, render
from tests.conftest import ReferenceAssembly
from tests.helpers import ROOT, cfn_lint, sarif_schema_errors

pytestmark = pytest.mark.app


def _violations(report: dict[str, object]) -> list[str]:
    lines = []
    for plugin in report["pluginReports"]:  # type: ignore[attr-defined]
        for violation in plugin.get("violations", []):
            for construct in violation["violatingConstructs"]:
                lines.append(
                    f"{violation['ruleName']} at {construct['constructPath']}: {violation['description']}"
                )
    return lines


def test_every_configured_pack_reported_acknowledged_findings(
    reference_assembly: ReferenceAssembly,
) -> None:
    # CDK lists a plugin in validation-report.json only when it has something to report. Every
    # configured public pack has acknowledged findings in the reference app, so each must appear;
    # the ContainerDelivery pack has none, and its unit tests show it fails non-compliant stacks.
    report = reference_assembly.validation_report
    plugins = {plugin["pluginName"] for plugin in report["pluginReports"]}
    assert {"AwsSolutions", *load_config().packs} <= plugins


def test_no_unacknowledged_nag_finding(reference_assembly: ReferenceAssembly) -> None:
    violations = _violations(reference_assembly.validation_report)
    assert violations == [], "\n".join(violations)
    assert reference_assembly.error is None


def test_cfn_lint_reports_nothing(reference_assembly: ReferenceAssembly) -> None:
    templates = [str(path) for path in reference_assembly.templates]
    assert templates, "the reference app synthesized no template"
    assert cfn_lint(templates) == ""


def test_the_audit_report_of_the_reference_app(
    reference_assembly: ReferenceAssembly, tmp_path: Path
) -> None:
    from container_delivery.compliance import ALWAYS
    from container_delivery.compliance.report import build_report, write_report

    # GIVEN the reference app synthesized with every pack of the default config
    packs = [*ALWAYS, *load_config().packs]
    # WHEN the auditors' report is built from its cloud assembly
    report = build_report(reference_assembly.outdir, packs=packs)
    html, markdown, *_ = write_report(report, tmp_path)
    # THEN nothing is unacknowledged or stale, and every acknowledgment is counted per rule
    assert report.violations == ()
    assert report.unused_acknowledgments == ()
    assert sum(report.acknowledged_per_rule.values()) == len(report.acknowledged) > 0
    text = markdown.read_text()
    for rule, count in report.acknowledged_per_rule.items():
        # a granular id is followed by the construct path of the resource it names, if any
        assert re.search(rf"\| {re.escape(rule)}( \([^|]*\))? \| {count} \|", text), rule
    # a known acknowledgment (plain configuration in the webapp task definition) with its reason
    (ecs2,) = [
        finding
        for finding in report.acknowledged
        if finding.rule == "AwsSolutions-ECS2" and finding.stack == "webapp-production"
    ]
    assert "configuration" in ecs2.reason
    assert ecs2.reason in text
    assert html.read_text().count("AwsSolutions-ECS2") >= 1
    # the SARIF that code scanning gets is valid SARIF 2.1.0, every finding suppressed with its reason
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    assert sarif_schema_errors(sarif) == []
    [run] = sarif["runs"]
    assert len(run["results"]) == len(report.acknowledged)
    assert all(r["suppressions"][0]["justification"] for r in run["results"])


def test_readme_quotes_what_plan_prints_for_the_default_config(
    reference_assembly: ReferenceAssembly,
) -> None:
    # GIVEN the commands in the README's deploy step
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploying for real", 1)[1].split("\n## ", 1)[0]
    step = section.split("3. **Deploy**", 1)[1].split("\n4. ", 1)[0]
    quoted = textwrap.dedent(step.split("```bash\n", 1)[1].split("```", 1)[0])
    # WHEN the plan of the reference app (default config, default profiles) is rendered
    config = load_config()
    profiles = {config.accounts.staging.id: "staging", config.accounts.production.id: "production"}
    printed = render(app_stacks(reference_assembly.app), profiles)
    # THEN the README quotes it exactly (refresh it with the output of `make plan`)
    assert quoted == printed
