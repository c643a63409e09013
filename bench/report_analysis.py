"""results.json -> analysis: per-cell medians, linear fits, ratios to the peers, goal verdicts.

No number is typed in here except the goals (``GOALS``), which are targets, not measurements.
"""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from common import linear_fit

#: The benchmark's goals: (key, description, limit). All are "at most".
GOALS = (
    ("ratio_python", "synth time at N=40 / plain Python peer", 1.3),
    ("ratio_js", "synth time at N=40 / plain JavaScript peer", 1.5),
    ("marginal", "seconds per added service (least-squares slope over N)", 0.35),
    ("growth", "time(N=40) / time(N=10)", 2.5),
    ("rss", "peak RSS at N=40, python + node processes (MB)", 1024.0),
    ("suite", "test suite wall time (s)", 300.0),
)


def cells(results: dict[str, Any]) -> dict[str, dict[int, list[dict[str, Any]]]]:
    """Successful timed runs grouped by variant and N."""
    grouped: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for run in results.get("synth", {}).get("runs", []):
        if run["returncode"] != 0:
            continue
        grouped.setdefault(run["variant"], {}).setdefault(run["services"], []).append(run)
    return grouped


def _cell_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians and extremes of the runs of one variant at one N."""
    walls = [r["wall_s"] for r in runs]
    return {
        "runs": len(runs),
        "wall_median_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "wall_max_s": max(walls),
        "peak_rss_mb": max(r["sum_of_peaks_mb"] for r in runs),
        "largest_process_mb": max(r["ru_maxrss_mb"] for r in runs),
        "phases_median_s": {
            phase: statistics.median(r["output"].get(f"{phase}_s", 0.0) for r in runs)
            for phase in ("startup", "import", "build", "synth")
        },
        "jsii": sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]["output"].get("jsii") or {},
        "templates": runs[0]["output"].get("templates"),
        "resources": runs[0]["output"].get("resources"),
        "findings": sum(
            v
            for k, v in (runs[0]["output"].get("findings") or {}).items()
            if k not in ("Construct Annotations",)
        ),
    }


def _segments(ns: list[int], rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The slope of each segment between two measured sizes."""
    return [
        {
            "from": a,
            "to": b,
            "s_per_service": (rows[str(b)]["wall_median_s"] - rows[str(a)]["wall_median_s"])
            / (b - a),
            # marginal cost of one more synthesized resource: separates the library's
            # overhead from the extra infrastructure it creates per service
            "ms_per_resource": 1000
            * (rows[str(b)]["wall_median_s"] - rows[str(a)]["wall_median_s"])
            / max(1, (rows[str(b)]["resources"] or 0) - (rows[str(a)]["resources"] or 0)),
            "resources_per_service": (
                (rows[str(b)]["resources"] or 0) - (rows[str(a)]["resources"] or 0)
            )
            / (b - a),
        }
        for a, b in itertools.pairwise(ns)
    ]


def _variant(by_n: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """One variant: its rows by N, least-squares fits (medians, every run) and segments."""
    rows = {str(n): _cell_row(runs) for n, runs in sorted(by_n.items())}
    ns = sorted(by_n)
    fit = linear_fit(ns, [rows[str(n)]["wall_median_s"] for n in ns]) if len(ns) > 1 else None
    fit_all = (
        linear_fit(
            [r["services"] for n in ns for r in by_n[n]],
            [r["wall_s"] for n in ns for r in by_n[n]],
        )
        if len(ns) > 1
        else None
    )
    return {
        "by_n": rows,
        "fit_medians": fit,
        "fit_all_runs": fit_all,
        "segments": _segments(ns, rows),
    }


def _median_at(table: dict[str, dict[str, Any]], variant: str, n: int) -> float | None:
    row = table.get(variant, {}).get("by_n", {}).get(str(n))
    return row["wall_median_s"] if row else None


def _ratios(table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Ours over each peer, and Python peer over JavaScript peer, at every N ours measured."""
    ratios: dict[str, Any] = {}
    for n in sorted({int(n) for v in table.values() for n in v["by_n"]}):
        ours = _median_at(table, "ours", n)
        if ours is None:
            continue
        ratios[str(n)] = {
            peer: ours / value
            for peer in ("peer_python", "peer_js")
            if (value := _median_at(table, peer, n)) is not None
        }
        if (py := _median_at(table, "peer_python", n)) and (js := _median_at(table, "peer_js", n)):
            ratios[str(n)]["python_over_js"] = py / js
    return ratios


def _goals(
    results: dict[str, Any],
    table: dict[str, dict[str, Any]],
    ratios: dict[str, Any],
    big: int | None,
) -> list[dict[str, Any]]:
    """Each goal with its measured value and PASS / FAIL / NOT MEASURED."""
    at_40, at_10 = _median_at(table, "ours", 40), _median_at(table, "ours", 10)
    measured: dict[str, float | None] = {
        "ratio_python": ratios.get(str(big), {}).get("peer_python") if big else None,
        "ratio_js": ratios.get(str(big), {}).get("peer_js") if big else None,
        "marginal": (table.get("ours", {}).get("fit_medians") or {}).get("slope"),
        "growth": at_40 / at_10 if at_40 and at_10 else None,
        "rss": table.get("ours", {}).get("by_n", {}).get(str(big), {}).get("peak_rss_mb"),
        "suite": (results.get("test_suite") or {}).get("wall_s"),
    }
    mid = 10 if big == 40 else None
    goals = []
    for key, text, limit in GOALS:
        value = measured[key]
        # the goals are stated at N=40 (and N=10 for the growth ratio)
        applicable = value is not None and (key == "suite" or big == 40)
        if key == "growth":
            applicable = applicable and mid == 10
        goals.append(
            {
                "key": key,
                "goal": text,
                "limit": limit,
                "measured": value,
                "status": ("PASS" if value <= limit else "FAIL")  # type: ignore[operator]
                if applicable
                else "NOT MEASURED",
            }
        )
    return goals


def analyse(results: dict[str, Any]) -> dict[str, Any]:
    """The analysis stored in results.json under ``analysis`` and rendered into results.md."""
    table = {variant: _variant(by_n) for variant, by_n in cells(results).items()}
    big = max((int(n) for n in table.get("ours", {}).get("by_n", {})), default=None)
    ratios = _ratios(table)
    return {
        "synth": table,
        "ratios": ratios,
        "largest_n": big,
        "goals": _goals(results, table, ratios, big),
    }
