#!/usr/bin/env python3
"""CDK entry point of the reference app.

Config: ``cdk synth -c config=path/to/config.yaml``, or ``CONTAINER_DELIVERY_CONFIG=path``;
without either, the embedded default (fake account ids, synthesizes offline).
Bad config or construct props end the synth with one readable message and exit code 2;
unacknowledged cdk-nag findings end it with exit code 1 after CDK's report.
"""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk

from container_delivery.config import CONFIG_ENV_VAR, load_config
from container_delivery.stacks.app import configure_app


def main() -> int:
    app = cdk.App()
    path = app.node.try_get_context("config") or os.environ.get(CONFIG_ENV_VAR)
    try:
        config = load_config(str(path) if path else None)
        configure_app(app, config)
    except ValueError as error:  # ConfigError and construct validation errors
        print(f"container-delivery: {error}", file=sys.stderr)
        return 2
    try:
        app.synth()
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        print(
            "container-delivery: cdk-nag reported findings that are not acknowledged (listed "
            "above; full report in the cloud assembly's validation-report.json). Fix the "
            "resource, or acknowledge the finding with a reason via "
            "container_delivery.compliance.acknowledge().",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
