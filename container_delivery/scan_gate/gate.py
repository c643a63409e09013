"""The decision: a pure function of findings, suppressions, policy and today's date."""

import datetime
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from .model import Decision, Finding, FindingResult, Policy, Severity, Suppression


def purl_key(purl: str) -> tuple[str, str | None]:
    """``(type/namespace/name, version or None)`` of a package URL, for comparison.

    Qualifiers (``?arch=...``) and subpath (``#...``) are left out; percent-encoding is decoded
    (``%40`` in npm scopes) and the name part is compared case-insensitively.
    """
    base = unquote(purl.strip().split("#", 1)[0].split("?", 1)[0])
    head, sep, last = base.rpartition("/")
    version = None
    if "@" in last:
        last, version = last.rsplit("@", 1)
    return (f"{head}{sep}{last}".casefold(), version or None)


@dataclass(frozen=True, slots=True)
class _Matcher:
    """A suppression prepared for fast comparison with findings of the same id."""

    suppression: Suppression
    name: str | None
    purl: tuple[str, str | None] | None

    @classmethod
    def of(cls, suppression: Suppression) -> "_Matcher":
        package = suppression.package
        if package is None:
            return cls(suppression, None, None)
        if package.startswith("pkg:"):
            return cls(suppression, None, purl_key(package))
        return cls(suppression, package.casefold(), None)

    def matches(self, finding: Finding, finding_purl: tuple[str, str | None] | None) -> bool:
        if self.name is not None:
            return finding.package is not None and finding.package.casefold() == self.name
        if self.purl is not None:
            if finding_purl is None or finding_purl[0] != self.purl[0]:
                return False
            return self.purl[1] is None or self.purl[1] == finding_purl[1]
        return True


def suppression_applies_to(suppression: Suppression, repository: str | None) -> bool:
    """An entry limited to a repository applies only when the gate runs for that repository."""
    return suppression.repository is None or suppression.repository == repository


def _index(matchers: Iterable[_Matcher]) -> dict[str, list[_Matcher]]:
    index: dict[str, list[_Matcher]] = {}
    for matcher in matchers:
        index.setdefault(matcher.suppression.id.upper(), []).append(matcher)
    return index


def _first_match(
    candidates: list[_Matcher] | None, finding: Finding, finding_purl: tuple[str, str | None] | None
) -> Suppression | None:
    """The first entry (in file order) among ``candidates`` that matches ``finding``."""
    for matcher in candidates or ():
        if matcher.matches(finding, finding_purl):
            return matcher.suppression
    return None


def _result_order(policy: Policy) -> Callable[[FindingResult], tuple[object, ...]]:
    """Sort key of results: most severe first (as the policy ranks UNKNOWN), then id."""

    def order(result: FindingResult) -> tuple[object, ...]:
        f = result.finding  # every field takes part, so that the order is total
        return (
            -policy.effective_rank(f.severity),
            f.severity is Severity.UNKNOWN,
            f.id,
            f.package or "",
            f.installed_version or "",
            f.target,
            f.source,
            f.fixed_version or "",
            f.purl or "",
            f.title,
            f.kev,
        )

    return order


def evaluate(
    findings: Iterable[Finding],
    suppressions: Iterable[Suppression],
    policy: Policy,
    today: datetime.date,
) -> Decision:
    """Decide whether an image may go on.

    A finding blocks when the policy says so (``Policy.block_reasons``: severity at or above the
    threshold, with a fix if ``fixed_only``; or listed in CISA KEV) and no active entry matches it.
    An entry matches when its id equals the finding's (case-insensitive), its ``package`` (if any)
    equals the package name or purl (a purl without version matches any version), and its
    ``repository`` (if any) equals ``policy.repository``. An entry is active through its
    ``expires`` day. The first matching active entry (in file order) is recorded.

    Runs in time linear in findings + suppressions (entries are indexed by id).
    """
    entries = sorted(suppressions, key=lambda s: (s.source, s.index))
    applicable = [s for s in entries if suppression_applies_to(s, policy.repository)]
    active = [s for s in applicable if s.is_active(today)]
    active_index = _index(_Matcher.of(s) for s in active)
    expired_index = _index(_Matcher.of(s) for s in applicable if not s.is_active(today))
    used: set[int] = set()

    blocking: list[FindingResult] = []
    suppressed: list[FindingResult] = []
    allowed = 0
    counts: Counter[Severity] = Counter()
    total = 0
    for finding in findings:
        total += 1
        counts[finding.severity] += 1
        key = finding.id.upper()
        candidates = active_index.get(key)
        expired_candidates = expired_index.get(key)
        finding_purl = None
        if finding.purl and (candidates or expired_candidates):
            finding_purl = purl_key(finding.purl)
        suppressed_by = _first_match(candidates, finding, finding_purl) if candidates else None
        reasons = policy.block_reasons(finding)
        if suppressed_by is not None:
            used.add(id(suppressed_by))
            suppressed.append(FindingResult(finding, reasons, suppressed_by))
        elif reasons:
            expired_matches: tuple[Suppression, ...] = ()
            if expired_candidates:
                expired_matches = tuple(
                    m.suppression for m in expired_candidates if m.matches(finding, finding_purl)
                )
            blocking.append(FindingResult(finding, reasons, None, expired_matches))
        else:
            allowed += 1

    order = _result_order(policy)
    horizon = today + datetime.timedelta(days=policy.expiring_within_days)
    by_expiry = sorted(applicable, key=lambda s: (s.expires, s.source, s.index))
    return Decision(
        policy=policy,
        today=today,
        total=total,
        blocking=tuple(sorted(blocking, key=order)),
        suppressed=tuple(sorted(suppressed, key=order)),
        allowed_count=allowed,
        severity_counts={s: counts[s] for s in Severity},
        expired=tuple(s for s in by_expiry if not s.is_active(today)),
        expiring_soon=tuple(s for s in by_expiry if s.is_active(today) and s.expires <= horizon),
        unused=tuple(s for s in active if id(s) not in used),
        other_repository=tuple(
            s for s in entries if not suppression_applies_to(s, policy.repository)
        ),
    )
