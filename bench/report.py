"""results.json -> analysis (goals, linearity, ratios) -> results.md. Every figure comes from the run.

    python bench/report.py [bench/results.json]   # re-renders bench/results.md from the JSON

No number is typed in here except the goals of issue 8 (``GOALS``), which are targets, not
measurements.
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH, linear_fit

VARIANTS = {
    "ours": "ours (container-delivery reference app)",
    "peer_python": "plain aws-cdk-lib, Python",
    "peer_js": "plain aws-cdk-lib, JavaScript (node)",
}

#: Issue 8's goals: (key, description, limit). All are "at most".
GOALS = (
    ("ratio_python", "synth time at N=40 / plain Python peer", 1.3),
    ("ratio_js", "synth time at N=40 / plain JavaScript peer", 1.5),
    ("marginal", "seconds per added service (least-squares slope over N)", 0.35),
    ("growth", "time(N=40) / time(N=10)", 2.5),
    ("rss", "peak RSS at N=40, python + node processes (MB)", 1024.0),
    ("suite", "test suite wall time (s)", 300.0),
)


# ------------------------------------------------------------------------------------- analysis
def cells(results: dict[str, Any]) -> dict[str, dict[int, list[dict[str, Any]]]]:
    """Successful timed runs grouped by variant and N."""
    grouped: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for run in results.get("synth", {}).get("runs", []):
        if run["returncode"] != 0:
            continue
        grouped.setdefault(run["variant"], {}).setdefault(run["services"], []).append(run)
    return grouped


def analyse(results: dict[str, Any]) -> dict[str, Any]:
    grouped = cells(results)
    table: dict[str, dict[str, Any]] = {}
    for variant, by_n in grouped.items():
        rows = {}
        for n, runs in sorted(by_n.items()):
            walls = [r["wall_s"] for r in runs]
            rows[str(n)] = {
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
                "jsii": sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]["output"].get(
                    "jsii"
                )
                or {},
                "templates": runs[0]["output"].get("templates"),
                "resources": runs[0]["output"].get("resources"),
                "findings": sum(
                    v
                    for k, v in (runs[0]["output"].get("findings") or {}).items()
                    if k not in ("Construct Annotations",)
                ),
            }
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
        segments = [
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
        table[variant] = {"by_n": rows, "fit_medians": fit, "fit_all_runs": fit_all}
        table[variant]["segments"] = segments

    def median_at(variant: str, n: int) -> float | None:
        row = table.get(variant, {}).get("by_n", {}).get(str(n))
        return row["wall_median_s"] if row else None

    big = max((int(n) for n in table.get("ours", {}).get("by_n", {})), default=None)
    mid = 10 if big == 40 else None
    ratios: dict[str, Any] = {}
    for n in sorted({int(n) for v in table.values() for n in v["by_n"]}):
        ours = median_at("ours", n)
        if ours is None:
            continue
        ratios[str(n)] = {
            peer: ours / value
            for peer in ("peer_python", "peer_js")
            if (value := median_at(peer, n)) is not None
        }
        if (py := median_at("peer_python", n)) and (js := median_at("peer_js", n)):
            ratios[str(n)]["python_over_js"] = py / js

    measured: dict[str, float | None] = {
        "ratio_python": ratios.get(str(big), {}).get("peer_python") if big else None,
        "ratio_js": ratios.get(str(big), {}).get("peer_js") if big else None,
        "marginal": (table.get("ours", {}).get("fit_medians") or {}).get("slope"),
        "growth": (
            median_at("ours", 40) / median_at("ours", 10)  # type: ignore[operator]
            if median_at("ours", 40) and median_at("ours", 10)
            else None
        ),
        "rss": table.get("ours", {}).get("by_n", {}).get(str(big), {}).get("peak_rss_mb"),
        "suite": (results.get("test_suite") or {}).get("wall_s"),
    }
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
    return {"synth": table, "ratios": ratios, "largest_n": big, "goals": goals}


# -------------------------------------------------------------------------------------- markdown
def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render(results: dict[str, Any]) -> str:
    analysis = results.get("analysis") or analyse(results)
    machine = results["machine"]
    plan = results["plan"]
    out: list[str] = []
    add = out.append
    add("# Benchmark results")
    add("")
    add(
        f"Generated by `make bench` ({results['mode']} mode) on {results['generated_at']} in "
        f"{_f(results.get('elapsed_s'), 0)} s, at commit `{machine.get('git_commit')}`. Every "
        f"figure below is computed by `bench/report.py` from `{results.get('source_json')}` of "
        "that run; nothing is typed in. Method and caveats: `docs/benchmarks.md`."
    )
    add("")
    summary_line = readme_summary(results, analysis)
    if summary_line:
        add("## Summary (for the README)")
        add("")
        add(summary_line)
        add("")
    add("## Machine")
    add("")
    add("| | |")
    add("|---|---|")
    for key, label in (
        ("cores", "cores (os.cpu_count / usable)"),
        ("cpu_model", "CPU"),
        ("memory_gb", "memory (GB)"),
        ("kernel", "kernel"),
        ("python", "Python"),
        ("node", "Node"),
        ("aws_cdk_lib_python", "aws-cdk-lib (Python)"),
        ("aws_cdk_lib_js", "aws-cdk-lib (npm)"),
        ("cdk_nag_python", "cdk-nag (Python)"),
        ("cdk_nag_js", "cdk-nag (npm)"),
        ("jsii", "jsii (Python runtime)"),
        ("constructs", "constructs"),
        ("moto", "moto"),
        ("load_before", "load average before the run (1, 5, 15 min)"),
        ("load_after", "load average after the run"),
        ("cpu_steal_s", "CPU time stolen by the hypervisor during the run (s)"),
    ):
        if key in machine:
            add(f"| {label} | {_f(machine.get(key))} |")
    add("")

    add("## Goals (issue 8)")
    add("")
    add("| goal | limit | measured | status |")
    add("|---|---|---|---|")
    for goal in analysis["goals"]:
        shown = _f(goal["measured"]) if goal["status"] != "NOT MEASURED" else "n/a"
        add(f"| {goal['goal']} | <= {_f(goal['limit'])} | {shown} | **{goal['status']}** |")
    add("")

    audit = results.get("audit")
    if audit and "ours" in audit:
        add("## make audit")
        add("")
        add(
            f"`{audit['command']}` (what `make audit` runs), a fresh process per run: median "
            f"wall {_f(audit['ours']['wall_median_s'])} s, CPU (user + sys, whole process tree) "
            f"{_f(audit['ours']['cpu_median_s'])} s over {len(audit['ours']['runs'])} run(s). "
            f"Goal: within {_f(audit['goal_ratio'])}x of the first edition's time (about 12 s "
            "on 2 idle cores); `bench/audit_time.py --baseline DIR` measures that ratio."
        )
        add("")

    add("## Synth scaling")
    add("")
    add(
        "Wall time of one fresh process that builds the app and calls `app.synth()`, with "
        "aws-cdk-lib's built-in template validation on and the nag packs AwsSolutions, "
        "NIST.800.53.R5, HIPAA.Security and PCI.DSS.321 registered (ours also runs its own "
        "ContainerDelivery pack). N = services; each service has a staging and a production "
        "service stack and a pipeline. Peak RSS: the sum over the process tree (python, the jsii "
        "node processes) of each process's own peak (VmHWM); `largest` is the largest single "
        "process (wait4 rusage)."
    )
    add("")
    add(
        "| variant | N | runs | wall median (s) | min-max (s) | s / service | peak RSS (MB) | "
        "largest (MB) | templates | resources | unacknowledged findings |"
    )
    add("|---|---|---|---|---|---|---|---|---|---|---|")
    for variant, label in VARIANTS.items():
        data = analysis["synth"].get(variant)
        if not data:
            continue
        for n, row in data["by_n"].items():
            add(
                f"| {label} | {n} | {row['runs']} | {_f(row['wall_median_s'])} | "
                f"{_f(row['wall_min_s'])}-{_f(row['wall_max_s'])} | "
                f"{_f(row['wall_median_s'] / int(n))} | {_f(row['peak_rss_mb'], 0)} | "
                f"{_f(row['largest_process_mb'], 0)} | {row['templates']} | {row['resources']} | "
                f"{row['findings']} |"
            )
    add("")
    add("### Ratios (median wall time, same run)")
    add("")
    add("| N | ours / plain Python | ours / plain JS | plain Python / plain JS |")
    add("|---|---|---|---|")
    for n, row in analysis["ratios"].items():
        add(
            f"| {n} | {_f(row.get('peer_python'))} | {_f(row.get('peer_js'))} | "
            f"{_f(row.get('python_over_js'))} |"
        )
    add("")
    add("### Growth")
    add("")
    add(
        "Least-squares line `time = intercept + slope x N` through the medians (and through every "
        "run), R², and the slope of each segment between measured sizes."
    )
    add("")
    add(
        "| variant | slope (s/service) | intercept (s) | R² | slope, all runs | R², all runs "
        "| segments (s/service) | resources per added service | ms per added resource |"
    )
    add("|---|---|---|---|---|---|---|---|---|")
    for variant, label in VARIANTS.items():
        data = analysis["synth"].get(variant)
        if not data or not data["fit_medians"]:
            continue
        fit, fit_all = data["fit_medians"], data["fit_all_runs"]
        segments = ", ".join(
            f"{s['from']}->{s['to']}: {_f(s['s_per_service'], 3)}" for s in data["segments"]
        )
        per_resource = ", ".join(
            f"{s['from']}->{s['to']}: {_f(s['ms_per_resource'], 1)}" for s in data["segments"]
        )
        last = data["segments"][-1]
        add(
            f"| {label} | {_f(fit['slope'], 3)} | {_f(fit['intercept'])} | {_f(fit['r2'], 4)} | "
            f"{_f(fit_all['slope'], 3)} | {_f(fit_all['r2'], 4)} | {segments} | "
            f"{_f(last['resources_per_service'], 1)} | {per_resource} |"
        )
    add("")
    add(
        "`ms per added resource`: the segment's extra wall time over the extra resources "
        "synthesized. The variants do not create the same infrastructure per service, so this "
        "separates the library's own overhead from the extra resources it adds."
    )
    add("")
    linear = linearity_text(analysis)
    if linear:
        add(linear)
        add("")

    add("### Where the time goes (phase medians, s)")
    add("")
    add(
        "`startup`: interpreter start to the script's first line; `import`: `import aws_cdk` "
        "(starts node, loads the jsii assemblies) and, for ours, the library; `build`: "
        "constructing the tree (every construct is a jsii call into node); `synth`: "
        "`app.synth()`, i.e. synthesis + built-in validation + every nag pack. The remainder "
        "of the wall time is interpreter start, counting the templates, and process exit (node "
        "shutdown). jsii columns (Python variants, the median run of the cell): requests Python sent "
        "to node while building the tree and the wall time inside them; in `app.synth()`, "
        "requests and callbacks from node into Python code (e.g. a Python nag pack)."
    )
    add("")
    add(
        "| variant | N | startup | import | build | synth | wall | rest | jsii requests in build "
        "| jsii time in build | requests / callbacks in synth |"
    )
    add("|---|---|---|---|---|---|---|---|---|---|---|")
    for variant, label in VARIANTS.items():
        data = analysis["synth"].get(variant)
        if not data:
            continue
        for n, row in data["by_n"].items():
            p = row["phases_median_s"]
            rest = row["wall_median_s"] - sum(p.values())
            jb, js = row["jsii"].get("build", {}), row["jsii"].get("synth", {})
            add(
                f"| {label} | {n} | {_f(p['startup'])} | {_f(p['import'])} | {_f(p['build'])} | "
                f"{_f(p['synth'])} | {_f(row['wall_median_s'])} | {_f(rest)} | "
                f"{_f(jb.get('requests'), 0)} | {_f(jb.get('request_wall_s'))} | "
                f"{_f(js.get('requests'), 0)} / {_f(js.get('callbacks'), 0)} |"
            )
    add("")
    breakdown = marginal_breakdown(analysis)
    if breakdown:
        add("### Marginal cost per added service, by phase")
        add("")
        add(breakdown)
        add("")
    profile = results.get("profile") or []
    if profile:
        add("### Profile runs (one run each; the full configuration is the median timed run)")
        add("")
        add(
            "The same app with parts switched off, and jsii traffic counted (requests Python "
            "sends to node; callbacks from node into Python code such as a Python nag pack). "
            "`jsii req. time` is the wall time inside outermost requests (node's work plus any "
            "callback); `callback time` the wall time inside Python callbacks."
        )
        add("")
        add(
            "| variant | N | validation | nag | wall (s) | build (s) | synth (s) | peak RSS (MB) | "
            "jsii requests build / synth | callbacks build / synth | jsii req. time build (s) | "
            "callback time synth (s) |"
        )
        add("|---|---|---|---|---|---|---|---|---|---|---|---|")
        order = list(VARIANTS)
        ranked = sorted(
            profile,
            key=lambda r: (
                order.index(r["variant"]) if r["variant"] in order else len(order),
                ["on", "public packs only", "off"].index(nag_label(r)),
                not r["output"].get("validation"),
            ),
        )
        for run in ranked:
            o = run["output"]
            j = o.get("jsii") or {}
            jb, js = j.get("build", {}), j.get("synth", {})
            add(
                f"| {VARIANTS.get(o.get('variant', ''), o.get('variant'))} | {o.get('services')} | "
                f"{'on' if o.get('validation') else 'off'} | {nag_label(run)} | "
                f"{_f(run['wall_s'])} | {_f(o.get('build_s'))} | {_f(o.get('synth_s'))} | "
                f"{_f(run['sum_of_peaks_mb'], 0)} | {_f(jb.get('requests'), 0)} / "
                f"{_f(js.get('requests'), 0)} | {_f(jb.get('callbacks'), 0)} / "
                f"{_f(js.get('callbacks'), 0)} | {_f(jb.get('request_wall_s'))} | "
                f"{_f(js.get('callback_wall_s'))} |"
            )
        add("")
        breakdown = profile_breakdown(results, analysis)
        if breakdown:
            add(breakdown)
            add("")
    warmups = results.get("synth", {}).get("warmup", [])
    if warmups:
        add(
            "Warm-up (not in the tables; the first process after set-up fills the jsii cache "
            "and the page cache): loading aws-cdk-lib and cdk-nag took "
            + "; ".join(f"{w['variant']} {_f(w['wall_s'])} s" for w in warmups)
            + "."
        )
        add("")
    add("### Plan of this run")
    add("")
    for note in plan.get("notes", []):
        add(f"- {note}")
    add("")

    add(test_suite_section(results))
    add(deploy_section(results))
    add(promotion_section(results))
    add(scan_gate_section(results))
    add(config_section(results))
    return "\n".join(out).rstrip() + "\n"


def readme_summary(results: dict[str, Any], analysis: dict[str, Any]) -> str:
    """One paragraph with the headline figures and the machine they came from."""
    ours = analysis["synth"].get("ours", {}).get("by_n", {})
    big = analysis.get("largest_n")
    if not ours or big is None:
        return ""
    row = ours[str(big)]
    ratios = analysis["ratios"].get(str(big), {})
    fit = analysis["synth"]["ours"].get("fit_medians") or {}
    m = results["machine"]
    parts = [
        f"Synthesizing the reference app with {big} services (staging + production stacks and "
        f"a pipeline each; built-in validation and all nag packs on) takes "
        f"{row['wall_median_s']:.1f} s (median of {row['runs']}), "
        f"{_f(ratios.get('peer_python'))}x the same services written with plain aws-cdk-lib in "
        f"Python and {_f(ratios.get('peer_js'))}x in JavaScript, "
        f"{_f(fit.get('slope'), 2)} s per added service, peak RSS {row['peak_rss_mb']:.0f} MB."
    ]
    suite = results.get("test_suite")
    if suite:
        parts.append(f"`make test`: {suite['wall_s']:.0f} s ({suite.get('summary') or 'n/a'}).")
    parts.append(
        f"Measured {results['generated_at']} on {m.get('cores', '?').split(' ')[0]} cores "
        f"({m.get('cpu_model')}), Python {m.get('python')}, Node {m.get('node')}, aws-cdk-lib "
        f"{m.get('aws_cdk_lib_python')}, cdk-nag {m.get('cdk_nag_python')}."
    )
    return " ".join(parts)


def marginal_breakdown(analysis: dict[str, Any]) -> str:
    """Per added service between the two largest sizes: resources, phases, jsii traffic."""
    synth = analysis["synth"]
    sizes = sorted(int(n) for n in synth.get("ours", {}).get("by_n", {}))
    if len(sizes) < 2:
        return ""
    a, b = str(sizes[-2]), str(sizes[-1])
    span = sizes[-1] - sizes[-2]
    header = (
        "| variant | resources | build (s) | synth (s) | wall (s) | jsii requests in build "
        "| jsii time in build (s) | requests / callbacks in synth |"
    )
    lines = [
        f"Between N={a} and N={b}, per added service (medians):",
        "",
        header,
        "|---|---|---|---|---|---|---|---|",
    ]
    for variant, label in VARIANTS.items():
        rows = synth.get(variant, {}).get("by_n", {})
        if a not in rows or b not in rows:
            continue
        lo, hi = rows[a], rows[b]

        def per(value_hi: float | None, value_lo: float | None, digits: int = 2) -> str:
            if value_hi is None or value_lo is None:
                return "n/a"
            return _f((value_hi - value_lo) / span, digits)

        jb_lo, jb_hi = lo["jsii"].get("build", {}), hi["jsii"].get("build", {})
        js_lo, js_hi = lo["jsii"].get("synth", {}), hi["jsii"].get("synth", {})
        lines.append(
            f"| {label} | {per(hi['resources'], lo['resources'], 1)} | "
            f"{per(hi['phases_median_s']['build'], lo['phases_median_s']['build'], 3)} | "
            f"{per(hi['phases_median_s']['synth'], lo['phases_median_s']['synth'], 3)} | "
            f"{per(hi['wall_median_s'], lo['wall_median_s'], 3)} | "
            f"{per(jb_hi.get('requests'), jb_lo.get('requests'), 0)} | "
            f"{per(jb_hi.get('request_wall_s'), jb_lo.get('request_wall_s'), 3)} | "
            f"{per(js_hi.get('requests'), js_lo.get('requests'), 0)} / "
            f"{per(js_hi.get('callbacks'), js_lo.get('callbacks'), 0)} |"
        )
    return "\n".join(lines)


def linearity_text(analysis: dict[str, Any]) -> str:
    data = analysis["synth"].get("ours")
    if not data or not data["fit_medians"] or len(data["segments"]) < 2:
        return ""
    first, last = data["segments"][0], data["segments"][-1]
    curvature = last["s_per_service"] / first["s_per_service"] if first["s_per_service"] else None
    r2 = data["fit_medians"]["r2"]
    verdict = (
        "linear (R² >= 0.99 and the last segment's slope within 0.5-2x the first's)"
        if r2 >= 0.99 and curvature is not None and 0.5 <= curvature <= 2
        else "not clearly linear (R² < 0.99 or segment slopes differ by more than 2x)"
    )
    return (
        f"Ours: growth is {verdict}: R² = {r2:.4f}; slope {first['from']}->{first['to']} = "
        f"{first['s_per_service']:.3f} s/service, {last['from']}->{last['to']} = "
        f"{last['s_per_service']:.3f} s/service (ratio {_f(curvature)})."
    )


def nag_label(run: dict[str, Any]) -> str:
    if not run["output"].get("nag"):
        return "off"
    if any("OWN_PACK" in flag for flag in run.get("flags", [])):
        return "public packs only"
    return "on"


def profile_breakdown(results: dict[str, Any], analysis: dict[str, Any]) -> str:
    """Cost of validation and of nag at the profiled N, from the full runs and the profile runs."""
    rows = [r for r in results.get("profile") or [] if r["returncode"] == 0]
    profile = {
        (r["output"].get("variant"), r["output"].get("validation"), r["output"].get("nag")): r
        for r in rows
        if not any("OWN_PACK" in flag for flag in r.get("flags", []))
    }
    public_only = next(
        (r for r in rows if any("OWN_PACK" in flag for flag in r.get("flags", []))), None
    )
    lines = []
    for variant in VARIANTS:
        full = profile.get((variant, True, True))
        if full is None:
            continue
        no_nag = profile.get((variant, True, False))
        bare = profile.get((variant, False, False))
        n = full["output"]["services"]
        timed = [
            r["output"]["synth_s"]
            for r in results.get("synth", {}).get("runs", [])
            if r["variant"] == variant and r["services"] == n and r["returncode"] == 0
        ]
        spread = max(timed) - min(timed) if len(timed) > 1 else None
        synth_full = full["output"]["synth_s"]
        if no_nag and bare:
            synth_no_nag = no_nag["output"]["synth_s"]
            synth_bare = bare["output"]["synth_s"]
            lines.append(
                f"- {VARIANTS[variant]}, N={n}: of `app.synth()` = {synth_full:.1f} s, the nag "
                f"packs take {synth_full - synth_no_nag:.1f} s, the built-in validation "
                f"{synth_no_nag - synth_bare:.1f} s, synthesis itself {synth_bare:.1f} s; "
                f"building the tree took {full['output']['build_s']:.1f} s."
            )
        callbacks = (full["output"].get("jsii") or {}).get("synth", {})
        if callbacks.get("callbacks"):
            lines.append(
                f"- During `app.synth()` node called back into Python "
                f"{callbacks['callbacks']:.0f} times (the rules of a Python nag pack), "
                f"{callbacks['callback_wall_s']:.1f} s inside the Python callbacks (a lower bound "
                "of the pack's cost: the marshalling on the node side is not included)."
            )
        if variant == "ours" and public_only is not None:
            own = synth_full - public_only["output"]["synth_s"]
            lines.append(
                f"- The library's own ContainerDelivery pack (Python rules called back from node "
                f"for every resource): `app.synth()` took {synth_full:.1f} s with it and "
                f"{public_only['output']['synth_s']:.1f} s with the public packs only, a "
                f"difference of {own:.1f} s."
            )
        if spread is not None and len(lines) > 0:
            lines.append(
                f"- Each profile row is one run; `app.synth()` alone varied by {spread:.1f} s "
                f"between the {len(timed)} timed runs at N={n}: read the differences above with "
                "that precision."
            )
    return "\n".join(lines)


def test_suite_section(results: dict[str, Any]) -> str:
    suite = results.get("test_suite")
    lines = ["## Test suite", ""]
    if not suite:
        return "\n".join([*lines, "Not measured in this run.", ""])
    counts = suite.get("synth_counts") or {}
    lines += [
        f"`{suite['command']}` (what `make test` runs, plus the counting plugin), one run.",
        "",
        "| | |",
        "|---|---|",
        f"| wall time (s) | {_f(suite['wall_s'], 1)} |",
        f"| result | {suite.get('summary') or 'n/a'} (exit code {suite['returncode']}) |",
        f"| tests collected | {_f(counts.get('tests_collected'))} |",
        f"| stages (apps) synthesized | {_f(counts.get('stages_synthesized'))} |",
        f"| synth calls (App/Stage.synth, Template/Annotations.from_stack) | "
        f"{_f(sum((counts.get('calls') or {}).values()) if counts else None)} |",
        f"| wall time inside synth calls (s) | {_f(counts.get('wall_s_inside_synth_calls'))} |",
        f"| subprocesses started by tests | "
        f"{', '.join(f'{k}: {v}' for k, v in (counts.get('subprocesses') or {}).items()) or 'none'} |",
        f"| peak RSS, whole tree (MB) | {_f(suite.get('peak_rss_mb'), 0)} |",
        "",
    ]
    calls = counts.get("calls") or {}
    if calls:
        lines += ["Calls by entry point: " + ", ".join(f"`{k}` {v}" for k, v in calls.items()), ""]
    slowest = counts.get("slowest_phases") or []
    if slowest:
        lines += ["Slowest test phases:", "", "| s | phase | test |", "|---|---|---|"]
        lines += [f"| {_f(s['seconds'])} | {s['phase']} | `{s['test']}` |" for s in slowest[:10]]
        lines.append("")
    return "\n".join(lines)


def deploy_section(results: dict[str, Any]) -> str:
    model = results.get("deploy_model")
    lines = ["## Deploy-time model: one rolling replacement of a healthy task", ""]
    if not model or "Ours" not in model:
        return "\n".join([*lines, f"Not measured: {model and model.get('error')}", ""])
    ours, pattern = model["Ours"], model["Pattern"]
    lines += [
        "Read from the synthesized templates of our `FargateService` with its defaults and of "
        "`aws_ecs_patterns.ApplicationLoadBalancedFargateService` with its defaults, by "
        f"`{model['source']}`. Formula (upper bound, container start-up excluded):",
        "",
        "    seconds = grace + healthy_threshold x interval + deregistration_delay",
        "",
        defaults_text(model.get("defaults")),
        "",
        "| term | ours | ApplicationLoadBalancedFargateService |",
        "|---|---|---|",
        f"| health-check grace (s) | {_f(ours['grace_seconds'], 0)} | {_f(pattern['grace_seconds'], 0)} |",
        f"| healthy threshold | {ours['healthy_threshold']} | {pattern['healthy_threshold']} |",
        f"| health-check interval (s) | {_f(ours['interval_seconds'], 0)} | {_f(pattern['interval_seconds'], 0)} |",
        f"| deregistration delay (s) | {_f(ours['deregistration_delay_seconds'], 0)} | "
        f"{_f(pattern['deregistration_delay_seconds'], 0)} |",
        f"| minimum healthy / maximum percent | {ours['minimum_healthy_percent']} / "
        f"{ours['maximum_percent']} | {pattern['minimum_healthy_percent']} / {pattern['maximum_percent']} |",
        f"| **modeled seconds** | **{_f(ours['seconds'], 0)}** | **{_f(pattern['seconds'], 0)}** |",
        "",
        f"Ours is {pattern['seconds'] / ours['seconds']:.1f}x faster by this model "
        f"({ours['seconds'] / pattern['seconds']:.2f} of the pattern's time).",
        "",
    ]
    return "\n".join(lines)


def defaults_text(defaults: dict[str, Any] | None) -> str:
    if not defaults:
        return "(The AWS defaults apply where the template leaves a value out.)"
    return (
        "(AWS defaults used by the model where the template leaves a value out: interval "
        f"{defaults['interval_seconds']} s, healthy threshold {defaults['healthy_threshold']}, "
        f"deregistration delay {defaults['deregistration_delay_seconds']} s, ECS grace "
        f"{defaults['grace_seconds']} s.)"
    )


def promotion_section(results: dict[str, Any]) -> str:
    promotion = results.get("promotion")
    lines = ["## Promotion (lambda/promote against moto on loopback)", ""]
    if not promotion or "rows" not in promotion:
        return "\n".join([*lines, f"Not measured: {promotion and promotion.get('error')}", ""])
    lines += [
        f"{promotion['server']}. Handler `run()` called in process with an ECR client pointed at "
        "the server; ECR calls counted with a botocore `before-call.ecr.*` hook. Times include "
        "the HTTP round trips to moto on the same 2 cores: they bound the handler's own cost, "
        "not ECR's latency.",
        "",
        "| case | promotions | ECR calls / promotion | calls by operation | median (ms) | p90 (ms) | max (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in promotion["rows"]:
        calls = (
            f"{row['ecr_calls_per_promotion_min']}"
            if row["ecr_calls_per_promotion_min"] == row["ecr_calls_per_promotion_max"]
            else f"{row['ecr_calls_per_promotion_min']}-{row['ecr_calls_per_promotion_max']}"
        )
        ops = ", ".join(f"{k} {_f(v)}" for k, v in row["ecr_calls_by_operation"].items())
        lines.append(
            f"| {row['what']} | {row['promotions']} | {calls} | {ops} | {_f(row['ms_median'], 1)} | "
            f"{_f(row['ms_p90'], 1)} | {_f(row['ms_max'], 1)} |"
        )
    lines.append("")
    return "\n".join(lines)


def scan_gate_section(results: dict[str, Any]) -> str:
    gate = results.get("scan_gate")
    lines = ["## Scan gate", ""]
    if not gate or "inputs" not in gate:
        return "\n".join([*lines, f"Not measured: {gate and gate.get('error')}", ""])
    inputs, decision = gate["inputs"], gate["decision"]
    lines += [
        f"A generated Trivy report ({inputs['findings']} findings, {_f(inputs['report_mb'], 1)} MB) "
        f"and a suppression file of {inputs['suppression_entries']} entries. Decision: "
        f"{decision['blocking']} blocking, {decision['suppressed']} suppressed, "
        f"{decision['allowed']} allowed, {decision['expired_entries']} expired entries.",
        "",
        "| step (in process) | median (s) | min-max (s) | runs |",
        "|---|---|---|---|",
    ]
    for step, row in gate["in_process_s"].items():
        lines.append(
            f"| {step} | {_f(row['median'], 3)} | {_f(row['min'], 3)}-{_f(row['max'], 3)} | {row['n']} |"
        )
    cli = gate["cli"]
    lines += [
        "",
        f"`evaluate()`: {_f(gate['evaluate_us_per_finding'], 1)} µs per finding. Command line end "
        f"to end (fresh process, report + suppressions + Markdown/JUnit/JSON outputs): "
        f"{_f(cli['wall_s'])} s, exit code {cli['exit_code']} (1 = gate failed, as expected "
        f"with blocking findings), peak RSS {_f(cli['peak_rss_mb'], 0)} MB.",
        "",
    ]
    return "\n".join(lines)


def config_section(results: dict[str, Any]) -> str:
    config = results.get("config_load")
    lines = ["## Config load", ""]
    if not config or "goal" not in config:
        return "\n".join([*lines, f"Not measured: {config and config.get('error')}", ""])
    goal, phases = config["goal"], config["in_process_s"]
    lines += [
        f"The default config ({config['services']} services), loaded by `load_config()` in a fresh "
        f"process per run, as `app.py` does. Goal: the first load at most {_f(goal['limit_s'])} s: "
        f"**{goal['status']}** ({_f(goal['measured_s'], 3)} s, median).",
        "",
        "| step (in process) | median (s) | min-max (s) | runs |",
        "|---|---|---|---|",
    ]
    for step, label in (
        ("import_s", "import container_delivery.config (pydantic, models)"),
        ("first_load_s", "first load_config() (YAML, botocore partitions, validation)"),
        ("warm_load_s", "second load_config() in the same process"),
    ):
        row = phases[step]
        lines.append(
            f"| {label} | {_f(row['median'], 3)} | {_f(row['min'], 3)}-{_f(row['max'], 3)} | {row['n']} |"
        )
    wall = config["process_wall_s"]
    lines += [
        "",
        f"Whole process (interpreter start, import, two loads): {_f(wall['median'])} s median, "
        f"peak RSS {_f(config['peak_rss_mb'], 0)} MB.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / "results.json"
    results = json.loads(path.read_text())
    results.setdefault("source_json", str(path))
    results["analysis"] = analyse(results)
    path.write_text(json.dumps(results, indent=2) + "\n")  # the analysis of this code version
    path.with_suffix(".md").write_text(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
