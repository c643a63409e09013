"""Trivy JSON reports (``trivy image --format json``, SchemaVersion 2) -> findings.

Trivy leaves out empty ``Results``, ``Vulnerabilities`` and ``Secrets`` (Go ``omitempty``): a
missing key means none. Vulnerabilities and secret findings are read; misconfigurations are not
(an image scan does not produce them by default).
"""

from collections.abc import Mapping
from typing import Any

from ._shape import ShapeError, as_object, optional_list, optional_str, required_str
from .model import Finding, Severity

SUPPORTED_SCHEMA_VERSION = 2


def is_trivy(doc: object) -> bool:
    """True if the decoded JSON looks like a Trivy report (it has ``SchemaVersion``)."""
    return isinstance(doc, Mapping) and "SchemaVersion" in doc


def parse_trivy(doc: Mapping[str, Any], source: str = "") -> list[Finding]:
    """Findings of a decoded Trivy report.

    :param doc: The report as decoded by ``json.load``.
    :param source: Label stored in each finding (usually the file path).
    :raises ShapeError: The document is not a SchemaVersion 2 report or a value has the wrong type.
    """
    version = doc.get("SchemaVersion")
    if version != SUPPORTED_SCHEMA_VERSION:
        raise ShapeError(
            f"Trivy SchemaVersion {version!r} is not supported "
            f"(need {SUPPORTED_SCHEMA_VERSION}: any Trivy since 0.20 with --format json)"
        )
    findings: list[Finding] = []
    for r, raw_result in enumerate(optional_list(doc, "Results", "report")):
        where = f"Results[{r}]"
        result = as_object(raw_result, where)
        target = optional_str(result, "Target", where) or ""
        for v, raw_vuln in enumerate(optional_list(result, "Vulnerabilities", where)):
            vwhere = f"{where}.Vulnerabilities[{v}]"
            findings.append(_vulnerability(as_object(raw_vuln, vwhere), vwhere, target, source))
        for s, raw_secret in enumerate(optional_list(result, "Secrets", where)):
            swhere = f"{where}.Secrets[{s}]"
            findings.append(_secret(as_object(raw_secret, swhere), swhere, target, source))
    return findings


def _vulnerability(vuln: Mapping[str, Any], where: str, target: str, source: str) -> Finding:
    purl = None
    identifier = vuln.get("PkgIdentifier")
    if identifier is not None:
        purl = optional_str(as_object(identifier, f"{where}.PkgIdentifier"), "PURL", where)
    return Finding(
        id=required_str(vuln, "VulnerabilityID", where),
        severity=Severity.parse(optional_str(vuln, "Severity", where) or "UNKNOWN"),
        package=optional_str(vuln, "PkgName", where),
        installed_version=optional_str(vuln, "InstalledVersion", where),
        fixed_version=optional_str(vuln, "FixedVersion", where),
        purl=purl,
        target=target,
        title=optional_str(vuln, "Title", where) or _first_line(vuln.get("Description")),
        source=source,
    )


def _secret(secret: Mapping[str, Any], where: str, target: str, source: str) -> Finding:
    line = optional_str(secret, "StartLine", where)
    return Finding(
        id=required_str(secret, "RuleID", where),
        severity=Severity.parse(optional_str(secret, "Severity", where) or "UNKNOWN"),
        target=f"{target}:{line}" if line else target,
        title=optional_str(secret, "Title", where) or "secret",
        source=source,
    )


def _first_line(text: object, limit: int = 120) -> str:
    if not isinstance(text, str):
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
