"""The short plain-text summary of a Decision for the build log."""

from ._wording import (
    blocking_note,
    days_left,
    entries_text,
    entry_text,
    package_text,
    policy_text,
    verdict,
)
from .model import Decision

CONSOLE_LIMIT = 50


def render_console(decision: Decision, limit: int = CONSOLE_LIMIT) -> str:
    """Short plain-text summary for the build log."""
    d = decision
    lines = [
        f"scan-gate: {verdict(d)}: {len(d.blocking)} blocking, {len(d.suppressed)} suppressed, "
        f"{d.allowed_count} allowed, {d.total} findings ({policy_text(d)})"
    ]
    for r in d.blocking[:limit]:
        f = r.finding
        fix = f" (fixed in {f.fixed_version})" if f.fixed_version else ""
        where = f" [{f.target}]" if f.target else ""
        lines.append(
            f"  BLOCKING {f.severity.value} {f.id} {package_text(f)}{fix}{where}: {blocking_note(r)}"
        )
    if len(d.blocking) > limit:
        lines.append(
            f"  ... and {len(d.blocking) - limit} more blocking findings "
            "(see the --summary, --junit or --json output)"
        )
    for s in d.expired:
        lines.append(
            f"  EXPIRED {entry_text(s)} expired on {s.expires.isoformat()} "
            f"(owner {s.owner}): it no longer suppresses"
        )
    for s in d.expiring_soon:
        lines.append(
            f"  EXPIRING {entry_text(s)} expires on {s.expires.isoformat()}, in "
            f"{days_left(d, s)} days (owner {s.owner})"
        )
    if d.other_repository and not d.policy.repository:
        lines.append(
            f"  NOTE {entries_text(len(d.other_repository))} limited to a repository and not "
            "applied: pass --repository NAME to apply them"
        )
    return "\n".join(lines) + "\n"
