"""Suppression files: load, validate every entry, report every problem at once.

File format (YAML)::

    suppressions:
      - id: CVE-2024-12345          # vulnerability id as the scanner reports it
        reason: "Not reachable: the service never parses untrusted XML"
        owner: team-payments
        expires: 2026-12-31         # last day on which the entry applies
        package: libxml2            # optional: package name or purl
        repository: webapp          # optional: limit to one image repository
"""

import datetime
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .model import InputError, Suppression

DEFAULT_MAX_DAYS = 90
REQUIRED_KEYS = ("id", "reason", "owner", "expires")
OPTIONAL_KEYS = ("package", "repository")
MIN_REASON_WORDS = 3

#: Reasons that say nothing about why the finding is safe or when it will be fixed.
BOILERPLATE_REASONS = frozenset(
    {
        "",
        "-",
        "accepted",
        "accepted risk",
        "risk accepted",
        "approved",
        "false positive",
        "fp",
        "ignore",
        "ignored",
        "later",
        "n a",
        "na",
        "no fix",
        "none",
        "not applicable",
        "not needed",
        "not relevant",
        "ok",
        "safe",
        "see ticket",
        "tbd",
        "temp",
        "temporary",
        "test",
        "todo",
        "fixme",
        "will fix",
        "will fix later",
        "wont fix",
        "won t fix",
    }
)
_PLACEHOLDER_WORDS = frozenset({"todo", "tbd", "fixme", "xxx"})
_WORD = re.compile(r"[a-z0-9]+")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that dates stay text and duplicate keys are errors.

    Dates are parsed by the gate, so that ``2026-13-45`` gets a message naming the entry instead
    of an exception from the YAML library; a duplicate key (two ``expires:``) would otherwise keep
    the last value without a word.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                continue  # unhashable keys are reported by the base class
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def reason_problem(reason: str) -> str | None:
    """Why a reason is not acceptable, or None if it is."""
    words = _WORD.findall(reason.lower())
    normalised = " ".join(words)
    if normalised in BOILERPLATE_REASONS or (words and words[0] in _PLACEHOLDER_WORDS):
        return (
            f"reason {reason.strip()!r} is a placeholder: say why the finding is safe here "
            "or when and how it will be fixed"
        )
    if len(words) < MIN_REASON_WORDS:
        return (
            f"reason {reason.strip()!r} is too short (fewer than {MIN_REASON_WORDS} words): "
            "say why the finding is safe here or when and how it will be fixed"
        )
    return None


def parse_suppressions(
    data: object,
    source: str = "suppressions",
    *,
    today: datetime.date,
    max_days: int = DEFAULT_MAX_DAYS,
) -> tuple[Suppression, ...]:
    """Validated entries of a decoded suppression file.

    An empty document means no entries. Expired entries are returned (they no longer suppress,
    and the decision lists them); an expiry more than ``max_days`` after ``today`` is an error.

    :raises InputError: One message, starting with ``source``, naming every bad entry.
    """
    if data is None:
        return ()
    if not isinstance(data, Mapping):
        raise InputError(
            f"{source}: expected a mapping with a 'suppressions' list at the top, "
            f"found {_kind(data)}"
        )
    unknown_top = sorted(str(k) for k in data if k != "suppressions")
    if unknown_top:
        raise InputError(
            f"{source}: unknown top-level key(s) {', '.join(unknown_top)} "
            "(the file has one key, 'suppressions')"
        )
    entries = data.get("suppressions")
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise InputError(f"{source}: 'suppressions' should be a list, found {_kind(entries)}")

    problems: list[str] = []
    result: list[Suppression] = []
    for index, raw in enumerate(entries, start=1):
        entry_problems, suppression = _entry(raw, index, source, today, max_days)
        if entry_problems:
            label = f"entry {index}"
            if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"].strip():
                label += f" ({raw['id'].strip()})"
            problems.append(f"{label}: " + ", ".join(entry_problems))
        elif suppression is not None:
            result.append(suppression)
    if problems:
        raise InputError(f"{source}: " + "; ".join(problems))
    return tuple(result)


def load_suppressions(
    path: str | Path, *, today: datetime.date, max_days: int = DEFAULT_MAX_DAYS
) -> tuple[Suppression, ...]:
    """Validated entries of a suppression file.

    :raises InputError: Unreadable file, invalid YAML or invalid entries (all of them named).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start})") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{path}: not valid YAML{where}: {problem}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # e.g. an explicitly tagged !!timestamp that is not a date
        raise InputError(f"{path}: not valid YAML: {error}") from None
    return parse_suppressions(data, str(path), today=today, max_days=max_days)


def _entry(
    raw: object, index: int, source: str, today: datetime.date, max_days: int
) -> tuple[list[str], Suppression | None]:
    if not isinstance(raw, Mapping):
        return [f"should be a mapping with {', '.join(REQUIRED_KEYS)}, found {_kind(raw)}"], None
    problems: list[str] = []
    unknown = sorted(str(k) for k in raw if k not in REQUIRED_KEYS + OPTIONAL_KEYS)
    if unknown:
        problems.append(
            f"unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)})"
        )
    text: dict[str, str | None] = {}
    for key in (*REQUIRED_KEYS[:3], *OPTIONAL_KEYS):
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            text[key] = None
            if key in REQUIRED_KEYS:
                problems.append(f"'{key}' is missing")
        elif not isinstance(value, str | int | float) or isinstance(value, bool):
            text[key] = None
            problems.append(f"'{key}' should be text, found {_kind(value)}")
        else:
            text[key] = str(value).strip()
    reason = text["reason"]
    if reason is not None and (problem := reason_problem(reason)):
        problems.append(problem)
    expires = _expiry(raw.get("expires"), problems)
    if expires is not None:
        days = (expires - today).days
        if days > max_days:
            problems.append(
                f"expires {expires.isoformat()} is {days} days out, more than the maximum of "
                f"{max_days} (--max-suppression-days)"
            )
    if problems or expires is None:
        return problems, None
    entry_id, owner = text["id"], text["owner"]
    if entry_id is None or owner is None or reason is None:  # pragma: no cover - reported above
        return ["'id', 'reason' and 'owner' are required"], None
    return [], Suppression(
        id=entry_id,
        reason=reason,
        owner=owner,
        expires=expires,
        package=text["package"],
        repository=text["repository"],
        index=index,
        source=source,
    )


def _expiry(value: Any, problems: list[str]) -> datetime.date | None:
    if value is None or value == "":
        problems.append("'expires' is missing")
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(f"expires {value!r} is not a date (write YYYY-MM-DD)")
    return None


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{type(value).__name__} {value!r}"
