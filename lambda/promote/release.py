"""One release: tag the image, then wait for it in the destination; the output variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from clients import Dependencies
from log import log
from model import Destination, Request, Settings, image_uri
from parsing import ROLE_ARN_RE
from replication import wait_for_replication
from tagging import promote

# Time kept back from the Lambda timeout to report the result to CodePipeline.
REPORT_MARGIN_SECONDS: Final = 20.0


def execute(
    request: Request,
    settings: Settings,
    deps: Dependencies,
    *,
    started_at: float,
    budget_end: float,
) -> dict[str, str]:
    """Promote, then wait for the digest in the destination; return the output variables."""
    ecr = deps.ecr()
    promotion = promote(ecr, request)
    log(
        "INFO",
        "promoted",
        repository=promotion.repository,
        digest=promotion.digest,
        tags=list(promotion.release_tags),
        added=list(promotion.added),
        unchanged=list(promotion.unchanged),
        media_type=promotion.media_type,
        image_uri=promotion.image_uri,
    )
    outputs = {
        "IMAGE_DIGEST": promotion.digest,
        "RELEASE_TAG": promotion.release_tags[0],
        "RELEASE_TAGS": ",".join(promotion.release_tags),
        "IMAGE_URI": promotion.image_uri,
    }
    destination = request.destination
    if destination is None:
        log(
            "INFO",
            "replication_check_skipped",
            repository=promotion.repository,
            digest=promotion.digest,
            reason="no destination configured",
        )
        return outputs
    registry_id = destination.registry_id or _role_account(destination) or promotion.registry_id
    region = destination.region or promotion.region
    dest_ecr = deps.destination_ecr(destination, promotion.region)
    checks = wait_for_replication(
        dest_ecr,
        repository=promotion.repository,
        digest=promotion.digest,
        tags=promotion.release_tags,
        registry_id=registry_id,
        deadline=min(started_at + settings.replication_timeout_seconds, budget_end),
        started_at=started_at,
        sleep=deps.sleep,
        clock=deps.clock,
    )
    dest_uri = image_uri(registry_id, region, promotion.repository, promotion.digest)
    log(
        "INFO",
        "replicated",
        repository=promotion.repository,
        digest=promotion.digest,
        tags=list(promotion.release_tags),
        destination_registry=registry_id,
        destination_region=region,
        checks=checks,
        waited_seconds=round(deps.clock() - started_at, 1),
    )
    outputs["DESTINATION_IMAGE_URI"] = dest_uri
    return outputs


def _role_account(destination: Destination) -> str | None:
    match = ROLE_ARN_RE.fullmatch(destination.role_arn or "")
    return match.group(1) if match else None


def invocation_budget_end(context: Any, clock: Callable[[], float]) -> float:
    """When this invocation must stop waiting, to keep time to report before the Lambda timeout."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return float("inf")
    return clock() + float(remaining()) / 1000 - REPORT_MARGIN_SECONDS
