"""``make bench``: measure the library's costs side by side in one run, write results.json and .md.

    .venv/bin/python bench/run.py            # the full run (bench/results.json, bench/results.md)
    .venv/bin/python bench/run.py --quick    # development: N = 1 and 3, one run each, no test
                                             # suite; writes bench/work/results-quick.{json,md}

Order: machine facts; the JavaScript peer's node_modules (npm ci, only when its lock changed);
the deploy-time model, the promotion loop and the scan gate (seconds); a warm-up that loads
aws-cdk-lib and cdk-nag once in Python and node (the first process after set-up fills the jsii
and page caches); synth scaling (three variants x N, interleaved so that machine noise spreads
over all variants) and profile runs; the test suite last (minutes).

The synth plan adapts to a time budget (default 555 s, so that ``make bench`` stays under 10
minutes; the test suite's time in the previous results.json is kept back): round 1 measures
every cell once; further rounds go to N=40, then N=10, then ours at N=1, ours' profile runs,
the peers at N=1, the Python peer's profile runs, while they fit. What was done is recorded in
results.md. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report
from common import (
    BENCH,
    JS_DIR,
    NODE,
    PY,
    ROOT,
    WORK,
    run_measured,
    subprocess_env,
    write_json,
)

VARIANT_ORDER = ("ours", "peer_python", "peer_js")
DEFAULT_TEST_SUITE_ESTIMATE_S = 200.0


def log(message: str) -> None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", flush=True)


# -------------------------------------------------------------------------------------- machine
def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _npm_version(package: str) -> str | None:
    path = JS_DIR / "node_modules" / package / "package.json"
    return json.loads(path.read_text())["version"] if path.exists() else None


def cpu_steal_s() -> float:
    """Seconds of CPU time the hypervisor took from this VM since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    meminfo = Path("/proc/meminfo").read_text()
    mem_kb = _first(r"^MemTotal:\s+(\d+)", meminfo)
    node = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "cores": f"{os.cpu_count()} / {len(os.sched_getaffinity(0))}",
        "cpu_model": _first(r"^model name\s*:\s*(.+)$", cpuinfo),
        "memory_gb": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": node.stdout.strip(),
        "aws_cdk_lib_python": version("aws-cdk-lib"),
        "aws_cdk_lib_js": _npm_version("aws-cdk-lib"),
        "cdk_nag_python": version("cdk-nag"),
        "cdk_nag_js": _npm_version("cdk-nag"),
        "jsii": version("jsii"),
        "constructs": version("constructs"),
        "moto": version("moto"),
        "git_commit": commit.stdout.strip(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# ---------------------------------------------------------------------------- JavaScript peer app
def ensure_js() -> None:
    """``npm ci`` in bench/js when node_modules is missing or older than the lock file."""
    stamp = JS_DIR / "node_modules" / ".installed"
    manifests = [JS_DIR / "package.json", JS_DIR / "package-lock.json"]
    if stamp.exists() and all(stamp.stat().st_mtime >= m.stat().st_mtime for m in manifests):
        return
    log("installing bench/js/node_modules (npm ci: aws-cdk-lib and cdk-nag for the JS peer)")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=JS_DIR,
        env=subprocess_env(),
        check=True,
    )
    stamp.touch()


# ----------------------------------------------------------------------------------- synth runs
def synth_command(variant: str, n: int, outdir: Path, result: Path, extra: list[str]) -> list[str]:
    common = ["--services", str(n), "--outdir", str(outdir), "--result", str(result), *extra]
    if variant == "ours":
        return [str(PY), str(BENCH / "synth_ours.py"), *common, "--count-jsii"]
    if variant == "peer_python":
        return [str(PY), str(BENCH / "peer_python.py"), *common, "--count-jsii"]
    if variant == "peer_js":
        return [str(NODE), str(JS_DIR / "peer.js"), *common]
    raise ValueError(variant)


