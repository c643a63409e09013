"""``ReplicationMonitor``: tell people when ECR fails to replicate an image."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from ._rules import check_account

#: Event ECR sends for each replication attempt (ECR user guide, "Amazon ECR events and
#: EventBridge"): source ``aws.ecr``, detail-type ``ECR Replication Action``, ``detail.result``
#: ``SUCCESS`` or ``FAILED``, ``detail.action-type`` ``REPLICATE``, ``detail.source-account`` and
#: ``detail.source-region``; AWS's sample shows it in the destination region.
DETAIL_TYPE = "ECR Replication Action"


class ReplicationMonitor(Construct):
    """An EventBridge rule on failed ECR replications that notifies an SNS topic.

    The default topic is encrypted with its own KMS key (rotation on) and refuses publishing
    without TLS; the SNS target lets EventBridge publish to it and use the key.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic | None = None,
        emails: Sequence[str] = (),
        source_accounts: Sequence[str] = (),
        repository_prefixes: Sequence[str] = (),
    ) -> None:
        """
        :param topic: Where failures are published. If you pass an encrypted topic, its key must
            let ``events.amazonaws.com`` use it. Default: - a new KMS-encrypted, TLS-only topic.
        :param emails: Email addresses subscribed to the topic. Default: - none.
        :param source_accounts: Only failures of images from these accounts.
            Default: - any source account.
        :param repository_prefixes: Only failures of repositories starting with these.
            Default: - any repository.
        """
        super().__init__(scope, construct_id)
        problems = [
            problem
            for account in source_accounts
            for problem in check_account("source_accounts", account)
        ]
        problems += [
            f"emails: {email!r} is not an email address"
            for email in emails
            if "@" not in email or email.startswith("@") or email.endswith("@")
        ]
        if problems:
            raise ValueError(f"ReplicationMonitor '{construct_id}': " + "; ".join(problems))

        self.key: kms.IKey | None = None
        """The topic's KMS key, when this construct created the topic."""
        if topic is None:
            key = kms.Key(
                self,
                "TopicKey",
                description="Encrypts the ECR replication failure notifications",
                enable_key_rotation=True,
            )
            topic = sns.Topic(
                self,
                "Topic",
                display_name="ECR replication failures",
                master_key=key,
                enforce_ssl=True,
            )
            self.key = key
        self.topic: sns.ITopic = topic
        """The topic failures are published to."""
        for email in emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))

        detail: dict[str, object] = {"result": ["FAILED"], "action-type": ["REPLICATE"]}
        if source_accounts:
            detail["source-account"] = list(dict.fromkeys(source_accounts))
        if repository_prefixes:
            detail["repository-name"] = [{"prefix": p} for p in dict.fromkeys(repository_prefixes)]
        self.rule = events.Rule(
            self,
            "Rule",
            description="ECR failed to replicate an image",
            event_pattern=events.EventPattern(
                source=["aws.ecr"], detail_type=[DETAIL_TYPE], detail=detail
            ),
            targets=[targets.SnsTopic(topic)],
        )
        """The EventBridge rule."""
