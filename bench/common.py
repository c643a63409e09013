"""Shared by the benchmark scripts: paths, the subprocess environment, measured runs, statistics.

Standard library only: ``run.py`` imports it without aws-cdk-lib.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / "work"
PY = ROOT / ".venv" / "bin" / "python"
NODE_BIN = ROOT / "node_modules" / ".bin"
NODE = NODE_BIN / "node"
JS_DIR = BENCH / "js"

STAGING_ACCOUNT = "111111111111"
PRODUCTION_ACCOUNT = "222222222222"
REGION = "eu-west-1"
#: The packs every variant registers (ours adds its own ContainerDelivery pack on top).
PUBLIC_PACKS = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")


def feature_flags() -> dict[str, Any]:
    """cdk.json's context (feature flags): every variant synthesizes with the same flags."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return dict(context)


def subprocess_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Node 22 first on PATH, no EC2 metadata lookups, no CDK version checks."""
    env = dict(os.environ)
    env["PATH"] = f"{NODE_BIN}{os.pathsep}{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["CDK_DISABLE_VERSION_CHECK"] = "true"
    env["JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION"] = "1"
    env.pop("CDK_CONTEXT_JSON", None)
    env.pop("CDK_OUTDIR", None)
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------- process-tree memory
def _children(pid: int) -> list[int]:
    result: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            except OSError:
                continue
            result.extend(int(child) for child in text.split())
    except OSError:
        pass
    return result


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def _status_kb(pid: int) -> tuple[str, int, int] | None:
    """(name, VmRSS kB, VmHWM kB) of a live process, None when it is gone or a zombie."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    if "VmHWM" not in fields:  # zombie or kernel thread
        return None
    return (
        fields.get("Name", "?").strip(),
        int(fields["VmRSS"].split()[0]),
        int(fields["VmHWM"].split()[0]),
    )


class TreeSampler(threading.Thread):
    """Samples a process tree every ``interval`` s: peak of the summed RSS, peak RSS per process.

    ``VmHWM`` (the kernel's per-process RSS high-water mark) is read at every sample, so a
    process's peak is exact up to its last sample before it exits (<= ``interval`` s before).
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.stop_event = threading.Event()
        self.peak_sum_kb = 0
        self.hwm_kb: dict[int, tuple[str, int]] = {}

    def run(self) -> None:
        while not self.stop_event.is_set():
            total = 0
            for pid in _tree(self.pid):
                status = _status_kb(pid)
                if status is None:
                    continue
                name, rss, hwm = status
                total += rss
                if hwm >= self.hwm_kb.get(pid, (name, 0))[1]:
                    self.hwm_kb[pid] = (name, hwm)
            self.peak_sum_kb = max(self.peak_sum_kb, total)
            self.stop_event.wait(self.interval)


@dataclass
class Measured:
    """One measured subprocess run."""

    wall_s: float
    returncode: int
    #: wait4() rusage of the child: the largest RSS of the child or any descendant it reaped.
    ru_maxrss_mb: float
    #: Peak of the summed RSS of the whole tree (sampled every 50 ms).
    tree_peak_rss_mb: float
    #: Sum over the tree's processes of each one's own peak (VmHWM): an upper bound of the above.
    sum_of_peaks_mb: float
    #: Peak RSS (VmHWM) of each process of the tree, largest first: [["node", 610.0], ...].
    peak_by_process_mb: list[tuple[str, float]] = field(default_factory=list)
    user_s: float = 0.0
    sys_s: float = 0.0
    output: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_measured(
    command: Sequence[str],
    *,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    result_file: Path | None = None,
    stdout_file: Path | None = None,
    timeout: float = 600,
) -> Measured:
    """Run ``command``, measuring wall time and the memory of its whole process tree.

    When ``result_file`` is given, the JSON the command wrote there becomes ``output``; the
    command's stdout goes to ``stdout_file`` (default: discarded). A run longer than ``timeout``
    is killed (its return code is then negative).
    """
    if result_file is not None and result_file.exists():
        result_file.unlink()
    stderr_path = WORK / f"stderr-{os.getpid()}.txt"
    stderr_path.parent.mkdir(parents=True, exist_ok=True)
    stdout_target = stdout_file or Path(os.devnull)
    with stderr_path.open("w") as stderr, stdout_target.open("w") as stdout:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else subprocess_env(),
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # its own process group: a timeout kills the whole tree
        )
        sampler = TreeSampler(process.pid)
        sampler.start()
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.perf_counter() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop_event.set()
        sampler.join()
    stderr_text = stderr_path.read_text(errors="replace")
    by_process = sorted(
        ((name, round(hwm / 1024, 1)) for name, hwm in sampler.hwm_kb.values()),
        key=lambda item: -item[1],
    )
    output: dict[str, Any] = {}
    if result_file is not None and result_file.exists():
        output = json.loads(result_file.read_text())
    return Measured(
        wall_s=wall,
        returncode=process.returncode,
        ru_maxrss_mb=usage.ru_maxrss / 1024,
        tree_peak_rss_mb=sampler.peak_sum_kb / 1024,
        sum_of_peaks_mb=sum(hwm for _, hwm in sampler.hwm_kb.values()) / 1024,
        peak_by_process_mb=by_process,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        output=output,
        stderr_tail=stderr_text[-2000:] if process.returncode != 0 else "",
    )


# ------------------------------------------------------------------------------------ statistics
def summary(values: Sequence[float]) -> dict[str, float | int]:
    """median, min, max, n of ``values``."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> dict[str, float]:
    """Least-squares line y = intercept + slope * x and its R²."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx if sxx else 0.0
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
    return {"slope": slope, "intercept": intercept, "r2": r2}


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
