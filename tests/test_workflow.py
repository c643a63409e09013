"""The GitHub Actions release workflow that app repositories copy (examples/github-actions)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from container_delivery.constructs.pipeline.buildspec import RELEASE_FILE
from tests.helpers import ROOT

WORKFLOW = ROOT / "examples" / "github-actions" / "release.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    jobs = workflow["jobs"]
    assert list(jobs) == ["upload"]
    return jobs["upload"]["steps"]  # type: ignore[no-any-return]


def test_it_runs_on_release_tags_only(workflow: dict[Any, Any]) -> None:
    trigger = workflow[True]
    assert trigger == {"push": {"tags": ["v*"]}}


def test_it_asks_for_an_oidc_token_and_read_access_only(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {"id-token": "write", "contents": "read"}


def test_it_uses_no_access_keys(steps: list[dict[str, Any]]) -> None:
    text = WORKFLOW.read_text()
    assert "aws-access-key-id" not in text and "secrets." not in text
    credentials = next(s for s in steps if "configure-aws-credentials" in s.get("uses", ""))
    assert set(credentials["with"]) == {"role-to-assume", "aws-region", "role-session-name"}


def test_the_steps_check_out_record_zip_assume_and_upload_in_order(
    steps: list[dict[str, Any]],
) -> None:
    names = [step["name"] for step in steps]
    assert names == [
        "Check out the tag",
        "Write the release record",
        "Zip the tagged source",
        "Assume the upload role (OIDC)",
        "Upload the source archive",
    ]


def test_the_release_record_carries_tag_and_commit_into_the_zip(
    steps: list[dict[str, Any]],
) -> None:
    record, archive = steps[1]["run"], steps[2]["run"]
    assert f"> {RELEASE_FILE}" in record
    assert "$GITHUB_REF_NAME" in record and "$GITHUB_SHA" in record
    assert f"--add-file={RELEASE_FILE}" in archive and "git archive --format=zip" in archive


def test_the_upload_puts_one_object_with_tag_and_commit_metadata(
    steps: list[dict[str, Any]],
) -> None:
    upload = steps[4]["run"]
    # s3api put-object is a single PUT: the role needs s3:PutObject and kms:GenerateDataKey only
    # (a multipart `aws s3 cp` would also need kms:Decrypt).
    assert "aws s3api put-object" in upload
    assert '--key "$SOURCE_KEY"' in upload
    assert "git-tag=$GITHUB_REF_NAME,git-commit=$GITHUB_SHA" in upload


def test_every_action_is_pinned_to_a_commit(steps: list[dict[str, Any]]) -> None:
    uses = [step["uses"] for step in steps if "uses" in step]
    assert uses, "the workflow uses no action"
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref


def test_checkout_does_not_keep_the_token(steps: list[dict[str, Any]]) -> None:
    assert steps[0]["with"] == {"persist-credentials": False}


def test_the_example_names_the_reference_app_upload_role(workflow: dict[Any, Any]) -> None:
    assert workflow["env"]["AWS_ROLE_ARN"].endswith(":role/container-delivery-github-webapp")
    assert workflow["env"]["SOURCE_KEY"] == "source/webapp.zip"


def test_the_workflow_names_the_pipeline_outputs_it_reads(workflow: dict[Any, Any]) -> None:
    # GIVEN the outputs DeliveryPipeline emits and the variables they fill
    from container_delivery.constructs.pipeline import RELEASE_OUTPUTS

    header = WORKFLOW.read_text().split("name: release", 1)[0]
    for output, variable in RELEASE_OUTPUTS.items():
        # THEN the workflow has each variable and tells where its value comes from
        assert variable in workflow["env"], variable
        assert output in header, f"release.yml does not say to read the {output} output"
        assert f"${variable}" in WORKFLOW.read_text() or f"env.{variable}" in WORKFLOW.read_text()
