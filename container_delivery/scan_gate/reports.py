"""Reading scanner reports: detect the format from the content and parse it."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._shape import ShapeError
from .inspector import is_inspector, parse_inspector
from .model import Finding, InputError
from .trivy import is_trivy, parse_trivy

UNKNOWN_FORMAT = (
    "unknown report format: expected Trivy JSON (trivy image --format json, SchemaVersion 2) "
    "or Amazon Inspector CycloneDX (inspector-scan scan-sbom --output-format CYCLONE_DX_1_5)"
)


def detect_format(doc: object) -> str | None:
    """``"trivy"``, ``"inspector"`` or None for a decoded report."""
    if is_trivy(doc):
        return "trivy"
    if is_inspector(doc):
        return "inspector"
    return None


def parse_report(doc: object, source: str = "") -> list[Finding]:
    """Findings of a decoded report of either supported format.

    :raises InputError: Unknown format or malformed content; the message starts with ``source``.
    """
    label = source or "report"
    fmt = detect_format(doc)
    if fmt is None or not isinstance(doc, Mapping):
        raise InputError(f"{label}: {UNKNOWN_FORMAT}")
    try:
        if fmt == "trivy":
            return parse_trivy(doc, source)
        return parse_inspector(doc, source)
    except ShapeError as error:
        raise InputError(f"{label}: not a valid {_NAMES[fmt]} report: {error}") from None


_NAMES = {"trivy": "Trivy", "inspector": "Amazon Inspector"}


def read_json(path: str | Path) -> Any:
    """Decode a JSON file; every failure becomes an InputError naming the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: not valid JSON: nested too deeply") from None


def load_report(path: str | Path) -> list[Finding]:
    """Findings of one report file (format detected from the content).

    :raises InputError: Unreadable file, invalid JSON, unknown format or malformed content.
    """
    return parse_report(read_json(path), str(path))
