"""The delivery pipeline: release source, build-and-gate buildspec, pipeline, deploy roles."""

from .access import DEFAULT_QUALIFIER, DeployRole, DeployTarget, deploy_statements
from .buildspec import (
    BUILD_VARIABLES,
    DEFAULT_TOOLS,
    BuildOptions,
    Download,
    ToolVersions,
    build_spec,
    check_build_options,
    deploy_spec,
)
from .delivery import (
    NOTIFIED_EVENTS,
    RELEASE_OUTPUTS,
    SCAN_GATE_DIR,
    STAGES,
    STAGING_URL_VARIABLE,
    DeliveryPipeline,
)
from .diagram import pipeline_mermaid, replace_block
from .source import (
    GITHUB_AUDIENCE,
    GITHUB_OIDC_HOST,
    GITHUB_OIDC_URL,
    ReleaseSource,
    github_oidc_provider_arn,
    github_subject,
)

__all__ = [
    "BUILD_VARIABLES",
    "DEFAULT_QUALIFIER",
    "DEFAULT_TOOLS",
    "GITHUB_AUDIENCE",
    "GITHUB_OIDC_HOST",
    "GITHUB_OIDC_URL",
    "NOTIFIED_EVENTS",
    "RELEASE_OUTPUTS",
    "SCAN_GATE_DIR",
    "STAGES",
    "STAGING_URL_VARIABLE",
    "BuildOptions",
    "DeliveryPipeline",
    "DeployRole",
    "DeployTarget",
    "Download",
    "ReleaseSource",
    "ToolVersions",
    "build_spec",
    "check_build_options",
    "deploy_spec",
    "deploy_statements",
    "github_oidc_provider_arn",
    "github_subject",
    "pipeline_mermaid",
    "replace_block",
]
