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


def _flatten(value: Any) -> str:
    """A CloudFormation string value with ``Fn::Join`` joined and ``Ref`` as ``${Name}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_flatten(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    return json.dumps(value)


def _deploy_detail(variables: Any) -> str | None:
    """``UpdateStack <stack> in <account>`` for a deploy action's environment variables."""
    try:
        items = json.loads(_flatten(variables))
    except ValueError:
        return None
    values = {item.get("name"): item.get("value", "") for item in items}
    if "STACK_NAME" not in values:
        return None
    account = re.search(r":iam::(\d{12}):", values.get("DEPLOY_ROLE_ARN", ""))
    where = f" in {account.group(1)}" if account else ""
    return f"CodeBuild: UpdateStack {values['STACK_NAME']}{where}"


def _described(resources: dict[str, Any], reference: Any) -> str | None:
    """The ``Description`` of the template resource that ``reference`` (a ``Ref``) names."""
    if not (isinstance(reference, dict) and "Ref" in reference):
        return None
    description = resources.get(reference["Ref"], {}).get("Properties", {}).get("Description")
    return description if isinstance(description, str) else None


def _label(action: dict[str, Any], resources: dict[str, Any]) -> str:
    provider = action["ActionTypeId"]["Provider"]
    configuration = action.get("Configuration", {})
    detail = _PROVIDERS.get(provider, provider)
    if provider == "CodeBuild":
        described = _described(resources, configuration.get("ProjectName"))
        deploy = _deploy_detail(configuration.get("EnvironmentVariables", "[]"))
        detail = deploy or (f"CodeBuild: {described}" if described else detail)
    namespace = action.get("Namespace")
    suffix = f"<br/><i>variables: {namespace}</i>" if namespace else ""
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
            label = _label(action, template.get("Resources", {}))
            lines.append(f'    {node}["{_escape(label)}"]')
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
