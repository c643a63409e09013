"""The CodePipeline V2 itself: its stages, from the source archive to production, and its role.

Source -> Build -> Staging -> Approval (SNS: digest and staging URL) -> Promote (the promotion
Lambda tags the digest and waits for replication) -> Production (the same digest).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from ._deploy import deploy_action
from ._storage import KMS_USE, PipelineStorage
from .access import DeployTarget
from .source import ReleaseSource

SOURCE_ACTION: Final = "Source"
"""The S3 source action's name; the trigger names it to pass the uploaded object's version."""
#: The digest the build exported; every later stage names the image by it.
DIGEST: Final = "#{Build.IMAGE_DIGEST}"


@dataclass(frozen=True)
class Release:
    """What the stages act on: the service, its source, projects, targets and topic."""

    service_name: str
    source: ReleaseSource
    build_project: codebuild.PipelineProject
    deploy_project: codebuild.PipelineProject
    staging: DeployTarget
    production: DeployTarget
    promote_function: lambda_.IFunction
    topic: sns.ITopic
    staging_url: str | None


def new_pipeline(
    scope: Construct, release: Release, storage: PipelineStorage
) -> tuple[codepipeline.Pipeline, iam.Role, iam.ManagedPolicy]:
    """The pipeline (the construct's ``Resource``), its role and its policy."""
    role = iam.Role(
        scope,
        "PipelineRole",
        assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com"),
        description=f"container-delivery {release.service_name} pipeline",
    )
    pipeline = codepipeline.Pipeline(
        scope,
        "Resource",
        pipeline_name=f"container-delivery-{release.service_name}",
        pipeline_type=codepipeline.PipelineType.V2,
        execution_mode=codepipeline.ExecutionMode.QUEUED,
        artifact_bucket=storage.artifact_bucket,
        role=role.without_policy_updates(),
        use_pipeline_role_for_actions=True,
        restart_execution_on_update=False,
        stages=_stages(release),
    )
    policy = iam.ManagedPolicy(
        scope, "PipelinePolicy", roles=[role], statements=_statements(release, storage)
    )
    return pipeline, role, policy


def _stages(release: Release) -> list[codepipeline.StageProps]:
    source_output = codepipeline.Artifact("Source")
    build_output = codepipeline.Artifact("Release")

    def deploy(name: str, target: DeployTarget) -> list[codepipeline.IAction]:
        return [deploy_action(release.deploy_project, name, target, build_output, DIGEST)]

    return [
        codepipeline.StageProps(
            stage_name="Source",
            actions=[
                actions.S3SourceAction(
                    action_name=SOURCE_ACTION,
                    bucket=release.source.bucket,
                    bucket_key=release.source.object_key,
                    output=source_output,
                    trigger=actions.S3Trigger.NONE,
                    variables_namespace="Source",
                )
            ],
        ),
        codepipeline.StageProps(
            stage_name="Build",
            actions=[
                actions.CodeBuildAction(
                    action_name="BuildAndGate",
                    project=release.build_project,
                    input=source_output,
                    outputs=[build_output],
                    variables_namespace="Build",
                )
            ],
        ),
        codepipeline.StageProps(
            stage_name="Staging", actions=deploy("DeployStaging", release.staging)
        ),
        codepipeline.StageProps(stage_name="Approval", actions=[_approval(release)]),
        codepipeline.StageProps(stage_name="Promote", actions=[_promotion(release)]),
        codepipeline.StageProps(
            stage_name="Production", actions=deploy("DeployProduction", release.production)
        ),
    ]


def _approval(release: Release) -> actions.ManualApprovalAction:
    """The approval request names the digest staging runs (and links staging when known)."""
    text = (
        f"{release.service_name} #{{Build.GIT_TAG}} (commit #{{Build.GIT_COMMIT}}) runs in "
        f"staging as {DIGEST}. Check it"
        + (f" at {release.staging_url}" if release.staging_url else "")
        + ", then approve to promote and deploy this digest to production."
    )
    return actions.ManualApprovalAction(
        action_name="Approve",
        notification_topic=release.topic,
        additional_information=text,
        external_entity_link=release.staging_url,
    )


def _promotion(release: Release) -> actions.LambdaInvokeAction:
    return actions.LambdaInvokeAction(
        action_name="Promote",
        lambda_=release.promote_function,
        user_parameters_string=json.dumps(
            {
                "repository": release.service_name,
                "digest": DIGEST,
                "git_tag": "#{Build.GIT_TAG}",
            }
        ),
        variables_namespace="Promote",
    )


def _statements(release: Release, storage: PipelineStorage) -> list[iam.PolicyStatement]:
    source = release.source
    return [
        *storage.artifact_statements(write=True),
        iam.PolicyStatement(
            sid="ReadTheSourceArchive",
            actions=["s3:GetObject", "s3:GetObjectVersion"],
            resources=[source.bucket.arn_for_objects(source.object_key)],
        ),
        iam.PolicyStatement(
            sid="ReadTheSourceBucket",
            actions=["s3:GetBucketVersioning", "s3:GetBucketLocation"],
            resources=[source.bucket.bucket_arn],
        ),
        iam.PolicyStatement(
            sid="UseThePipelineKey", actions=KMS_USE, resources=[storage.key.key_arn]
        ),
        iam.PolicyStatement(
            sid="RunTheProjects",
            actions=[
                "codebuild:BatchGetBuilds",
                "codebuild:StartBuild",
                "codebuild:StopBuild",
            ],
            resources=[release.build_project.project_arn, release.deploy_project.project_arn],
        ),
        iam.PolicyStatement(
            sid="InvokeThePromotion",
            actions=["lambda:InvokeFunction"],
            resources=[release.promote_function.function_arn],
        ),
        iam.PolicyStatement(
            sid="RequestApproval", actions=["sns:Publish"], resources=[release.topic.topic_arn]
        ),
    ]
