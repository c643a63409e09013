"""The sections of results.md beyond synth: test suite, deploy model, promotion, scan gate, config.

Each reads its part of results.json and says "Not measured" when the run has none.
"""

from __future__ import annotations

from typing import Any

from report_format import fmt


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
        f"| wall time (s) | {fmt(suite['wall_s'], 1)} |",
        f"| result | {suite.get('summary') or 'n/a'} (exit code {suite['returncode']}) |",
        f"| tests collected | {fmt(counts.get('tests_collected'))} |",
        f"| stages (apps) synthesized | {fmt(counts.get('stages_synthesized'))} |",
        f"| synth calls (App/Stage.synth, Template/Annotations.from_stack) | "
        f"{fmt(sum((counts.get('calls') or {}).values()) if counts else None)} |",
        f"| wall time inside synth calls (s) | {fmt(counts.get('wall_s_inside_synth_calls'))} |",
        f"| subprocesses started by tests | "
        f"{', '.join(f'{k}: {v}' for k, v in (counts.get('subprocesses') or {}).items()) or 'none'} |",
        f"| peak RSS, whole tree (MB) | {fmt(suite.get('peak_rss_mb'), 0)} |",
        "",
    ]
    calls = counts.get("calls") or {}
    if calls:
        lines += ["Calls by entry point: " + ", ".join(f"`{k}` {v}" for k, v in calls.items()), ""]
    slowest = counts.get("slowest_phases") or []
    if slowest:
        lines += ["Slowest test phases:", "", "| s | phase | test |", "|---|---|---|"]
        lines += [f"| {fmt(s['seconds'])} | {s['phase']} | `{s['test']}` |" for s in slowest[:10]]
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
        f"| health-check grace (s) | {fmt(ours['grace_seconds'], 0)} | {fmt(pattern['grace_seconds'], 0)} |",
        f"| healthy threshold | {ours['healthy_threshold']} | {pattern['healthy_threshold']} |",
        f"| health-check interval (s) | {fmt(ours['interval_seconds'], 0)} | {fmt(pattern['interval_seconds'], 0)} |",
        f"| deregistration delay (s) | {fmt(ours['deregistration_delay_seconds'], 0)} | "
        f"{fmt(pattern['deregistration_delay_seconds'], 0)} |",
        f"| minimum healthy / maximum percent | {ours['minimum_healthy_percent']} / "
        f"{ours['maximum_percent']} | {pattern['minimum_healthy_percent']} / {pattern['maximum_percent']} |",
        f"| **modeled seconds** | **{fmt(ours['seconds'], 0)}** | **{fmt(pattern['seconds'], 0)}** |",
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
        ops = ", ".join(f"{k} {fmt(v)}" for k, v in row["ecr_calls_by_operation"].items())
        lines.append(
            f"| {row['what']} | {row['promotions']} | {calls} | {ops} | {fmt(row['ms_median'], 1)} | "
            f"{fmt(row['ms_p90'], 1)} | {fmt(row['ms_max'], 1)} |"
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
        f"A generated Trivy report ({inputs['findings']} findings, {fmt(inputs['report_mb'], 1)} MB) "
        f"and a suppression file of {inputs['suppression_entries']} entries. Decision: "
        f"{decision['blocking']} blocking, {decision['suppressed']} suppressed, "
        f"{decision['allowed']} allowed, {decision['expired_entries']} expired entries.",
        "",
        "| step (in process) | median (s) | min-max (s) | runs |",
        "|---|---|---|---|",
    ]
    for step, row in gate["in_process_s"].items():
        lines.append(
            f"| {step} | {fmt(row['median'], 3)} | {fmt(row['min'], 3)}-{fmt(row['max'], 3)} | {row['n']} |"
        )
    cli = gate["cli"]
    lines += [
        "",
        f"`evaluate()`: {fmt(gate['evaluate_us_per_finding'], 1)} µs per finding. Command line end "
        f"to end (fresh process, report + suppressions + Markdown/JUnit/JSON outputs): "
        f"{fmt(cli['wall_s'])} s, exit code {cli['exit_code']} (1 = gate failed, as expected "
        f"with blocking findings), peak RSS {fmt(cli['peak_rss_mb'], 0)} MB.",
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
        f"process per run, as `app.py` does. Goal: the first load at most {fmt(goal['limit_s'])} s: "
        f"**{goal['status']}** ({fmt(goal['measured_s'], 3)} s, median).",
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
            f"| {label} | {fmt(row['median'], 3)} | {fmt(row['min'], 3)}-{fmt(row['max'], 3)} | {row['n']} |"
        )
    wall = config["process_wall_s"]
    lines += [
        "",
        f"Whole process (interpreter start, import, two loads): {fmt(wall['median'])} s median, "
        f"peak RSS {fmt(config['peak_rss_mb'], 0)} MB.",
        "",
    ]
    return "\n".join(lines)
