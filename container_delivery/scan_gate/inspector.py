"""Amazon Inspector CycloneDX 1.5 scan output (``inspector-scan scan-sbom``) -> findings.

The API returns ``{"sbom": {<CycloneDX document>}}``; a bare CycloneDX document (the ``sbom``
value saved on its own) is accepted too. There is no ``vulnerabilities`` key when nothing was
found. Per vulnerability:

- severity: the highest of its ``ratings[].severity``, leaving out EPSS ratings (an exploit
  probability whose severity is always ``none``). Inspector's own tools show one preferred
  provider (NVD first); the gate takes the highest so that a vendor rating the issue worse is not
  hidden. No usable rating gives UNKNOWN.
- one finding per affected component (``affects[].ref`` -> ``components[]``, nested ones too);
  the fixed version is the property ``amazon:inspector:sbom_scanner:fixed_version:<bom-ref>``.
- ``amazon:inspector:sbom_scanner:cisa_kev_date_added`` marks the finding as KEV.
"""

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from ._shape import ShapeError, as_object, optional_list, optional_str, required_str
from .model import Finding, Severity

PROPERTY_PREFIX = "amazon:inspector:sbom_scanner:"
KEV_PROPERTY = PROPERTY_PREFIX + "cisa_kev_date_added"
FIXED_VERSION_PROPERTY = PROPERTY_PREFIX + "fixed_version:"
PATH_PROPERTY = PROPERTY_PREFIX + "path"
_IGNORED_RATING_SOURCES = frozenset({"EPSS"})


def cyclonedx_root(doc: object) -> Mapping[str, Any] | None:
    """The CycloneDX document inside an Inspector result (or the document itself), else None."""
    if not isinstance(doc, Mapping):
        return None
    inner = doc.get("sbom")
    if isinstance(inner, Mapping) and inner.get("bomFormat") == "CycloneDX":
        return inner
    if doc.get("bomFormat") == "CycloneDX":
        return doc
    return None


def is_inspector(doc: object) -> bool:
    return cyclonedx_root(doc) is not None


def parse_inspector(doc: Mapping[str, Any], source: str = "") -> list[Finding]:
    """Findings of a decoded Inspector ``scan-sbom`` result (CycloneDX output format).

    :param doc: The result as decoded by ``json.load``.
    :param source: Label stored in each finding (usually the file path).
    :raises ShapeError: Not a CycloneDX document, or a value has the wrong type.
    """
    root = cyclonedx_root(doc)
    if root is None:
        raise ShapeError("not a CycloneDX document (no 'bomFormat': 'CycloneDX')")
    where_root = "sbom" if root is not doc else "document"
    components = {
        ref: component
        for component, where in _components(root, where_root)
        if (ref := optional_str(component, "bom-ref", where))
    }
    findings: list[Finding] = []
    for i, raw in enumerate(optional_list(root, "vulnerabilities", where_root)):
        where = f"{where_root}.vulnerabilities[{i}]"
        findings.extend(_findings(as_object(raw, where), where, components, source))
    return findings


def _components(parent: Mapping[str, Any], where: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    for i, raw in enumerate(optional_list(parent, "components", where)):
        cwhere = f"{where}.components[{i}]"
        component = as_object(raw, cwhere)
        yield component, cwhere
        yield from _components(component, cwhere)


def _properties(item: Mapping[str, Any], where: str) -> dict[str, str]:
    props: dict[str, str] = {}
    for i, raw in enumerate(optional_list(item, "properties", where)):
        pwhere = f"{where}.properties[{i}]"
        prop = as_object(raw, pwhere)
        name = optional_str(prop, "name", pwhere)
        value = optional_str(prop, "value", pwhere)
        if name and value:
            props[name] = value
    return props


def _severity(vuln: Mapping[str, Any], where: str) -> Severity:
    best: Severity | None = None
    for i, raw in enumerate(optional_list(vuln, "ratings", where)):
        rwhere = f"{where}.ratings[{i}]"
        rating = as_object(raw, rwhere)
        rating_source = rating.get("source")
        if (
            isinstance(rating_source, Mapping)
            and optional_str(rating_source, "name", rwhere) in _IGNORED_RATING_SOURCES
        ):
            continue
        severity = Severity.parse(optional_str(rating, "severity", rwhere) or "unknown")
        rank = severity.rank
        if rank is not None and (best is None or rank > (best.rank or 0)):
            best = severity
    return best if best is not None else Severity.UNKNOWN


def _version_from_purl(purl: str) -> str | None:
    base = purl.split("#", 1)[0].split("?", 1)[0]
    name_part = base.rsplit("/", 1)[-1]
    if "@" not in name_part:
        return None
    return unquote(name_part.rsplit("@", 1)[1]) or None


def _findings(
    vuln: Mapping[str, Any],
    where: str,
    components: Mapping[str, Mapping[str, Any]],
    source: str,
) -> Iterator[Finding]:
    vuln_id = required_str(vuln, "id", where)
    severity = _severity(vuln, where)
    props = _properties(vuln, where)
    description = optional_str(vuln, "description", where) or ""
    title = description.strip().splitlines()[0] if description.strip() else ""
    if len(title) > 120:
        title = title[:119] + "…"
    kev = KEV_PROPERTY in props
    refs = [
        required_str(as_object(raw, f"{where}.affects[{i}]"), "ref", f"{where}.affects[{i}]")
        for i, raw in enumerate(optional_list(vuln, "affects", where))
    ]
    if not refs:
        yield Finding(id=vuln_id, severity=severity, title=title, kev=kev, source=source)
        return
    for ref in refs:
        component = components.get(ref)
        if component is None:
            yield Finding(
                id=vuln_id, severity=severity, target=ref, title=title, kev=kev, source=source
            )
            continue
        cwhere = f"component {ref}"
        name = optional_str(component, "name", cwhere)
        purl = optional_str(component, "purl", cwhere)
        is_package = purl is not None or optional_str(component, "type", cwhere) != "file"
        version = optional_str(component, "version", cwhere) or (
            _version_from_purl(purl) if purl else None
        )
        path = _properties(component, cwhere).get(PATH_PROPERTY)
        yield Finding(
            id=vuln_id,
            severity=severity,
            package=name if is_package else None,
            installed_version=version,
            fixed_version=props.get(FIXED_VERSION_PROPERTY + ref),
            purl=purl,
            target=path or name or ref,
            title=title,
            kev=kev,
            source=source,
        )
