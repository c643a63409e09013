"""The pipeline diagram in README.md and docs/pipeline.md is generated from the synthesized pipeline.

Refresh the document after a change to the pipeline's stages:

    UPDATE_PIPELINE_DIAGRAM=1 .venv/bin/python -m pytest -q tests/test_pipeline_diagram.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from container_delivery.config import load_config
from container_delivery.constructs.pipeline import STAGES, pipeline_mermaid, replace_block
from container_delivery.constructs.pipeline.diagram import BEGIN_MARKER, END_MARKER
from container_delivery.stacks.pipeline import PipelineStack, pipeline_stack_name
from tests.helpers import ROOT, new_app

DOCS = [ROOT / "README.md", ROOT / "docs" / "pipeline.md"]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    config = load_config()
    service = config.services[0]
    stack = PipelineStack(
        new_app(),
        pipeline_stack_name(service.name),
        env={"account": config.accounts.staging.id, "region": config.accounts.staging.region},
        service=service,
        accounts=config.accounts,
        staging_url="#{DeployStaging.SERVICE_URL}",
    )
    return dict(Template.from_stack(stack).to_json())


def test_the_diagram_shows_every_stage_in_order(template: dict[str, Any]) -> None:
    diagram = pipeline_mermaid(template)
    assert diagram.startswith("flowchart LR\n")
    positions = [diagram.index(f'. {stage}"]') for stage in STAGES]
    assert positions == sorted(positions)
    assert "S1 --> S2" in diagram and "S5 --> S6" in diagram


def test_the_diagram_needs_exactly_one_pipeline() -> None:
    with pytest.raises(ValueError, match="expected one AWS::CodePipeline::Pipeline, found 0"):
        pipeline_mermaid({"Resources": {}})


@pytest.mark.parametrize("path", DOCS, ids=[path.name for path in DOCS])
def test_the_document_shows_the_synthesized_pipeline(template: dict[str, Any], path: Path) -> None:
    document = path.read_text()
    expected = replace_block(document, pipeline_mermaid(template))
    if os.environ.get("UPDATE_PIPELINE_DIAGRAM") == "1" and document != expected:
        path.write_text(expected)
        document = expected
    assert BEGIN_MARKER in document
    assert END_MARKER in document
    assert document == expected, (
        f"{path.name} is out of date: run "
        "UPDATE_PIPELINE_DIAGRAM=1 .venv/bin/python -m pytest -q tests/test_pipeline_diagram.py"
    )
