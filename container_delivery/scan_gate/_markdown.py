"""The Markdown summary of a Decision: one section builder per part of the report."""

from collections.abc import Iterable

from ._wording import (
    SEVERITY_ORDER,
    blocking_note,
    days_left,
    entries_text,
    entry_text,
    package_text,
    policy_text,
    verdict,
)
from .model import Decision


def _cell(value: object) -> str:
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;") or "-"


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines


def _overview(d: Decision) -> list[str]:
    return [
        f"# Scan gate: {verdict(d)}",
        "",
        f"Policy: {policy_text(d)}.",
        "",
        f"**{len(d.blocking)} blocking**, {len(d.suppressed)} suppressed, "
        f"{d.allowed_count} allowed by the policy, {d.total} findings in total.",
        "",
        *_table(
            [*(s.value for s in SEVERITY_ORDER), "total"],
            [[*(d.severity_counts.get(s, 0) for s in SEVERITY_ORDER), d.total]],
        ),
    ]


def _blocking(d: Decision) -> list[str]:
    if not d.blocking:
        return []
    return [
        "",
        f"## Blocking findings ({len(d.blocking)})",
        "",
        *_table(
            ["Severity", "ID", "Title", "Package", "Fixed in", "Target", "Why it blocks"],
            (
                [
                    r.finding.severity.value,
                    r.finding.id,
                    r.finding.title,
                    package_text(r.finding),
                    r.finding.fixed_version or "no fix yet",
                    r.finding.target,
                    blocking_note(r),
                ]
                for r in d.blocking
            ),
        ),
    ]


def _suppressed(d: Decision) -> list[str]:
    if not d.suppressed:
        return []
    return [
        "",
        f"## Suppressed findings ({len(d.suppressed)})",
        "",
        *_table(
            ["Severity", "ID", "Package", "Entry", "Reason", "Owner", "Expires"],
            (
                [
                    r.finding.severity.value,
                    r.finding.id,
                    package_text(r.finding),
                    entry_text(r.suppressed_by),
                    r.suppressed_by.reason,
                    r.suppressed_by.owner,
                    r.suppressed_by.expires.isoformat(),
                ]
                for r in d.suppressed
                if r.suppressed_by is not None
            ),
        ),
    ]


def _expired(d: Decision) -> list[str]:
    if not d.expired:
        return []
    return [
        "",
        f"## Expired suppressions ({len(d.expired)})",
        "",
        "These entries no longer suppress anything: fix the finding, or renew the entry with "
        "a new expiry and an up-to-date reason, or remove it.",
        "",
        *_table(
            ["Entry", "Package", "Repository", "Owner", "Expired on", "Reason"],
            (
                [
                    entry_text(s),
                    s.package or "any",
                    s.repository or "any",
                    s.owner,
                    s.expires.isoformat(),
                    s.reason,
                ]
                for s in d.expired
            ),
        ),
    ]


def _expiring_soon(d: Decision) -> list[str]:
    if not d.expiring_soon:
        return []
    days = d.policy.expiring_within_days
    return [
        "",
        f"## Suppressions expiring within {days} days ({len(d.expiring_soon)})",
        "",
        *_table(
            ["Entry", "Package", "Owner", "Expires", "Days left", "Reason"],
            (
                [
                    entry_text(s),
                    s.package or "any",
                    s.owner,
                    s.expires.isoformat(),
                    days_left(d, s),
                    s.reason,
                ]
                for s in d.expiring_soon
            ),
        ),
    ]


def _unused(d: Decision) -> list[str]:
    if not d.unused:
        return []
    return [
        "",
        f"## Unused suppressions ({len(d.unused)})",
        "",
        "These active entries matched no finding in this run; remove them if the finding is "
        "gone for good.",
        "",
        *_table(
            ["Entry", "Package", "Owner", "Expires"],
            ([entry_text(s), s.package or "any", s.owner, s.expires.isoformat()] for s in d.unused),
        ),
    ]


def _other_repository(d: Decision) -> list[str]:
    if not d.other_repository:
        return []
    names = sorted({s.repository or "" for s in d.other_repository})
    return [
        "",
        f"{entries_text(len(d.other_repository))} limited to other repositories "
        f"({', '.join(names)}) and were not applied"
        + ("." if d.policy.repository else "; pass --repository to apply them."),
    ]


_SECTIONS = (
    _overview,
    _blocking,
    _suppressed,
    _expired,
    _expiring_soon,
    _unused,
    _other_repository,
)


def render_markdown(decision: Decision) -> str:
    """Human summary: verdict, counts, blocking and suppressed findings, expiring entries."""
    out = [line for section in _SECTIONS for line in section(decision)]
    return "\n".join(out) + "\n"
