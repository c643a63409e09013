"""Reading Trivy and Inspector reports: every shared fixture, and malformed reports."""

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from container_delivery.scan_gate import (
    InputError,
    Severity,
    detect_format,
    load_report,
    parse_report,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scan-reports"
TRIVY_REPORTS = sorted((FIXTURES / "trivy").glob("*.json"))
INSPECTOR_REPORTS = sorted((FIXTURES / "inspector").glob("*.json"))
INSPECTOR_COUNT_PREFIX = "amazon:inspector:sbom_scanner:"


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _trivy_vulnerabilities(path: Path) -> list[dict[str, Any]]:
    """The vulnerability objects of a Trivy report, found without the gate's parser."""
    return [obj for obj in _walk(json.loads(path.read_text())) if "VulnerabilityID" in obj]


def _inspector_counts(path: Path) -> dict[str, int]:
    """Inspector's own counts per severity, from the report's metadata properties."""
    doc = json.loads(path.read_text())
    counts = {}
    for prop in doc["sbom"]["metadata"]["properties"]:
        name = prop["name"].removeprefix(INSPECTOR_COUNT_PREFIX)
        if name.endswith("_vulnerabilities"):
            counts[name.removesuffix("_vulnerabilities")] = int(prop["value"])
    return counts


def test_every_shared_fixture_is_covered():
    # GIVEN the copied fixtures, THEN both formats are present (a lost copy would skip tests)
    assert len(TRIVY_REPORTS) == len(list((FIXTURES / "trivy").iterdir())) >= 4
    assert len(INSPECTOR_REPORTS) >= 2


@pytest.mark.parametrize("path", TRIVY_REPORTS, ids=lambda p: p.name)
def test_trivy_fixture_counts_per_severity_match_the_file(path: Path):
    # GIVEN a real Trivy report, WHEN it is read
    findings = load_report(path)
    # THEN there is one finding per vulnerability entry, with the file's severity
    expected = Counter(v["Severity"] for v in _trivy_vulnerabilities(path))
    assert Counter(f.severity.value for f in findings) == expected
    assert detect_format(json.loads(path.read_text())) == "trivy"


@pytest.mark.parametrize("path", TRIVY_REPORTS, ids=lambda p: p.name)
def test_trivy_fixture_fields_are_read(path: Path):
    # GIVEN a real Trivy report, WHEN it is read
    findings = load_report(path)
    # THEN id, package, versions and purl come from each entry; an absent FixedVersion is None
    expected = [
        (
            v["VulnerabilityID"],
            v["PkgName"],
            v["InstalledVersion"],
            v.get("FixedVersion") or None,
            v["PkgIdentifier"]["PURL"],
        )
        for v in _trivy_vulnerabilities(path)
    ]
    got = [(f.id, f.package, f.installed_version, f.fixed_version, f.purl) for f in findings]
    assert got == expected
    assert all(f.source == str(path) and f.target for f in findings)


@pytest.mark.parametrize("path", INSPECTOR_REPORTS, ids=lambda p: p.name)
def test_inspector_fixture_counts_match_inspectors_own_metadata(path: Path):
    # GIVEN a real Inspector scan-sbom result with its own counts in the metadata
    expected = _inspector_counts(path)
    # WHEN it is read
    findings = load_report(path)
    counts = Counter(f.severity for f in findings)
    # THEN the gate counts the same per severity ("other" is info and unrated findings)
    for name in ("critical", "high", "medium", "low"):
        assert counts[Severity(name.upper())] == expected[name], name
    assert counts[Severity.INFO] + counts[Severity.UNKNOWN] == expected.get("other", 0)
    assert detect_format(json.loads(path.read_text())) == "inspector"


def test_inspector_without_vulnerabilities_key_has_no_findings():
    # GIVEN Inspector's output for a clean image (no 'vulnerabilities' key at all)
    path = FIXTURES / "inspector" / "inspector-scan-cdx-no-vulns.json"
    assert "vulnerabilities" not in json.loads(path.read_text())["sbom"]
    # THEN there are no findings, and no error
    assert load_report(path) == []


def test_inspector_dockerfile_findings_point_at_the_dockerfile():
    path = FIXTURES / "inspector" / "inspector-scan-cdx-dockerfile-only.json"
    doc = json.loads(path.read_text())
    findings = load_report(path)
    assert sorted(f.id for f in findings) == sorted(v["id"] for v in doc["sbom"]["vulnerabilities"])
    # a Dockerfile check is not about a package
    assert {(f.package, f.target) for f in findings} == {(None, "dockerfile:Dockerfile")}


def _inspector_package_report(**vuln_extra: Any) -> dict[str, Any]:
    """The shape of Inspector's documented CycloneDX output for a package vulnerability."""
    vuln: dict[str, Any] = {
        "bom-ref": "vuln-1",
        "id": "CVE-2021-44228",
        "ratings": [
            {"source": {"name": "NVD"}, "severity": "critical", "method": "CVSSv31"},
            {"source": {"name": "EPSS"}, "severity": "none", "method": "other", "score": 0.97},
        ],
        "description": "Apache Log4j2 JNDI features ...\nmore text",
        "affects": [{"ref": "comp-1"}],
        "properties": [
            {"name": "amazon:inspector:sbom_scanner:cisa_kev_date_added", "value": "2021-12-10"},
            {"name": "amazon:inspector:sbom_scanner:fixed_version:comp-1", "value": "2.15.0"},
        ],
    }
    vuln.update(vuln_extra)
    return {
        "sbom": {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [
                {
                    "bom-ref": "comp-1",
                    "type": "library",
                    "name": "log4j-core",
                    "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1",
                    "properties": [
                        {"name": "amazon:inspector:sbom_scanner:path", "value": "/app/foo.jar"}
                    ],
                }
            ],
            "vulnerabilities": [vuln],
        }
    }


def test_inspector_package_finding_has_package_fix_and_kev_flag():
    # GIVEN a package vulnerability as Inspector documents it (KEV date, fixed version property)
    [finding] = parse_report(_inspector_package_report(), "scan.json")
    # THEN the finding carries the component, the fix for that component and the KEV flag
    assert finding.id == "CVE-2021-44228"
    assert finding.severity is Severity.CRITICAL
    assert finding.package == "log4j-core"
    assert finding.installed_version == "2.12.1"
    assert finding.fixed_version == "2.15.0"
    assert finding.purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1"
    assert finding.target == "/app/foo.jar"
    assert finding.title == "Apache Log4j2 JNDI features ..."
    assert finding.kev is True


def test_inspector_severity_is_the_highest_rating_ignoring_epss():
    ratings = [
        {"source": {"name": "EPSS"}, "severity": "none"},
        {"source": {"name": "NVD"}, "severity": "medium"},
        {"source": {"name": "GITHUB"}, "severity": "high"},
    ]
    [finding] = parse_report(_inspector_package_report(ratings=ratings))
    assert finding.severity is Severity.HIGH


@pytest.mark.parametrize(
    "ratings",
    [
        [],
        [{"source": {"name": "EPSS"}, "severity": "none"}],
        [{"source": {"name": "NVD"}, "severity": "untriaged"}],
        [{"source": {"name": "NVD"}, "severity": "unknown"}],
    ],
    ids=["no-ratings", "epss-only", "untriaged", "unknown"],
)
def test_inspector_without_a_usable_rating_is_unknown(ratings: list[dict[str, Any]]):
    [finding] = parse_report(_inspector_package_report(ratings=ratings))
    assert finding.severity is Severity.UNKNOWN


def test_inspector_bare_cyclonedx_document_is_accepted():
    # GIVEN only the 'sbom' value, saved on its own
    doc = _inspector_package_report()["sbom"]
    assert detect_format(doc) == "inspector"
    assert [f.id for f in parse_report(doc)] == ["CVE-2021-44228"]


def test_trivy_missing_results_means_no_findings():
    # Trivy omits empty Results (omitempty)
    assert parse_report({"SchemaVersion": 2, "ArtifactName": "x"}) == []
    assert parse_report({"SchemaVersion": 2, "Results": [{"Target": "t"}]}) == []


def test_trivy_unknown_or_missing_severity_is_unknown():
    doc = {
        "SchemaVersion": 2,
        "Results": [
            {
                "Target": "t",
                "Vulnerabilities": [
                    {"VulnerabilityID": "CVE-1", "PkgName": "a", "Severity": "UNKNOWN"},
                    {"VulnerabilityID": "CVE-2", "PkgName": "b"},
                ],
            }
        ],
    }
    assert [f.severity for f in parse_report(doc)] == [Severity.UNKNOWN, Severity.UNKNOWN]


def test_trivy_secrets_are_findings():
    doc = {
        "SchemaVersion": 2,
        "Results": [
            {
                "Target": "/app/.env",
                "Class": "secret",
                "Secrets": [
                    {
                        "RuleID": "aws-access-key-id",
                        "Severity": "CRITICAL",
                        "Title": "AWS Access Key ID",
                        "StartLine": 3,
                    }
                ],
            }
        ],
    }
    [finding] = parse_report(doc)
    assert (finding.id, finding.severity, finding.package, finding.target) == (
        "aws-access-key-id",
        Severity.CRITICAL,
        None,
        "/app/.env:3",
    )


# --- bad input ------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_missing_report_names_the_file(tmp_path: Path):
    path = tmp_path / "nope.json"
    with pytest.raises(InputError, match=r"nope\.json: cannot read: No such file"):
        load_report(path)


def test_invalid_json_names_the_file_and_position(tmp_path: Path):
    path = _write(tmp_path, "broken.json", '{"SchemaVersion": 2,\n  "Results": [}')
    with pytest.raises(InputError, match=r"broken\.json: not valid JSON: .* at line 2 column"):
        load_report(path)


def test_binary_report_is_not_utf8(tmp_path: Path):
    path = _write(tmp_path, "image.tar", b"\x1f\x8b\x08\x00\xff\xfe")
    with pytest.raises(InputError, match=r"image\.tar: not UTF-8 text"):
        load_report(path)


@pytest.mark.parametrize(
    "content",
    ['{"foo": 1}', "[]", '"text"', '{"bomFormat": "SPDX"}', '{"sbom": {"spdxVersion": "2.3"}}'],
)
def test_unknown_format_is_rejected(tmp_path: Path, content: str):
    path = _write(tmp_path, "other.json", content)
    with pytest.raises(InputError, match=r"other\.json: unknown report format: expected Trivy"):
        load_report(path)


def test_trivy_schema_version_1_is_rejected(tmp_path: Path):
    path = _write(tmp_path, "old.json", '{"SchemaVersion": 1, "Results": []}')
    with pytest.raises(InputError, match=r"old\.json: .*Trivy SchemaVersion 1 is not supported"):
        load_report(path)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"SchemaVersion": 2, "Results": {"Target": "x"}}, r"report\.Results should be a list"),
        (
            {"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"PkgName": "a"}]}]},
            r"Results\[0\]\.Vulnerabilities\[0\]: 'VulnerabilityID' is missing",
        ),
        (
            {"SchemaVersion": 2, "Results": [{"Vulnerabilities": ["CVE-1"]}]},
            r"Results\[0\]\.Vulnerabilities\[0\] should be an object, found a string",
        ),
        (
            {"sbom": {"bomFormat": "CycloneDX", "vulnerabilities": [{"ratings": []}]}},
            r"sbom\.vulnerabilities\[0\]: 'id' is missing",
        ),
        (
            {"sbom": {"bomFormat": "CycloneDX", "vulnerabilities": {"id": "CVE-1"}}},
            r"sbom\.vulnerabilities should be a list",
        ),
    ],
)
def test_malformed_report_names_the_file_and_the_place(
    tmp_path: Path, doc: dict[str, Any], message: str
):
    path = _write(tmp_path, "bad.json", json.dumps(doc))
    with pytest.raises(InputError, match=r"bad\.json: not a valid (Trivy|Amazon Inspector) report"):
        load_report(path)
    with pytest.raises(InputError, match=message):
        load_report(path)
