"""``scan-gate``: decide from scanner reports whether an image may go on.

Exit codes: 0 the gate passed, 1 the gate failed, 2 bad input (the message names the file).
"""

import argparse
import datetime
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .gate import evaluate
from .kev import load_kev
from .model import THRESHOLDS, Decision, Finding, InputError, Policy, Severity, Suppression
from .render import render_console, render_json, render_junit, render_markdown
from .reports import load_report
from .suppressions import DEFAULT_MAX_DAYS, load_suppressions

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
DEFAULT_EXPIRING_WITHIN_DAYS = 14
_LEVELS = [s.value for s in THRESHOLDS]


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 or more")
    return value


def _max_days(text: str) -> int:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            "0 would reject every suppression (an entry's expiry must lie after today); give 1 "
            f"or more (default: {DEFAULT_MAX_DAYS})"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scan-gate",
        description="Decide from Trivy / Amazon Inspector reports whether an image may go on. "
        "Exit 0: passed, 1: failed, 2: bad input.",
    )
    parser.add_argument(
        "--report",
        action="append",
        required=True,
        metavar="PATH",
        help="Trivy JSON (SchemaVersion 2) or Inspector scan-sbom CycloneDX 1.5 output; repeatable",
    )
    parser.add_argument(
        "--suppressions",
        required=True,
        metavar="PATH",
        help="suppression file (YAML); a file with 'suppressions: []' suppresses nothing",
    )
    parser.add_argument(
        "--threshold",
        default="HIGH",
        type=str.upper,
        choices=_LEVELS,
        help="fail on findings at or above this severity (default: HIGH)",
    )
    parser.add_argument(
        "--kev",
        metavar="PATH",
        help="CISA KEV catalog (known_exploited_vulnerabilities.json): listed findings fail at "
        "any severity unless suppressed",
    )
    parser.add_argument(
        "--fixed-only",
        action="store_true",
        help="fail on severity only when a fixed version exists (KEV findings fail regardless)",
    )
    parser.add_argument(
        "--max-suppression-days",
        type=_max_days,
        default=DEFAULT_MAX_DAYS,
        metavar="N",
        help=f"reject entries expiring more than N days from today (default: {DEFAULT_MAX_DAYS})",
    )
    parser.add_argument("--junit", metavar="PATH", help="write a JUnit XML report here")
    parser.add_argument("--summary", metavar="PATH", help="write a Markdown summary here")
    parser.add_argument("--json", metavar="PATH", help="write the JSON result here")
    parser.add_argument(
        "--repository",
        metavar="NAME",
        help="image repository the reports are for; entries with 'repository:' apply only when "
        "it matches (default: such entries do not apply)",
    )
    parser.add_argument(
        "--today",
        type=_date,
        metavar="YYYY-MM-DD",
        help="evaluate expiry as of this date (default: today in UTC)",
    )
    parser.add_argument(
        "--expiring-within-days",
        type=_non_negative,
        default=DEFAULT_EXPIRING_WITHIN_DAYS,
        metavar="N",
        help="list entries expiring within N days as expiring soon "
        f"(default: {DEFAULT_EXPIRING_WITHIN_DAYS})",
    )
    parser.add_argument(
        "--unknown-as",
        default="HIGH",
        type=str.upper,
        choices=_LEVELS,
        help="severity that UNKNOWN / untriaged findings count as (default: HIGH)",
    )
    return parser


def _write(path: str, render: Callable[[Decision], str], decision: Decision) -> str | None:
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(decision), encoding="utf-8")
    except OSError as error:
        return f"{path}: cannot write: {error.strerror or error}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the gate; returns the exit code (0 passed, 1 failed, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # usage errors (2) and --help (0)
        return exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
    today: datetime.date = args.today or datetime.datetime.now(datetime.UTC).date()

    problems: list[str] = []
    findings: list[Finding] = []
    for path in args.report:
        try:
            findings.extend(load_report(path))
        except InputError as error:
            problems.append(str(error))
    suppressions: tuple[Suppression, ...] = ()
    try:
        suppressions = load_suppressions(
            args.suppressions, today=today, max_days=args.max_suppression_days
        )
    except InputError as error:
        problems.append(str(error))
    kev_ids: frozenset[str] = frozenset()
    if args.kev:
        try:
            kev_ids = load_kev(args.kev)
        except InputError as error:
            problems.append(str(error))
    if problems:
        for problem in problems:
            print(f"scan-gate: error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT

    policy = Policy(
        threshold=Severity(args.threshold),
        fixed_only=args.fixed_only,
        kev_ids=kev_ids,
        repository=args.repository,
        unknown_as=Severity(args.unknown_as),
        expiring_within_days=args.expiring_within_days,
    )
    decision = evaluate(findings, suppressions, policy, today)

    outputs = (
        (args.summary, render_markdown),
        (args.junit, render_junit),
        (args.json, render_json),
    )
    for output_path, render in outputs:
        if output_path and (write_error := _write(output_path, render, decision)):
            problems.append(write_error)
    sys.stdout.write(render_console(decision))
    if problems:
        for problem in problems:
            print(f"scan-gate: error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return decision.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
