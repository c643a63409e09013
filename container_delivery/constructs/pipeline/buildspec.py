"""The build and deploy buildspecs, generated from Python (pure functions, no aws_cdk).

Both specs read what differs per project from environment variables that the constructs set
(``REPOSITORY_URI``, ``STACK_NAME``, ...), so the specs are plain data and are unit-tested here.
Tool downloads are pinned by version and verified with SHA-256 before they run.

This module holds the build options and the build-and-gate spec; the install phase (tools, scan
gate, KEV catalog) is in ``_install`` and the deploy spec in ``_deploy_spec``, both re-exported
here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from ._deploy_spec import DEPLOY_EXPORTED_VARIABLES as DEPLOY_EXPORTED_VARIABLES
from ._deploy_spec import DEPLOY_SCRIPT as DEPLOY_SCRIPT
from ._deploy_spec import DEPLOY_VARIABLES as DEPLOY_VARIABLES
from ._deploy_spec import deploy_spec as deploy_spec
from ._install import KEV_CACHE_VARIABLE as KEV_CACHE_VARIABLE
from ._install import install_commands
from ._install import kev_script as kev_script

Scanner = Literal["trivy", "inspector"]
Platform = Literal["linux/amd64", "linux/arm64"]
Severity = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]

SCANNERS: Final[tuple[str, ...]] = ("trivy", "inspector")
SEVERITIES: Final[tuple[str, ...]] = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
KEV_URL: Final = (
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
)

DEFAULT_BUILDKIT_IMAGE: Final = "public.ecr.aws/vend/moby/buildkit:buildx-stable-1"
"""The BuildKit image of the ``docker buildx`` builder, from ECR Public: Docker Hub's anonymous
pull limit is shared by every CodeBuild host behind the same address. This is a community mirror
of ``moby/buildkit``; to trust only your own registry, copy the image into a repository of the
build account and pin it by digest (``BuildOptions.buildkit_image``)."""
BUILD_TAG_PREFIX: Final = "git-"
"""Prefix of the per-release build tag ``git-<12 of the commit>-<git tag>``; the registry's
lifecycle rules keep the newest build images by this prefix (``DEFAULT_BUILD_TAG_PREFIX``)."""
MAX_GIT_TAG_LENGTH: Final = 128 - len(BUILD_TAG_PREFIX) - 12 - 1
"""Longest git tag a release may have: ECR image tags have at most 128 characters and the build
tag adds ``git-``, 12 characters of the commit and ``-``."""

BUILD_VARIABLES: Final[tuple[str, ...]] = ("IMAGE_DIGEST", "GIT_TAG", "GIT_COMMIT", "IMAGE_URI")
"""Variables the build action exports (``#{Build.IMAGE_DIGEST}`` ...)."""
#: The JUnit report group of the scan gate, as named in the buildspec.
GATE_REPORT_GROUP: Final = "ScanGate"
#: The release metadata file the GitHub workflow writes at the root of the source archive.
RELEASE_FILE: Final = ".release.json"


@dataclass(frozen=True)
class Download:
    """A pinned release binary: where it comes from and the SHA-256 it must have.

    :param url: HTTPS URL of the release asset, downloaded by the build.
    :param sha256: SHA-256 of the asset, 64 lowercase hex characters (the build fails on a
        mismatch).
    """

    url: str
    sha256: str


@dataclass(frozen=True)
class ToolVersions:
    """Pinned tool downloads per CPU architecture (``amd64`` / ``arm64``).

    The checksums are those of the upstream release assets; change a version together with its
    checksums (the build fails on a mismatch, it never runs an unverified binary).
    ``DEFAULT_TOOLS`` pins hadolint and Trivy; start from it with ``dataclasses.replace``.

    :param hadolint: The hadolint binary per architecture (Dockerfile lint).
    :param trivy: The Trivy release archive per architecture (image scan with ``scanner="trivy"``).
    :param inspector_sbomgen: Amazon Inspector SBOM generator zips per architecture; required
        with ``scanner="inspector"``. Default: - none (no version is pinned here: take the
        version and checksum from the Inspector user guide).
    :param pyyaml: PyYAML version pip installs for the scan gate in the build.
        Default: - ``6.0.3``.
    """

    hadolint: dict[str, Download]
    trivy: dict[str, Download]
    inspector_sbomgen: dict[str, Download] | None = None
    pyyaml: str = "6.0.3"


HADOLINT_VERSION: Final = "2.12.0"
TRIVY_VERSION: Final = "0.68.1"
_HADOLINT = f"https://github.com/hadolint/hadolint/releases/download/v{HADOLINT_VERSION}"
_TRIVY = f"https://github.com/aquasecurity/trivy/releases/download/v{TRIVY_VERSION}"

DEFAULT_TOOLS: Final = ToolVersions(
    hadolint={
        "amd64": Download(
            f"{_HADOLINT}/hadolint-Linux-x86_64",
            "56de6d5e5ec427e17b74fa48d51271c7fc0d61244bf5c90e828aab8362d55010",
        ),
        "arm64": Download(
            f"{_HADOLINT}/hadolint-Linux-arm64",
            "5798551bf19f33951881f15eb238f90aef023f11e7ec7e9f4c37961cb87c5df6",
        ),
    },
    trivy={
        "amd64": Download(
            f"{_TRIVY}/trivy_{TRIVY_VERSION}_Linux-64bit.tar.gz",
            "63e37242088e418651931f891963c19554faa19f0591fe6b40b606152051df2f",
        ),
        "arm64": Download(
            f"{_TRIVY}/trivy_{TRIVY_VERSION}_Linux-ARM64.tar.gz",
            "b29ea550f573afbcae3c86fb2b5e0ebba76b7cb0965e3787c4e8cb884d2c1d57",
        ),
    },
)
"""The pinned hadolint and Trivy releases (``HADOLINT_VERSION``, ``TRIVY_VERSION``) with the
SHA-256 of each asset: ``BuildOptions.tools`` unless given."""

_SHA256 = re.compile(r"[a-f0-9]{64}")
_SAFE_PATH = re.compile(r"[A-Za-z0-9_./-]+")
_IMAGE_REF = re.compile(
    r"[a-z0-9.-]+(?::[0-9]+)?/[a-z0-9._/-]+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?"
)


@dataclass(frozen=True)
class BuildOptions:
    """What the build-and-gate buildspec does; everything account-specific comes from env vars.

    Environment variables the project must set: ``REPOSITORY_URI`` (staging repository URI),
    ``REPOSITORY_NAME``, ``CACHE_REPOSITORY_URI`` (the build cache, never replicated), ``ECR_REGISTRY`` (``<account>.dkr.ecr.<region>.amazonaws.com``),
    ``SCAN_GATE_S3_URL`` (``s3://bucket/key.zip`` of the scan-gate folder) and, with ``kev_url``,
    ``KEV_CACHE_S3_URL`` (``s3://bucket/key`` of the last good KEV catalog, read when the download
    fails and rewritten after every successful one).

    :param platform: Platform the image is built for; it must match the service's
        ``architecture`` (``FargateService`` defaults to X86_64, i.e. ``linux/amd64``).
        Default: - ``linux/arm64``.
    :param scanner: Image scanner whose report the gate reads, ``trivy`` or ``inspector``
        (needs ``tools.inspector_sbomgen``). Default: - ``trivy``.
    :param dockerfile: Path of the Dockerfile in the source archive.
        Default: - ``Dockerfile``.
    :param build_context: Build context directory in the source archive.
        Default: - ``.`` (the archive root).
    :param suppressions_file: Scan-gate suppressions (reason, owner, expiry per finding) in the
        source archive; a missing file means no suppressions.
        Default: - ``.scan-suppressions.yaml``.
    :param threshold: Findings at or above this severity fail the gate.
        Default: - ``HIGH``.
    :param kev_url: CISA Known Exploited Vulnerabilities catalog downloaded by the build; a
        finding listed there fails the gate at any severity. When the download fails, the build
        uses the copy cached by the last good download (``KEV_CACHE_S3_URL``), saying so in its
        log. ``None`` skips it. Default: - the CISA JSON feed.
    :param hadolint_failure_threshold: Lowest hadolint level that fails the lint step.
        Default: - ``error``.
    :param tools: Pinned downloads of the linters and scanners.
        Default: - ``DEFAULT_TOOLS`` (pinned hadolint and Trivy releases).
    :param buildkit_image: The BuildKit image ``docker buildx`` runs, from a registry without
        anonymous pull limits (a registry/repository:tag or @sha256 reference).
        Default: - ``DEFAULT_BUILDKIT_IMAGE`` (ECR Public).
    """

    platform: Platform = "linux/arm64"
    scanner: Scanner = "trivy"
    dockerfile: str = "Dockerfile"
    build_context: str = "."
    suppressions_file: str = ".scan-suppressions.yaml"
    threshold: Severity = "HIGH"
    kev_url: str | None = KEV_URL
    hadolint_failure_threshold: Literal["error", "warning", "info", "style"] = "error"
    tools: ToolVersions = DEFAULT_TOOLS
    buildkit_image: str = DEFAULT_BUILDKIT_IMAGE

    @property
    def arch(self) -> str:
        """The CPU architecture of ``platform`` (``amd64`` or ``arm64``), keying ``tools``."""
        return self.platform.split("/")[1]


def check_build_options(options: BuildOptions) -> list[str]:
    """Problems with ``options`` (empty when they are usable)."""
    problems: list[str] = []
    if options.platform not in ("linux/amd64", "linux/arm64"):
        problems.append(f"platform {options.platform!r} must be 'linux/amd64' or 'linux/arm64'")
    if options.scanner not in SCANNERS:
        problems.append(f"scanner {options.scanner!r} must be one of {', '.join(SCANNERS)}")
    if options.threshold not in SEVERITIES:
        problems.append(f"threshold {options.threshold!r} must be one of {', '.join(SEVERITIES)}")
    for name in ("dockerfile", "build_context", "suppressions_file"):
        value = getattr(options, name)
        if not _SAFE_PATH.fullmatch(value) or value.startswith("/") or ".." in value.split("/"):
            problems.append(
                f"{name} {value!r} must be a relative path inside the source archive "
                "(letters, digits, '_', '.', '/', '-'; no '..')"
            )
    if not _IMAGE_REF.fullmatch(options.buildkit_image):
        problems.append(
            f"buildkit_image {options.buildkit_image!r} is not an image reference "
            "(registry/repository:tag or @sha256:digest, e.g. "
            f"{DEFAULT_BUILDKIT_IMAGE!r})"
        )
    pinned = [("hadolint", options.tools.hadolint), ("trivy", options.tools.trivy)]
    if options.scanner == "inspector":
        if options.tools.inspector_sbomgen is None:
            problems.append(
                "scanner 'inspector' needs tools.inspector_sbomgen (the Inspector SBOM generator "
                "zip per architecture with its sha256); set it or use scanner 'trivy'"
            )
        else:
            pinned.append(("inspector_sbomgen", options.tools.inspector_sbomgen))
    for tool, downloads in pinned:
        for arch in ("amd64", "arm64"):
            download = downloads.get(arch)
            if download is None:
                problems.append(f"tools.{tool} has no download for {arch}; add one with its sha256")
            elif not _SHA256.fullmatch(download.sha256):
                problems.append(
                    f"tools.{tool}[{arch}].sha256 {download.sha256!r} is not 64 lowercase hex "
                    "characters; copy it from the release's checksums"
                )
    return problems


READ_RELEASE = (
    'GIT_TAG=$(python3 -c \'import json; print(json.load(open(".release.json"))["tag"])\') && '
    'GIT_COMMIT=$(python3 -c \'import json; print(json.load(open(".release.json"))["commit"])\')'
)
CHECK_RELEASE = (
    f'echo "$GIT_TAG" | grep -Eq "^[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{MAX_GIT_TAG_LENGTH - 1}}}$" || '
    "{ echo \"git tag '$GIT_TAG' is not a valid image tag (letters, digits, _ . -; at most "
    f"{MAX_GIT_TAG_LENGTH}, so that the build tag fits ECR's 128)\"; exit 1; }}"
)
#: The build tag: unique per release (the commit alone is not: two git tags can name one commit,
#: and the repository is immutable).
SET_BUILD_TAG = f'BUILD_TAG="{BUILD_TAG_PREFIX}${{GIT_COMMIT:0:12}}-$GIT_TAG"'
#: Nothing is pushed unless both tags are free: a push cannot be undone in an immutable repository,
#: and a release whose first tag went in but whose second was refused could never be retried.
CHECK_TAGS_FREE = r"""if ! TAKEN=$(aws ecr batch-get-image --repository-name "$REPOSITORY_NAME" \
    --image-ids imageTag="$GIT_TAG" imageTag="$BUILD_TAG" --query 'length(images)' --output text); then
  echo "Could not check whether tags $GIT_TAG and $BUILD_TAG are free in repository $REPOSITORY_NAME. Nothing was pushed." >&2
  exit 1
elif [[ "$TAKEN" != 0 ]]; then
  echo "Image tag $GIT_TAG or $BUILD_TAG already exists in repository $REPOSITORY_NAME: git tag $GIT_TAG was already built and pushed. Tags are immutable and each release is built once: release this change under a new git tag. Nothing was pushed." >&2
  exit 1
fi"""


def build_spec(options: BuildOptions, *, report_group: str = GATE_REPORT_GROUP) -> dict[str, Any]:
    """The buildspec of the build-and-gate project (build once, lint, scan, gate, push).

    ``report_group`` is the JUnit report group of the gate: a name (CodeBuild creates
    ``<project>-<name>``) or the ARN of an existing group.

    Only an image that passed the gate is pushed: everything in the staging registry replicates
    to production. Every phase aborts the build on the first failing command.
    """
    problems = check_build_options(options)
    if problems:
        raise ValueError("build_spec: " + "; ".join(problems))

    scan, gate_reports = _scan_commands(options.scanner)
    return {
        "version": "0.2",
        "env": {
            "shell": "bash",
            "variables": {"DOCKER_BUILDKIT": "1"},
            "exported-variables": list(BUILD_VARIABLES),
        },
        "phases": {
            "install": {"on-failure": "ABORT", "commands": install_commands(options)},
            "pre_build": {"on-failure": "ABORT", "commands": _pre_build_commands(options)},
            "build": {
                "on-failure": "ABORT",
                "commands": _build_commands(options, scan, _gate_command(options, gate_reports)),
            },
        },
        "reports": {
            report_group: {
                "files": ["scan-gate.xml"],
                "base-directory": "reports",
                "file-format": "JUNITXML",
            }
        },
        "artifacts": {
            "files": [
                "image-digest.txt",
                "sbom.cdx.json",
                RELEASE_FILE,
                "reports/scan-gate.md",
                "reports/scan-gate.json",
                *gate_reports,
            ],
            "discard-paths": "no",
        },
    }


#: The image the build tags and scans before the gate decides whether it is pushed.
_IMAGE: Final = "$REPOSITORY_URI:$GIT_TAG"
_CACHE: Final = "$CACHE_REPOSITORY_URI:buildcache"


def _scan_commands(scanner: Scanner) -> tuple[list[str], list[str]]:
    """The scan commands and the reports the gate reads."""
    if scanner == "trivy":
        scan = [
            f'trivy image --quiet --format json --output reports/trivy.json "{_IMAGE}"',
            f'trivy image --quiet --format cyclonedx --output sbom.cdx.json "{_IMAGE}"',
        ]
        return scan, ["reports/trivy.json"]
    scan = [
        # Inspector scans a CycloneDX 1.5 SBOM made by its own generator.
        f'inspector-sbomgen container --image "{_IMAGE}" --outfile sbom.cdx.json',
        "aws inspector-scan scan-sbom --sbom file://sbom.cdx.json "
        "--output-format CYCLONE_DX_1_5 > reports/inspector.json",
    ]
    return scan, ["reports/inspector.json"]


def _gate_command(options: BuildOptions, gate_reports: list[str]) -> str:
    return " ".join(
        [
            'PYTHONPATH="$TOOLS" python3 -m container_delivery.scan_gate',
            *[f"--report {path}" for path in gate_reports],
            f'--suppressions "{options.suppressions_file}"',
            '--repository "$REPOSITORY_NAME"',
            f"--threshold {options.threshold}",
            *(['--kev "$TOOLS/kev.json"'] if options.kev_url else []),
            "--junit reports/scan-gate.xml --summary reports/scan-gate.md --json reports/scan-gate.json",
        ]
    )


def _pre_build_commands(options: BuildOptions) -> list[str]:
    """Read and check the release, lint the Dockerfile, log in, refuse a release already pushed."""
    return [
        f'test -f {RELEASE_FILE} || {{ echo "{RELEASE_FILE} is missing from the '
        'source archive: upload it with the release workflow"; exit 1; }',
        READ_RELEASE,
        CHECK_RELEASE,
        SET_BUILD_TAG,
        'echo "Release $GIT_TAG at commit $GIT_COMMIT (build tag $BUILD_TAG)"',
        f'test -f "{options.suppressions_file}" || '
        f"echo 'suppressions: []' > \"{options.suppressions_file}\"",
        f'hadolint --failure-threshold {options.hadolint_failure_threshold} "{options.dockerfile}"',
        'aws ecr get-login-password | docker login --username AWS --password-stdin "$ECR_REGISTRY"',
        # fail fast: a release already pushed is refused before an hour of building
        CHECK_TAGS_FREE,
        "docker buildx create --use --driver docker-container "
        f'--driver-opt "image={options.buildkit_image}" --name builder',
    ]


def _build_commands(options: BuildOptions, scan: list[str], gate: str) -> list[str]:
    """Build once, scan, gate; push and record the digest only when the gate passed."""
    return [
        "mkdir -p reports",
        f'docker buildx build --platform {options.platform} --file "{options.dockerfile}" '
        f'--cache-from "type=registry,ref={_CACHE}" '
        f'--cache-to "type=registry,ref={_CACHE},mode=max,image-manifest=true,oci-mediatypes=true" '
        '--label "org.opencontainers.image.revision=$GIT_COMMIT" '
        '--label "org.opencontainers.image.version=$GIT_TAG" '
        f'--load --tag "{_IMAGE}" --tag "$REPOSITORY_URI:$BUILD_TAG" '
        f'"{options.build_context}"',
        *scan,
        # Exit 1 (blocking findings) or 2 (bad input) aborts the build: nothing is pushed.
        gate,
        CHECK_TAGS_FREE,
        f'docker push "{_IMAGE}"',
        'docker push "$REPOSITORY_URI:$BUILD_TAG"',
        'IMAGE_DIGEST=$(aws ecr describe-images --repository-name "$REPOSITORY_NAME" '
        "--image-ids imageTag=\"$GIT_TAG\" --query 'imageDetails[0].imageDigest' "
        "--output text)",
        'IMAGE_URI="$REPOSITORY_URI@$IMAGE_DIGEST"',
        'echo "$IMAGE_DIGEST" > image-digest.txt',
        'echo "Pushed $IMAGE_URI ($GIT_TAG, $BUILD_TAG)"',
    ]
