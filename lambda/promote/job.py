"""The CodePipeline job protocol: run the promotion for a job and report its result."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, cast

from botocore.exceptions import ClientError
from clients import Dependencies
from errors import InvalidRequest, PromotionError, ReplicationTimeout, error_code
from log import log
from parsing import parse_request, settings_from_env
from release import execute, invocation_budget_end

FAILURE_MESSAGE_MAX: Final = 5000


def run_job(job: Mapping[str, Any], context: Any, deps: Dependencies) -> dict[str, str]:
    """Run a CodePipeline job and report it through the job API; never raise after reporting.

    CodePipeline invokes the function asynchronously, so a raised error makes Lambda retry the
    invocation, which would report the same job twice. Errors are reported and the function
    returns. Only a failure to report at all (other than the job being already closed) is raised,
    so Lambda's retry runs the idempotent promotion and reports again.

    A replication wait longer than this invocation can afford ends with a continuation token:
    CodePipeline invokes the function again (each reply restarts its 20-minute action timer, up to
    24 hours) and the wait resumes until REPLICATION_TIMEOUT_SECONDS after the first invocation.
    """
    job_id = str(job["id"])  # no id: not a job event we can answer, let it fail loudly
    data = job.get("data", {})
    clock = deps.clock
    continuation = data.get("continuationToken")
    started_at = _started_at(continuation, clock())
    budget_end = invocation_budget_end(context, clock)
    outputs: dict[str, str] | None = None
    token: str | None = None
    try:
        settings = settings_from_env(deps.env)
        request = parse_request(_user_parameters(data), settings)
        overall_deadline = started_at + settings.replication_timeout_seconds
        try:
            outputs = execute(request, settings, deps, started_at=started_at, budget_end=budget_end)
        except ReplicationTimeout as error:
            if budget_end >= overall_deadline or clock() >= overall_deadline:
                raise
            # this invocation ran out of time, the promotion did not: ask to be invoked again
            token = json.dumps({"started_at": started_at}, separators=(",", ":"))
            log(
                "INFO",
                "replication_wait_continues",
                job_id=job_id,
                repository=request.repository,
                waited_seconds=round(error.waited_seconds, 1),
                checks=error.checks,
            )
    except Exception as error:  # every error must reach the pipeline, or it hangs 20 minutes
        failure_type = error.failure_type if isinstance(error, PromotionError) else "JobFailed"
        message = str(error)
        if not isinstance(error, PromotionError):
            message = f"unexpected {type(error).__name__}: {message}"
        log("ERROR", "promotion_failed", job_id=job_id, error=type(error).__name__, message=message)
        _report(deps, job_id, "failure", failure_type=failure_type, message=message)
        return {"status": "Failed", "job_id": job_id}
    if token is not None:
        _report(deps, job_id, "continue", continuation_token=token)
        return {"status": "InProgress", "job_id": job_id}
    outputs = outputs or {}
    _report(deps, job_id, "success", outputs=outputs)
    return {"status": "Succeeded", "job_id": job_id, **outputs}


def _user_parameters(data: Mapping[str, Any]) -> Any:
    raw = data.get("actionConfiguration", {}).get("configuration", {}).get("UserParameters")
    if not raw:
        raise InvalidRequest(
            "the CodePipeline action has no UserParameters: set it to a JSON object such as "
            '{"repository": "webapp", "digest": "#{Build.IMAGE_DIGEST}", "git_tag": "v1.4.0"}'
        )
    try:
        return json.loads(raw)
    except ValueError as error:
        raise InvalidRequest(f"UserParameters is not valid JSON ({error}): {raw[:200]!r}") from None


def _started_at(continuation: object, now: float) -> float:
    if isinstance(continuation, str):
        try:
            value = json.loads(continuation).get("started_at")
            if isinstance(value, int | float):
                return float(value)
        except (ValueError, AttributeError):
            pass
    return now


def _report(
    deps: Dependencies,
    job_id: str,
    outcome: str,
    *,
    outputs: Mapping[str, str] | None = None,
    continuation_token: str | None = None,
    failure_type: str = "JobFailed",
    message: str = "",
) -> None:
    client = deps.codepipeline()
    try:
        if outcome == "failure":
            client.put_job_failure_result(
                jobId=job_id,
                failureDetails={
                    "type": cast("Any", failure_type),
                    "message": message[:FAILURE_MESSAGE_MAX] or "promotion failed",
                },
            )
        elif continuation_token is not None:
            client.put_job_success_result(jobId=job_id, continuationToken=continuation_token)
        else:
            client.put_job_success_result(jobId=job_id, outputVariables=dict(outputs or {}))
    except ClientError as error:
        if error_code(error) in {"InvalidJobStateException", "JobNotFoundException"}:
            log("WARNING", "job_already_closed", job_id=job_id, outcome=outcome, message=str(error))
            return
        raise
    log("INFO", "job_reported", job_id=job_id, outcome=outcome)
