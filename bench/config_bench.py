"""Config load cost: the default config file, loaded and validated as app.py does.

Each run is a fresh process (``python -c``) that times, with ``time.perf_counter``: importing
``container_delivery.config`` (pydantic and the models), the first ``load_config()`` (reading the
YAML, botocore's partition data and validating: what a synth pays) and a second ``load_config()``
in the same process (the warm cost). The process's wall time is measured from outside too. The goal:
the first load of the default file under 0.2 s.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from common import PY, ROOT, WORK, run_measured, subprocess_env, summary

#: Goal: loading the default config file takes at most this long.
GOAL_S = 0.2

_PROBE = """
import json, time
t0 = time.perf_counter()
from container_delivery.config import load_config
t1 = time.perf_counter()
config = load_config()
t2 = time.perf_counter()
load_config()
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_load_s": t2 - t1, "warm_load_s": t3 - t2,
                  "services": len(config.services)}))
"""


def run(runs: int = 5) -> dict[str, Any]:
    phases: dict[str, list[float]] = {"import_s": [], "first_load_s": [], "warm_load_s": []}
    walls: list[float] = []
    rss: list[float] = []
    services = 0
    out = WORK / "config-probe.json"
    for _ in range(runs):
        measured = run_measured(
            [str(PY), "-c", _PROBE], cwd=ROOT, env=subprocess_env(), stdout_file=out
        )
        if measured.returncode != 0:
            raise RuntimeError(f"config probe failed: {measured.stderr_tail}")
        output = json.loads(out.read_text().strip().splitlines()[-1])
        for key in phases:
            phases[key].append(output[key])
        walls.append(measured.wall_s)
        rss.append(measured.ru_maxrss_mb)
        services = output["services"]
    first = statistics.median(phases["first_load_s"])
    return {
        "services": services,
        "in_process_s": {key: summary(values) for key, values in phases.items()},
        "process_wall_s": summary(walls),
        "peak_rss_mb": max(rss),
        "goal": {
            "limit_s": GOAL_S,
            "measured_s": first,
            "status": "PASS" if first <= GOAL_S else "FAIL",
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
