"""The scan-gate command: exit codes, outputs, and bad input without tracebacks."""

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from container_delivery.scan_gate import load_report
from container_delivery.scan_gate.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scan-reports"
ALPINE = FIXTURES / "trivy" / "alpine-310.json"
DEBIAN = FIXTURES / "trivy" / "debian-buster.json"
NPM = FIXTURES / "trivy" / "npm.json"
DOCKERFILE = FIXTURES / "inspector" / "inspector-scan-cdx-dockerfile-only.json"
CLEAN = FIXTURES / "inspector" / "inspector-scan-cdx-no-vulns.json"
PACKAGE_DIR = Path(__file__).parents[2] / "container_delivery" / "scan_gate"
TODAY = "2026-11-23"


@pytest.fixture
def suppressions(tmp_path: Path) -> Path:
    path = tmp_path / "suppressions.yaml"
    path.write_text(
        "suppressions:\n"
        "  - id: CVE-2019-18224\n"
        '    reason: "idn2 is only used by the build stage, which is not in the final image"\n'
        "    owner: team-payments\n"
        "    expires: 2026-12-01\n"
        "    package: libidn2-0\n"
        "  - id: CVE-2019-1551\n"
        '    reason: "Fixed by the alpine 3.11 rebase in PAY-99, due 2026-12-20"\n'
        "    owner: team-platform\n"
        "    expires: 2026-11-20\n"
    )
    return path


@pytest.fixture
def empty_suppressions(tmp_path: Path) -> Path:
    path = tmp_path / "none.yaml"
    path.write_text("suppressions: []\n")
    return path


def run(*args: str | Path) -> int:
    return main([str(a) for a in args])


def test_clean_report_passes(empty_suppressions: Path, capsys: pytest.CaptureFixture[str]):
    code = run("--report", CLEAN, "--suppressions", empty_suppressions, "--today", TODAY)
    assert code == 0
    assert capsys.readouterr().out.startswith("scan-gate: PASSED: 0 blocking")


def test_blocking_finding_fails(empty_suppressions: Path, capsys: pytest.CaptureFixture[str]):
    code = run("--report", DEBIAN, "--suppressions", empty_suppressions, "--today", TODAY)
    out = capsys.readouterr().out
    assert code == 1
    assert "BLOCKING CRITICAL CVE-2019-18224 libidn2-0 2.0.5-1 (fixed in 2.0.5-1+deb10u1)" in out


def test_suppressed_finding_passes_and_expired_entry_is_named(
    suppressions: Path, capsys: pytest.CaptureFixture[str]
):
    code = run("--report", DEBIAN, "--suppressions", suppressions, "--today", TODAY)
    out = capsys.readouterr().out
    assert code == 0
    assert "1 suppressed" in out
    assert f"EXPIRED {suppressions} entry 2 (CVE-2019-1551) expired on 2026-11-20" in out
    assert f"EXPIRING {suppressions} entry 1 (CVE-2019-18224) expires on 2026-12-01, in 8" in out


def test_threshold_option_is_case_insensitive(empty_suppressions: Path):
    args = ("--report", ALPINE, "--suppressions", empty_suppressions, "--today", TODAY)
    assert run(*args) == 0
    assert run(*args, "--threshold", "medium") == 1


def test_several_reports_are_combined(empty_suppressions: Path, tmp_path: Path):
    out = tmp_path / "result.json"
    reports = [ALPINE, DEBIAN, NPM, DOCKERFILE, CLEAN]
    args = [a for r in reports for a in ("--report", r)]
    run(*args, "--suppressions", empty_suppressions, "--today", TODAY, "--json", out)
    result = json.loads(out.read_text())
    assert result["counts"]["total"] == sum(len(load_report(r)) for r in reports)


def test_kev_catalog_fails_a_medium_finding(empty_suppressions: Path, tmp_path: Path):
    kev = tmp_path / "kev.json"
    kev.write_text(
        json.dumps({"catalogVersion": "x", "vulnerabilities": [{"cveID": "CVE-2019-11358"}]})
    )
    args = ("--report", NPM, "--suppressions", empty_suppressions, "--today", TODAY)
    assert run(*args) == 0
    assert run(*args, "--kev", kev) == 1


def test_fixed_only(empty_suppressions: Path):
    # GIVEN the centos report: LOW without a fix and MEDIUM / LOW with fixes
    args = ("--report", FIXTURES / "trivy" / "centos-7.json", "--suppressions", empty_suppressions)
    assert run(*args, "--today", TODAY, "--threshold", "LOW") == 1
    # bash has no fix: with --fixed-only and MEDIUM only openssl-libs' MEDIUM blocks
    assert run(*args, "--today", TODAY, "--threshold", "MEDIUM", "--fixed-only") == 1
    assert run(*args, "--today", TODAY, "--threshold", "HIGH", "--fixed-only") == 0


