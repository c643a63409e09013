"""The reference app: every stack of the delivery platform, built from one ``DeliveryConfig``.

``build_app`` is what ``app.py`` (the CDK entry point) and the app-level tests call. Stacks are
added per concern; each ``add_*`` function owns its stacks' names and wiring.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk

from container_delivery.compliance import apply_packs
from container_delivery.config import DeliveryConfig
from container_delivery.stacks.pipeline import add_pipeline_stacks
from container_delivery.stacks.registry import add_registry_stacks
from container_delivery.stacks.service import add_service_stacks


def build_app(
    config: DeliveryConfig,
    *,
    outdir: str | None = None,
    context: Mapping[str, Any] | None = None,
    validation: bool = True,
    nag: bool = True,
) -> cdk.App:
    """Build the reference app for ``config`` (call ``app.synth()`` to synthesize it).

    :param outdir: Cloud assembly directory. Default: - the CLI's, or a temp directory.
    :param context: Extra context, e.g. the feature flags of ``cdk.json`` in tests.
        Default: - none beyond what the CLI passes.
    :param validation: aws-cdk-lib's built-in CloudFormation template validation.
        Default: - on (about 4 s per process).
    :param nag: Register the configured cdk-nag packs (a finding fails synth). Default: - on.
    """
    app = cdk.App(
        outdir=outdir,
        context=dict(context or {}),
        builtin_cloud_formation_validation=validation,
    )
    configure_app(app, config, nag=nag)
    return app


def configure_app(app: cdk.App, config: DeliveryConfig, *, nag: bool = True) -> None:
    """Add the reference app's stacks to ``app`` and, unless ``nag`` is false, its rule packs."""
    add_stacks(app, config)
    if nag:
        apply_packs(app, config.packs)


def add_stacks(app: cdk.App, config: DeliveryConfig) -> None:
    """Add every stack of the reference app to ``app``.

    Registries first (the staging registry depends on the production registry policy), then the
    networks and services of both environments, then a pipeline per service.
    """
    registry = add_registry_stacks(app, config)
    services = add_service_stacks(app, config)
    add_pipeline_stacks(app, config, registry=registry, services=services)
