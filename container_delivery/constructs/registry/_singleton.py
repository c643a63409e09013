"""Registry-level constructs exist once per stack: ``of(scope)`` finds or creates that one."""

from __future__ import annotations

from typing import TypeVar

import aws_cdk as cdk
from constructs import Construct, IConstruct

T = TypeVar("T", bound=Construct)


def stack_singleton(scope: IConstruct, cls: type[T], construct_id: str) -> T:
    """The ``cls`` child ``construct_id`` of ``scope``'s stack, created with defaults if absent."""
    stack = cdk.Stack.of(scope)
    existing = stack.node.try_find_child(construct_id)
    if isinstance(existing, cls):
        return existing
    if existing is not None:
        raise ValueError(
            f"{cls.__name__}.of: '{stack.node.path}/{construct_id}' exists and is a "
            f"{type(existing).__name__}; rename that construct"
        )
    return cls(stack, construct_id)
