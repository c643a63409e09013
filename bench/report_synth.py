"""The synth sections of results.md: scaling table, ratios, growth, phases, marginal cost."""

from __future__ import annotations

from typing import Any

from report_format import VARIANTS, fmt


def scaling_lines(analysis: dict[str, Any]) -> list[str]:
    """Wall time, memory and size of every measured cell."""
    out = [
        "## Synth scaling",
        "",
        "Wall time of one fresh process that builds the app and calls `app.synth()`, with "
        "aws-cdk-lib's built-in template validation on and the nag packs AwsSolutions, "
        "NIST.800.53.R5, HIPAA.Security and PCI.DSS.321 registered (ours also runs its own "
        "ContainerDelivery pack). N = services; each service has a staging and a production "
        "service stack and a pipeline. Peak RSS: the sum over the process tree (python, the jsii "
        "node processes) of each process's own peak (VmHWM); `largest` is the largest single "
        "process (wait4 rusage).",
        "",
        "| variant | N | runs | wall median (s) | min-max (s) | s / service | peak RSS (MB) | "
        "largest (MB) | templates | resources | unacknowledged findings |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, label in VARIANTS.items():
        data = analysis["synth"].get(variant)
        if not data:
            continue
        for n, row in data["by_n"].items():
            out.append(
                f"| {label} | {n} | {row['runs']} | {fmt(row['wall_median_s'])} | "
                f"{fmt(row['wall_min_s'])}-{fmt(row['wall_max_s'])} | "
                f"{fmt(row['wall_median_s'] / int(n))} | {fmt(row['peak_rss_mb'], 0)} | "
                f"{fmt(row['largest_process_mb'], 0)} | {row['templates']} | {row['resources']} | "
                f"{row['findings']} |"
            )
    out.append("")
    return out


def ratio_lines(analysis: dict[str, Any]) -> list[str]:
    """Ours over each peer at every N, from the same run."""
    out = [
        "### Ratios (median wall time, same run)",
        "",
        "| N | ours / plain Python | ours / plain JS | plain Python / plain JS |",
        "|---|---|---|---|",
    ]
    for n, row in analysis["ratios"].items():
        out.append(
            f"| {n} | {fmt(row.get('peer_python'))} | {fmt(row.get('peer_js'))} | "
            f"{fmt(row.get('python_over_js'))} |"
        )
    out.append("")
    return out


def growth_lines(analysis: dict[str, Any]) -> list[str]:
    """Least-squares fits and segment slopes, and whether ours grows linearly."""
    out = [
        "### Growth",
        "",
        "Least-squares line `time = intercept + slope x N` through the medians (and through every "
        "run), R², and the slope of each segment between measured sizes.",
        "",
        "| variant | slope (s/service) | intercept (s) | R² | slope, all runs | R², all runs "
        "| segments (s/service) | resources per added service | ms per added resource |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, label in VARIANTS.items():
        data = analysis["synth"].get(variant)
        if not data or not data["fit_medians"]:
            continue
        fit, fit_all = data["fit_medians"], data["fit_all_runs"]
        segments = ", ".join(
            f"{s['from']}->{s['to']}: {fmt(s['s_per_service'], 3)}" for s in data["segments"]
        )
        per_resource = ", ".join(
            f"{s['from']}->{s['to']}: {fmt(s['ms_per_resource'], 1)}" for s in data["segments"]
        )
        last = data["segments"][-1]
        out.append(
            f"| {label} | {fmt(fit['slope'], 3)} | {fmt(fit['intercept'])} | {fmt(fit['r2'], 4)} | "
            f"{fmt(fit_all['slope'], 3)} | {fmt(fit_all['r2'], 4)} | {segments} | "
            f"{fmt(last['resources_per_service'], 1)} | {per_resource} |"
        )
    out += [
        "",
        "`ms per added resource`: the segment's extra wall time over the extra resources "
        "synthesized. The variants do not create the same infrastructure per service, so this "
        "separates the library's own overhead from the extra resources it adds.",
        "",
    ]
    linear = linearity_text(analysis)
    if linear:
        out += [linear, ""]
    return out


def phase_lines(analysis: dict[str, Any]) -> list[str]:
    """Where the time goes in each cell, and the marginal cost of a service by phase."""
    out = [
        "### Where the time goes (phase medians, s)",
        "",
        "`startup`: interpreter start to the script's first line; `import`: `import aws_cdk` "
        "(starts node, loads the jsii assemblies) and, for ours, the library; `build`: "
        "constructing the tree (every construct is a jsii call into node); `synth`: "
        "`app.synth()`, i.e. synthesis + built-in validation + every nag pack. The remainder "
        "of the wall time is interpreter start, counting the templates, and process exit (node "
        "shutdown). jsii columns (Python variants, the median run of the cell): requests Python sent "
        "to node while building the tree and the wall time inside them; in `app.synth()`, "
        "requests and callbacks from node into Python code (e.g. a Python nag pack).",
        "",
        "| variant | N | startup | import | build | synth | wall | rest | jsii requests in build "
        "| jsii time in build | requests / callbacks in synth |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, label in VARIANTS.items():
        data = analysis["synth"].get(variant)
        if not data:
            continue
        for n, row in data["by_n"].items():
            p = row["phases_median_s"]
            rest = row["wall_median_s"] - sum(p.values())
            jb, js = row["jsii"].get("build", {}), row["jsii"].get("synth", {})
            out.append(
                f"| {label} | {n} | {fmt(p['startup'])} | {fmt(p['import'])} | {fmt(p['build'])} | "
                f"{fmt(p['synth'])} | {fmt(row['wall_median_s'])} | {fmt(rest)} | "
                f"{fmt(jb.get('requests'), 0)} | {fmt(jb.get('request_wall_s'))} | "
                f"{fmt(js.get('requests'), 0)} / {fmt(js.get('callbacks'), 0)} |"
            )
    out.append("")
    breakdown = marginal_breakdown(analysis)
    if breakdown:
        out += ["### Marginal cost per added service, by phase", "", breakdown, ""]
    return out


def warmup_lines(results: dict[str, Any]) -> list[str]:
    """The warm-up processes, which the tables leave out."""
    warmups = results.get("synth", {}).get("warmup", [])
    if not warmups:
        return []
    return [
        "Warm-up (not in the tables; the first process after set-up fills the jsii cache "
        "and the page cache): loading aws-cdk-lib and cdk-nag took "
        + "; ".join(f"{w['variant']} {fmt(w['wall_s'])} s" for w in warmups)
        + ".",
        "",
    ]


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
            return fmt((value_hi - value_lo) / span, digits)

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
        f"{last['s_per_service']:.3f} s/service (ratio {fmt(curvature)})."
    )
