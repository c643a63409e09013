"""Phrases every renderer of a Decision shares: verdict, policy, package and entry texts."""

from .model import Decision, Finding, FindingResult, Severity, Suppression

SEVERITY_ORDER = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
    Severity.UNKNOWN,
)


def verdict(decision: Decision) -> str:
    return "PASSED" if decision.passed else "FAILED"


def policy_text(decision: Decision) -> str:
    policy = decision.policy
    parts = [
        f"threshold {policy.threshold.value}",
        "only findings with a fix block" if policy.fixed_only else "with or without a fix",
        f"UNKNOWN counts as {policy.unknown_as.value}",
        f"KEV catalog: {len(policy.kev_ids)} ids" if policy.kev_ids else "no KEV catalog given",
        f"repository {policy.repository}" if policy.repository else "no repository given",
        f"today {decision.today.isoformat()}",
    ]
    return ", ".join(parts)


def package_text(finding: Finding) -> str:
    if finding.package is None:
        return "-"
    return (
        f"{finding.package} {finding.installed_version}".strip()
        if (finding.installed_version)
        else finding.package
    )


def entry_text(s: Suppression) -> str:
    where = f"{s.source} " if s.source else ""
    return f"{where}{s.label}"


def days_left(decision: Decision, s: Suppression) -> int:
    return (s.expires - decision.today).days


def entries_text(count: int) -> str:
    return f"{count} entry is" if count == 1 else f"{count} entries are"


def blocking_note(result: FindingResult) -> str:
    text = "; ".join(result.blocking_reasons)
    for s in result.expired_suppressions:
        text += f"; suppression {s.label} expired on {s.expires.isoformat()} (owner {s.owner})"
    return text
