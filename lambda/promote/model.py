"""The payloads: the function's settings, one promotion request and its result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DEFAULT_RELEASE_TAG_TEMPLATE: Final = "release-{git_tag}"
DEFAULT_REPLICATION_TIMEOUT_SECONDS: Final = 600


@dataclass(frozen=True)
class Destination:
    """Where the replicated copy is checked; ``None`` fields fall back to sensible defaults."""

    region: str | None = None
    registry_id: str | None = None
    role_arn: str | None = None


@dataclass(frozen=True)
class Settings:
    """The function's configuration, from the environment set by the CDK construct."""

    release_tag_template: str = DEFAULT_RELEASE_TAG_TEMPLATE
    allowed_repositories: frozenset[str] | None = None
    destination: Destination | None = None
    replication_timeout_seconds: float = DEFAULT_REPLICATION_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Request:
    """One promotion: the image (by digest xor by source tag) and the release tags to add."""

    repository: str
    release_tags: tuple[str, ...]
    digest: str | None = None
    source_tag: str | None = None
    destination: Destination | None = None

    @property
    def image(self) -> str:
        return self.digest or f"tag {self.source_tag}"


@dataclass(frozen=True)
class Promotion:
    """The result: the digest that now carries every release tag."""

    repository: str
    registry_id: str
    region: str
    digest: str
    media_type: str
    release_tags: tuple[str, ...]
    added: tuple[str, ...]
    unchanged: tuple[str, ...]

    @property
    def image_uri(self) -> str:
        return image_uri(self.registry_id, self.region, self.repository, self.digest)


def image_uri(registry_id: str, region: str, repository: str, digest: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{registry_id}.dkr.ecr.{region}.{suffix}/{repository}@{digest}"
