"""The cdk-nag rule packs the project runs, registered as CDK policy-validation plugins."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import aws_cdk as cdk
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NagPack,
    NIST80053R5Checks,
    PCIDSS321Checks,
)
from constructs import IConstruct

from .custom_pack import ContainerDeliveryChecks

PACKS: Final[dict[str, Callable[[IConstruct], NagPack]]] = {
    "AwsSolutions": lambda scope: AwsSolutionsChecks(scope),
    "NIST.800.53.R5": lambda scope: NIST80053R5Checks(scope),
    "HIPAA.Security": lambda scope: HIPAASecurityChecks(scope),
    "PCI.DSS.321": lambda scope: PCIDSS321Checks(scope),
    ContainerDeliveryChecks.PACK_NAME: lambda scope: ContainerDeliveryChecks(scope),
}
"""Pack name (the prefix of its rule ids) -> factory. AwsSolutions always runs."""

ALWAYS: Final[tuple[str, ...]] = ("AwsSolutions", ContainerDeliveryChecks.PACK_NAME)
"""Packs that run whatever the configuration says."""


def check_pack_names(names: Sequence[str]) -> list[str]:
    """Problems with a list of pack names (empty when every name is known)."""
    return [
        f"unknown rule pack {name!r} (known: {', '.join(sorted(PACKS))})"
        for name in names
        if name not in PACKS
    ]


def apply_packs(app: cdk.Stage, names: Sequence[str] = ()) -> list[str]:
    """Register AwsSolutions, the project's own pack and ``names`` on ``app``.

    Returns the pack names registered, in order. A finding of any of them fails ``app.synth()``.
    """
    problems = check_pack_names(names)
    if problems:
        raise ValueError("compliance.packs: " + "; ".join(problems))
    selected = list(dict.fromkeys([*ALWAYS, *names]))
    cdk.Validations.of(app).add_plugins(*(PACKS[name](app) for name in selected))
    return selected
