"""Promotion cost: ECR API calls and handler time per promoted tag, against moto on loopback.

Starts ``moto_server`` on 127.0.0.1 (a free port), creates a repository and one image (a Docker
v2 manifest pushed with PutImage), then runs the promote handler's ``run()``
(``lambda/promote/index.py``, loaded by path) ``count`` times, each with a new git tag, counting
the ECR calls of each promotion with a botocore ``before-call.ecr.*`` hook. Then repeats a few
promotions (idempotent path) and a few with the replication check (the destination is the same
moto registry, so the digest is found at the first check). The server is always stopped.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import socket
import subprocess
import sys
import time
from collections import Counter
from types import ModuleType
from typing import Any

from common import PY, ROOT, WORK, percentile, subprocess_env

MOTO_ACCOUNT = "123456789012"
REGION = "eu-west-1"


def load_promote() -> ModuleType:
    path = ROOT / "lambda" / "promote" / "index.py"
    spec = importlib.util.spec_from_file_location("bench_promote", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_promote"] = module
    # as in the Lambda runtime: index.py imports the modules beside it by their plain names
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on 127.0.0.1:{port} within {timeout} s")


def manifest(index: int) -> str:
    layer = f"{index:064x}"
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1469,
                "digest": "sha256:" + "c" * 64,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 3370706,
                    "digest": f"sha256:{layer}",
                }
            ],
        }
    )


def run(count: int = 200, repeats: int = 20, with_replication: int = 20) -> dict[str, Any]:
    import boto3

    promote = load_promote()
    port = _free_port()
    WORK.mkdir(parents=True, exist_ok=True)
    log = (WORK / "moto_server.log").open("wb")
    moto_bin = PY.parent / "moto_server"
    server = subprocess.Popen(
        [str(moto_bin), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=subprocess_env(),
    )
    try:
        started = time.perf_counter()
        _wait_for(port, server)
        startup = time.perf_counter() - started
        client = boto3.client(
            "ecr",
            region_name=REGION,
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
            config=promote.RETRY_CONFIG,
        )
        calls: Counter[str] = Counter()

        def count_call(event_name: str, **_: Any) -> None:
            calls[event_name.rsplit(".", 1)[-1]] += 1

        client.meta.events.register("before-call.ecr.*", count_call)
        client.create_repository(repositoryName="webapp")
        pushed = client.put_image(
            repositoryName="webapp", imageManifest=manifest(1), imageTag="build-1"
        )
        digest = pushed["image"]["imageId"]["imageDigest"]
        deps = promote.Dependencies(
            ecr=lambda: client,
            destination_ecr=lambda destination, region: client,
            env={},
        )

        def promote_once(event: dict[str, Any]) -> tuple[float, Counter[str]]:
            calls.clear()
            with contextlib.redirect_stdout(io.StringIO()):  # the handler's JSON log lines
                start = time.perf_counter()
                promote.run(event, None, deps)
                elapsed = time.perf_counter() - start
            return elapsed, Counter(calls)

        rows: dict[str, list[tuple[float, Counter[str]]]] = {
            "new": [],
            "repeat": [],
            "replicated": [],
        }
        for index in range(count):
            event = {"repository": "webapp", "digest": digest, "git_tag": f"v1.0.{index}"}
            rows["new"].append(promote_once(event))
        for index in range(repeats):
            event = {"repository": "webapp", "digest": digest, "git_tag": f"v1.0.{index}"}
            rows["repeat"].append(promote_once(event))
        for index in range(with_replication):
            event = {
                "repository": "webapp",
                "digest": digest,
                "git_tag": f"v2.0.{index}",
                "destination_region": REGION,
                "destination_registry_id": MOTO_ACCOUNT,
            }
            rows["replicated"].append(promote_once(event))
        tags = client.describe_images(repositoryName="webapp", imageIds=[{"imageDigest": digest}])
        tag_count = len(tags["imageDetails"][0].get("imageTags", []))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()

    def describe(samples: list[tuple[float, Counter[str]]], what: str) -> dict[str, Any]:
        times = [t * 1000 for t, _ in samples]
        per_call = [sum(c.values()) for _, c in samples]
        operations: Counter[str] = Counter()
        for _, c in samples:
            operations.update(c)
        return {
            "what": what,
            "promotions": len(samples),
            "ms_median": percentile(times, 50),
            "ms_p90": percentile(times, 90),
            "ms_max": max(times),
            "ecr_calls_per_promotion_min": min(per_call),
            "ecr_calls_per_promotion_max": max(per_call),
            "ecr_calls_per_promotion_mean": sum(per_call) / len(per_call),
            "ecr_calls_by_operation": {k: v / len(samples) for k, v in sorted(operations.items())},
        }

    return {
        "server": f"moto_server on 127.0.0.1 (moto {_moto_version()}), started in {startup:.2f} s",
        "image_tags_after": tag_count,
        "rows": [
            describe(rows["new"], "new release tag (digest given, no destination)"),
            describe(rows["repeat"], "repeated promotion (tag already on the digest)"),
            describe(
                rows["replicated"], "new release tag + replication check (found at first check)"
            ),
        ],
    }


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


if __name__ == "__main__":
    print(json.dumps(run(count=int(sys.argv[1]) if len(sys.argv) > 1 else 200), indent=2))
