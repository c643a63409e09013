"""The findings in AWS Security Hub's finding format (ASFF), for ``BatchImportFindings``.

``--format asff`` writes ``report.asff.json``: a JSON list of findings, one per finding of the
report (acknowledged ones with ``Workflow.Status`` SUPPRESSED and the reason as the note), in the
account and region of their stack. Import it with ``aws securityhub batch-import-findings
--findings file://audit/report.asff.json`` (at most 100 findings per call: split larger files).
The resources are not deployed yet when the report is made: their ids are the stack and logical
id, not ARNs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .coverage import FRAMEWORKS
from .model import AuditReport, Finding

SCHEMA_VERSION = "2018-10-08"
_ENVIRONMENT = re.compile(r"^aws://(\d{12})/([a-z0-9-]+)$")
#: CloudFormation type -> the ASFF resource type Security Hub details (others are "Other").
RESOURCE_TYPES: Mapping[str, str] = {
    "AWS::S3::Bucket": "AwsS3Bucket",
    "AWS::IAM::Role": "AwsIamRole",
    "AWS::IAM::Policy": "AwsIamPolicy",
    "AWS::IAM::User": "AwsIamUser",
    "AWS::EC2::SecurityGroup": "AwsEc2SecurityGroup",
    "AWS::EC2::VPC": "AwsEc2Vpc",
    "AWS::EC2::Subnet": "AwsEc2Subnet",
    "AWS::ECS::Cluster": "AwsEcsCluster",
    "AWS::ECS::Service": "AwsEcsService",
    "AWS::ECS::TaskDefinition": "AwsEcsTaskDefinition",
    "AWS::ECR::Repository": "AwsEcrRepository",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "AwsElbv2LoadBalancer",
    "AWS::Lambda::Function": "AwsLambdaFunction",
    "AWS::KMS::Key": "AwsKmsKey",
    "AWS::SNS::Topic": "AwsSnsTopic",
    "AWS::SQS::Queue": "AwsSqsQueue",
    "AWS::CodeBuild::Project": "AwsCodeBuildProject",
    "AWS::Logs::LogGroup": "AwsLogsLogGroup",
    "AWS::SecretsManager::Secret": "AwsSecretsManagerSecret",
}


def _environment(report: AuditReport, stack: str) -> tuple[str, str]:
    for candidate in report.stacks:
        if candidate.name == stack:
            match = _ENVIRONMENT.match(candidate.environment)
            if match:
                return match[1], match[2]
    return "000000000000", "us-east-1"  # environment-agnostic stack: placeholders, see notes


def _finding(report: AuditReport, finding: Finding, now: str) -> dict[str, Any]:
    account, region = _environment(report, finding.stack)
    rule = report.coverage.rule(finding.base_rule)
    related = (
        [f"{FRAMEWORKS.get(rule.pack, rule.pack)} {control}" for control in rule.controls][:32]
        if rule
        else []
    )
    identity = f"{finding.stack}|{finding.construct_path}|{finding.rule}"
    item: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": "container-delivery/" + hashlib.sha256(identity.encode()).hexdigest(),
        "ProductArn": f"arn:aws:securityhub:{region}:{account}:product/{account}/default",
        "GeneratorId": finding.base_rule,
        "AwsAccountId": account,
        "Types": [
            f"Software and Configuration Checks/Industry and Regulatory Standards/{finding.pack}"
        ],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": "HIGH" if finding.severity == "error" else "MEDIUM"},
        "Title": f"{finding.rule}"[:256],
        "Description": (finding.description or finding.rule)[:1024],
        "Resources": [
            {
                "Type": RESOURCE_TYPES.get(finding.resource_type, "Other"),
                "Id": f"{finding.stack}/{finding.logical_id or finding.construct_path}"[:512],
                "Partition": "aws",
                "Region": region,
            }
        ],
        "Compliance": {"Status": "FAILED", **({"RelatedRequirements": related} if related else {})},
        "Workflow": {"Status": "SUPPRESSED" if finding.acknowledged else "NEW"},
        "RecordState": "ACTIVE",
        "ProductFields": {
            "container-delivery/pack": finding.pack,
            "container-delivery/constructPath": finding.construct_path[:1024],
            "container-delivery/commit": report.git.commit or "unknown",
        },
    }
    if rule is not None and rule.doc_link.startswith("https://"):
        item["Remediation"] = {
            "Recommendation": {
                "Text": (rule.explanation or rule.description)[:512],
                "Url": rule.doc_link,
            }
        }
    if finding.acknowledged:
        item["Note"] = {
            "Text": finding.reason[:512],
            "UpdatedBy": (finding.source.label if finding.source else "acknowledge()")[:512],
            "UpdatedAt": now,
        }
    return item


def render_asff(report: AuditReport, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps([_finding(report, f, stamp) for f in report.findings], indent=1) + "\n"
