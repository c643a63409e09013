"""Count jsii traffic of a Python CDK app: requests to node and callbacks into Python.

Used by the profile runs only (``--count-jsii`` of ``synth_ours.py`` / ``peer_python.py``): it
wraps ``jsii._kernel.providers.process._NodeProcess.send`` (every request Python sends to the
node kernel: create, get, set, invoke and callback completions) and
``jsii._kernel._handle_callback`` (every call from JavaScript into Python code, e.g. a Python
``NagPack``'s rule or a Python ``IAspect``). ``snapshot()`` returns the running totals, so a
caller can attribute them to phases.
"""

from __future__ import annotations

import functools
import time
from typing import Any

_TOTALS: dict[str, float] = {
    "requests": 0,
    "callbacks": 0,
    "request_wall_s": 0.0,
    "callback_wall_s": 0.0,
}
_DEPTH = {"send": 0, "callback": 0}


def install() -> None:
    from jsii import _kernel
    from jsii._kernel.providers import process

    send = process._NodeProcess.send

    @functools.wraps(send)
    def counted_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        _TOTALS["requests"] += 1
        _DEPTH["send"] += 1
        start = time.perf_counter()
        try:
            return send(self, *args, **kwargs)
        finally:
            _DEPTH["send"] -= 1
            if _DEPTH["send"] == 0:
                _TOTALS["request_wall_s"] += time.perf_counter() - start

    process._NodeProcess.send = counted_send  # type: ignore[method-assign]

    handle = _kernel._handle_callback

    @functools.wraps(handle)
    def counted_callback(*args: Any, **kwargs: Any) -> Any:
        _TOTALS["callbacks"] += 1
        _DEPTH["callback"] += 1
        start = time.perf_counter()
        try:
            return handle(*args, **kwargs)
        finally:
            _DEPTH["callback"] -= 1
            if _DEPTH["callback"] == 0:
                _TOTALS["callback_wall_s"] += time.perf_counter() - start

    _kernel._handle_callback = counted_callback


def snapshot() -> dict[str, float]:
    return dict(_TOTALS)


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: round(after[key] - before[key], 3) for key in after}
