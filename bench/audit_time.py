"""``make audit`` time: the audit report command, end to end, in a fresh process per run.

Runs ``python -m container_delivery.audit --out bench/work/audit`` (what ``make
audit`` runs: synthesize the reference app with every pack, read the assembly, evaluate every
rule again for the coverage counts, blame the acknowledgments, write HTML, Markdown, JSON and
SARIF) ``runs`` times. With ``baseline`` (another commit's tree, e.g. ``git archive <commit> |
tar -x -C DIR``), each run is paired with a run of that version's report, started in that
directory with the same venv and node_modules, alternating, so that machine noise falls on both:
the ratio of the medians is the cost of the change.

    .venv/bin/python bench/audit_time.py [--runs 3] [--baseline DIR]   # this piece alone
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, ROOT, WORK, run_measured, subprocess_env

#: Goal: ``make audit`` stays within 1.5x of its time before the second edition (~12 s).
GOAL_RATIO = 1.5
#: The command's module; a baseline tree from before it moved to app level has the former one.
MODULE = "container_delivery.audit"
FORMER_MODULE = "container_delivery.compliance.report"


def _module(tree: Path) -> str:
    return MODULE if (tree / "container_delivery" / "audit.py").exists() else FORMER_MODULE


def _once(out: Path, tree: Path | None) -> dict[str, Any]:
    # ``python -m`` puts the working directory first on sys.path: the tree's own package runs.
    extra = {"PYTHONPATH": str(tree)} if tree else {}
    measured = run_measured(
        [str(PY), "-m", _module(tree or ROOT), "--out", str(out)],
        cwd=tree or ROOT,
        env=subprocess_env(extra),
        timeout=600,
    )
    return {
        "wall_s": round(measured.wall_s, 2),
        "cpu_s": round(measured.user_s + measured.sys_s, 2),
        "returncode": measured.returncode,
        "peak_rss_mb": measured.tree_peak_rss_mb,
        "error": measured.stderr_tail if measured.returncode not in (0, 1) else None,
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r["returncode"] in (0, 1)]
    if not ok:
        return {"runs": runs, "wall_median_s": None, "cpu_median_s": None}
    return {
        "runs": runs,
        "wall_median_s": round(statistics.median(r["wall_s"] for r in ok), 2),
        "cpu_median_s": round(statistics.median(r["cpu_s"] for r in ok), 2),
    }


def run(runs: int = 3, baseline: Path | None = None) -> dict[str, Any]:
    ours: list[dict[str, Any]] = []
    base: list[dict[str, Any]] = []
    for _ in range(runs):
        if baseline is not None:
            base.append(_once(WORK / "audit-baseline", baseline))
        ours.append(_once(WORK / "audit", None))
    result: dict[str, Any] = {
        "command": f".venv/bin/python -m {MODULE} --out DIR",
        "goal_ratio": GOAL_RATIO,
        "ours": _summary(ours),
    }
    if baseline is not None:
        result["baseline"] = {"source": str(baseline), **_summary(base)}
        ours_wall = result["ours"]["wall_median_s"]
        base_wall = result["baseline"]["wall_median_s"]
        if ours_wall and base_wall:
            result["ratio_wall"] = round(ours_wall / base_wall, 2)
            result["ratio_cpu"] = round(
                result["ours"]["cpu_median_s"] / result["baseline"]["cpu_median_s"], 2
            )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another commit's tree (git archive)")
    args = parser.parse_args()
    result = run(runs=args.runs, baseline=args.baseline)
    out = WORK / "audit-time.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
