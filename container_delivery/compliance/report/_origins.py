"""Where each acknowledgment was made, and which configuration value chose it.

``acknowledge()`` records the file and line of its call (and the construct option that chose the
exception, if any) as stack metadata; ``record_choice()`` records, on a construct, the config key
behind each option. Both are read here, and the lines are git-blamed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..acknowledge import ACKNOWLEDGMENT_METADATA, CHOICE_METADATA
from ._assembly import StackArtifact
from .model import Source
from .provenance import blame_lines


class Origins:
    """Where each acknowledgment was made, and which configuration chose it (from metadata)."""

    def __init__(
        self,
        calls: Mapping[tuple[str, str], tuple[Source, str]],
        choices: Mapping[str, tuple[Mapping[str, str], str]],
        environments: Mapping[str, str],
    ) -> None:
        self._calls = calls
        self._choices = choices
        self._environments = environments

    @classmethod
    def read(
        cls,
        artifacts: Sequence[StackArtifact],
        stack_by_path: Mapping[str, str],
        stack_paths: Sequence[str],
        root: Path,
    ) -> Origins:
        raw: dict[tuple[str, str], tuple[str, int, str]] = {}
        choices: dict[str, tuple[Mapping[str, str], str]] = {}
        for artifact in artifacts:
            for key, entries in artifact.metadata.items():
                path = key.lstrip("/")
                for entry in entries:
                    data = entry.get("data")
                    if not isinstance(data, dict):
                        continue
                    if entry.get("type") == ACKNOWLEDGMENT_METADATA:
                        file = _relative(str(data.get("file", "")), root)
                        for rule in data.get("rules") or []:
                            raw[(path, str(rule))] = (
                                file,
                                int(data.get("line") or 0),
                                str(data.get("chosenBy") or ""),
                            )
                    elif entry.get("type") == CHOICE_METADATA:
                        choices[path] = (
                            {str(k): str(v) for k, v in (data.get("choices") or {}).items()},
                            str(data.get("environment") or ""),
                        )
        blames = blame_lines(
            root, {(file, line) for file, line, _ in raw.values() if not Path(file).is_absolute()}
        )
        calls = {
            key: (Source(file, line, blames.get((file, line))), chosen_by)
            for key, (file, line, chosen_by) in raw.items()
        }
        environments = {a.name: a.environment for a in artifacts}
        return cls(calls, choices, environments)

    def of(self, path: str, qualified_id: str, stack: str) -> dict[str, Any]:
        """Fields for a finding or acknowledgment declared at ``path`` for ``qualified_id``."""
        call = self._calls.get((path, qualified_id))
        if call is None:
            return {}
        source, chosen_by = call
        fields: dict[str, Any] = {"source": source, "chosen_by": chosen_by}
        if chosen_by:
            key, env_name = "", ""
            probe = path
            while probe:
                if probe in self._choices and chosen_by in self._choices[probe][0]:
                    key, env_name = self._choices[probe][0][chosen_by], self._choices[probe][1]
                    break
                probe = probe.rpartition("/")[0]
            fields["config_key"] = key or f"{chosen_by} (construct option set in code)"
            fields["env_name"] = env_name or self._environments.get(stack, "")
        return fields


def _relative(file: str, root: Path) -> str:
    """``file`` relative to ``root`` when inside it, else as recorded."""
    if not file:
        return ""
    try:
        return str(Path(file).resolve().relative_to(root.resolve()))
    except ValueError:
        return file
