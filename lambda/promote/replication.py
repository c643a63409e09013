"""The replication wait: poll the destination registry until the release tags arrive on the digest.

One ``DescribeImages`` by release tag per poll (one per release tag not confirmed yet).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError
from errors import PromotionError, ReplicationTimeout, error_code

if TYPE_CHECKING:  # the stubs are a development dependency only
    from mypy_boto3_ecr import ECRClient

FIRST_POLL_DELAY_SECONDS: Final = 2.0
MAX_POLL_DELAY_SECONDS: Final = 30.0


def wait_for_replication(
    ecr: ECRClient,
    *,
    repository: str,
    digest: str,
    tags: Sequence[str],
    registry_id: str,
    deadline: float,
    started_at: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    first_delay: float = FIRST_POLL_DELAY_SECONDS,
    max_delay: float = MAX_POLL_DELAY_SECONDS,
) -> int:
    """Poll the destination until every release tag is there on ``digest``; return the checks.

    The digest alone proves nothing: build tags replicate at push, so the digest is in the
    destination long before the promotion. The release tag is what keeps the running image out of
    the lifecycle rules there, so each tag is looked up (DescribeImages by imageTag) and its digest
    compared. A tag on another digest is an error at once (tags are immutable there: waiting
    cannot fix it). Capped exponential backoff (2, 4, 8, 16, 30, 30... s), never sleeping past
    ``deadline``; ReplicationTimeout when the deadline passes first; other errors (e.g.
    AccessDenied) are raised at once.
    """
    checks = 0
    delay = first_delay
    pending = list(dict.fromkeys(tags))
    while True:
        checks += 1
        for tag in list(pending):
            found = _destination_tag_digest(ecr, registry_id, repository, tag)
            if found is None:
                continue
            if found != digest:
                raise PromotionError(
                    f"release tag {tag} points to {found} in repository {repository} of registry "
                    f"{registry_id} ({ecr.meta.region_name}), not to {digest}: the destination "
                    "holds another image under this release tag (tags are immutable there), so "
                    "production would not run what staging ran. Release under a new git tag, or "
                    "find out who pushed that tag to the production registry"
                )
            pending.remove(tag)
        if not pending:
            return checks
        remaining = deadline - clock()
        if remaining <= 0:
            waited = clock() - started_at
            raise ReplicationTimeout(
                f"replication has not delivered release tag {', '.join(pending)} of {digest} to "
                f"repository {repository} in registry {registry_id} ({ecr.meta.region_name}) yet: "
                f"waited {waited:.0f} s, {checks} checks. ECR replication is asynchronous "
                "(usually seconds, documented as most within 30 minutes): retry the promotion "
                "later (it is idempotent), or check the registry's replication rules for this "
                "repository",
                waited_seconds=waited,
                checks=checks,
            )
        sleep(min(delay, remaining))
        delay = min(delay * 2, max_delay)


def _destination_tag_digest(
    ecr: ECRClient, registry_id: str, repository: str, tag: str
) -> str | None:
    """The digest ``tag`` points to in the destination, or None when it is not there (yet)."""
    try:
        response = ecr.describe_images(
            registryId=registry_id, repositoryName=repository, imageIds=[{"imageTag": tag}]
        )
    except ClientError as error:
        # replication creates the repository on first delivery
        if error_code(error) in {"ImageNotFoundException", "RepositoryNotFoundException"}:
            return None
        raise
    details = response.get("imageDetails", [])
    return details[0].get("imageDigest") if details else None
