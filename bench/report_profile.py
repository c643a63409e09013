"""The profile runs of results.md: the app with validation or nag switched off, jsii traffic counted."""

from __future__ import annotations

from typing import Any

from report_format import VARIANTS, fmt


def profile_lines(results: dict[str, Any], analysis: dict[str, Any]) -> list[str]:
    """The profile table and what it says about the cost of validation and nag."""
    profile = results.get("profile") or []
    if not profile:
        return []
    out = [
        "### Profile runs (one run each; the full configuration is the median timed run)",
        "",
        "The same app with parts switched off, and jsii traffic counted (requests Python "
        "sends to node; callbacks from node into Python code such as a Python nag pack). "
        "`jsii req. time` is the wall time inside outermost requests (node's work plus any "
        "callback); `callback time` the wall time inside Python callbacks.",
        "",
        "| variant | N | validation | nag | wall (s) | build (s) | synth (s) | peak RSS (MB) | "
        "jsii requests build / synth | callbacks build / synth | jsii req. time build (s) | "
        "callback time synth (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
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
        out.append(
            f"| {VARIANTS.get(o.get('variant', ''), o.get('variant'))} | {o.get('services')} | "
            f"{'on' if o.get('validation') else 'off'} | {nag_label(run)} | "
            f"{fmt(run['wall_s'])} | {fmt(o.get('build_s'))} | {fmt(o.get('synth_s'))} | "
            f"{fmt(run['sum_of_peaks_mb'], 0)} | {fmt(jb.get('requests'), 0)} / "
            f"{fmt(js.get('requests'), 0)} | {fmt(jb.get('callbacks'), 0)} / "
            f"{fmt(js.get('callbacks'), 0)} | {fmt(jb.get('request_wall_s'))} | "
            f"{fmt(js.get('callback_wall_s'))} |"
        )
    out.append("")
    breakdown = profile_breakdown(results, analysis)
    if breakdown:
        out += [breakdown, ""]
    return out


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
