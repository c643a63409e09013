"""The install phase of the build: the pinned tools, the scan gate and the KEV catalog.

Every download is pinned by version and verified with SHA-256 before it runs; the KEV catalog
falls back to the copy the last good download cached in S3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .buildspec import BuildOptions

KEV_CACHE_VARIABLE: Final = "KEV_CACHE_S3_URL"
"""The build's variable naming where it keeps the last good KEV catalog (``s3://bucket/key``)."""


def install_commands(options: BuildOptions) -> list[str]:
    hadolint = options.tools.hadolint[options.arch]
    commands = [
        'export TOOLS="$CODEBUILD_SRC_DIR/../tools" && mkdir -p "$TOOLS/bin" && '
        'export PATH="$TOOLS/bin:$PATH"',
        f'curl -fsSL -o "$TOOLS/bin/hadolint" "{hadolint.url}"',
        f'echo "{hadolint.sha256}  $TOOLS/bin/hadolint" | sha256sum -c -',
        'chmod +x "$TOOLS/bin/hadolint"',
    ]
    if options.scanner == "trivy":
        trivy = options.tools.trivy[options.arch]
        commands += [
            f'curl -fsSL -o /tmp/trivy.tar.gz "{trivy.url}"',
            f'echo "{trivy.sha256}  /tmp/trivy.tar.gz" | sha256sum -c -',
            'tar -xzf /tmp/trivy.tar.gz -C "$TOOLS/bin" trivy',
        ]
    else:
        sbomgen = (options.tools.inspector_sbomgen or {})[options.arch]  # checked before
        commands += [
            f'curl -fsSL -o /tmp/sbomgen.zip "{sbomgen.url}"',
            f'echo "{sbomgen.sha256}  /tmp/sbomgen.zip" | sha256sum -c -',
            "python3 -m zipfile -e /tmp/sbomgen.zip /tmp/sbomgen",
            'find /tmp/sbomgen -type f -name inspector-sbomgen -exec install -m 0755 {} "$TOOLS/bin/" \\;',
        ]
    commands += [
        # The scan gate: the container_delivery/scan_gate folder, shipped as an S3 asset.
        f"python3 -m pip install --quiet --target \"$TOOLS\" 'PyYAML=={options.tools.pyyaml}'",
        'aws s3 cp --no-progress "$SCAN_GATE_S3_URL" /tmp/scan-gate.zip',
        'mkdir -p "$TOOLS/container_delivery/scan_gate" && '
        'touch "$TOOLS/container_delivery/__init__.py"',
        'python3 -m zipfile -e /tmp/scan-gate.zip "$TOOLS/container_delivery/scan_gate"',
    ]
    if options.kev_url:
        commands.append(kev_script(options.kev_url))
    return commands


#: Exit 0 when the file is a KEV catalog (a ``vulnerabilities`` list), printing its version.
_KEV_CHECK = (
    "python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); "
    'assert isinstance(d.get("vulnerabilities"), list); '
    'print(d.get("catalogVersion", "?"), d.get("dateReleased", "?"))\' "$TOOLS/kev.json"'
)


def kev_script(kev_url: str) -> str:
    """Download the KEV catalog; on failure fall back to the cached copy in S3, saying so.

    A download that fails or is not a catalog (e.g. an error page) falls back to the copy the
    last successful download stored at ``$KEV_CACHE_S3_URL``; a good download replaces that
    copy. Without either, the build stops: the gate never runs without the catalog.
    """
    return f"""if curl -fsSL --retry 2 --max-time 120 -o "$TOOLS/kev.json" "{kev_url}" \\
    && KEV_VERSION=$({_KEV_CHECK} 2>/dev/null); then
  echo "KEV catalog $KEV_VERSION downloaded from {kev_url}"
  aws s3 cp --no-progress --only-show-errors "$TOOLS/kev.json" "${KEV_CACHE_VARIABLE}" \\
    || echo "WARNING: could not refresh the cached KEV catalog at ${KEV_CACHE_VARIABLE}"
else
  echo "WARNING: the KEV catalog download from {kev_url} failed; the gate uses the cached copy ${KEV_CACHE_VARIABLE}"
  if ! aws s3 cp --no-progress --only-show-errors "${KEV_CACHE_VARIABLE}" "$TOOLS/kev.json" \\
      || ! KEV_VERSION=$({_KEV_CHECK}); then
    echo "No KEV catalog: the download failed and there is no usable cached copy at ${KEV_CACHE_VARIABLE}. Retry the build when {kev_url} is reachable." >&2
    exit 1
  fi
  echo "WARNING: using the cached KEV catalog $KEV_VERSION (stored by the last build whose download succeeded)"
fi"""
