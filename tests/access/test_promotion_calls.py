"""The promotion Lambda: every boto3 call its tests make, evaluated against the synthesized roles.

``tests/lambdas/conftest.py`` records each call (service, operation, parameters) while the Lambda
tests run; ``tests/conftest.py`` runs this module after them. Run alone, it runs the Lambda tests
in a subprocess to record them. A new call without its permission fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.access import recorder
from tests.access.cfn import Assembly, Stack
from tests.access.evaluator import Principal
from tests.access.flows import Flow, check, pipeline_stacks
from tests.access.model import PolicyModel
from tests.helpers import ROOT

#: Calls the promotion must make in any complete run of its tests (so an empty or partial
#: recording cannot pass unnoticed).
EXPECTED = {
    "ecr:BatchGetImage",
    "ecr:PutImage",
    "ecr:DescribeImages",
    "sts:AssumeRole",
    "codepipeline:PutJobSuccessResult",
    "codepipeline:PutJobFailureResult",
}


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if recorder.CALLS:
        return list(recorder.CALLS)
    target = tmp_path_factory.mktemp("calls") / "calls.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/lambdas"],
        cwd=ROOT,
        env={**os.environ, recorder.RECORD_FILE_ENV: str(target)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return json.loads(target.read_text())  # type: ignore[no-any-return]


def promotion_flows(stack: Stack, calls: list[dict[str, Any]]) -> list[Flow]:
    """The recorded calls as this pipeline's promotion function would make them."""
    function_id, function = next(stack.of_type("AWS::Lambda::Function"))
    props = stack.resolve(function["Properties"])
    env = props["Environment"]["Variables"]
    role = Principal.role(props["Role"])
    reader = env["DESTINATION_ROLE_ARN"]
    repository = env["ALLOWED_REPOSITORIES"].split(",")[0]
    actor = f"promotion {repository}"
    flows: dict[tuple[str, str, str], Flow] = {}
    for call in calls:
        action = f"{call['prefix']}:{call['operation']}"
        params = call["params"]
        if call["prefix"] == "ecr" and "registryId" in params:
            # The destination client: the read role in production (DESTINATION_REGISTRY_ID).
            principal = Principal.role(reader)
            resource = (
                f"arn:aws:ecr:{env['DESTINATION_REGION']}:{env['DESTINATION_REGISTRY_ID']}:"
                f"repository/{repository}"
            )
        elif call["prefix"] == "ecr":
            principal = role
            resource = f"arn:aws:ecr:{stack.region}:{stack.account}:repository/{repository}"
        elif action == "sts:AssumeRole":
            flows[(role.arn, action, reader)] = Flow(actor, role, action, reader, assume=True)
            continue
        elif call["prefix"] == "codepipeline":
            principal, resource = role, "*"  # job results have no resource-level permissions
        else:
            raise AssertionError(f"{actor}: no IAM mapping for {action} ({call['test']})")
        flows[(principal.arn, action, resource)] = Flow(actor, principal, action, resource)
    # The runtime's own calls: logs and the dead-letter queue.
    group = props["LoggingConfig"]["LogGroup"]
    stream = f"arn:aws:logs:{stack.region}:{stack.account}:log-group:{group}:log-stream:2026/x"
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        flows[(role.arn, action, stream)] = Flow(actor, role, action, stream)
    if "DeadLetterConfig" in props:
        queue = props["DeadLetterConfig"]["TargetArn"]
        flows[(role.arn, "sqs:SendMessage", queue)] = Flow(actor, role, "sqs:SendMessage", queue)
        for queue_id, resource in stack.of_type("AWS::SQS::Queue"):
            key = stack.resolve(resource["Properties"]).get("KmsMasterKeyId")
            if stack.arn(queue_id) == queue and key:
                for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                    flows[(role.arn, action, key)] = Flow(actor, role, action, key)
    assert function_id
    return list(flows.values())


def test_the_recording_holds_every_kind_of_promotion_call(calls: list[dict[str, Any]]) -> None:
    assert {f"{c['prefix']}:{c['operation']}" for c in calls} >= EXPECTED


def test_every_recorded_promotion_call_is_allowed(
    assembly: Assembly, model: PolicyModel, calls: list[dict[str, Any]]
) -> None:
    denied = []
    count = 0
    for stack in pipeline_stacks(assembly):
        for flow in promotion_flows(stack, calls):
            count += 1
            decision = check(model, flow)
            if not decision.allowed:
                denied.append(f"{flow} -> {decision}")
    assert count >= 10
    assert denied == []


def test_a_call_the_role_does_not_allow_is_reported(assembly: Assembly, model: PolicyModel) -> None:
    # GIVEN the promotion started deleting images (a call its role does not allow)
    stack = pipeline_stacks(assembly)[0]
    call = {"prefix": "ecr", "operation": "BatchDeleteImage", "params": {}, "test": "t"}
    flows = promotion_flows(stack, [call])
    # THEN the access check denies it
    assert [check(model, f).allowed for f in flows if f.action == "ecr:BatchDeleteImage"] == [False]
