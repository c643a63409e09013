"""The JSON Schema of the configuration file, generated from the models.

``schema.json`` next to this module is what editors read (``default.yaml`` points at it with a
``# yaml-language-server: $schema=schema.json`` line). Regenerate it after changing a model:
``python -m container_delivery.config.schema`` (``--check`` only compares; a test does the same).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from .model import DeliveryConfig

SCHEMA_FILE = "schema.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema() -> dict[str, Any]:
    """The JSON Schema of ``DeliveryConfig`` (the YAML file's layout)."""
    generated = DeliveryConfig.model_json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, **generated}


def schema_text() -> str:
    return json.dumps(schema(), indent=2, sort_keys=False) + "\n"


def packaged_schema_text() -> str:
    return resources.files("container_delivery.config").joinpath(SCHEMA_FILE).read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m container_delivery.config.schema")
    parser.add_argument("--check", action="store_true", help="exit 1 if schema.json is stale")
    args = parser.parse_args(argv)
    path = Path(__file__).with_name(SCHEMA_FILE)
    text = schema_text()
    if args.check:
        if path.read_text() != text:
            print(f"{path} is out of date: run python -m container_delivery.config.schema")
            return 1
        return 0
    path.write_text(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
