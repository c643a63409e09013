"""The service's defaults: deploy speed, scratch paths and the error log pattern."""

from __future__ import annotations

import aws_cdk as cdk

# --- deploy-speed defaults (docs/service.md, "Deploy speed", explains each number) ---
HEALTH_CHECK_INTERVAL = cdk.Duration.seconds(10)
"""ALB health check every 10 s (ALB default 30 s)."""
HEALTH_CHECK_TIMEOUT = cdk.Duration.seconds(5)
"""A check fails after 5 s without an answer (ALB default 5 s); must stay below the interval."""
HEALTHY_THRESHOLD = 2
"""Two passing checks make a new task healthy (ALB default 5)."""
UNHEALTHY_THRESHOLD = 3
"""Three failing checks (30 s) make a task unhealthy (ALB default 2)."""
DEREGISTRATION_DELAY = cdk.Duration.seconds(30)
"""Draining time of an old task's connections before it is stopped (ALB default 300 s)."""
HEALTH_CHECK_GRACE_PERIOD = cdk.Duration.seconds(30)
"""ECS ignores failing health checks this long after a task starts (patterns default 60 s)."""
STOP_TIMEOUT = cdk.Duration.seconds(30)
"""Time between SIGTERM and SIGKILL (ECS default 30 s; Fargate maximum 120 s)."""
SCRATCH_PATHS: tuple[str, ...] = ("/tmp",)  # noqa: S108 - a task-local volume, not the host's /tmp
"""Writable task-local paths by default: with a read-only root filesystem, anything that writes a
temporary file (language runtimes, TLS libraries, uploads) needs one."""
ERROR_LOG_PATTERN = '{ $.level = "ERROR" }'
"""Error log records pattern of structured (JSON) logs."""
