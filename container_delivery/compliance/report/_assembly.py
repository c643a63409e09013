"""The files of a cloud assembly: its stacks, their metadata and templates, the construct tree.

``manifest.json`` lists the stacks (nested assemblies followed); ``<Stack>.metadata.json`` (or the
manifest's ``metadata``) holds what constructs recorded; ``tree.json`` (with the fragments CDK
writes for very large trees) gives the construct path of each CloudFormation resource.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import AssemblyError, Resource, StackReport

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
TREE_ARTIFACT = "cdk:tree"


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AssemblyError(f"{path}: not found; synthesize the app first") from error
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{path}: not valid JSON ({error})") from error


@dataclass(frozen=True)
class StackArtifact:
    name: str
    construct_path: str
    environment: str
    directory: Path
    template_file: str
    metadata: Mapping[str, Any]


def stack_artifacts(directory: Path) -> Iterator[StackArtifact]:
    manifest = read_json(directory / "manifest.json")
    for name, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        props = artifact.get("properties") or {}
        if kind == NESTED_ASSEMBLY and props.get("directoryName"):
            yield from stack_artifacts(directory / props["directoryName"])
        elif kind == STACK_ARTIFACT:
            meta: dict[str, Any] = dict(artifact.get("metadata") or {})
            extra = artifact.get("additionalMetadataFile")
            if extra and (directory / extra).exists():
                for key, entries in read_json(directory / extra).items():
                    meta[key] = [*meta.get(key, []), *entries]
            yield StackArtifact(
                name=name,
                construct_path=artifact.get("displayName") or name,
                environment=artifact.get("environment", ""),
                directory=directory,
                template_file=props.get("templateFile", f"{name}.template.json"),
                metadata=meta,
            )


def _tree_nodes(directory: Path) -> list[dict[str, Any]]:
    """Every node of ``tree.json`` (following the fragments CDK writes for very large trees)."""
    manifest = read_json(directory / "manifest.json")
    files = [
        (a.get("properties") or {}).get("file", "tree.json")
        for a in (manifest.get("artifacts") or {}).values()
        if a.get("type") == TREE_ARTIFACT
    ]
    if not files or not (directory / files[0]).exists():
        return []
    root = read_json(directory / files[0]).get("tree", {})
    forests: dict[str, Any] = {}
    nodes: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = [root]
    while pending:
        node = pending.pop()
        if "fileName" in node and "treeId" in node:  # a subtree stored in another file
            if node["fileName"] not in forests:
                forests[node["fileName"]] = read_json(directory / node["fileName"])["forest"]
            node = forests[node["fileName"]][node["treeId"]]
        nodes.append(node)
        pending.extend((node.get("children") or {}).values())
    return nodes


def owner(path: str, stack_paths: Sequence[str]) -> str:
    """The stack path that is the longest prefix of ``path`` ("" when none)."""
    best = ""
    for stack_path in stack_paths:
        if (path == stack_path or path.startswith(stack_path + "/")) and len(stack_path) > len(
            best
        ):
            best = stack_path
    return best


@dataclass(frozen=True)
class ResourceIndex:
    """The CloudFormation resources of the construct tree, looked up either way."""

    #: Construct path -> (logical id, resource type).
    by_path: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: (stack name, logical id) -> construct path.
    by_logical_id: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: The aws-cdk-lib versions the tree's constructs were made with.
    versions: frozenset[str] = frozenset()


def index_resources(assembly_dir: Path, artifacts: Sequence[StackArtifact]) -> ResourceIndex:
    """Construct paths of CloudFormation resources, from the tree (the template has them only
    when path metadata is on, which the CLI sets and a plain App does not)."""
    stack_paths = [a.construct_path for a in artifacts]
    stack_by_path = {a.construct_path: a.name for a in artifacts}
    by_path: dict[str, tuple[str, str]] = {}
    by_logical_id: dict[tuple[str, str], str] = {}
    tree_versions: set[str] = set()
    for node in _tree_nodes(assembly_dir):
        attributes = node.get("attributes") or {}
        logical_id = attributes.get("aws:cdk:cloudformation:logicalId")
        version = (node.get("constructInfo") or {}).get("version")
        if version and (node.get("constructInfo") or {}).get("fqn", "").startswith("aws-cdk-lib."):
            tree_versions.add(version)
        if isinstance(logical_id, str):
            path = node.get("path", "")
            resource_type = attributes.get("aws:cdk:cloudformation:type", "")
            by_path[path] = (logical_id, resource_type)
            by_logical_id[(stack_by_path.get(owner(path, stack_paths), ""), logical_id)] = path
    return ResourceIndex(by_path, by_logical_id, frozenset(tree_versions))


def read_stacks(
    artifacts: Sequence[StackArtifact], index: ResourceIndex
) -> tuple[list[StackReport], dict[str, Any]]:
    """Each stack with its resources, and each stack's template by stack name."""
    stacks: list[StackReport] = []
    templates: dict[str, Any] = {}
    for artifact in artifacts:
        template = read_json(artifact.directory / artifact.template_file)
        templates[artifact.name] = template
        resources = tuple(
            Resource(
                stack=artifact.name,
                logical_id=logical_id,
                type=str(body.get("Type", "")),
                construct_path=index.by_logical_id.get((artifact.name, logical_id))
                or str((body.get("Metadata") or {}).get("aws:cdk:path", "")),
            )
            for logical_id, body in (template.get("Resources") or {}).items()
        )
        stacks.append(
            StackReport(
                name=artifact.name,
                construct_path=artifact.construct_path,
                environment=artifact.environment,
                template_file=artifact.template_file,
                resources=resources,
            )
        )
    return stacks, templates
