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
import sys
import time
from collections import Counter
from typing import Any

_TOTALS: dict[str, float] = {
    "requests": 0,
    "callbacks": 0,
    "request_wall_s": 0.0,
    "callback_wall_s": 0.0,
}
_DEPTH = {"send": 0, "callback": 0}
#: With ``install(detail=True)``: requests by kind and member, and by the first Python frame
#: in the library (``container_delivery/...``) that led to them.
BY_MEMBER: Counter[str] = Counter()
BY_CALLER: Counter[str] = Counter()


def _label(request: Any) -> str:
    kind = type(request).__name__.removesuffix("Request")
    objref = getattr(request, "objref", None)
    owner = getattr(request, "fqn", None) or (
        objref.ref.split("@")[0] if objref is not None else ""
    )
    member = getattr(request, "method", None) or getattr(request, "property", None) or ""
    return f"{kind} {owner}.{member}".rstrip(".")


def _caller(marker: str = "/container_delivery/") -> str:
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if marker in filename:
            return f"{filename.split(marker, 1)[1]}:{frame.f_code.co_name}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "(outside the library)"


def install(*, detail: bool = False) -> None:
    from jsii import _kernel
    from jsii._kernel.providers import process

    send = process._NodeProcess.send

    @functools.wraps(send)
    def counted_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        _TOTALS["requests"] += 1
        if detail and args:
            BY_MEMBER[_label(args[0])] += 1
            BY_CALLER[_caller()] += 1
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
