"""The scan gate's data: findings, suppressions, the policy and the decision.

Pure data, no I/O. Everything here is immutable so that a decision can be rendered several times
(Markdown, JUnit, JSON) from the same object.
"""

import datetime
import enum
from dataclasses import dataclass, field


class InputError(Exception):
    """A file the gate was given cannot be used; the message names the file and the problem.

    The command line turns it into exit code 2 and prints the message, never a traceback.
    """


class Severity(enum.Enum):
    """A finding's severity, normalised across scanners.

    ``INFO`` covers Inspector's ``info`` and a CVSS rating of ``none`` (explicitly rated without
    impact): it never reaches a threshold. ``UNKNOWN`` covers Trivy's ``UNKNOWN``, Inspector's
    ``unknown`` / ``untriaged`` and a finding without any usable rating; the policy decides what it
    counts as (``Policy.unknown_as``, HIGH unless configured), so it never passes silently.
    """

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFO = "INFO"
    UNKNOWN = "UNKNOWN"

    @property
    def rank(self) -> int | None:
        """Order of the known severities (INFO 0 ... CRITICAL 4); None for UNKNOWN."""
        return _RANK.get(self)

    @classmethod
    def parse(cls, text: str) -> "Severity":
        """Map a scanner's severity word to a Severity; anything unrecognised is UNKNOWN."""
        return _ALIASES.get(text.strip().lower(), cls.UNKNOWN)


_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}

_ALIASES = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "negligible": Severity.INFO,
    "none": Severity.INFO,
    "unknown": Severity.UNKNOWN,
    "untriaged": Severity.UNKNOWN,
}

#: Severities a threshold may name (INFO and UNKNOWN are not thresholds).
THRESHOLDS = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


@dataclass(frozen=True, slots=True)
class Finding:
    """One vulnerability (or image check) reported for one package of the image.

    :param id: The vulnerability id as the scanner reports it (``CVE-2024-12345``, ``GHSA-...``,
        ``IN-DOCKER-007-001``).
    :param severity: Normalised severity.
    :param package: Package name, or None when the finding is not about a package.
    :param installed_version: Version found in the image, or None.
    :param fixed_version: First version with a fix, or None when no fix is known.
    :param purl: Package URL, or None.
    :param target: Where it was found (Trivy result target, Inspector component path or name).
    :param title: Short human description.
    :param kev: The report itself marks it as in CISA's Known Exploited Vulnerabilities catalog.
    :param source: The report file (or label) the finding came from.
    """

    id: str
    severity: Severity
    package: str | None = None
    installed_version: str | None = None
    fixed_version: str | None = None
    purl: str | None = None
    target: str = ""
    title: str = ""
    kev: bool = False
    source: str = ""

    @property
    def has_fix(self) -> bool:
        """A fixed version of the package is known."""
        return bool(self.fixed_version)


@dataclass(frozen=True, slots=True)
class Suppression:
    """One entry of a suppression file, already validated.

    :param index: 1-based position in the file, used in every message about the entry.
    :param package: Package name or purl the entry is limited to; None for any package.
    :param repository: Image repository the entry is limited to; None for any repository.
    :param expires: Last day on which the entry suppresses (inclusive).
    """

    id: str
    reason: str
    owner: str
    expires: datetime.date
    package: str | None = None
    repository: str | None = None
    index: int = 0
    source: str = ""

    @property
    def label(self) -> str:
        """``entry 3 (CVE-2024-1)``: how messages name the entry."""
        return f"entry {self.index} ({self.id})"

    def is_active(self, today: datetime.date) -> bool:
        """The suppression still applies on ``today`` (up to and including ``expires``)."""
        return today <= self.expires


