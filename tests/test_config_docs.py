"""docs/config.md's table of rules: every example message is what the loader prints today.

Each row names a rule, an example change to the default config (``path: value`` in YAML; the value
``(removed)`` deletes the key) and the message line the loader reports for it. After changing a
message, refresh the table from real runs: ``.venv/bin/python -m tests.test_config_docs``.
"""

from __future__ import annotations

import copy
import re
import sys
from typing import Any

import pytest
import yaml

from container_delivery.config import ConfigError, parse_config
from container_delivery.config.loader import default_config_text
from tests.helpers import ROOT

DOC = ROOT / "docs" / "config.md"
BEGIN, END = "<!-- rules:begin -->", "<!-- rules:end -->"
ROW = re.compile(r"^\| (?P<rule>[^|]+) \| `(?P<example>[^`]+)` \| `(?P<message>.*)` \|$")


def _rows(text: str) -> list[dict[str, str]]:
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    rows = [m.groupdict() for line in block.splitlines() if (m := ROW.match(line))]
    assert rows, "no rule rows found"
    return rows


def _apply(raw: dict[str, Any], example: str) -> None:
    path, value_text = example.split(": ", 1)
    parts: list[str | int] = [
        int(p) if p.isdigit() else p for p in re.split(r"\.|\[|\]\.?", path) if p != ""
    ]
    node: Any = raw
    for part in parts[:-1]:
        node = node[part] if isinstance(part, int) or part in node else node.setdefault(part, {})
    last = parts[-1]
    if value_text == "(removed)":
        del node[last]
        return
    value = yaml.safe_load(value_text)
    if isinstance(value, str) and value.startswith("(") and value.endswith(" copies)"):
        # "services: (101 copies)": the same valid service, renamed, that many times
        count = int(value[1:].split()[0])
        template = raw["services"][1]
        value = [{**copy.deepcopy(template), "name": f"svc{i:03d}"} for i in range(count)]
    node[last] = value


def message_for(example: str) -> str:
    """The first problem line the loader prints for ``example`` applied to the default config."""
    raw = copy.deepcopy(yaml.safe_load(default_config_text()))
    _apply(raw, example)
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    path = example.split(": ", 1)[0]
    lines = [line[4:] for line in str(error.value).splitlines() if line.startswith("  - ")]
    mine = [line for line in lines if line.startswith(path)]
    assert mine, f"no problem reported at {path}: {lines}"
    return mine[0]


def _escape(message: str) -> str:
    return message.replace("|", "\\|")


@pytest.mark.parametrize("row", _rows(DOC.read_text()), ids=lambda row: row["rule"].strip())
def test_each_documented_rule_gives_the_documented_message(row: dict[str, str]) -> None:
    assert _escape(message_for(row["example"])) == row["message"]


def refresh() -> None:
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    block, tail = rest.split(END, 1)
    lines = []
    for line in block.splitlines():
        match = ROW.match(line)
        if match:
            message = _escape(message_for(match["example"]))
            line = f"| {match['rule']} | `{match['example']}` | `{message}` |"
        lines.append(line)
    DOC.write_text(head + BEGIN + "\n".join(lines) + "\n" + END + tail)


if __name__ == "__main__":
    refresh()
    sys.exit(0)
