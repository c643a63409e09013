#!/usr/bin/env python3
"""CDK entry point of the reference app.

Config: ``cdk synth -c config=path/to/config.yaml``, or ``CONTAINER_DELIVERY_CONFIG=path``;
without either, the embedded default (fake account ids, synthesizes offline).
Bad config or construct props end the synth with one readable message and exit code 2;
unacknowledged cdk-nag findings end it with exit code 1 after CDK's report. Under ``cdk synth``
the CLI prints the app's exit code ("Subprocess exited with error 2") and exits 1 itself.
"""

from __future__ import annotations

import os
import re
import sys

import aws_cdk as cdk

from container_delivery.config import CONFIG_ENV_VAR, load_config
from container_delivery.stacks.app import configure_app

#: jsii raises CDK's errors as ``RuntimeError("<Code>: <message>")``; the policy-validation
#: failure (cdk-nag findings) has the code ``ValidationFailed``, a construct's own validation
#: (``node.add_validation``, i.e. bad props found once the tree is complete)
#: ``ValidationFailedWithErrors``.
_CDK_ERROR = re.compile(r"^(?P<code>[A-Z][A-Za-z]+): (?P<message>.*)", re.DOTALL)
NAG_FINDINGS = "ValidationFailed"
TREE_VALIDATION = "ValidationFailedWithErrors"


def _cdk_error(error: RuntimeError) -> tuple[str, str] | None:
    match = _CDK_ERROR.match(str(error))
    return (match["code"], match["message"]) if match else None


def main() -> int:
    app = cdk.App()
    path = app.node.try_get_context("config") or os.environ.get(CONFIG_ENV_VAR)
    try:
        config = load_config(str(path) if path else None)
        configure_app(app, config)
    except ValueError as error:  # ConfigError and construct validation errors
        print(f"container-delivery: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        # A value our checks let through but CDK refused while building: still bad input.
        cdk_error = _cdk_error(error)
        if cdk_error is None:
            raise
        print(f"container-delivery: CDK refused a value: {cdk_error[1]}", file=sys.stderr)
        return 2
    try:
        app.synth()
    except RuntimeError as error:
        cdk_error = _cdk_error(error)
        if cdk_error is not None and cdk_error[0] == TREE_VALIDATION:
            print(f"container-delivery: {cdk_error[1]}", file=sys.stderr)
            return 2
        if cdk_error is None or cdk_error[0] != NAG_FINDINGS:
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
