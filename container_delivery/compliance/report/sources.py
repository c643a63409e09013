"""The Python source line that created each construct, recorded while the app is built.

CDK records construct creation traces only with ``stack_traces`` on, and then in JavaScript. For
SARIF, a finding needs the line of *our* code that made the resource: while the audit builds the
app, every construct created from Python (through ``jsii.create``) is remembered with the first
caller frame inside the project (not the frame of a subclass's own ``super().__init__``). A
resource that CDK creates inside an L2 has no Python line of its own: the nearest recorded
ancestor gives it (``source_of``).

The map is written into the cloud assembly (``container-delivery-sources.json``) so that a report
on an archived assembly has it too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

SOURCES_FILE = "container-delivery-sources.json"


def _caller(frame: FrameType | None, created: object, root: str) -> tuple[str, int] | None:
    while frame is not None:
        file = frame.f_code.co_filename
        if (
            file.startswith(root)
            and "site-packages" not in file
            and not (frame.f_code.co_name == "__init__" and frame.f_locals.get("self") is created)
        ):
            return file, frame.f_lineno
        frame = frame.f_back
    return None


@contextmanager
def record_construct_sources(root: Path) -> Iterator[list[tuple[Any, str, int]]]:
    """While active, remember (construct, file, line) for constructs created from Python."""
    import jsii
    from constructs import Construct

    recorded: list[tuple[Any, str, int]] = []
    original = jsii.create
    prefix = str(root.resolve()) + "/"

    def create(klass: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(klass, obj, *args, **kwargs)
        if isinstance(obj, Construct):
            where = _caller(sys._getframe(1), obj, prefix)
            if where is not None:
                recorded.append((obj, *where))
        return result

    jsii.create = create
    try:
        yield recorded
    finally:
        jsii.create = original


def write_sources(recorded: list[tuple[Any, str, int]], root: Path, outdir: Path) -> None:
    """Write construct path -> [repository-relative file, line] into the assembly."""
    base = root.resolve()
    paths: dict[str, list[Any]] = {}
    for construct, file, line in recorded:
        try:
            relative = str(Path(file).resolve().relative_to(base))
        except ValueError:
            continue
        paths[construct.node.path] = [relative, line]
    (outdir / SOURCES_FILE).write_text(json.dumps(paths, sort_keys=True), encoding="utf-8")


def read_sources(assembly_dir: Path) -> dict[str, tuple[str, int]]:
    path = assembly_dir / SOURCES_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): (str(v[0]), int(v[1])) for k, v in data.items()}


def source_of(path: str, sources: Mapping[str, tuple[str, int]]) -> tuple[str, int] | None:
    """The recorded source of ``path`` or of its nearest ancestor."""
    while path:
        if path in sources:
            return sources[path]
        path = path.rpartition("/")[0]
    return None
