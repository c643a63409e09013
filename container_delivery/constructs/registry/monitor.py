"""``ReplicationMonitor``: tell people when ECR fails to replicate an image."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from ..topic import EVENTBRIDGE, SecureTopic
from ._rules import check_account

#: Event ECR sends for each replication attempt (ECR user guide, "Amazon ECR events and
#: EventBridge"): source ``aws.ecr``, detail-type ``ECR Replication Action``, ``detail.result``
#: ``SUCCESS`` or ``FAILED``, ``detail.action-type`` ``REPLICATE``, ``detail.source-account`` and
#: ``detail.source-region``; AWS's sample shows it in the destination region.
DETAIL_TYPE = "ECR Replication Action"


class ReplicationMonitor(Construct):
    """An EventBridge rule on failed ECR replications that notifies an SNS topic.

    The default topic is a ``SecureTopic`` (its own KMS key, TLS only) that EventBridge rules of
    this account may publish to.
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
            let ``events.amazonaws.com`` use it. Default: - a new ``SecureTopic``.
        :param emails: Email addresses subscribed to the topic.
            Default: - none.
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
            raise ValueError(f"ReplicationMonitor '{self.node.path}': " + "; ".join(problems))

        self.key: kms.IKey | None = None
        """The topic's KMS key, when this construct created the topic."""
        target: events.IRuleTarget
        if topic is None:
            secure = SecureTopic(
                self,
                "Topic",
                display_name="ECR replication failures",
                emails=emails,
                publishers=[EVENTBRIDGE],
            )
            topic, target, self.key = secure.topic, secure.rule_target(), secure.key
        else:
            target = targets.SnsTopic(topic)
            for email in emails:
                topic.add_subscription(subscriptions.EmailSubscription(email))
        self.topic: sns.ITopic = topic
        """The topic failures are published to."""

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
            targets=[target],
        )
        """The EventBridge rule."""
