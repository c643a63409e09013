"""Construct errors raised while building from the config say which service and environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def for_service(service: str, where: str) -> Iterator[None]:
    """Prefix a ``ValueError`` raised inside with ``service 'webapp' (production): ``.

    The constructs name their own path and prop; the config user also needs the service and
    environment of the config entry that produced the bad value.
    """
    try:
        yield
    except ValueError as error:
        raise ValueError(f"service {service!r} ({where}): {error}") from error
