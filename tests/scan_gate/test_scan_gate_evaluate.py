"""The decision: threshold, fix availability, KEV, and matching of suppression entries."""

import datetime
from pathlib import Path

import pytest

from container_delivery.scan_gate import (
    Finding,
    Policy,
    Severity,
    Suppression,
    evaluate,
    load_report,
    purl_key,
)

TODAY = datetime.date(2026, 11, 23)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "scan-reports"
ALPINE = FIXTURES / "trivy" / "alpine-310.json"
DEBIAN = FIXTURES / "trivy" / "debian-buster.json"
REASON = "Not reachable: the service never calls the affected function"


def entry(
    vuln_id: str,
    *,
    package: str | None = None,
    repository: str | None = None,
    expires: datetime.date = datetime.date(2026, 12, 31),
    index: int = 1,
) -> Suppression:
    return Suppression(
        id=vuln_id,
        reason=REASON,
        owner="team-payments",
        expires=expires,
        package=package,
        repository=repository,
        index=index,
        source="suppressions.yaml",
    )


def finding(vuln_id: str = "CVE-2024-1", severity: Severity = Severity.HIGH, **kw: object):
    return Finding(id=vuln_id, severity=severity, **kw)  # type: ignore[arg-type]


def ids(results) -> list[tuple[str, str | None]]:
    return [(r.finding.id, r.finding.package) for r in results]


# --- policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "blocked"),
    [
        (Severity.CRITICAL, ["CRITICAL"]),
        (Severity.HIGH, ["CRITICAL", "HIGH"]),
        (Severity.MEDIUM, ["CRITICAL", "HIGH", "MEDIUM"]),
        (Severity.LOW, ["CRITICAL", "HIGH", "MEDIUM", "LOW"]),
    ],
)
def test_findings_at_or_above_the_threshold_block(threshold: Severity, blocked: list[str]):
    findings = [finding(f"CVE-{s.value}", s) for s in Severity if s is not Severity.UNKNOWN]
    decision = evaluate(findings, [], Policy(threshold=threshold), TODAY)
    assert [r.finding.severity.value for r in decision.blocking] == blocked
    assert decision.allowed_count == len(findings) - len(blocked)
    assert decision.passed is False


def test_info_never_blocks():
    decision = evaluate(
        [finding(severity=Severity.INFO)], [], Policy(threshold=Severity.LOW), TODAY
    )
    assert decision.passed


def test_unknown_severity_counts_as_high_by_default():
    # GIVEN a finding the scanner could not rate
    unknown = finding(severity=Severity.UNKNOWN)
    # THEN it blocks at the default threshold, with the reason saying how it was counted
    decision = evaluate([unknown], [], Policy(), TODAY)
    assert decision.blocking[0].blocking_reasons == (
        "severity UNKNOWN (counted as HIGH) is at or above HIGH",
    )
    # but not when the threshold is above what it counts as
    assert evaluate([unknown], [], Policy(threshold=Severity.CRITICAL), TODAY).passed
    # and the team may count it as critical instead
    strict = Policy(threshold=Severity.CRITICAL, unknown_as=Severity.CRITICAL)
    assert not evaluate([unknown], [], strict, TODAY).passed


def test_fixed_only_lets_unfixable_findings_through():
    fixable = finding("CVE-1", Severity.CRITICAL, fixed_version="1.2.4")
    unfixable = finding("CVE-2", Severity.CRITICAL)
    decision = evaluate([fixable, unfixable], [], Policy(fixed_only=True), TODAY)
    assert ids(decision.blocking) == [("CVE-1", None)]
    assert "a fix exists (1.2.4)" in decision.blocking[0].blocking_reasons[0]
    assert decision.allowed_count == 1


def test_debian_fixture_blocks_on_its_critical_finding():
    # GIVEN the real debian report (one CRITICAL with a fix, one LOW without)
    findings = load_report(DEBIAN)
    critical = [f for f in findings if f.severity is Severity.CRITICAL]
    # WHEN evaluated with the default policy, THEN exactly the critical finding blocks
    decision = evaluate(findings, [], Policy(), TODAY)
    assert [r.finding for r in decision.blocking] == critical
    assert decision.exit_code == 1


