"""A pytest plugin that counts the app synths a test run performs (``make bench`` loads it).

    BENCH_SYNTH_COUNT_FILE=out.json python -m pytest -p bench.count_synths

Does nothing unless ``BENCH_SYNTH_COUNT_FILE`` is set. At session start it wraps every Python
entry point that synthesizes a stage: ``App.synth``, ``Stage.synth``,
``assertions.Template.from_stack`` and ``assertions.Annotations.from_stack`` (the last two call
the stage's ``synth()`` on the JavaScript side). aws-cdk-lib caches a stage's assembly, so a
stage is synthesized once however often it is asked: the count of real synths is the number of
distinct stages (by jsii object reference) seen. Calls and the wall time spent inside them are
counted too, and the subprocesses the tests start (e.g. ``cfn-lint``), by program name. The
tests are not changed.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

_STATE: dict[str, Any] = {
    "calls": Counter(),
    "stages": set(),
    "synth_wall_s": 0.0,
    "subprocesses": Counter(),
    "slowest": [],
}
_DEPTH = [0]


def _stage_ref(obj: Any) -> str | None:
    ref = getattr(obj, "__jsii_ref__", None)
    return getattr(ref, "ref", None)


def _wrap(owner: Any, name: str, label: str, stage_of: Any) -> None:
    original = owner.__dict__[name]
    is_classmethod = isinstance(original, classmethod)
    function = original.__func__ if is_classmethod else original

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _STATE["calls"][label] += 1
        stage = stage_of(*args)
        ref = _stage_ref(stage)
        if ref is not None:
            _STATE["stages"].add(ref)
        _DEPTH[0] += 1
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
            if _DEPTH[0] == 0:
                _STATE["synth_wall_s"] += time.perf_counter() - start

    setattr(owner, name, classmethod(wrapper) if is_classmethod else wrapper)


def _wrap_subprocess() -> None:
    original = subprocess.Popen.__init__

    @functools.wraps(original)
    def init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        argv = [args] if isinstance(args, str | bytes | os.PathLike) else list(args)
        program = Path(str(argv[0])).name if argv else "?"
        if program.startswith("python") and len(argv) > 1:
            program = f"{program} {Path(str(argv[1])).name}"
        _STATE["subprocesses"][program] += 1
        original(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = init  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("BENCH_SYNTH_COUNT_FILE"):
        return
    import aws_cdk as cdk
    from aws_cdk import assertions

    def stage_of_stack(_cls: Any, stack: Any, *_: Any) -> Any:
        try:
            return cdk.Stage.of(stack)
        except Exception:
            return None

    _wrap(cdk.App, "synth", "App.synth", lambda app, *_: app)
    _wrap(cdk.Stage, "synth", "Stage.synth", lambda stage, *_: stage)
    _wrap(assertions.Template, "from_stack", "Template.from_stack", stage_of_stack)
    _wrap(assertions.Annotations, "from_stack", "Annotations.from_stack", stage_of_stack)
    _wrap_subprocess()
    _STATE["start"] = time.perf_counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not os.environ.get("BENCH_SYNTH_COUNT_FILE"):
        return
    slowest: list[tuple[float, str, str]] = _STATE["slowest"]
    slowest.append((report.duration, report.when, report.nodeid))
    slowest.sort(reverse=True)
    del slowest[15:]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("BENCH_SYNTH_COUNT_FILE")
    if not path:
        return
    Path(path).write_text(
        json.dumps(
            {
                "stages_synthesized": len(_STATE["stages"]),
                "calls": dict(_STATE["calls"]),
                "wall_s_inside_synth_calls": round(_STATE["synth_wall_s"], 2),
                "subprocesses": dict(_STATE["subprocesses"]),
                "tests_collected": session.testscollected,
                "tests_failed": session.testsfailed,
                "exitstatus": int(exitstatus),
                "slowest_phases": [
                    {"seconds": round(d, 2), "phase": w, "test": n} for d, w, n in _STATE["slowest"]
                ],
            },
            indent=2,
        )
    )
