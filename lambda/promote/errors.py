"""The promotion's errors (the names the README documents) and the code of an AWS error."""

from __future__ import annotations

from botocore.exceptions import ClientError


class PromotionError(Exception):
    """The image cannot be promoted as asked; the message says why and what to do."""

    failure_type = "JobFailed"


class InvalidRequest(PromotionError):  # noqa: N818 - the documented error names of the promotion README
    """The event or the function's configuration is wrong: nothing was changed."""

    failure_type = "ConfigurationError"


class ImageNotFound(PromotionError):  # noqa: N818 - the documented error names of the promotion README
    """The image to promote is not in the source repository."""


class ReleaseTagConflict(PromotionError):  # noqa: N818 - the documented error names of the promotion README
    """A release tag already points to another digest; release tags never move."""

    def __init__(self, *, repository: str, tag: str, existing_digest: str, digest: str) -> None:
        self.tag = tag
        self.existing_digest = existing_digest
        self.digest = digest
        super().__init__(
            f"release tag {tag} already points to {existing_digest} in repository {repository}, "
            f"not to {digest}: release tags never move. Promote {existing_digest} again, or "
            "release the new image under a new tag"
        )


class ReplicationTimeout(PromotionError):  # noqa: N818 - the documented error names of the promotion README
    """Replication has not delivered the digest to the destination within the deadline."""

    def __init__(self, message: str, *, waited_seconds: float, checks: int) -> None:
        self.waited_seconds = waited_seconds
        self.checks = checks
        super().__init__(message)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
