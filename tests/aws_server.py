"""A moto server on 127.0.0.1 that records who called what, where: the buildspec shell runs here.

The real ``aws`` CLI (awscli v1, a dev dependency) and boto3 talk to it through
``AWS_ENDPOINT_URL``. Each request's SigV4 credential scope tells the region and service the
client signed for and the access key it used, so a test can assert where every call went and with
which credentials, whatever the CLI resolved from profiles and environment variables.

The server also plays CodeBuild's container credential endpoint (``/container-credentials``,
``AWS_CONTAINER_CREDENTIALS_FULL_URI``): the project role's credentials, as a build gets them.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

#: The access key of the CodeBuild project role (moto puts unknown keys in its default account).
PROJECT_ROLE_KEY = "ASIAPROJECTROLE00001"
CREDENTIALS_PATH = "/container-credentials"
_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Call:
    """One request: the service, region and access key of its signature, and the operation."""

    service: str
    region: str
    access_key: str
    operation: str
    params: dict[str, str]


class RecordingMotoServer:
    """moto's server app behind a WSGI wrapper that records every signed request."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._app = DomainDispatcherApplication(create_backend_app)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        """Forget every recorded call and every moto resource (moto's own reset endpoint)."""
        import urllib.request

        reset = urllib.request.Request(self.url + "/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(reset, timeout=30):  # noqa: S310 - our local server
            pass
        self.calls.clear()

    def calls_to(self, service: str) -> list[Call]:
        return [call for call in self.calls if call.service == service]

    # --- WSGI ------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CREDENTIALS_PATH:
            body = json.dumps(
                {
                    "AccessKeyId": PROJECT_ROLE_KEY,
                    "SecretAccessKey": "project-role-secret",
                    "Token": "project-role-token",
                    "Expiration": (datetime.now(UTC) + timedelta(hours=1)).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                }
            ).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is not None:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            access_key, region, service = scope.groups()
            self.calls.append(
                Call(
                    service=service,
                    region=region,
                    access_key=access_key,
                    operation=_operation(environ, raw),
                    params=_params(environ, raw),
                )
            )
        return self._app(environ, start_response)  # type: ignore[no-any-return]


def _params(environ: dict[str, Any], raw: bytes) -> dict[str, str]:
    """Form parameters of a query-protocol request (STS, CloudFormation), else {}."""
    if "x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", ""):
        return {}
    return dict(urllib.parse.parse_qsl(raw.decode(errors="replace")))


def _operation(environ: dict[str, Any], raw: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocol: "AmazonEC2ContainerRegistry_V20150921.DescribeImages"
        return str(target).rsplit(".", 1)[-1]
    action = _params(environ, raw).get("Action")
    if action:
        return action
    return f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"  # REST (S3)


def running_server() -> Iterator[RecordingMotoServer]:
    server = RecordingMotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def codebuild_environment(server: RecordingMotoServer, home: str, region: str) -> dict[str, str]:
    """The variables a CodeBuild build has (its region, build ids, container credentials).

    No static keys and no profile: the CLI takes the project role from the credential endpoint,
    as in CodeBuild (which sets the ``..._RELATIVE_URI`` form; the full URI points at the server).
    """
    import os

    keep = {"PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    return {
        **env,
        "HOME": home,
        "AWS_CONFIG_FILE": f"{home}/.aws/config",
        "AWS_SHARED_CREDENTIALS_FILE": f"{home}/.aws/credentials",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": server.url,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + CREDENTIALS_PATH,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "CODEBUILD_BUILD_ID": "container-delivery-webapp:0a1b2c3d",
        "CODEBUILD_BUILD_ARN": (
            f"arn:aws:codebuild:{region}:111111111111:build/container-delivery-webapp:0a1b2c3d"
        ),
        "CODEBUILD_BUILD_NUMBER": "7",
        "CODEBUILD_INITIATOR": "codepipeline/container-delivery-webapp",
        "CODEBUILD_SRC_DIR": home,
        "CODEBUILD_BUILD_IMAGE": "aws/codebuild/amazonlinux-aarch64-standard:3.0",
    }
