"""Renderers of a Decision: Markdown summary, JUnit XML, JSON result and console text.

All are pure functions returning text; the command line writes them to files. Each format lives
in its own module; this one gathers them under one import path.
"""

from ._console import CONSOLE_LIMIT, render_console
from ._junit import render_junit
from ._markdown import render_markdown
from ._result_json import (
    JSON_SCHEMA_VERSION,
    decision_dict,
    finding_dict,
    render_json,
    suppression_dict,
)
from ._wording import policy_text, verdict

__all__ = [
    "CONSOLE_LIMIT",
    "JSON_SCHEMA_VERSION",
    "decision_dict",
    "finding_dict",
    "policy_text",
    "render_console",
    "render_json",
    "render_junit",
    "render_markdown",
    "suppression_dict",
    "verdict",
]
