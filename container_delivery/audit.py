"""``python -m container_delivery.audit`` (``make audit``): write the compliance audit report.

Without ``--assembly`` it builds and synthesizes the reference app (built-in validation and
every configured pack on), then reports on that cloud assembly. With ``--assembly DIR`` it only
reads an existing one (fast; no CDK app is built).

It sits at app level beside ``stacks/``, like ``app.py`` and ``plan.py``: it builds the whole
app, while the report itself (``container_delivery.compliance.report``) only reads the files a
synth writes.

Exit codes: 0 the report is written and there is no unacknowledged finding; 1 the report is
written and lists unacknowledged findings (or a pack that failed to run); 2 no report (bad
arguments, bad config, a construct's validation error, an unreadable assembly).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from container_delivery.compliance import ALWAYS
from container_delivery.compliance.report import (
    AssemblyError,
    build_report,
    render_asff,
    write_report,
)
from container_delivery.compliance.report.provenance import file_digest, text_digest
from container_delivery.compliance.report.sources import record_construct_sources, write_sources

PROG = "python -m container_delivery.audit"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Write the compliance audit report (report.html, report.md, report.json and "
            "report.sarif)."
        ),
    )
    parser.add_argument("--out", default="audit", help="output directory (default: audit)")
    parser.add_argument(
        "--assembly",
        metavar="DIR",
        help="report on this existing cloud assembly instead of synthesizing the reference app",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="reference app config (default: $CONTAINER_DELIVERY_CONFIG, else the embedded default)",
    )
    parser.add_argument(
        "--packs",
        nargs="+",
        metavar="PACK",
        default=[],
        help="packs that ran (with --assembly; default: those seen in the assembly)",
    )
    parser.add_argument(
        "--format",
        action="append",
        choices=["asff"],
        default=[],
        help="also write report.asff.json (AWS Security Hub findings, for BatchImportFindings)",
    )
    parser.add_argument(
        "--synth-into",
        metavar="DIR",
        help="keep the synthesized cloud assembly in this new or empty directory",
    )
    return parser


@dataclass(frozen=True)
class _Synthesized:
    packs: list[str]
    source: str
    config: str
    config_digest: str


def _config_file(path: str | None) -> tuple[str, str]:
    """The config file as shown in the report, and the sha256 of its bytes."""
    if path:
        file = Path(path)
        return str(file), file_digest(file)
    default = resources.files("container_delivery.config").joinpath("default.yaml")
    return "container_delivery/config/default.yaml (the default config)", text_digest(
        default.read_text(encoding="utf-8")
    )


def _synthesize(config_path: str | None, outdir: Path) -> _Synthesized:
    """Synthesize the reference app into ``outdir``; return the packs it ran and a description.

    The config and the stacks are imported here, not at the top: ``--assembly`` needs neither,
    and loading them (pydantic, every aws_cdk module the stacks use) takes seconds.
    """
    from container_delivery.config import CONFIG_ENV_VAR, load_config
    from container_delivery.stacks.app import build_app

    path = config_path or os.environ.get(CONFIG_ENV_VAR)
    config = load_config(path)
    shown, digest = _config_file(path)
    # The feature flags of cdk.json, so the audit sees what `cdk synth` synthesizes.
    cdk_json = Path("cdk.json")
    context = json.loads(cdk_json.read_text())["context"] if cdk_json.exists() else {}
    root = Path.cwd()
    with record_construct_sources(root) as recorded:
        app = build_app(config, outdir=str(outdir), context=context)
    try:
        app.synth()
    except RuntimeError as error:  # unacknowledged findings: the report lists them
        if "ValidationFailed" not in str(error):
            raise
    write_sources(recorded, root, outdir)
    packs = list(dict.fromkeys([*ALWAYS, *config.packs]))
    return _Synthesized(
        packs=packs,
        source=f"the reference app synthesized with {path or 'the default config'}",
        config=shown,
        config_digest=digest,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = Path(args.out)
    try:
        if args.assembly:
            shown, digest = _config_file(args.config) if args.config else ("", "")
            report = build_report(
                Path(args.assembly),
                packs=args.packs,
                source=f"the cloud assembly {args.assembly}",
                config=shown,
                config_digest=digest,
            )
        else:
            with tempfile.TemporaryDirectory(prefix="audit-cdk-out-") as temporary:
                outdir = Path(args.synth_into or temporary)
                if outdir.exists() and any(outdir.iterdir()):
                    print(f"{PROG}: --synth-into {outdir} is not empty", file=sys.stderr)
                    return 2
                synthesized = _synthesize(args.config, outdir)
                report = build_report(
                    outdir,
                    packs=[*synthesized.packs, *args.packs],
                    source=synthesized.source,
                    config=synthesized.config,
                    config_digest=synthesized.config_digest,
                )
    except OSError as error:  # an unreadable --config given with --assembly
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except (AssemblyError, ValueError) as error:  # ConfigError and construct errors too
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # a construct's add_validation error, surfaced by jsii
        print(f"{PROG}: the reference app did not synthesize: {error}", file=sys.stderr)
        return 2
    paths: tuple[Path, ...] = write_report(report, out)
    if "asff" in args.format:
        asff_path = out / "report.asff.json"
        asff_path.write_text(render_asff(report), encoding="utf-8")
        paths = (*paths, asff_path)
    summary = ", ".join(f"{count} {name}" for name, count in report.summary.items())
    print(f"Wrote {', '.join(str(p) for p in paths)}: {summary}.")
    if not report.passed:
        print(
            f"{PROG}: {len(report.violations)} unacknowledged finding(s); see the report's "
            "'Unacknowledged findings' section",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
