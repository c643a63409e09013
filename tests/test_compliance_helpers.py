"""The acknowledgment helper and the pack registration."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import aws_s3 as s3

from container_delivery.compliance import acknowledge, apply_packs
from tests.helpers import nag_findings, new_app, new_stack


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "the reason is empty"),
        ("   ", "the reason is empty"),
        ("Not needed", "is boilerplate"),
        ("false positive", "is boilerplate"),
        ("n/a", "is boilerplate"),
        ("TODO", "is boilerplate"),
        ("internal bucket only", "is too short"),
    ],
)
def test_acknowledge_refuses_a_reason_that_does_not_explain_itself(
    reason: str, message: str
) -> None:
    stack = new_stack()
    bucket = s3.Bucket(stack, "Bucket")
    with pytest.raises(ValueError, match=message) as error:
        acknowledge(bucket, "AwsSolutions-S1", reason)
    assert "Test/Bucket" in str(error.value)


def test_acknowledge_refuses_a_rule_without_pack_prefix() -> None:
    bucket = s3.Bucket(new_stack(), "Bucket")
    with pytest.raises(ValueError, match="'S1' is not of the form '<Pack>-<Rule>'"):
        acknowledge(bucket, "S1", "Access logs of this bucket would log the log bucket itself.")


def test_apply_packs_rejects_an_unknown_pack() -> None:
    with pytest.raises(ValueError, match="unknown rule pack 'NIST'"):
        apply_packs(new_app(), ["NIST"])


def test_an_acknowledged_finding_is_reported_as_suppressed_with_its_reason(tmp_path: Path) -> None:
    # GIVEN a bucket without access logs, the finding acknowledged with a reason
    app = new_app(outdir=tmp_path)
    bucket = s3.Bucket(new_stack(app=app), "Bucket", enforce_ssl=True)
    reason = "This bucket receives the access logs of other buckets; logging it would loop."
    acknowledge(bucket, ["AwsSolutions-S1"], reason)
    # WHEN the app is synthesized with AwsSolutions only
    findings = nag_findings(app, tmp_path, packs=())
    # THEN S1 is not a finding, and the report carries the acknowledgment and its reason
    assert not [f for f in findings if f.startswith("AwsSolutions-S1 ")]
    report = (tmp_path / "validation-report.json").read_text()
    assert "AwsSolutions::AwsSolutions-S1" in report
    assert reason in report


def test_the_id_form_cdk_prints_is_acknowledged_like_the_short_one(tmp_path: Path) -> None:
    # GIVEN a finding acknowledged with the id as CDK's report prints it
    app = new_app(outdir=tmp_path)
    bucket = s3.Bucket(new_stack(app=app), "Bucket", enforce_ssl=True)
    reason = "This bucket receives the access logs of other buckets; logging it would loop."
    acknowledge(bucket, "AwsSolutions::AwsSolutions-S1", reason)
    # THEN the finding is suppressed and recorded once under the same qualified id
    findings = nag_findings(app, tmp_path, packs=())
    assert not [f for f in findings if f.startswith("AwsSolutions-S1 ")]
    report = (tmp_path / "validation-report.json").read_text()
    assert "AwsSolutions::AwsSolutions-S1" in report
    assert "AwsSolutions::AwsSolutions::" not in report


@pytest.mark.parametrize(
    "rule_id", ["NIST.800.53.R5::AwsSolutions-S1", "AwsSolutions::S1", "::AwsSolutions-S1"]
)
def test_a_qualified_id_whose_pack_disagrees_is_refused(rule_id: str) -> None:
    bucket = s3.Bucket(new_stack(), "Bucket")
    with pytest.raises(ValueError, match="is not of the form"):
        acknowledge(bucket, rule_id, "Access logs of this bucket would log the log bucket itself.")
