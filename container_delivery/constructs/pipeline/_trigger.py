"""The EventBridge target that starts the pipeline on exactly the uploaded source archive.

An S3 source action builds the object's latest version when the execution reaches it: two tags
uploaded seconds apart could both build the second archive. CodePipeline V2 lets the execution
name the version (``sourceRevisions`` with ``S3_OBJECT_VERSION_ID``), and EventBridge can pass it
to a CodePipeline target through an input transformer: the S3 "Object Created" event carries the
new version id in ``detail.object.version-id``. No Lambda function is needed.
"""

from __future__ import annotations

from typing import Final

import jsii
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk.interfaces import aws_events as events_refs

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