def test_outputs_are_written(suppressions: Path, tmp_path: Path):
    # GIVEN a failing and a suppressed finding
    out = tmp_path / "reports"
    code = run(
        "--report", DEBIAN, "--report", DOCKERFILE, "--suppressions", suppressions,
        "--today", TODAY, "--junit", out / "junit.xml", "--summary", out / "summary.md",
        "--json", out / "result.json",
    )  # fmt: skip
    assert code == 1
    result = json.loads((out / "result.json").read_text())
    # THEN the JSON lists blocking findings sorted by severity then id, and the suppressed one
    assert result["passed"] is False and result["exit_code"] == 1
    assert [b["id"] for b in result["blocking"]] == [
        "IN-DOCKER-007-001", "IN-DOCKER-007-002", "IN-DOCKER-007-003", "IN-DOCKER-007-004",
        "IN-DOCKER-005-003", "IN-DOCKER-006-001",
    ]  # fmt: skip
    [suppressed] = result["suppressed"]
    assert suppressed["id"] == "CVE-2019-18224"
    assert suppressed["suppression"]["owner"] == "team-payments"
    assert [e["id"] for e in result["expired_suppressions"]] == ["CVE-2019-1551"]
    assert [e["days_left"] for e in result["expiring_soon"]] == [8]
    # AND the JUnit report has a failure per blocking finding and a skip per suppressed one
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")  # noqa: S314 - our own output
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 7 == int(suite.get("tests", "0"))
    assert sum(c.find("failure") is not None for c in cases) == 6 == int(suite.get("failures", "0"))
    [skipped] = [c.find("skipped") for c in cases if c.find("skipped") is not None]
    assert skipped is not None
    message = skipped.get("message", "")
    assert "entry 1 (CVE-2019-18224) until 2026-12-01 (owner team-payments)" in message
    assert "idn2 is only used by the build stage" in message
    # AND the Markdown summary shows the same, with the expired and expiring entries
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Scan gate: FAILED")
    for heading in (
        "## Blocking findings (6)",
        "## Suppressed findings (1)",
        "## Expired suppressions (1)",
        "## Suppressions expiring within 14 days (1)",
    ):
        assert heading in summary
    assert "| team-payments | 2026-12-01 |" in summary


def test_junit_has_a_passing_testcase_when_nothing_blocks(empty_suppressions: Path, tmp_path: Path):
    junit = tmp_path / "junit.xml"
    args = ("--report", ALPINE, "--suppressions", empty_suppressions, "--today", TODAY)
    assert run(*args, "--junit", junit) == 0
    suite = ET.parse(junit).getroot().find("testsuite")  # noqa: S314 - our own output
    assert suite is not None
    [case] = suite.findall("testcase")
    assert case.get("name", "").startswith("no blocking findings")
    assert list(case) == []


def test_markdown_escapes_table_separators(tmp_path: Path, empty_suppressions: Path):
    report = tmp_path / "trivy.json"
    vuln = {"VulnerabilityID": "CVE-1", "PkgName": "a|b", "Severity": "HIGH", "Title": "x | y\nz"}
    report.write_text(json.dumps({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [vuln]}]}))
    summary = tmp_path / "s.md"
    run("--report", report, "--suppressions", empty_suppressions, "--summary", summary)
    assert "| a\\|b |" in summary.read_text()


# --- bad input: exit 2, the file and the problem named, no traceback --------------------------


def _bad(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    code = run(*args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


def test_unreadable_report(empty_suppressions: Path, tmp_path: Path, capsys):
    err = _bad(capsys, "--report", tmp_path / "missing.json", "--suppressions", empty_suppressions)
    assert f"scan-gate: error: {tmp_path / 'missing.json'}: cannot read" in err


def test_report_of_unknown_format(empty_suppressions: Path, tmp_path: Path, capsys):
    report = tmp_path / "sarif.json"
    report.write_text('{"version": "2.1.0", "runs": []}')
    err = _bad(capsys, "--report", report, "--suppressions", empty_suppressions)
    assert f"{report}: unknown report format" in err


def test_report_that_is_not_json(empty_suppressions: Path, tmp_path: Path, capsys):
    report = tmp_path / "table.txt"
    report.write_text("Total: 3 (HIGH: 1)\n")
    err = _bad(capsys, "--report", report, "--suppressions", empty_suppressions)
    assert f"{report}: not valid JSON" in err


def test_malformed_suppression_file(tmp_path: Path, capsys):
    bad = tmp_path / "suppressions.yaml"
    bad.write_text(
        "suppressions:\n"
        "  - id: CVE-2024-1\n    owner: me\n    expires: 2026-12-01\n"
        "  - id: CVE-2024-2\n    reason: n/a\n    owner: me\n    expires: 2027-06-01\n"
    )
    err = _bad(capsys, "--report", ALPINE, "--suppressions", bad, "--today", TODAY)
    assert f"{bad}: entry 1 (CVE-2024-1): 'reason' is missing; entry 2 (CVE-2024-2): " in err
    assert "expires 2027-06-01 is 190 days out, more than the maximum of 90" in err
    assert err.count("scan-gate: error:") == 1


def test_suppression_file_with_invalid_yaml(tmp_path: Path, capsys):
    bad = tmp_path / "s.yaml"
    bad.write_text("suppressions:\n  - id: CVE-1\n   reason: bad indent\n")
    err = _bad(capsys, "--report", ALPINE, "--suppressions", bad)
    assert f"{bad}: not valid YAML at line" in err


def test_missing_suppression_file(tmp_path: Path, capsys):
    err = _bad(capsys, "--report", ALPINE, "--suppressions", tmp_path / "nope.yaml")
    assert f"{tmp_path / 'nope.yaml'}: cannot read" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "not a CISA KEV catalog"),
        ('{"vulnerabilities": [{"vendor": "x"}]}', "'cveID' is missing"),
        ("[1, 2]", "not a CISA KEV catalog"),
        ("{", "not valid JSON"),
    ],
)
def test_bad_kev_catalog(empty_suppressions: Path, tmp_path: Path, capsys, content, message):
    kev = tmp_path / "kev.json"
    kev.write_text(content)
    err = _bad(capsys, "--report", ALPINE, "--suppressions", empty_suppressions, "--kev", kev)
    assert f"{kev}: " in err and message in err


