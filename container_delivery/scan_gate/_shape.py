"""Small checks for decoded JSON/YAML, raising ShapeError with the path of the bad value."""

from collections.abc import Mapping, Sequence
from typing import Any


class ShapeError(Exception):
    """A decoded document does not have the expected shape; ``str()`` says where and what."""


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__


def as_object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShapeError(f"{where} should be an object, found {type_name(value)}")
    return value


def optional_list(parent: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
    """``parent[key]`` as a list; a missing key or null means an empty list (Go's omitempty)."""
    value = parent.get(key)
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ShapeError(f"{where}.{key} should be a list, found {type_name(value)}")
    return value


def optional_str(parent: Mapping[str, Any], key: str, where: str) -> str | None:
    """``parent[key]`` as a string; missing, null or empty means None. Numbers are accepted."""
    value = parent.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ShapeError(f"{where}.{key} should be a string, found {type_name(value)}")
    return str(value)


def required_str(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = optional_str(parent, key, where)
    if value is None or not value.strip():
        raise ShapeError(f"{where}: '{key}' is missing")
    return value.strip()
