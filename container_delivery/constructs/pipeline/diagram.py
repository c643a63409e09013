"""The pipeline as a Mermaid diagram, read from a synthesized template (pure, no aws_cdk).

``docs/pipeline.md`` holds the diagram of the reference app's pipeline between
``BEGIN_MARKER`` and ``END_MARKER``; ``tests/test_pipeline_diagram.py`` regenerates it from the
synthesized stack and fails when the document is out of date (run it with
``UPDATE_PIPELINE_DIAGRAM=1`` to rewrite the block).
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

BEGIN_MARKER: Final = (
    "<!-- pipeline-diagram:begin (generated, see tests/test_pipeline_diagram.py) -->"
)
END_MARKER: Final = "<!-- pipeline-diagram:end -->"

_PROVIDERS: Final = {
    "S3": "S3 source, EventBridge trigger",
    "CodeBuild": "CodeBuild",
    "Manual": "manual approval, SNS",
    "Lambda": "Lambda",
}


def _pipelines(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        resource["Properties"]
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::CodePipeline::Pipeline"
    ]


def _label(action: dict[str, Any]) -> str:
    provider = action["ActionTypeId"]["Provider"]
    configuration = action.get("Configuration", {})
    detail = _PROVIDERS.get(provider, provider)
    variables = configuration.get("EnvironmentVariables")
    if provider == "CodeBuild" and "STACK_NAME" in json.dumps(variables):
        detail = "CodeBuild: CloudFormation UpdateStack"
    namespace = action.get("Namespace")
    suffix = f"<br/><i>#{{{namespace}.*}}</i>" if namespace else ""
    return f"{action['Name']}<br/>({detail}){suffix}"


def pipeline_mermaid(template: dict[str, Any]) -> str:
    """A Mermaid flowchart of the template's one CodePipeline: stages in order, their actions.

    :raises ValueError: the template has no pipeline, or more than one.
    """
    pipelines = _pipelines(template)
    if len(pipelines) != 1:
        raise ValueError(f"expected one AWS::CodePipeline::Pipeline, found {len(pipelines)}")
    stages = pipelines[0]["Stages"]
    lines = ["flowchart LR"]
    previous: str | None = None
    for index, stage in enumerate(stages, start=1):
        stage_id = f"S{index}"
        lines.append(f'  subgraph {stage_id}["{index}. {stage["Name"]}"]')
        first_action: str | None = None
        for action_index, action in enumerate(
            sorted(stage["Actions"], key=lambda a: a.get("RunOrder", 1))
        ):
            node = f"{stage_id}A{action_index + 1}"
            first_action = first_action or node
            lines.append(f'    {node}["{_escape(_label(action))}"]')
        lines.append("  end")
        if previous is not None:
            lines.append(f"  {previous} --> {stage_id}")
        previous = stage_id
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace('"', "#quot;")


def replace_block(document: str, diagram: str) -> str:
    """``document`` with the Mermaid block between the markers replaced by ``diagram``."""
    pattern = re.compile(re.escape(BEGIN_MARKER) + r".*?" + re.escape(END_MARKER), re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"the document has no {BEGIN_MARKER!r} ... {END_MARKER!r} block")
    block = f"{BEGIN_MARKER}\n```mermaid\n{diagram}```\n{END_MARKER}"
    return pattern.sub(lambda _: block, document, count=1)
