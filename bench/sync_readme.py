"""Copy the latest benchmark summary and goals from bench/results.md into README.md.

``make bench`` runs it after ``bench/run.py``; ``tests/test_readme.py`` fails when README's block
differs from results.md, so the README never quotes figures of another run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- bench-results:begin (generated from bench/results.md by bench/sync_readme.py) -->"
END = "<!-- bench-results:end -->"


def _section(markdown: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    if match is None:
        raise ValueError(f"bench/results.md has no section '## {heading}'")
    return match.group(1).strip()


def readme_block(results_md: str) -> str:
    """The README's benchmark block: the run's summary and its goals table."""
    summary = _section(results_md, "Summary (for the README)")
    goals = _section(results_md, "Goals")
    return (
        f"{BEGIN}\n{summary}\n\n{goals}\n\n"
        "Method, every measurement and the analysis: [bench/results.md](bench/results.md), "
        "[docs/benchmarks.md](docs/benchmarks.md).\n"
        f"{END}"
    )


def synced(readme: str, results_md: str) -> str:
    pattern = re.compile(r"<!-- bench-results:begin.*?-->.*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise ValueError("README.md has no bench-results block")
    return pattern.sub(lambda _: readme_block(results_md), readme)


def main() -> int:
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text()
    updated = synced(readme, (ROOT / "bench" / "results.md").read_text())
    if updated != readme:
        readme_path.write_text(updated)
        print("README.md: benchmark figures updated from bench/results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
