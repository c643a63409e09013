"""Load and validate the reference app's configuration.

The models (``model.py``) do the checking; this module reads the YAML and turns pydantic's
errors into one ``ConfigError`` listing every problem with the dotted path of the field, the
value given and the fix, plus the line in the file:
``services[2].production.secrets.DB.secret_arn: 'payments/psp' is a secret name ... (line 48)``.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .model import DeliveryConfig, FieldProblemsError

#: Environment variable naming the config file (the CDK context key ``config`` wins over it).
CONFIG_ENV_VAR = "CONTAINER_DELIVERY_CONFIG"


class ConfigError(ValueError):
    """The configuration file is invalid; the message lists every bad field.

    ``problems`` holds ``(dotted path, message)`` pairs, in the order of the message.
    """

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    if not part:
        return path
    if part.startswith("["):
        return f"{path}{part}"
    return f"{path}.{part}" if path else part


def _path(loc: Sequence[str | int]) -> str:
    path = ""
    for part in loc:
        if part == "[key]":
            continue
        path = _join(path, part)
    return path or "(top level)"


def _unwrap(annotation: Any) -> Any:
    """The type a value is validated as: without Annotated, Optional and unions with None."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0]
        else:
            return annotation


def _known_keys(loc: Sequence[str | int]) -> list[str]:
    """The keys the model at ``loc`` accepts (for "did you mean")."""
    current: Any = DeliveryConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) is tuple:
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
}


def _message(error: Any) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    loc = error["loc"]
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "missing":
        return "missing; this key is required"
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown key; {hint}(known: {', '.join(known)})"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(value)}"
    if kind == "literal_error":
        return f"{_show(value)} is not one of {ctx['expected']}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{value!r} is too small; use at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{value!r} is too large; use at most {ctx.get('le', ctx.get('lt'))}"
    return f"{error['msg']} (got {_show(value)})"


def _problems(error: ValidationError) -> Iterator[tuple[str, str]]:
    """``(dotted path, message)`` of every error, cross-field ``FieldProblemsError`` at their own fields."""
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblemsError):
            base = _path(loc) if loc else ""
            for relative, message in cause.problems:
                yield _join(base, relative) or "(top level)", message
        else:
            yield _path(loc), _message(item)


def _line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The line (1-based) of the deepest node of ``loc`` present in the YAML document."""
    node, line = root, None
    for index, part in enumerate(loc):
        if node is None:
            break
        line = node.start_mark.line + 1
        last = index == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            # The key's line for the last part: a value may start on a later line.
            node = next(
                (
                    (key if last else value)
                    for key, value in node.value
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part)
                ),
                None,
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _split_path(path: str) -> list[str | int]:
    """``services[2].production.cpu`` -> ``['services', 2, 'production', 'cpu']``."""
    parts: list[str | int] = []
    for piece in path.replace("[", ".[").split("."):
        if piece.startswith("[") and piece.endswith("]") and piece[1:-1].isdigit():
            parts.append(int(piece[1:-1]))
        elif piece:
            parts.append(piece)
    return parts


def parse_config(raw: Any, *, source: str = "config", text: str | None = None) -> DeliveryConfig:
    """Build a ``DeliveryConfig`` from parsed YAML, or raise one ``ConfigError`` listing every problem.

    :param text: The YAML text ``raw`` was read from: messages then give each problem's line.
    """
    try:
        return DeliveryConfig.model_validate(raw)
    except ValidationError as error:
        root = yaml.compose(text, Loader=yaml.SafeLoader) if text else None
        problems: list[tuple[str, str]] = []
        lines: list[str] = []
        for path, message in _problems(error):
            line = _line_of(root, _split_path(path)) if root is not None else None
            problems.append((path, message))
            lines.append(f"{path}: {message}" + (f" (line {line})" if line else ""))
        raise ConfigError(
            f"{source} is invalid ({len(lines)} problem{'s' * (len(lines) != 1)}):\n  - "
            + "\n  - ".join(lines),
            problems,
        ) from None


def default_config_text() -> str:
    return resources.files("container_delivery.config").joinpath("default.yaml").read_text()


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(p) for p in (error.context, error.problem) if p)
        raise ConfigError(f"{source}{where}: not valid YAML ({problem})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML ({error})") from None


def load_config(path: str | os.PathLike[str] | None = None) -> DeliveryConfig:
    """Load the config at ``path``, or the embedded default when ``path`` is None."""
    if path is None:
        text, source = default_config_text(), "the default config"
    else:
        file = Path(path)
        try:
            text = file.read_text()
        except OSError as error:
            raise ConfigError(f"{file}: cannot read the config file ({error.strerror})") from None
        source = str(file)
    return parse_config(_load_yaml(text, source), source=source, text=text)
