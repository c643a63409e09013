"""The machine-readable result of a Decision (the ``--json`` output file)."""

import json
from typing import Any

from ._wording import SEVERITY_ORDER, days_left
from .model import Decision, Finding, Suppression

JSON_SCHEMA_VERSION = 1


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "severity": finding.severity.value,
        "package": finding.package,
        "installed_version": finding.installed_version,
        "fixed_version": finding.fixed_version,
        "purl": finding.purl,
        "target": finding.target,
        "title": finding.title,
        "kev": finding.kev,
        "report": finding.source,
    }


def suppression_dict(s: Suppression, decision: Decision | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file": s.source,
        "entry": s.index,
        "id": s.id,
        "package": s.package,
        "repository": s.repository,
        "owner": s.owner,
        "expires": s.expires.isoformat(),
        "reason": s.reason,
    }
    if decision is not None:
        data["days_left"] = days_left(decision, s)
    return data


def decision_dict(decision: Decision) -> dict[str, Any]:
    """The machine-readable result (``schema_version`` 1)."""
    d = decision
    p = d.policy
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "passed": d.passed,
        "exit_code": d.exit_code,
        "today": d.today.isoformat(),
        "policy": {
            "threshold": p.threshold.value,
            "fixed_only": p.fixed_only,
            "unknown_as": p.unknown_as.value,
            "kev_catalog_size": len(p.kev_ids),
            "repository": p.repository,
            "expiring_within_days": p.expiring_within_days,
        },
        "counts": {
            "total": d.total,
            "blocking": len(d.blocking),
            "suppressed": len(d.suppressed),
            "allowed": d.allowed_count,
            "by_severity": {s.value: d.severity_counts.get(s, 0) for s in SEVERITY_ORDER},
        },
        "blocking": [
            {
                **finding_dict(r.finding),
                "reasons": list(r.blocking_reasons),
                "expired_suppressions": [suppression_dict(s) for s in r.expired_suppressions],
            }
            for r in d.blocking
        ],
        "suppressed": [
            {
                **finding_dict(r.finding),
                "would_block": bool(r.blocking_reasons),
                "suppression": suppression_dict(r.suppressed_by),
            }
            for r in d.suppressed
            if r.suppressed_by is not None
        ],
        "expired_suppressions": [suppression_dict(s, d) for s in d.expired],
        "expiring_soon": [suppression_dict(s, d) for s in d.expiring_soon],
        "unused_suppressions": [suppression_dict(s, d) for s in d.unused],
        "other_repository_suppressions": [suppression_dict(s, d) for s in d.other_repository],
    }


def render_json(decision: Decision) -> str:
    """The decision as indented JSON (``decision_dict``), the ``--json`` output file."""
    return json.dumps(decision_dict(decision), indent=2, ensure_ascii=False) + "\n"
