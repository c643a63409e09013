"""The EventBridge target that starts the pipeline on exactly the uploaded source archive.

An S3 source action builds the object's latest version when the execution reaches it: two tags
uploaded seconds apart could both build the second archive. CodePipeline V2 lets the execution
name the version (``sourceRevisions`` with ``S3_OBJECT_VERSION_ID``), and EventBridge can pass it
to a CodePipeline target through an input transformer: the S3 "Object Created" event carries the
new version id in ``detail.object.version-id``. No Lambda function is needed.

The rule matches the source bucket's EventBridge notifications for the one source object key:
no polling, no CloudTrail trail.
"""

from __future__ import annotations

from typing import Final

import jsii
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk.interfaces import aws_events as events_refs
from constructs import Construct

from ._stages import SOURCE_ACTION
from .source import ReleaseSource

#: The field of an S3 "Object Created" event that holds the uploaded object's version id.
VERSION_ID_PATH: Final = "$.detail.object.version-id"


@jsii.implements(events.IRuleTarget)
class StartWithUploadedVersion:
    """Start ``pipeline`` with the event's object version as the source action's revision."""

    def __init__(
        self, pipeline: codepipeline.IPipeline, *, source_action_name: str, role: iam.IRole
    ) -> None:
        self._pipeline = pipeline
        self._source_action_name = source_action_name
        self._role = role

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        del rule, id  # the target is the same for every rule (names as in events.IRuleTarget)
        return events.RuleTargetConfig(
            arn=self._pipeline.pipeline_arn,
            role=self._role,
            target_resource=self._pipeline,
            input=events.RuleTargetInput.from_object(
                {
                    "sourceRevisions": [
                        {
                            "actionName": self._source_action_name,
                            "revisionType": "S3_OBJECT_VERSION_ID",
                            "revisionValue": events.EventField.from_path(VERSION_ID_PATH),
                        }
                    ]
                }
            ),
        )


def start_on_upload(
    scope: Construct, service_name: str, pipeline: codepipeline.Pipeline, source: ReleaseSource
) -> events.Rule:
    """The rule (and its role) that starts ``pipeline`` when a release archive is uploaded."""
    role = iam.Role(
        scope,
        "TriggerRole",
        assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
        description=f"EventBridge: start the {service_name} pipeline on a new source archive",
    )
    iam.ManagedPolicy(
        scope,
        "TriggerPolicy",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                sid="StartThePipeline",
                actions=["codepipeline:StartPipelineExecution"],
                resources=[pipeline.pipeline_arn],
            )
        ],
    )
    return events.Rule(
        scope,
        "Trigger",
        description=f"A new release source archive of {service_name} starts its pipeline",
        event_pattern=events.EventPattern(
            source=["aws.s3"],
            detail_type=["Object Created"],
            detail={
                "bucket": {"name": [source.bucket.bucket_name]},
                "object": {"key": [source.object_key]},
            },
        ),
        # each upload builds exactly the version it uploaded, not the key's latest version
        targets=[
            StartWithUploadedVersion(
                pipeline, source_action_name=SOURCE_ACTION, role=role.without_policy_updates()
            )
        ],
    )