def synth_run(
    variant: str,
    n: int,
    rep: int,
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    extra = extra or []
    tag = f"{variant}-{n}" + "".join(extra).replace("--", "-") + "".join(f"-{k}" for k in env or {})
    outdir = WORK / tag
    shutil.rmtree(outdir, ignore_errors=True)
    result = WORK / f"{tag}.result.json"
    measured = run_measured(
        synth_command(variant, n, outdir, result, extra),
        result_file=result,
        env=subprocess_env(env),
        timeout=300,
    )
    flags = [*extra, *(f"{k}=1" for k in env or {})]
    row = {"variant": variant, "services": n, "rep": rep, "flags": flags, **measured.as_dict()}
    status = "ok" if measured.returncode == 0 else f"FAILED rc={measured.returncode}"
    log(
        f"  {variant:<12} N={n:<3} rep {rep} {' '.join(flags):<30} {measured.wall_s:6.1f} s  "
        f"{measured.sum_of_peaks_mb:5.0f} MB  {status}"
    )
    if measured.returncode != 0:
        log(measured.stderr_tail[-1500:])
    return row


class Budget:
    def __init__(self, start: float, seconds: float) -> None:
        self.start = start
        self.seconds = seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def fits(self, cost: float, reserve: float) -> bool:
        return self.elapsed() + cost + reserve <= self.seconds


def synth_scaling(
    results: dict[str, Any],
    *,
    sizes: list[int],
    runs: int,
    budget: Budget,
    reserve: float,
    profile: bool,
    save: Callable[[], None],
) -> None:
    synth = results.setdefault("synth", {"runs": [], "warmup": []})
    notes: list[str] = results["plan"]["notes"]
    estimates: dict[tuple[str, int], float] = {}

    log("warm-up: load aws-cdk-lib and cdk-nag once in Python and in node (jsii and page caches)")
    for variant, command in (
        ("python", [str(PY), "-c", "import aws_cdk, cdk_nag, container_delivery.stacks.app"]),
        ("node", [str(NODE), "-e", "require('aws-cdk-lib'); require('cdk-nag')"]),
    ):
        measured = run_measured(command, cwd=JS_DIR if variant == "node" else ROOT, timeout=300)
        synth["warmup"].append({"variant": variant, **measured.as_dict()})
        log(f"  {variant}: {measured.wall_s:.1f} s")
    save()

    log(f"round 1: every variant at N = {sizes}")
    for n in sizes:
        for variant in VARIANT_ORDER:
            row = synth_run(variant, n, 1)
            synth["runs"].append(row)
            estimates[(variant, n)] = row["wall_s"]
    save()

    # Further rounds, by priority: the largest N first (the goals are stated at N=40), then the
    # middle sizes, then ours at the smallest N, ours' profile runs (incl. the price of its own
    # nag pack), the peers at the smallest N, the Python peer's profile runs.
    items: list[tuple[str, Any]] = []
    smallest, largest = min(sizes), max(sizes)
    for n in sorted(sizes, reverse=True):
        if n != smallest:
            items.extend(("round", (VARIANT_ORDER, n, rep)) for rep in range(2, runs + 1))
    items.extend(("round", (("ours",), smallest, rep)) for rep in range(2, runs + 1))
    if profile:
        items.append(("profile", "ours"))
        items.append(("own-pack", "ours"))
    items.extend(("round", (VARIANT_ORDER[1:], smallest, rep)) for rep in range(2, runs + 1))
    if profile:
        items.append(("profile", "peer_python"))
    skipped: list[str] = []
    profile_rows = results.setdefault("profile", [])
    for kind, what in items:
        if kind == "round":
            variants, n, rep = what
            cost = sum(estimates[(v, n)] for v in variants)
            if not budget.fits(cost, reserve):
                skipped.append(f"run {rep} of {', '.join(variants)} at N={n}")
                continue
            log(f"round {rep}: N = {n}")
            for variant in variants:
                row = synth_run(variant, n, rep)
                synth["runs"].append(row)
                # plan with the slowest run seen: an overrun must not break the 10 minutes
                estimates[(variant, n)] = max(estimates[(variant, n)], row["wall_s"])
        elif kind == "own-pack":
            # the price of the library's own (Python) nag pack: the public packs only
            if not budget.fits(estimates[("ours", largest)], reserve):
                skipped.append(f"run of ours without its own pack at N={largest}")
                continue
            log(f"profile: ours at N={largest} with the public packs only")
            profile_rows.append(synth_run("ours", largest, 1, env={"BENCH_WITHOUT_OWN_PACK": "1"}))
        else:
            variant = what
            # switching validation/nag off makes the run cheaper than the full one
            cost = 1.6 * estimates[(variant, largest)]
            if not budget.fits(cost, reserve):
                skipped.append(f"profile runs of {variant} at N={largest}")
                continue
            log(f"profile: {variant} at N={largest} without nag, and without validation and nag")
            profile_rows.append(synth_run(variant, largest, 1, ["--no-nag"]))
            profile_rows.append(synth_run(variant, largest, 1, ["--no-validation", "--no-nag"]))
        save()
    done: dict[tuple[str, int], int] = {}
    for row in synth["runs"]:
        done[(row["variant"], row["services"])] = done.get((row["variant"], row["services"]), 0) + 1
    per_n = "; ".join(
        f"N={n}: " + ", ".join(f"{v} {done.get((v, n), 0)}" for v in VARIANT_ORDER) for n in sizes
    )
    notes.append(
        f"Timed synth runs per cell: {per_n} (asked for {runs}). First an untimed warm-up that "
        "loads aws-cdk-lib and cdk-nag once in Python and in node; the variants run one after "
        "the other at each N within a round."
    )
    if skipped:
        notes.append(
            f"Left out to stay within the {budget.seconds:.0f} s budget: "
            + "; ".join(skipped)
            + "."
        )
    if profile_rows:
        # the full-configuration profile row is the timed run at the largest N (same flags)
        for variant in {r["variant"] for r in profile_rows}:
            full = [
                r
                for r in synth["runs"]
                if r["variant"] == variant and r["services"] == largest and r["returncode"] == 0
            ]
            if full:
                median = sorted(full, key=lambda r: r["wall_s"])[len(full) // 2]
                profile_rows.insert(0, median)
        notes.append(
            "Profile rows with validation and nag on are the median timed run at the largest N."
        )


# ------------------------------------------------------------------------- other measurements
def deploy_model() -> dict[str, Any]:
    result = WORK / "deploy-model.result.json"
    measured = run_measured(
        [
            str(PY),
            str(BENCH / "deploy_model.py"),
            "--outdir",
            str(WORK / "deploy-model"),
            "--result",
            str(result),
        ],
        result_file=result,
        timeout=300,
    )
    if measured.returncode != 0:
        return {"error": measured.stderr_tail}
    return measured.output


def test_suite(timeout: float) -> dict[str, Any]:
    counts_file = WORK / "synth-counts.json"
    counts_file.unlink(missing_ok=True)
    stdout_file = WORK / "pytest-output.txt"
    command = [str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "bench.count_synths"]
    measured = run_measured(
        command,
        cwd=ROOT,
        env=subprocess_env({"BENCH_SYNTH_COUNT_FILE": str(counts_file)}),
        stdout_file=stdout_file,
        timeout=timeout,
    )
    output = stdout_file.read_text(errors="replace")
    summary = None
    for line in reversed(output.splitlines()):
        if re.search(r"\b(passed|failed|error|errors|skipped)\b.* in [\d.]+s", line):
            summary = line.strip("= ").strip()
            break
    return {
        "command": ".venv/bin/python -m pytest -q -p no:cacheprovider -p bench.count_synths",
        "wall_s": measured.wall_s,
        "returncode": measured.returncode,
        "timed_out": measured.returncode < 0,
        "summary": summary,
        "peak_rss_mb": measured.tree_peak_rss_mb,
        "synth_counts": json.loads(counts_file.read_text()) if counts_file.exists() else None,
    }


def guarded(name: str, function: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one measurement; a failure is recorded in the results instead of ending the run."""
    log(name)
    start = time.perf_counter()
    try:
        result = function()
    except Exception as error:
        traceback.print_exc()
        result = {"error": f"{type(error).__name__}: {error}"}
    log(f"  {name}: {time.perf_counter() - start:.1f} s")
    return result


# ------------------------------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1, 3; one run; no test suite")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--runs", type=int, help="timed runs per cell (default 3, quick 1)")
    parser.add_argument("--budget", type=float, default=555.0, help="seconds (default 555)")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--tests", action="store_true", help="run the test suite in quick mode")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile runs in quick mode too")
    parser.add_argument(
        "--suite-estimate",
        type=float,
        help="seconds to keep for the test suite (default: its time in bench/results.json)",
    )
    args = parser.parse_args()

    start = time.perf_counter()
    budget = Budget(start, args.budget)
    sizes = args.sizes or ([1, 3] if args.quick else [1, 10, 40])
    runs = args.runs or (1 if args.quick else 3)
    run_tests = (args.tests or not args.quick) and not args.skip_tests
    out_json = WORK / "results-quick.json" if args.quick else BENCH / "results.json"
    WORK.mkdir(parents=True, exist_ok=True)

    previous_suite = None
    if (BENCH / "results.json").exists():
        previous = json.loads((BENCH / "results.json").read_text())
        previous_suite = (previous.get("test_suite") or {}).get("wall_s")
    suite_estimate = args.suite_estimate or previous_suite or DEFAULT_TEST_SUITE_ESTIMATE_S
    reserve = (suite_estimate * 1.1 if run_tests else 0.0) + 15.0

    ensure_js()
    steal_before = cpu_steal_s()
    results: dict[str, Any] = {
        "schema": 1,
        "source_json": str(out_json.relative_to(ROOT)),
        "mode": "quick" if args.quick else "full",
        "generated_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "plan": {
            "budget_s": args.budget,
            "sizes": sizes,
            "runs_requested": runs,
            "notes": [
                f"Time budget {args.budget:.0f} s; kept back for the test suite "
                + (
                    f"{reserve - 15:.0f} s ("
                    + (
                        "given with --suite-estimate"
                        if args.suite_estimate
                        else "its time in the previous results.json"
                        if previous_suite
                        else "a default estimate, no previous results.json"
                    )
                    + " + 10 %)"
                    if run_tests
                    else "nothing (not run)"
                )
                + " and 15 s for the report."
            ],
        },
    }
    partial = WORK / "results-partial.json"

    def save() -> None:
        write_json(partial, results)

    results["deploy_model"] = guarded("deploy-time model", deploy_model)
    import audit_time
    import config_bench
    import promotion
    import scan_gate_bench

    results["promotion"] = guarded(
        "promotion against moto", lambda: promotion.run(count=20 if args.quick else 200)
    )
    results["scan_gate"] = guarded(
        "scan gate", lambda: scan_gate_bench.run(runs=1 if args.quick else 5)
    )
    results["config_load"] = guarded(
        "config load", lambda: config_bench.run(runs=3 if args.quick else 5)
    )
    results["audit"] = guarded("make audit", lambda: audit_time.run(runs=1 if args.quick else 3))
    save()

    log("synth scaling")
    synth_scaling(
        results,
        sizes=sizes,
        runs=runs,
        budget=budget,
        reserve=reserve,
        profile=(args.profile or not args.quick) and not args.no_profile,
        save=save,
    )

    if run_tests:
        remaining = 600 - budget.elapsed() - 10
        results["test_suite"] = guarded(
            "test suite (make test's pytest, counting synths)",
            lambda: test_suite(timeout=max(remaining, 240)),
        )
    else:
        results["test_suite"] = None
        results["plan"]["notes"].append("Test suite not run (quick mode or --skip-tests).")

    results["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results["machine"]["cpu_steal_s"] = round(cpu_steal_s() - steal_before, 1)
    results["elapsed_s"] = budget.elapsed()
    results["analysis"] = report.analyse(results)
    write_json(out_json, results)
    out_json.with_suffix(".md").write_text(report.render(results))
    partial.unlink(missing_ok=True)
    log(f"wrote {out_json.relative_to(ROOT)} and {out_json.with_suffix('.md').relative_to(ROOT)}")
    for goal in results["analysis"]["goals"]:
        log(f"  {goal['status']:<12} {goal['goal']}: {goal['measured']} (limit {goal['limit']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
