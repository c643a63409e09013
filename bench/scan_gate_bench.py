"""Scan gate cost: decide on a generated Trivy report of 10,000 findings with 500 suppressions.

The report (SchemaVersion 2, 10 targets x 1,000 vulnerabilities, severities cycling through
CRITICAL/HIGH/MEDIUM/LOW/UNKNOWN, every one with a purl) and the suppression file (500 entries:
a third by id only, a third by package name, a third by purl; 50 of them expired) are written to
``bench/work``. Timed in process, ``runs`` times each: parsing the report, loading the
suppression file, ``evaluate()``, and rendering the Markdown, JUnit and JSON outputs. Then the
command line end to end once (``python -m container_delivery.scan_gate``, a fresh process).
"""

from __future__ import annotations

import datetime
import json
import statistics
import time
from pathlib import Path
from typing import Any

from common import PY, ROOT, WORK, run_measured, subprocess_env, summary

TODAY = datetime.date(2026, 11, 23)
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


def generate(folder: Path, findings: int = 10_000, suppressions: int = 500) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    targets = 10
    per_target = findings // targets
    results = []
    for t in range(targets):
        vulns = []
        for v in range(per_target):
            n = t * per_target + v
            package = f"pkg{n % 997}"
            vulns.append(
                {
                    "VulnerabilityID": f"CVE-2026-{n:05d}",
                    "PkgName": package,
                    "PkgIdentifier": {"PURL": f"pkg:deb/debian/{package}@1.{n % 7}.0?arch=amd64"},
                    "InstalledVersion": f"1.{n % 7}.0",
                    "FixedVersion": f"1.{n % 7}.1" if n % 3 else "",
                    "Severity": SEVERITIES[n % len(SEVERITIES)],
                    "Title": f"generated finding {n}",
                    "Description": "A generated vulnerability for the benchmark.\nSecond line.",
                }
            )
        results.append(
            {
                "Target": f"layer-{t} (debian 12.5)",
                "Class": "os-pkgs",
                "Type": "debian",
                "Vulnerabilities": vulns,
            }
        )
    report = {
        "SchemaVersion": 2,
        "ArtifactName": "bench/webapp:generated",
        "ArtifactType": "container_image",
        "Results": results,
    }
    report_path = folder / "trivy-10000.json"
    report_path.write_text(json.dumps(report))

    lines = ["suppressions:"]
    step = findings // suppressions
    for s in range(suppressions):
        n = s * step
        package = f"pkg{n % 997}"
        expires = TODAY + datetime.timedelta(days=-5 if s % 10 == 9 else 30 + s % 60)
        lines += [
            f"  - id: CVE-2026-{n:05d}",
            f'    reason: "Generated entry {s}: the vulnerable code path is not reachable here"',
            "    owner: team-bench",
            f"    expires: {expires.isoformat()}",
        ]
        if s % 3 == 1:
            lines.append(f"    package: {package}")
        elif s % 3 == 2:
            lines.append(f"    package: pkg:deb/debian/{package}")
    suppressions_path = folder / "suppressions-500.yaml"
    suppressions_path.write_text("\n".join(lines) + "\n")
    return report_path, suppressions_path


def run(runs: int = 5) -> dict[str, Any]:
    from container_delivery.scan_gate import (
        Policy,
        Severity,
        evaluate,
        load_report,
        load_suppressions,
        render_json,
        render_junit,
        render_markdown,
    )

    folder = WORK / "scan-gate"
    report_path, suppressions_path = generate(folder)
    phases: dict[str, list[float]] = {
        "parse_report": [],
        "load_suppressions": [],
        "evaluate": [],
        "render_outputs": [],
        "total": [],
    }
    decision = None
    for _ in range(runs):
        t0 = time.perf_counter()
        findings = load_report(report_path)
        t1 = time.perf_counter()
        entries = load_suppressions(suppressions_path, today=TODAY)
        t2 = time.perf_counter()
        decision = evaluate(findings, entries, Policy(threshold=Severity.HIGH), TODAY)
        t3 = time.perf_counter()
        for render in (render_markdown, render_junit, render_json):
            render(decision)
        t4 = time.perf_counter()
        phases["parse_report"].append(t1 - t0)
        phases["load_suppressions"].append(t2 - t1)
        phases["evaluate"].append(t3 - t2)
        phases["render_outputs"].append(t4 - t3)
        phases["total"].append(t4 - t0)
    assert decision is not None
    cli = run_measured(
        [
            str(PY),
            "-m",
            "container_delivery.scan_gate",
            "--report",
            str(report_path),
            "--suppressions",
            str(suppressions_path),
            "--today",
            TODAY.isoformat(),
            "--summary",
            str(folder / "summary.md"),
            "--junit",
            str(folder / "junit.xml"),
            "--json",
            str(folder / "result.json"),
        ],
        cwd=ROOT,
        env=subprocess_env(),
    )
    return {
        "inputs": {
            "findings": decision.total,
            "suppression_entries": len(entries),
            "report_mb": report_path.stat().st_size / 1e6,
        },
        "decision": {
            "blocking": len(decision.blocking),
            "suppressed": len(decision.suppressed),
            "allowed": decision.allowed_count,
            "expired_entries": len(decision.expired),
        },
        "in_process_s": {name: summary(values) for name, values in phases.items()},
        "evaluate_us_per_finding": statistics.median(phases["evaluate"]) / decision.total * 1e6,
        "cli": {
            "wall_s": cli.wall_s,
            "exit_code": cli.returncode,
            "peak_rss_mb": cli.ru_maxrss_mb,
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
