"""Where the audited code came from: git commit, blame of acknowledgment lines, config digest, tools.

Pure Python plus the ``git`` command: every function degrades to "unknown" outside a git
checkout (an installed wheel, an archived assembly) instead of failing the report.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path

_GIT_TIMEOUT_S = 30


@dataclass(frozen=True)
class GitState:
    """The checkout the report was made from."""

    root: Path | None
    commit: str
    dirty: bool | None  # None: not a git checkout

    @property
    def label(self) -> str:
        if self.root is None:
            return "not a git checkout"
        return f"{self.commit} ({'dirty: uncommitted changes' if self.dirty else 'clean'})"


@dataclass(frozen=True)
class Blame:
    """Who last changed one source line, and in which commit."""

    author: str
    date: str  # ISO date (UTC), "" when uncommitted
    commit: str  # "" when the line is not committed yet

    @property
    def label(self) -> str:
        if not self.commit:
            return "not committed yet"
        return f"{self.author}, {self.date}, {self.commit[:12]}"


def _git(root: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        result = subprocess.run(  # noqa: S603 - fixed git sub-commands, our own paths
            [git, "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def git_state(directory: Path) -> GitState:
    """The commit checked out at ``directory`` and whether tracked files differ from it."""
    top = _git(directory, "rev-parse", "--show-toplevel")
    commit = _git(directory, "rev-parse", "HEAD")
    if top is None or commit is None:
        return GitState(root=None, commit="", dirty=None)
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    return GitState(
        root=Path(top.strip()), commit=commit.strip(), dirty=bool(status and status.strip())
    )


def blame_lines(root: Path, lines: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Blame]:
    """``git blame`` of each (repository-relative file, line): one git call per file."""
    by_file: dict[str, set[int]] = {}
    for file, line in lines:
        by_file.setdefault(file, set()).add(line)
    result: dict[tuple[str, int], Blame] = {}
    for file, numbers in sorted(by_file.items()):
        ranges = [arg for n in sorted(numbers) for arg in ("-L", f"{n},{n}")]
        output = _git(root, "blame", "--porcelain", *ranges, "--", file)
        if output is None:
            continue
        result.update({(file, line): blame for line, blame in _parse_porcelain(output).items()})
    return result


def _parse_porcelain(output: str) -> dict[int, Blame]:
    """Line number -> Blame from ``git blame --porcelain`` (headers are given once per commit)."""
    commits: dict[str, dict[str, str]] = {}
    result: dict[int, Blame] = {}
    current: dict[str, str] | None = None
    sha = ""
    line_number = 0
    for raw in output.splitlines():
        if raw.startswith("\t"):  # the source line ends one entry
            if current is not None:
                uncommitted = set(sha) == {"0"}
                stamp = current.get("author-time", "")
                date = (
                    datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%d")
                    if stamp.isdigit() and not uncommitted
                    else ""
                )
                result[line_number] = Blame(
                    author=current.get("author", "") if not uncommitted else "",
                    date=date,
                    commit="" if uncommitted else sha,
                )
            current = None
            continue
        parts = raw.split(" ")
        if current is None and len(parts) >= 3 and len(parts[0]) == 40:
            sha = parts[0]
            line_number = int(parts[2])
            current = commits.setdefault(sha, {})
        elif current is not None:
            key, _, value = raw.partition(" ")
            current[key] = value
    return result


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def text_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _npm_version(root: Path, package: str) -> str | None:
    manifest = root / "node_modules" / package / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return str(version) if version else None


def tool_versions(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Installed versions of the tools that produce and check the assembly."""
    versions: dict[str, str] = {}
    for package in ("aws-cdk-lib", "cdk-nag", "constructs"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["CDK CLI (aws-cdk)"] = _npm_version(root, "aws-cdk") or "not installed"
    versions["Python"] = platform.python_version()
    versions["Node"] = _npm_version(root, "node") or "not installed"
    versions.update(extra or {})
    return versions
