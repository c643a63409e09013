"""The report as a document: headings, paragraphs and tables of cells, before any format.

Every format (Markdown, HTML, JSON) renders the same list of blocks, so they always say the
same thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .model import _GRANULAR

TITLE = "Compliance audit report"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    css_class: str = ""


@dataclass(frozen=True)
class RuleRef:
    """A rule id, never broken inside; linked to its row of the coverage table. ``named`` are the
    resources a granular id names: (logical id, construct path)."""

    rule: str
    named: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        names = "; ".join(f"{lid} = {path or 'unknown'}" for lid, path in self.named)
        return f"{self.rule} ({names})" if names else self.rule


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Many:
    """Several values in one cell (one per line in HTML, comma-separated in Markdown)."""

    items: tuple[Cell, ...]


Cell = str | int | RuleRef | Link | Many


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    table_id: str = ""


Block = Heading | Paragraph | Table


def anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def rule_anchor(rule: str) -> str:
    return "rule-" + anchor(_GRANULAR.sub("", rule))


def cell_text(cell: Cell) -> str:
    """A cell as plain text (Markdown, JSON)."""
    if isinstance(cell, RuleRef):
        return cell.text
    if isinstance(cell, Link):
        return f"{cell.text} ({cell.href})" if cell.href != cell.text else cell.text
    if isinstance(cell, Many):
        return ", ".join(cell_text(item) for item in cell.items)
    return str(cell)