def test_every_bad_input_is_reported_at_once(tmp_path: Path, capsys):
    err = _bad(
        capsys, "--report", tmp_path / "a.json", "--report", tmp_path / "b.json",
        "--suppressions", tmp_path / "s.yaml",
    )  # fmt: skip
    assert err.count("scan-gate: error:") == 3


@pytest.mark.parametrize(
    "args",
    [
        ["--threshold", "SEVERE"],
        ["--today", "23/11/2026"],
        ["--max-suppression-days", "-1"],
        ["--no-such-option"],
    ],
)
def test_bad_option_is_a_usage_error(empty_suppressions: Path, capsys, args: list[str]):
    _bad(capsys, "--report", ALPINE, "--suppressions", empty_suppressions, *args)


def test_max_suppression_days_zero_is_refused_with_the_reason(empty_suppressions: Path, capsys):
    # GIVEN --max-suppression-days 0, which would reject every suppression entry
    # WHEN the gate starts THEN it is a usage error that says why and what to give
    err = _bad(
        capsys, "--report", ALPINE, "--suppressions", empty_suppressions,
        "--max-suppression-days", "0",
    )  # fmt: skip
    assert "argument --max-suppression-days: 0 would reject every suppression" in err
    assert "give 1 or more" in err


def test_missing_required_option_is_a_usage_error(capsys):
    err = _bad(capsys, "--report", ALPINE)
    assert "--suppressions" in err


def test_unwritable_output_is_bad_input(empty_suppressions: Path, tmp_path: Path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    err = _bad(
        capsys, "--report", ALPINE, "--suppressions", empty_suppressions,
        "--junit", blocker / "junit.xml",
    )  # fmt: skip
    assert f"{blocker / 'junit.xml'}: cannot write" in err


# --- shipped as a folder ------------------------------------------------------------------------


def test_runs_as_a_shipped_folder_with_a_stub_package(tmp_path: Path, empty_suppressions: Path):
    # GIVEN only the scan_gate folder and an empty container_delivery/__init__.py, as the
    # pipeline ships them to CodeBuild (no aws-cdk-lib import possible from there)
    root = tmp_path / "asset"
    shutil.copytree(PACKAGE_DIR, root / "container_delivery" / "scan_gate",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    (root / "container_delivery" / "__init__.py").write_text("")

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, *args], cwd=root, capture_output=True, text=True, check=False,
            timeout=60,
        )  # fmt: skip

    # (the copy, not this work tree, is what gets imported from there)
    where = python("-c", "import container_delivery.scan_gate as g; print(g.__file__)")
    assert where.stdout.strip() == str(root / "container_delivery" / "scan_gate" / "__init__.py")
    # WHEN run with python -m from that folder
    proc = python("-m", "container_delivery.scan_gate", "--report", str(DEBIAN),
                  "--suppressions", str(empty_suppressions), "--today", TODAY)  # fmt: skip
    # THEN it decides (exit 1: the CRITICAL finding blocks), without importing aws_cdk
    assert proc.returncode == 1, proc.stderr
    assert "BLOCKING CRITICAL CVE-2019-18224" in proc.stdout
    imported = python("-c", "import sys, container_delivery.scan_gate.cli; "
                      "print(sorted(m for m in sys.modules if m.split('.')[0] in "
                      "('aws_cdk', 'constructs', 'cdk_nag', 'boto3')))")  # fmt: skip
    assert imported.stdout.strip() == "[]", imported.stderr
