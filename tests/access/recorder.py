"""Record every boto3 call the Lambda handlers make while their tests run.

``tests/lambdas/conftest.py`` turns recording on around each test; the access check turns each
recorded (service, operation, params) into an IAM request and evaluates it against the
synthesized policies, so that a new call without its permission fails a test.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.client import BaseClient

#: Set by the access check when it runs the Lambda tests in a subprocess: where to write CALLS.
RECORD_FILE_ENV = "CONTAINER_DELIVERY_RECORD_BOTO3_CALLS"

CALLS: list[dict[str, Any]] = []
"""One entry per API call a handler made: service, IAM prefix, operation, region, parameters."""

#: Only calls made from here are the handlers' (the tests' own set-up calls are not).
LAMBDA_DIR = str(Path(__file__).resolve().parents[2] / "lambda")


def _handler_file() -> str | None:
    """The handler file that made the call: the first caller outside boto3/botocore."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if f"{os.sep}botocore{os.sep}" not in filename and f"{os.sep}boto3{os.sep}" not in filename:
            return filename if filename.startswith(LAMBDA_DIR) else None
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


@contextmanager
def recording(test: str) -> Iterator[None]:
    original = BaseClient._make_api_call

    def recorded(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        model = self.meta.service_model
        handler = _handler_file()
        if handler is None:
            return original(self, operation_name, api_params)
        CALLS.append(
            {
                "handler": handler.removeprefix(LAMBDA_DIR + "/"),
                "service": model.service_name,
                "prefix": model.signing_name,
                "operation": operation_name,
                "region": self.meta.region_name,
                "params": _jsonable(api_params),
                "test": test,
            }
        )
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recorded  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def write_if_requested() -> None:
    target = os.environ.get(RECORD_FILE_ENV)
    if target:
        Path(target).write_text(json.dumps(CALLS))