def test_policy_rejects_a_threshold_that_is_not_a_level():
    with pytest.raises(ValueError, match=r"threshold UNKNOWN must be one of LOW\.\.CRITICAL"):
        Policy(threshold=Severity.UNKNOWN)


# --- KEV ------------------------------------------------------------------------------------


def test_kev_catalog_escalates_a_low_finding():
    low = finding("CVE-2019-1549", Severity.LOW)
    decision = evaluate([low], [], Policy(kev_ids=frozenset({"CVE-2019-1549"})), TODAY)
    assert decision.blocking[0].blocking_reasons == (
        "listed in the CISA Known Exploited Vulnerabilities catalog",
    )


def test_kev_flag_from_the_report_escalates_without_a_catalog():
    decision = evaluate([finding(severity=Severity.LOW, kev=True)], [], Policy(), TODAY)
    assert not decision.passed


def test_kev_blocks_even_without_a_fix_under_fixed_only():
    low = finding("CVE-9", Severity.MEDIUM, kev=True)
    assert not evaluate([low], [], Policy(fixed_only=True), TODAY).passed


def test_kev_finding_can_still_be_suppressed():
    kev = finding("CVE-9", Severity.LOW)
    policy = Policy(kev_ids=frozenset({"CVE-9"}))
    decision = evaluate([kev], [entry("CVE-9")], policy, TODAY)
    assert decision.passed
    assert decision.suppressed[0].blocking_reasons  # it would have blocked


def test_kev_escalation_on_a_fixture_finding():
    # GIVEN the alpine report (all MEDIUM: passes at HIGH) and a catalog naming one of its CVEs
    findings = load_report(ALPINE)
    assert evaluate(findings, [], Policy(), TODAY).passed
    kev_id = findings[0].id
    # WHEN evaluated with the catalog, THEN every finding with that id blocks
    decision = evaluate(findings, [], Policy(kev_ids=frozenset({kev_id})), TODAY)
    assert {r.finding.id for r in decision.blocking} == {kev_id}
    assert len(decision.blocking) == sum(f.id == kev_id for f in findings)


# --- suppression matching -------------------------------------------------------------------


def test_suppression_by_id_covers_every_package_with_that_id():
    findings = load_report(ALPINE)
    cve = "CVE-2019-1549"
    packages = {f.package for f in findings if f.id == cve}
    assert len(packages) == 2  # libcrypto1.1 and libssl1.1
    decision = evaluate(findings, [entry(cve)], Policy(threshold=Severity.MEDIUM), TODAY)
    assert {r.finding.package for r in decision.suppressed} == packages
    assert {r.finding.id for r in decision.blocking} == {"CVE-2019-1551"}


def test_suppression_by_id_and_package_name_covers_only_that_package():
    findings = load_report(ALPINE)
    policy = Policy(threshold=Severity.MEDIUM)
    decision = evaluate(findings, [entry("CVE-2019-1549", package="libssl1.1")], policy, TODAY)
    assert ids(decision.suppressed) == [("CVE-2019-1549", "libssl1.1")]
    assert ("CVE-2019-1549", "libcrypto1.1") in ids(decision.blocking)


def test_suppression_by_purl_without_version_matches_any_version():
    findings = load_report(ALPINE)
    policy = Policy(threshold=Severity.MEDIUM)
    decision = evaluate(
        findings, [entry("CVE-2019-1549", package="pkg:apk/alpine/libssl1.1")], policy, TODAY
    )
    assert ids(decision.suppressed) == [("CVE-2019-1549", "libssl1.1")]


def test_suppression_by_purl_with_version_matches_only_that_version():
    f = finding(package="libssl1.1", purl="pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64")
    same = entry("CVE-2024-1", package="pkg:apk/alpine/libssl1.1@1.1.1c-r0")
    other = entry("CVE-2024-1", package="pkg:apk/alpine/libssl1.1@1.1.1d-r0")
    assert evaluate([f], [same], Policy(), TODAY).passed
    assert not evaluate([f], [other], Policy(), TODAY).passed


def test_purl_comparison_decodes_and_ignores_qualifiers():
    assert purl_key("pkg:npm/%40babel/core@7.0.0?x=1#sub") == ("pkg:npm/@babel/core", "7.0.0")
    assert purl_key("pkg:npm/@babel/core") == ("pkg:npm/@babel/core", None)


