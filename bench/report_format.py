"""Formatting shared by the sections of results.md: variant labels and number formatting."""

from __future__ import annotations

from typing import Any

VARIANTS = {
    "ours": "ours (container-delivery reference app)",
    "peer_python": "plain aws-cdk-lib, Python",
    "peer_js": "plain aws-cdk-lib, JavaScript (node)",
}


def fmt(value: Any, digits: int = 2) -> str:
    """``value`` for a table cell: floats with ``digits`` decimals, None as ``n/a``."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
