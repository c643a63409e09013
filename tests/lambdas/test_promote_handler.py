"""The handler: event parsing, direct invocation, replication wait, the CodePipeline job path."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

DIGEST = "sha256:" + "a" * 64


class FakeTime:
    """An injectable clock and sleep: sleeping advances the clock, and may run a callback."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[int], None] = lambda count: None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.on_sleep(len(self.sleeps))


class LambdaContext:
    def __init__(self, fake_time: FakeTime, timeout_seconds: float) -> None:
        self._end = fake_time.now + timeout_seconds
        self._time = fake_time

    def get_remaining_time_in_millis(self) -> int:
        return int((self._end - self._time.now) * 1000)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def deps(promote, fake_time) -> Any:
    """Real (moto-backed) clients, fake time, the process environment."""
    return promote.Dependencies(sleep=fake_time.sleep, clock=fake_time.clock, env=os.environ)


@pytest.fixture
def codepipeline(promote, moto) -> Iterator[Stubber]:
    """The handler's own CodePipeline client, stubbed: moto has no job API (PutJob*Result)."""
    with Stubber(promote._codepipeline_client()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def replicated(monkeypatch, images) -> None:
    monkeypatch.setenv("DESTINATION_ROLE_ARN", images.DESTINATION_ROLE_ARN)
    monkeypatch.setenv("DESTINATION_REGION", images.DESTINATION_REGION)


def job_event(params: dict[str, Any] | str, *, token: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "actionConfiguration": {
            "configuration": {
                "FunctionName": "promote",
                "UserParameters": params if isinstance(params, str) else json.dumps(params),
            }
        },
        "inputArtifacts": [],
        "outputArtifacts": [],
        "artifactCredentials": {
            "accessKeyId": "AKIAEXAMPLE",
            "secretAccessKey": "secret-that-must-never-be-logged",
            "sessionToken": "token-that-must-never-be-logged",
        },
    }
    if token is not None:
        data["continuationToken"] = token
    return {"CodePipeline.job": {"id": "11111111-2222-3333-4444-555555555555", "data": data}}


JOB_ID = "11111111-2222-3333-4444-555555555555"


# ---------------------------------------------------------------------------------- parsing
def test_git_tag_fills_the_default_release_tag_template(promote):
    request = promote.parse_request(
        {"repository": "webapp", "digest": DIGEST, "git_tag": "v1.4.0"}, promote.Settings()
    )

    assert request.release_tags == ("release-v1.4.0",)


def test_git_tag_fills_a_configured_release_tag_template(promote):
    settings = promote.settings_from_env({"RELEASE_TAG_TEMPLATE": "prod-{git_tag}"})

    request = promote.parse_request(
        {"repository": "webapp", "source_tag": "v1.4.0", "git_tag": "v1.4.0"}, settings
    )

    assert request.release_tags == ("prod-v1.4.0",)


def test_every_problem_in_a_request_is_reported_at_once(promote):
    with pytest.raises(promote.InvalidRequest) as raised:
        promote.parse_request(
            {"repository": "Web App", "digest": "sha256:123", "git_tag": "v1", "tag": "x"},
            promote.Settings(),
        )

    message = str(raised.value)
    assert "unknown field(s) ['tag']" in message
    assert "repository: 'Web App' is not a valid ECR repository name" in message
    assert "digest: 'sha256:123' must look like 'sha256:<64 lowercase hex digits>'" in message


def test_digest_and_source_tag_together_are_refused(promote):
    with pytest.raises(promote.InvalidRequest, match="either digest or source_tag, not both"):
        promote.parse_request(
            {"repository": "webapp", "digest": DIGEST, "source_tag": "v1", "git_tag": "v1"},
            promote.Settings(),
        )


def test_a_git_tag_that_makes_an_invalid_image_tag_is_refused(promote):
    with pytest.raises(
        promote.InvalidRequest, match=re.escape("'release-app/v1.4.0' is not a valid image")
    ):
        promote.parse_request(
            {"repository": "webapp", "digest": DIGEST, "git_tag": "app/v1.4.0"},
            promote.Settings(),
        )


def test_a_repository_outside_allowed_repositories_is_refused(promote):
    settings = promote.settings_from_env({"ALLOWED_REPOSITORIES": "webapp, api"})

    with pytest.raises(
        promote.InvalidRequest,
        match=re.escape(
            "'billing' is not one this function may promote (ALLOWED_REPOSITORIES: api, webapp)"
        ),
    ):
        promote.parse_request(
            {"repository": "billing", "digest": DIGEST, "git_tag": "v1"}, settings
        )


def test_bad_function_configuration_names_the_variables(promote):
    with pytest.raises(promote.InvalidRequest) as raised:
        promote.settings_from_env(
            {
                "RELEASE_TAG_TEMPLATE": "release",
                "REPLICATION_TIMEOUT_SECONDS": "ten",
                "DESTINATION_ROLE_ARN": "production",
            }
        )

    message = str(raised.value)
    assert "RELEASE_TAG_TEMPLATE: 'release' must contain {git_tag}" in message
    assert "REPLICATION_TIMEOUT_SECONDS: 'ten' must be a positive number" in message
    assert "DESTINATION_ROLE_ARN: 'production' must be an IAM role ARN" in message


# ------------------------------------------------------------------------ direct invocation
def test_direct_invocation_returns_the_output_variables(promote, ecr, images):
    digest = images.push(ecr, images.manifest("a"), "build-17")

    outputs = promote.handler({"repository": "webapp", "digest": digest, "git_tag": "v1.4.0"}, None)

    assert outputs == {
        "IMAGE_DIGEST": digest,
        "RELEASE_TAG": "release-v1.4.0",
        "RELEASE_TAGS": "release-v1.4.0",
        "IMAGE_URI": f"{images.SOURCE_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/webapp@{digest}",
    }


def test_direct_invocation_raises_and_logs_an_error_line(promote, ecr, capsys):
    with pytest.raises(promote.ImageNotFound):
        promote.handler({"repository": "webapp", "digest": DIGEST, "git_tag": "v1"}, None)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[-1]["level"] == "ERROR"
    assert lines[-1]["event"] == "promotion_failed"
    assert lines[-1]["error"] == "ImageNotFound"


def test_logs_are_one_json_object_per_line_with_repository_digest_and_tags(
    promote, ecr, images, capsys
):
    digest = images.push(ecr, images.manifest("a"), "build-17")

    promote.handler({"repository": "webapp", "digest": digest, "git_tag": "v1.4.0"}, None)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    promoted = next(line for line in lines if line["event"] == "promoted")
    assert promoted["level"] == "INFO"
    assert promoted["repository"] == "webapp"
    assert promoted["digest"] == digest
    assert promoted["tags"] == ["release-v1.4.0"]


# ------------------------------------------------------------------------ replication wait
def test_replication_wait_succeeds_when_the_release_tag_arrives(
    promote, ecr, destination_ecr, images, deps, fake_time, replicated
):
    # GIVEN the release tag reaches the production registry only after the third wait
    manifest = images.manifest("a")
    digest = images.push(ecr, manifest, "build-17")
    destination_ecr.create_repository(repositoryName="webapp")

    def replicate(count: int) -> None:
        if count == 3:
            images.push(destination_ecr, manifest, "release-v1", digest=digest)

    fake_time.on_sleep = replicate
    # WHEN it is promoted
    outputs = promote.run({"repository": "webapp", "digest": digest, "git_tag": "v1"}, None, deps)
    # THEN the function waited with exponential backoff and reports the production URI
    assert fake_time.sleeps == [2.0, 4.0, 8.0]
    assert outputs["DESTINATION_IMAGE_URI"] == (
        f"{images.DESTINATION_ACCOUNT}.dkr.ecr.{images.DESTINATION_REGION}.amazonaws.com/"
        f"webapp@{digest}"
    )


def test_replication_wait_waits_for_the_release_tag_not_only_the_digest(
    promote, ecr, destination_ecr, images, deps, fake_time, replicated
):
    # GIVEN the digest is in production since the build pushed it (build tags replicate at push)
    manifest = images.manifest("a")
    digest = images.push(ecr, manifest, "git-0123456789ab")
    destination_ecr.create_repository(repositoryName="webapp")
    images.push(destination_ecr, manifest, "git-0123456789ab", digest=digest)
    # ... and the release tag arrives only after the second wait

    def replicate(count: int) -> None:
        if count == 2:
            images.push(destination_ecr, manifest, "release-v1", digest=digest)

    fake_time.on_sleep = replicate
    # WHEN it is promoted
    promote.run({"repository": "webapp", "digest": digest, "git_tag": "v1"}, None, deps)
    # THEN it kept waiting until the release tag was there on the same digest
    assert fake_time.sleeps == [2.0, 4.0]
    assert images.tag_digest(destination_ecr, "release-v1") == digest


def test_a_release_tag_on_another_digest_in_production_fails_at_once(
    promote, ecr, destination_ecr, images, deps, fake_time, replicated
):
    # GIVEN production already has release-v1 on another image
    digest = images.push(ecr, images.manifest("a"), "git-0123456789ab")
    destination_ecr.create_repository(repositoryName="webapp", imageTagMutability="IMMUTABLE")
    other = images.push(destination_ecr, images.manifest("b"), "release-v1")
    # WHEN the digest is promoted as v1
    with pytest.raises(promote.PromotionError) as raised:
        promote.run({"repository": "webapp", "digest": digest, "git_tag": "v1"}, None, deps)
    # THEN it fails without waiting, naming both digests
    assert fake_time.sleeps == []
    assert f"release tag release-v1 points to {other} in repository webapp" in str(raised.value)
    assert f"not to {digest}" in str(raised.value)


def test_replication_wait_treats_a_missing_destination_repository_as_not_yet(
    promote, ecr, destination_ecr, images, deps, fake_time, replicated
):
    # GIVEN replication creates the repository in production with the first delivery
    manifest = images.manifest("a")
    digest = images.push(ecr, manifest, "build-17")

    def replicate(count: int) -> None:
        if count == 1:
            destination_ecr.create_repository(repositoryName="webapp")
            images.push(destination_ecr, manifest, "release-v1", digest=digest)

    fake_time.on_sleep = replicate

    outputs = promote.run({"repository": "webapp", "digest": digest, "git_tag": "v1"}, None, deps)

    assert outputs["IMAGE_DIGEST"] == digest
    assert fake_time.sleeps == [2.0]


def test_replication_wait_times_out_saying_how_long_it_waited(
    promote, ecr, destination_ecr, images, deps, fake_time, replicated, monkeypatch
):
    # GIVEN the digest never reaches production
    monkeypatch.setenv("REPLICATION_TIMEOUT_SECONDS", "300")
    digest = images.push(ecr, images.manifest("a"), "build-17")
    destination_ecr.create_repository(repositoryName="webapp")
    # WHEN it is promoted
    with pytest.raises(promote.ReplicationTimeout) as raised:
        promote.run({"repository": "webapp", "digest": digest, "git_tag": "v1"}, None, deps)
    # THEN it waited exactly the timeout, with capped backoff, and says replication has not
    # delivered the release tag yet; the release tag stays in the source (a re-run is idempotent)
    assert fake_time.sleeps[:6] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert max(fake_time.sleeps) == 30.0
    assert sum(fake_time.sleeps) == pytest.approx(300.0)
    assert f"replication has not delivered release tag release-v1 of {digest}" in str(raised.value)
    assert "waited 300 s" in str(raised.value)
    assert images.tag_digest(ecr, "release-v1") == digest


def test_direct_invocation_stops_waiting_before_the_lambda_timeout(
    promote, ecr, destination_ecr, images, deps, fake_time, replicated
):
    # GIVEN a 600 s replication timeout but a function with 120 s left
    digest = images.push(ecr, images.manifest("a"), "build-17")
    context = LambdaContext(fake_time, timeout_seconds=120)

    with pytest.raises(promote.ReplicationTimeout, match="waited 100 s"):
        promote.run({"repository": "webapp", "digest": digest, "git_tag": "v1"}, context, deps)


def test_without_a_destination_the_replication_check_is_skipped(promote, ecr, images, deps):
    digest = images.push(ecr, images.manifest("a"), "build-17")

    outputs = promote.run({"repository": "webapp", "digest": digest, "git_tag": "v1"}, None, deps)

    assert "DESTINATION_IMAGE_URI" not in outputs


# --------------------------------------------------------------------------- CodePipeline job
def test_codepipeline_job_success_is_reported_with_output_variables(
    promote, ecr, images, codepipeline, capsys
):
    digest = images.push(ecr, images.manifest("a"), "build-17")
    codepipeline.add_response(
        "put_job_success_result",
        {},
        {
            "jobId": JOB_ID,
            "outputVariables": {
                "IMAGE_DIGEST": digest,
                "RELEASE_TAG": "release-v1.4.0",
                "RELEASE_TAGS": "release-v1.4.0",
                "IMAGE_URI": f"{images.SOURCE_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/"
                f"webapp@{digest}",
            },
        },
    )

    result = promote.handler(
        job_event({"repository": "webapp", "digest": digest, "git_tag": "v1.4.0"}), None
    )

    assert result["status"] == "Succeeded"
    assert images.tag_digest(ecr, "release-v1.4.0") == digest
    assert "must-never-be-logged" not in capsys.readouterr().out


def test_codepipeline_job_failure_is_reported_and_the_handler_returns(promote, ecr, codepipeline):
    # GIVEN a digest that is not in the repository
    codepipeline.add_response(
        "put_job_failure_result",
        {},
        {
            "jobId": JOB_ID,
            "failureDetails": {"type": "JobFailed", "message": ANY},
        },
    )
    # WHEN the job runs
    result = promote.handler(
        job_event({"repository": "webapp", "digest": DIGEST, "git_tag": "v1.4.0"}), None
    )
    # THEN the failure went through the job API and nothing was raised (no Lambda retry)
    assert result == {"status": "Failed", "job_id": JOB_ID}


def test_codepipeline_failure_message_is_the_domain_message(promote, ecr, deps):
    reported: list[dict[str, Any]] = []

    class Recorder:
        def put_job_failure_result(self, **kwargs: Any) -> None:
            reported.append(kwargs)

    deps.codepipeline = Recorder
    event = job_event({"repository": "webapp", "digest": DIGEST, "git_tag": "v1.4.0"})

    promote.run(event, None, deps)

    message = reported[0]["failureDetails"]["message"]
    assert message.startswith(f"image {DIGEST} not found in repository webapp")
    assert len(message) <= 5000


def test_codepipeline_bad_user_parameters_are_a_configuration_error(promote, ecr, codepipeline):
    codepipeline.add_response(
        "put_job_failure_result",
        {},
        {"jobId": JOB_ID, "failureDetails": {"type": "ConfigurationError", "message": ANY}},
    )

    result = promote.handler(job_event("{not json"), None)

    assert result["status"] == "Failed"


def test_codepipeline_unexpected_errors_are_reported_too(promote, deps, capsys):
    reported: list[dict[str, Any]] = []

    class Recorder:
        def put_job_failure_result(self, **kwargs: Any) -> None:
            reported.append(kwargs)

    def broken_ecr() -> Any:
        raise RuntimeError("no route to ECR")

    deps.codepipeline = Recorder
    deps.ecr = broken_ecr

    promote.run(job_event({"repository": "webapp", "digest": DIGEST, "git_tag": "v1"}), None, deps)

    assert reported[0]["failureDetails"] == {
        "type": "JobFailed",
        "message": "unexpected RuntimeError: no route to ECR",
    }
    error_lines = [line for line in capsys.readouterr().out.splitlines() if '"ERROR"' in line]
    assert json.loads(error_lines[0])["level"] == "ERROR"


def test_reporting_to_an_already_closed_job_does_not_raise(promote, ecr, images, codepipeline):
    digest = images.push(ecr, images.manifest("a"), "build-17")
    codepipeline.add_client_error(
        "put_job_success_result",
        service_error_code="InvalidJobStateException",
        service_message="The job is already in a terminal state",
    )

    result = promote.handler(
        job_event({"repository": "webapp", "digest": digest, "git_tag": "v1"}), None
    )

    assert result["status"] == "Succeeded"


def test_codepipeline_long_replication_wait_continues_in_a_new_invocation(
    promote, ecr, destination_ecr, images, deps, fake_time, replicated
):
    # GIVEN a function with 5 minutes per invocation, a 20 minute replication timeout, and an
    # image that reaches production only during the second invocation
    reports: list[dict[str, Any]] = []

    class Recorder:
        def put_job_success_result(self, **kwargs: Any) -> None:
            reports.append(kwargs)

    deps.codepipeline = Recorder
    deps.env = {**deps.env, "REPLICATION_TIMEOUT_SECONDS": "1200"}
    manifest = images.manifest("a")
    digest = images.push(ecr, manifest, "build-17")
    destination_ecr.create_repository(repositoryName="webapp")
    params = {"repository": "webapp", "digest": digest, "git_tag": "v1.4.0"}
    started = fake_time.now
    # WHEN the first invocation runs out of time
    first = promote.run(job_event(params), LambdaContext(fake_time, 300), deps)
    # THEN it reports progress with a continuation token and no output variables
    assert first["status"] == "InProgress"
    assert reports[0].keys() == {"jobId", "continuationToken"}
    assert json.loads(reports[0]["continuationToken"]) == {"started_at": started}
    assert fake_time.now - started == pytest.approx(280.0)

    # WHEN CodePipeline invokes it again with the token and the image arrives
    fake_time.now += 30
    images.push(destination_ecr, manifest, "release-v1.4.0", digest=digest)
    token = reports[0]["continuationToken"]
    second = promote.run(job_event(params, token=token), LambdaContext(fake_time, 300), deps)
    # THEN the job succeeds with the output variables
    assert second["status"] == "Succeeded"
    assert reports[1]["outputVariables"]["DESTINATION_IMAGE_URI"].endswith(f"webapp@{digest}")


def test_codepipeline_replication_timeout_counts_from_the_first_invocation(
    promote, ecr, destination_ecr, images, deps, fake_time, replicated
):
    # GIVEN a continuation whose first invocation started 1190 s ago, with a 1200 s timeout
    failures: list[dict[str, Any]] = []

    class Recorder:
        def put_job_failure_result(self, **kwargs: Any) -> None:
            failures.append(kwargs)

    deps.codepipeline = Recorder
    deps.env = {**deps.env, "REPLICATION_TIMEOUT_SECONDS": "1200"}
    digest = images.push(ecr, images.manifest("a"), "build-17")
    token = json.dumps({"started_at": fake_time.now - 1190})
    params = {"repository": "webapp", "digest": digest, "git_tag": "v1.4.0"}
    # WHEN the digest still is not there
    result = promote.run(job_event(params, token=token), LambdaContext(fake_time, 300), deps)
    # THEN the job fails, saying how long was waited in total
    assert result["status"] == "Failed"
    message = failures[0]["failureDetails"]["message"]
    assert "replication has not delivered" in message
    assert "waited 1200 s" in message