def test_suppression_id_match_is_case_insensitive_and_package_must_match():
    f = finding("GHSA-jfh8-c2jp-5v3q", package="log4j-core")
    assert evaluate([f], [entry("ghsa-JFH8-c2jp-5v3q")], Policy(), TODAY).passed
    assert not evaluate(
        [f], [entry("GHSA-jfh8-c2jp-5v3q", package="other")], Policy(), TODAY
    ).passed


def test_package_limited_entry_does_not_match_a_finding_without_package():
    f = finding("IN-DOCKER-007-001", Severity.CRITICAL, target="dockerfile:Dockerfile")
    assert not evaluate([f], [entry("IN-DOCKER-007-001", package="x")], Policy(), TODAY).passed
    assert evaluate([f], [entry("IN-DOCKER-007-001")], Policy(), TODAY).passed


def test_suppression_records_its_reason_owner_and_expiry():
    s = entry("CVE-2024-1", index=4)
    decision = evaluate([finding()], [s], Policy(), TODAY)
    assert decision.suppressed[0].suppressed_by == s
    assert decision.passed


def test_expired_entry_no_longer_suppresses_and_is_named():
    # GIVEN an entry that expired yesterday
    old = entry("CVE-2024-1", expires=TODAY - datetime.timedelta(days=1), index=3)
    # WHEN the finding is evaluated today
    decision = evaluate([finding()], [old], Policy(), TODAY)
    # THEN it blocks, the result names the expired entry, and the decision lists it
    assert not decision.passed
    assert decision.blocking[0].expired_suppressions == (old,)
    assert decision.expired == (old,)


def test_entry_still_suppresses_on_its_expiry_day():
    s = entry("CVE-2024-1", expires=TODAY)
    decision = evaluate([finding()], [s], Policy(), TODAY)
    assert decision.passed
    assert decision.expiring_soon == (s,)


def test_entries_expiring_within_14_days_are_reported():
    soon = entry("CVE-1", expires=TODAY + datetime.timedelta(days=14), index=1)
    later = entry("CVE-2", expires=TODAY + datetime.timedelta(days=15), index=2)
    decision = evaluate([], [later, soon], Policy(), TODAY)
    assert decision.expiring_soon == (soon,)
    wider = evaluate([], [later, soon], Policy(expiring_within_days=30), TODAY)
    assert wider.expiring_soon == (soon, later)


def test_repository_limited_entry_applies_only_to_that_repository():
    s = entry("CVE-2024-1", repository="webapp")
    assert evaluate([finding()], [s], Policy(repository="webapp"), TODAY).passed
    other = evaluate([finding()], [s], Policy(repository="api"), TODAY)
    assert not other.passed
    assert other.other_repository == (s,)
    # without --repository the gate cannot know: a limited entry does not apply
    assert not evaluate([finding()], [s], Policy(), TODAY).passed


def test_unused_entries_are_reported():
    used, unused = entry("CVE-2024-1", index=1), entry("CVE-2099-1", index=2)
    decision = evaluate([finding()], [used, unused], Policy(), TODAY)
    assert decision.unused == (unused,)


def test_first_matching_entry_in_file_order_wins():
    first = entry("CVE-2024-1", package="a", index=1)
    second = entry("CVE-2024-1", index=2)
    decision = evaluate([finding(package="a")], [second, first], Policy(), TODAY)
    assert decision.suppressed[0].suppressed_by == first


def test_results_are_sorted_by_severity_then_id():
    findings = [
        finding("CVE-B", Severity.HIGH),
        finding("CVE-A", Severity.UNKNOWN),
        finding("CVE-C", Severity.CRITICAL),
        finding("CVE-A", Severity.HIGH),
    ]
    decision = evaluate(findings, [], Policy(), TODAY)
    assert [(r.finding.severity.value, r.finding.id) for r in decision.blocking] == [
        ("CRITICAL", "CVE-C"),
        ("HIGH", "CVE-A"),
        ("HIGH", "CVE-B"),
        ("UNKNOWN", "CVE-A"),
    ]


def test_severity_counts_cover_all_findings():
    findings = load_report(ALPINE) + load_report(DEBIAN)
    decision = evaluate(findings, [], Policy(), TODAY)
    assert sum(decision.severity_counts.values()) == decision.total == len(findings)
    assert decision.total == len(decision.blocking) + len(decision.suppressed) + (
        decision.allowed_count
    )
