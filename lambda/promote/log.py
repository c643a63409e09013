"""Structured logs: one JSON line per event, carrying the ids that matter."""

from __future__ import annotations

import json
import sys
from typing import Any


def log(level: str, event: str, **fields: Any) -> None:
    """One JSON line per event on stdout; the alarm filter is ``{ $.level = "ERROR" }``."""
    record = {"level": level, "event": event, **fields}
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()
