"""Names: repositories without an environment in them, release tag patterns, registry limits."""

from __future__ import annotations

import re
from typing import Final

#: Words that name an environment. A repository has the same name in staging and production
#: (replication copies it under its own name), so none of them may start or end its name.
ENVIRONMENT_WORDS: Final = ("staging", "stage", "stg", "prod", "production", "dev", "test")
_SEPARATORS: Final = re.compile(r"[-_./]")
#: Characters of a git tag pattern in GitHub's OIDC ``sub`` (``*`` and ``?`` are IAM wildcards).
_TAG_PATTERN: Final = re.compile(r"^[A-Za-z0-9_.*?/-]+$")
#: ECR's registry-level rules hold at most 100 repository filters (the scanning rule, and each
#: replication rule): one per service in this project.
MAX_REGISTRY_FILTERS: Final = 100


def check_repository_environment(name: str) -> list[str]:
    """A repository name may not start or end with an environment (``prod-web``, ``web-prod``)."""
    parts = _SEPARATORS.split(name)
    if len(parts) < 2:
        return []
    if parts[0] in ENVIRONMENT_WORDS:
        where, rest = "starts with", name[len(parts[0]) + 1 :]
    elif parts[-1] in ENVIRONMENT_WORDS:
        where, rest = "ends with", name[: -len(parts[-1]) - 1]
    else:
        return []
    return [
        f"{name!r} {where} an environment; the repository has the same name in staging and "
        f"production (replication keeps the name), so leave the environment out (try {rest!r})"
    ]


def check_tag_pattern(value: str) -> list[str]:
    """A git tag pattern for the GitHub OIDC trust: a fixed prefix, then optional wildcards.

    The pattern is matched by IAM (``StringLike``) against ``ref:refs/tags/<tag>``; one that
    starts with a wildcard (``*``, ``*-rc``) lets any tag of the repository release.
    """
    if not _TAG_PATTERN.match(value) or value.startswith("refs/"):
        return [
            f"{value!r} is not a git tag pattern such as 'v*' (letters, digits, '_', '.', '-', "
            "'/', '*', '?'; without 'refs/tags/')"
        ]
    if value[0] in "*?":
        return [
            f"{value!r} starts with a wildcard, so the release role trusts every tag of the "
            "repository (anyone who can push a tag releases); start with a fixed prefix, "
            "e.g. 'v*' or 'release-*'"
        ]
    return []