@dataclass(frozen=True, slots=True)
class Policy:
    """What blocks an image.

    :param threshold: Findings at or above it block. Default: - HIGH.
    :param fixed_only: Only findings with a known fix block on severity (KEV findings block
        regardless). Default: - False.
    :param kev_ids: Vulnerability ids from a CISA KEV catalog; such findings block at any
        severity unless suppressed. Default: - none.
    :param repository: The image repository the report is for, to apply suppressions limited to
        a repository. Default: - None, and repository-limited entries do not apply.
    :param unknown_as: The severity an UNKNOWN finding counts as. Default: - HIGH.
    :param expiring_within_days: Active entries expiring within this many days are reported as
        expiring soon. Default: - 14.
    """

    threshold: Severity = Severity.HIGH
    fixed_only: bool = False
    kev_ids: frozenset[str] = field(default_factory=frozenset)
    repository: str | None = None
    unknown_as: Severity = Severity.HIGH
    expiring_within_days: int = 14

    def __post_init__(self) -> None:
        problems = []
        if self.threshold not in THRESHOLDS:
            problems.append(f"threshold {self.threshold.value} must be one of LOW..CRITICAL")
        if self.unknown_as not in THRESHOLDS:
            problems.append(f"unknown_as {self.unknown_as.value} must be one of LOW..CRITICAL")
        if self.expiring_within_days < 0:
            problems.append(f"expiring_within_days {self.expiring_within_days} must be >= 0")
        if problems:
            raise ValueError("Policy: " + "; ".join(problems))

    def effective_rank(self, severity: Severity) -> int:
        """The rank a severity counts as under this policy (UNKNOWN counts as ``unknown_as``)."""
        if severity is Severity.UNKNOWN:
            return _RANK[self.unknown_as]
        return _RANK[severity]

    def is_kev(self, finding: Finding) -> bool:
        """The finding is a known exploited vulnerability (marked by the report or in ``kev_ids``)."""
        return finding.kev or finding.id.upper() in self.kev_ids

    def block_reasons(self, finding: Finding) -> tuple[str, ...]:
        """Why the finding blocks if nothing suppresses it; empty if the policy lets it through."""
        reasons = []
        if self.effective_rank(finding.severity) >= _RANK[self.threshold]:
            shown = finding.severity.value
            if finding.severity is Severity.UNKNOWN:
                shown = f"UNKNOWN (counted as {self.unknown_as.value})"
            if not self.fixed_only:
                reasons.append(f"severity {shown} is at or above {self.threshold.value}")
            elif finding.has_fix:
                reasons.append(
                    f"severity {shown} is at or above {self.threshold.value} "
                    f"and a fix exists ({finding.fixed_version})"
                )
        if self.is_kev(finding):
            reasons.append("listed in the CISA Known Exploited Vulnerabilities catalog")
        return tuple(reasons)


@dataclass(frozen=True, slots=True)
class FindingResult:
    """The decision about one finding.

    :param blocking_reasons: Why it blocks (or would block, if suppressed); empty if the policy
        lets it through.
    :param suppressed_by: The active entry that suppresses it, or None.
    :param expired_suppressions: Expired entries that match it (they no longer suppress).
    """

    finding: Finding
    blocking_reasons: tuple[str, ...] = ()
    suppressed_by: Suppression | None = None
    expired_suppressions: tuple[Suppression, ...] = ()

    @property
    def blocks(self) -> bool:
        """The finding fails the gate: the policy blocks it and no suppression applies."""
        return bool(self.blocking_reasons) and self.suppressed_by is None


@dataclass(frozen=True, slots=True)
class Decision:
    """The gate's verdict and everything needed to explain it.

    Lists are sorted by severity (most severe first, UNKNOWN where the policy counts it) then id.

    :param blocking: Findings that fail the gate.
    :param suppressed: Findings matched by an active suppression entry.
    :param allowed_count: Findings below the policy and not suppressed (not listed one by one).
    :param severity_counts: Findings per severity, over all findings read.
    :param expired: Entries past their expiry date (they no longer suppress).
    :param expiring_soon: Active entries expiring within ``policy.expiring_within_days``.
    :param unused: Active entries that matched no finding (candidates for removal).
    :param other_repository: Entries limited to another repository than ``policy.repository``
        (all repository-limited entries when it is None); they were not applied.
    """

    policy: Policy
    today: datetime.date
    total: int
    blocking: tuple[FindingResult, ...]
    suppressed: tuple[FindingResult, ...]
    allowed_count: int
    severity_counts: dict[Severity, int]
    expired: tuple[Suppression, ...]
    expiring_soon: tuple[Suppression, ...]
    unused: tuple[Suppression, ...]
    other_repository: tuple[Suppression, ...] = ()

    @property
    def passed(self) -> bool:
        """No finding blocks: the image may go on."""
        return not self.blocking

    @property
    def exit_code(self) -> int:
        """The command's exit status for this decision: 0 passed, 1 blocked."""
        return 0 if self.passed else 1
