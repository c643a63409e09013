"""Property-based tests: the gate never lets a non-suppressed finding at or above the threshold
(or in KEV) through, whatever the findings, entries and policy."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from container_delivery.scan_gate import (
    Finding,
    InputError,
    Policy,
    Severity,
    Suppression,
    evaluate,
    parse_report,
    parse_suppressions,
)
from container_delivery.scan_gate.model import THRESHOLDS

TODAY = datetime.date(2026, 11, 23)
IDS = ["CVE-2024-1", "CVE-2024-2", "cve-2024-2", "GHSA-abcd-efgh-ijkl", "IN-DOCKER-001"]
PACKAGES = ["libssl", "LibSSL", "bash", "@scope/pkg"]
REPOSITORIES = ["webapp", "api"]
RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}
RANK[Severity.CRITICAL] = 4


def _purl(name: str, version: str) -> str:
    return f"pkg:generic/{name.replace('@', '%40')}@{version}?arch=x86_64"


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    package = draw(st.none() | st.sampled_from(PACKAGES))
    version = draw(st.sampled_from(["1.0", "2.0"]))
    return Finding(
        id=draw(st.sampled_from(IDS)),
        severity=draw(st.sampled_from(list(Severity))),
        package=package,
        installed_version=version if package else None,
        fixed_version=draw(st.none() | st.just("9.9")),
        purl=_purl(package, version) if package and draw(st.booleans()) else None,
        kev=draw(st.booleans()),
    )


@st.composite
def suppressions(draw: st.DrawFn) -> Suppression:
    kind = draw(st.sampled_from(["none", "name", "purl", "purl-version"]))
    name = draw(st.sampled_from(PACKAGES))
    package = {
        "none": None,
        "name": name,
        "purl": f"pkg:generic/{name}",
        "purl-version": f"pkg:generic/{name}@{draw(st.sampled_from(['1.0', '2.0']))}",
    }[kind]
    return Suppression(
        id=draw(st.sampled_from(IDS)),
        reason="Not reachable from any request handler",
        owner="team",
        expires=TODAY + datetime.timedelta(days=draw(st.integers(-30, 90))),
        package=package,
        repository=draw(st.none() | st.sampled_from(REPOSITORIES)),
        index=draw(st.integers(1, 1000)),
    )


policies = st.builds(
    Policy,
    threshold=st.sampled_from(THRESHOLDS),
    fixed_only=st.booleans(),
    kev_ids=st.frozensets(st.sampled_from([i.upper() for i in IDS])),
    repository=st.none() | st.sampled_from(REPOSITORIES),
    unknown_as=st.sampled_from(THRESHOLDS),
)


def _naive_suppressed(f: Finding, entries: list[Suppression], policy: Policy) -> bool:
    """Reference matching, written independently and quadratically."""
    for s in entries:
        if s.expires < TODAY or s.id.lower() != f.id.lower():
            continue
        if s.repository is not None and s.repository != policy.repository:
            continue
        if s.package is None:
            return True
        if not s.package.startswith("pkg:"):
            if f.package is not None and f.package.lower() == s.package.lower():
                return True
            continue
        if f.purl is None:
            continue
        base = f.purl.split("?")[0].replace("%40", "@")
        name, _, version = base.rpartition("@")
        wanted_name, _, wanted_version = s.package.rpartition("@")
        if "@" not in s.package.rsplit("/", 1)[-1]:
            wanted_name, wanted_version = s.package, ""
        if name.lower() == wanted_name.lower() and wanted_version in ("", version):
            return True
    return False


def _must_block(f: Finding, policy: Policy) -> bool:
    severity = policy.unknown_as if f.severity is Severity.UNKNOWN else f.severity
    at_threshold = RANK[severity] >= RANK[policy.threshold]
    if policy.fixed_only:
        at_threshold = at_threshold and f.fixed_version is not None
    return at_threshold or f.kev or f.id.upper() in policy.kev_ids


@settings(max_examples=200, deadline=None)
@given(
    st.lists(findings(), max_size=30),
    st.lists(suppressions(), max_size=10),
    policies,
)
def test_never_passes_a_non_suppressed_finding_at_or_above_the_threshold(
    found: list[Finding], entries: list[Suppression], policy: Policy
):
    decision = evaluate(found, entries, policy, TODAY)
    blocking = [r.finding for r in decision.blocking]
    for f in found:
        if _must_block(f, policy) and not _naive_suppressed(f, entries, policy):
            assert f in blocking, f
    # and the verdict follows: any such finding fails the gate
    if any(_must_block(f, policy) and not _naive_suppressed(f, entries, policy) for f in found):
        assert not decision.passed
        assert decision.exit_code == 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(findings(), max_size=30),
    st.lists(suppressions(), max_size=10),
    policies,
)
def test_every_finding_is_blocking_suppressed_or_allowed_exactly_once(
    found: list[Finding], entries: list[Suppression], policy: Policy
):
    decision = evaluate(found, entries, policy, TODAY)
    assert len(decision.blocking) + len(decision.suppressed) + decision.allowed_count == len(found)
    # nothing blocks that the policy would let through, and only active entries suppress
    for r in decision.blocking:
        assert _must_block(r.finding, policy)
        assert not _naive_suppressed(r.finding, entries, policy)
    for r in decision.suppressed:
        assert r.suppressed_by is not None
        assert r.suppressed_by.is_active(TODAY)
        assert _naive_suppressed(r.finding, entries, policy)


@settings(max_examples=100, deadline=None)
@given(st.lists(findings(), max_size=30), st.lists(suppressions(), max_size=10), policies)
def test_decision_does_not_depend_on_input_order(
    found: list[Finding], entries: list[Suppression], policy: Policy
):
    forward = evaluate(found, entries, policy, TODAY)
    backward = evaluate(list(reversed(found)), list(reversed(entries)), policy, TODAY)
    assert [r.finding for r in forward.blocking] == [r.finding for r in backward.blocking]
    assert forward.passed == backward.passed


# --- bad input never escapes as anything but InputError -----------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
TRIVY_KEYS = ["Results", "Target", "Vulnerabilities", "Secrets", "VulnerabilityID", "PkgName",
              "Severity", "FixedVersion", "PkgIdentifier", "PURL", "RuleID", "Title"]  # fmt: skip
INSPECTOR_KEYS = ["components", "vulnerabilities", "bom-ref", "id", "ratings", "severity",
                  "source", "name", "affects", "ref", "properties", "value", "purl"]  # fmt: skip


def _shaped(keys: list[str]) -> st.SearchStrategy[object]:
    return st.recursive(
        json_values,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(keys), children, max_size=4)
        ),
        max_leaves=25,
    )


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.builds(lambda body: {"SchemaVersion": 2, **body},
              st.dictionaries(st.sampled_from(TRIVY_KEYS), _shaped(TRIVY_KEYS), max_size=3)),
    st.builds(lambda body: {"sbom": {"bomFormat": "CycloneDX", **body}},
              st.dictionaries(st.sampled_from(INSPECTOR_KEYS), _shaped(INSPECTOR_KEYS),
                              max_size=3)),
    json_values,
))  # fmt: skip
def test_any_report_content_gives_findings_or_an_input_error(doc: object):
    message = "fuzz.json: "
    try:
        found = parse_report(doc, "fuzz.json")
    except InputError as error:
        message = str(error)
    else:
        assert all(isinstance(item, Finding) for item in found)
    assert message.startswith("fuzz.json: ")


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.just("suppressions"),
        st.lists(
            st.dictionaries(
                st.sampled_from(["id", "reason", "owner", "expires", "package", "repository"]),
                json_values | st.dates(),
            ),
            max_size=4,
        )
        | json_values,
    )
    | json_values
)
def test_any_suppression_content_gives_entries_or_an_input_error(data: object):
    message = "s.yaml: "
    try:
        entries = parse_suppressions(data, "s.yaml", today=TODAY)
    except InputError as error:
        message = str(error)
    else:
        assert all(isinstance(item, Suppression) for item in entries)
    assert message.startswith("s.yaml: ")
